-- Issue 15: who, where and how long. One raw table per new stream, columns in the order of
-- the reference's selectable fields (snake_case), every column but id nullable (fields hidden
-- by policy come back null). No PRIMARY KEY: a DuckLake target refuses constraints; the sync
-- enforces ids itself (anti-join on insert, update by id).
CREATE TABLE sippet.ai_agents (
    id VARCHAR NOT NULL,
    name VARCHAR,
    voice VARCHAR,
    tone VARCHAR,
    languages JSON,
    workflow JSON,
    system_prompt VARCHAR,
    safety_guardrails JSON,
    published BOOLEAN,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.queues (
    id VARCHAR NOT NULL,
    queue_name VARCHAR,
    strategy VARCHAR,
    moh_sound VARCHAR,
    max_wait_time BIGINT,          -- seconds
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.phone_numbers (
    id VARCHAR NOT NULL,
    phone_e164 VARCHAR,
    label VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);

-- Mutable until completed_at or abandoned_at is set.
CREATE TABLE sippet.call_queue_entries (
    id VARCHAR NOT NULL,
    call_uuid VARCHAR,
    queue_name VARCHAR,
    caller_id_number VARCHAR,
    caller_id_name VARCHAR,
    state VARCHAR,                 -- waiting | answered | completed | abandoned
    agent_name VARCHAR,
    wait_started_at TIMESTAMPTZ,
    answered_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    abandoned_at TIMESTAMPTZ,
    _synced_at TIMESTAMPTZ NOT NULL
);

-- Mutable until left_at is set.
CREATE TABLE sippet.call_participants (
    id VARCHAR NOT NULL,
    member_uuid VARCHAR,
    role VARCHAR,                  -- caller | ai_agent | operator
    joined_at TIMESTAMPTZ,
    left_at TIMESTAMPTZ,
    call_id VARCHAR,
    organisation_id VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);

-- No timestamp in the API: every sync walks them all; status is updated when it changes.
CREATE TABLE sippet.conversations (
    id VARCHAR NOT NULL,
    status VARCHAR,                -- active | ended
    channel VARCHAR,               -- chat | call
    mode VARCHAR,                  -- text | voice
    public_id VARCHAR,
    metadata JSON,
    ai_agent_id VARCHAR,
    _first_seen_at TIMESTAMPTZ NOT NULL,
    _synced_at TIMESTAMPTZ NOT NULL
);

-- Immutable; may arrive after occurred_at (re-read with a lookback).
CREATE TABLE sippet.conversation_items (
    id VARCHAR NOT NULL,
    role VARCHAR,                  -- user | assistant | system | tool
    modality VARCHAR,              -- text | audio
    content VARCHAR,
    metadata JSON,
    item_id VARCHAR,
    content_index BIGINT,
    occurred_at TIMESTAMPTZ,
    conversation_id VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);

-- History: one row per sync run (id = run id || ':wallet'); summary is the whole object.
CREATE TABLE sippet.organisation_wallet_summary (
    id VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ,
    balance_usd DECIMAL(18, 6),
    currency VARCHAR,
    summary JSON,
    _synced_at TIMESTAMPTZ NOT NULL
);

-- Opt-in (SIPPET_SYNC_CONTACTS=true): personal data.
CREATE TABLE sippet.contacts (
    id VARCHAR NOT NULL,
    full_name VARCHAR,
    email VARCHAR,
    phone_e164 VARCHAR,
    notes VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);

-- Opt-in (SIPPET_SYNC_GATEWAYS=true). The API's `password` is a secret: no column for it.
CREATE TABLE sippet.gateways (
    id VARCHAR NOT NULL,
    name VARCHAR,
    provider VARCHAR,
    username VARCHAR,
    realm VARCHAR,
    proxy VARCHAR,
    register BOOLEAN,
    from_domain VARCHAR,
    from_user VARCHAR,
    inbound_acl VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);
