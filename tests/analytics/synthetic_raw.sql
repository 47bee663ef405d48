-- Synthetic raw data for the build-time benchmark: 50,000 calls over 30 days, 1,000,000 AI audit
-- events (half of them token-bearing responses), 400,000 transcript lines, 20,000 operator status
-- events. Deterministic (hash of the row number), generated entirely in DuckDB. About 2% of the
-- values of the fields a policy may hide are NULL (the API's null), cursor fields included.
INSERT INTO sippet.calls
SELECT * REPLACE (
    CASE WHEN hash(id, 'null-status') % 50 <> 0 THEN status END AS status,
    CASE WHEN hash(id, 'null-started') % 50 <> 0 THEN started_at END AS started_at,
    CASE WHEN hash(id, 'null-direction') % 50 <> 0 THEN direction END AS direction
)
FROM (SELECT
    'call-' || i AS id,
    CASE WHEN i % 3 = 0 THEN 'outbound' ELSE 'inbound' END AS direction,
    '+44' || (7000000000 + i) AS from_number,
    '+442079460000' AS to_number,
    'sip' || (i % 40) AS sip_username,
    ['completed', 'completed', 'completed', 'completed', 'failed', 'busy', 'no_answer', 'answered'][1 + CAST(hash(i) % 8 AS BIGINT)] AS status,
    'uuid-' || i AS call_uuid,
    'pstn' AS call_source,
    TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i * 51.84) AS started_at,
    NULL AS ended_at,
    20 + CAST(hash(i, 'duration') % 900 AS BIGINT) AS duration_seconds,
    'conv-' || i AS conversation_id,
    now() AS _synced_at
FROM range(50000) AS t(i));

INSERT INTO sippet.call_ai_audit_events BY NAME
SELECT * REPLACE (
    -- Hidden after the row is built, so a NULL event_type can hide a token-bearing response.
    CASE WHEN hash(id, 'null-type') % 50 <> 0 THEN event_type END AS event_type,
    CASE WHEN hash(id, 'null-model') % 50 <> 0 THEN model END AS model,
    CASE WHEN hash(id, 'null-agent') % 50 <> 0 THEN agent_id END AS agent_id,
    CASE WHEN hash(id, 'null-at') % 50 <> 0 THEN occurred_at END AS occurred_at,
    CASE WHEN hash(id, 'null-call') % 50 <> 0 THEN call_id END AS call_id,
    CASE WHEN hash(id, 'null-in') % 50 <> 0 THEN input_tokens END AS input_tokens,
    CASE WHEN hash(id, 'null-success') % 50 <> 0 THEN success END AS success
)
FROM (SELECT
    'ev-' || i AS id,
    ['response', 'response', 'response', 'response', 'response', 'tool_call', 'tool_call', 'tool_result', 'tool_result', 'state_step'][1 + CAST(hash(i) % 10 AS BIGINT)] AS event_type,
    CASE WHEN event_type LIKE 'tool%' THEN ['lookup_customer', 'book_appointment', 'transfer_call', 'send_sms'][1 + CAST(hash(i, 't') % 4 AS BIGINT)] END AS tool_name,
    CASE WHEN event_type = 'tool_result' THEN CAST(hash(i, 's') % 5 AS BIGINT) <> 0 END AS success,
    CASE WHEN event_type = 'tool_result' AND CAST(hash(i, 's') % 5 AS BIGINT) = 0 THEN ['timeout', 'not found', 'HTTP 500', 'bad arguments', 'rate limited'][1 + CAST(hash(i, 'e') % 5 AS BIGINT)] END AS error,
    CASE WHEN event_type = 'response' THEN CAST(hash(i, 'it') % 3000 AS BIGINT) END AS input_text_tokens,
    CASE WHEN event_type = 'response' THEN CAST(hash(i, 'ia') % 8000 AS BIGINT) END AS input_audio_tokens,
    CASE WHEN event_type = 'response' THEN 0 END AS input_image_tokens,
    CASE WHEN event_type = 'response' THEN input_text_tokens // 2 END AS input_cached_text_tokens,
    CASE WHEN event_type = 'response' THEN input_audio_tokens // 3 END AS input_cached_audio_tokens,
    CASE WHEN event_type = 'response' THEN 0 END AS input_cached_image_tokens,
    CASE WHEN event_type = 'response' THEN CAST(hash(i, 'ot') % 400 AS BIGINT) END AS output_text_tokens,
    CASE WHEN event_type = 'response' THEN CAST(hash(i, 'oa') % 2500 AS BIGINT) END AS output_audio_tokens,
    CASE WHEN event_type = 'response' THEN 0 END AS output_image_tokens,
    input_text_tokens + input_audio_tokens + input_image_tokens AS input_tokens,
    input_cached_text_tokens + input_cached_audio_tokens + input_cached_image_tokens AS input_cached_tokens,
    output_text_tokens + output_audio_tokens + output_image_tokens AS output_tokens,
    input_tokens + output_tokens AS total_tokens,
    ['gpt-4o-realtime-preview', 'gpt-4o-mini-realtime-preview', 'gpt-realtime', 'gpt-4.1-mini', 'claude-sonnet-4-5', 'unknown-model'][1 + (i % 50000) % 6] AS model,
    'agent-' || ((i % 50000) % 7) AS agent_id,
    TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds((i % 50000) * 51.84 + i // 50000 * 7) AS occurred_at,
    'call-' || (i % 50000) AS call_id,
    now() AS _synced_at
FROM range(1000000) AS t(i));

INSERT INTO sippet.call_transcripts BY NAME
SELECT * REPLACE (
    CASE WHEN hash(id, 'null-speaker') % 50 <> 0 THEN speaker END AS speaker,
    CASE WHEN hash(id, 'null-content') % 50 <> 0 THEN content END AS content
)
FROM (SELECT
    'line-' || i AS id,
    repeat('word ', 1 + CAST(hash(i) % 20 AS BIGINT)) AS content,
    CASE WHEN i % 2 = 0 THEN 'caller' ELSE 'agent' END AS speaker,
    TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds((i % 50000) * 51.84 + i // 50000 * 5) AS occurred_at,
    'call-' || (i % 50000) AS call_id,
    now() AS _synced_at
FROM range(400000) AS t(i));

INSERT INTO sippet.operator_status_events BY NAME
SELECT * REPLACE (
    CASE WHEN hash(id, 'null-user') % 50 <> 0 THEN sip_user_id END AS sip_user_id,
    CASE WHEN hash(id, 'null-status') % 50 <> 0 THEN status END AS status
)
FROM (SELECT
    'ose-' || i AS id,
    'sip' || (i % 40) AS sip_user_id,
    ['available', 'on_break', 'logged_out'][1 + CAST(hash(i) % 3 AS BIGINT)] AS status,
    TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_minutes(i // 40) AS _first_seen_at,
    now() AS _synced_at
FROM range(20000) AS t(i));

INSERT INTO sippet.operator_statuses BY NAME
SELECT 'op-' || i AS id, 'sip' || i AS sip_user_id, 'available' AS status, now() AS _synced_at
FROM range(40) AS t(i);
