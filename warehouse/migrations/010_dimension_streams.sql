-- Dimension streams of issue 15 (layout agreed in ISSUE15_SCHEMA.md): agents, queues, phone
-- numbers, queue entries, participants, conversations and their items, the wallet history and
-- the opt-in contacts and gateways. No PRIMARY KEY / UNIQUE: a DuckLake target refuses them, the
-- sync enforces id uniqueness. Every column but id may be NULL (a policy may hide any field).
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
    max_wait_time BIGINT,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.phone_numbers (
    id VARCHAR NOT NULL,
    phone_e164 VARCHAR,
    label VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.call_queue_entries (
    id VARCHAR NOT NULL,
    call_uuid VARCHAR,
    queue_name VARCHAR,
    caller_id_number VARCHAR,
    caller_id_name VARCHAR,
    state VARCHAR,
    agent_name VARCHAR,
    wait_started_at TIMESTAMPTZ,
    answered_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    abandoned_at TIMESTAMPTZ,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.call_participants (
    id VARCHAR NOT NULL,
    member_uuid VARCHAR,
    role VARCHAR,
    joined_at TIMESTAMPTZ,
    left_at TIMESTAMPTZ,
    call_id VARCHAR,
    organisation_id VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.conversations (
    id VARCHAR NOT NULL,
    status VARCHAR,
    channel VARCHAR,
    mode VARCHAR,
    public_id VARCHAR,
    metadata JSON,
    ai_agent_id VARCHAR,
    _first_seen_at TIMESTAMPTZ NOT NULL,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.conversation_items (
    id VARCHAR NOT NULL,
    role VARCHAR,
    modality VARCHAR,
    content VARCHAR,
    metadata JSON,
    item_id VARCHAR,
    content_index BIGINT,
    occurred_at TIMESTAMPTZ,
    conversation_id VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.organisation_wallet_summary (
    id VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ,
    balance_usd DECIMAL(18,6),
    currency VARCHAR,
    summary JSON,
    _synced_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sippet.contacts (
    id VARCHAR NOT NULL,
    full_name VARCHAR,
    email VARCHAR,
    phone_e164 VARCHAR,
    notes VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);

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
