-- Raw tables: one per Sippet stream, one column per selectable API field (snake_case),
-- plus _synced_at (when the sync last wrote the row).
-- Only the small mutable tables declare a PRIMARY KEY (needed for upserts). The large
-- immutable event tables stay index-free: DuckDB's ART index slowed bulk loads by 30-60%
-- when measured, so the sync enforces id uniqueness itself (anti-join on insert) and an
-- asset check verifies it.
CREATE SCHEMA IF NOT EXISTS sippet;

CREATE TABLE sippet.calls (
    id VARCHAR PRIMARY KEY,
    direction VARCHAR,
    from_number VARCHAR,
    to_number VARCHAR,
    sip_username VARCHAR,
    status VARCHAR,
    call_uuid VARCHAR,
    call_source VARCHAR,
    started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    duration_seconds BIGINT,
    conversation_id VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.call_transcripts (
    id VARCHAR NOT NULL,
    content VARCHAR,
    speaker VARCHAR,
    item_id VARCHAR,
    content_index BIGINT,
    occurred_at TIMESTAMPTZ,
    call_id VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.call_ai_audit_events (
    id VARCHAR NOT NULL,
    event_type VARCHAR,
    tool_name VARCHAR,
    tool_call_id VARCHAR,
    tool_arguments_raw VARCHAR,
    tool_arguments JSON,
    tool_output JSON,
    error VARCHAR,
    success BOOLEAN,
    state_id VARCHAR,
    state_label VARCHAR,
    step_index BIGINT,
    total_steps BIGINT,
    progress_percent DOUBLE,
    token_usage JSON,
    input_tokens BIGINT,
    output_tokens BIGINT,
    total_tokens BIGINT,
    input_text_tokens BIGINT,
    input_audio_tokens BIGINT,
    input_image_tokens BIGINT,
    input_cached_tokens BIGINT,
    input_cached_text_tokens BIGINT,
    input_cached_audio_tokens BIGINT,
    input_cached_image_tokens BIGINT,
    output_text_tokens BIGINT,
    output_audio_tokens BIGINT,
    output_image_tokens BIGINT,
    model VARCHAR,
    payload JSON,
    call_uuid VARCHAR,
    room_id VARCHAR,
    agent_id VARCHAR,
    occurred_at TIMESTAMPTZ,
    call_id VARCHAR,
    organisation_id VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.operator_status_events (
    id VARCHAR NOT NULL,
    sip_user_id VARCHAR,
    agent_name VARCHAR,
    status VARCHAR,
    source VARCHAR,
    changed_by_user_id VARCHAR,
    _first_seen_at TIMESTAMPTZ NOT NULL,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.operator_statuses (
    id VARCHAR PRIMARY KEY,
    sip_user_id VARCHAR,
    agent_name VARCHAR,
    status VARCHAR,
    source VARCHAR,
    changed_by_user_id VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);
