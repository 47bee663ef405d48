-- description: Dated price list of the AI models (USD per million tokens), from the seed CSV plus optional user CSVs.
-- grain: one row per (model, valid_from); a price applies to events whose UTC date is on or after valid_from and before the next valid_from of the same model. CSV rows without a model or valid_from are ignored.
-- column model: Model name exactly as in sippet.call_ai_audit_events.model.
-- column valid_from: First UTC date the price applies to (inclusive).
-- column valid_to: First UTC date of the next price of the same model (exclusive); NULL for the current price.
-- column input_per_mtok: USD per million uncached text input tokens (image input tokens are billed at this rate too).
-- column cached_input_per_mtok: USD per million cached input tokens of any modality; NULL means no cache discount (input_per_mtok applies).
-- column output_per_mtok: USD per million text (and image) output tokens.
-- column audio_input_per_mtok: USD per million uncached audio input tokens; NULL means input_per_mtok applies.
-- column audio_output_per_mtok: USD per million audio output tokens; NULL means output_per_mtok applies.
-- column note: Free-text provenance of the price (source page, caveats).
-- column source_file: CSV file the row came from (the shipped seed or a user override file).
--
-- The build sets the variable sippet_model_price_files to a list of CSV paths, lowest precedence
-- first: the shipped seed, then the user's file(s). For the same (model, valid_from) the row of the
-- file listed last wins; rows only present in a user file are added.
CREATE OR REPLACE TABLE analytics.model_prices AS
WITH price_rows AS (
    SELECT
        *,
        list_position(getvariable('sippet_model_price_files'), filename) AS precedence
    FROM read_csv(
        getvariable('sippet_model_price_files'),
        header = TRUE,
        union_by_name = TRUE,
        filename = TRUE,
        types = {
            'model': 'VARCHAR',
            'valid_from': 'DATE',
            'input_per_mtok': 'DECIMAL(18,6)',
            'cached_input_per_mtok': 'DECIMAL(18,6)',
            'output_per_mtok': 'DECIMAL(18,6)',
            'audio_input_per_mtok': 'DECIMAL(18,6)',
            'audio_output_per_mtok': 'DECIMAL(18,6)',
            'note': 'VARCHAR'
        }
    )
),
winning AS (
    SELECT *
    FROM price_rows
    WHERE model IS NOT NULL AND valid_from IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY model, valid_from ORDER BY precedence DESC) = 1
)
SELECT
    model,
    valid_from,
    lead(valid_from) OVER (PARTITION BY model ORDER BY valid_from) AS valid_to,
    CAST(input_per_mtok AS DECIMAL(18,6)) AS input_per_mtok,
    CAST(cached_input_per_mtok AS DECIMAL(18,6)) AS cached_input_per_mtok,
    CAST(output_per_mtok AS DECIMAL(18,6)) AS output_per_mtok,
    CAST(audio_input_per_mtok AS DECIMAL(18,6)) AS audio_input_per_mtok,
    CAST(audio_output_per_mtok AS DECIMAL(18,6)) AS audio_output_per_mtok,
    CAST(note AS VARCHAR) AS note,
    filename AS source_file
FROM winning
ORDER BY model, valid_from;
