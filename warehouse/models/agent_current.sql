-- description: Current name and settings of each AI agent, from the sippet.ai_agents snapshot; the key for joining agent ids to names.
-- grain: one row per agent id in the snapshot (if it ever holds two rows for one id, the most recently synced wins, then the highest name); key agent_id. A renamed agent is one row with its current name; a hidden name is NULL, never an older one.
-- column agent_id: AI agent id (sippet.ai_agents.id).
-- column agent_name: Current agent name; NULL if hidden.
-- column voice: Voice of the agent; NULL if hidden.
-- column published: Whether the agent is published; NULL if hidden.
-- column synced_at: When the sync last wrote the snapshot row.
CREATE OR REPLACE TABLE analytics.agent_current AS
SELECT
    id AS agent_id,
    name AS agent_name,
    voice,
    published,
    _synced_at AS synced_at
FROM sippet.ai_agents
QUALIFY row_number() OVER (PARTITION BY id ORDER BY _synced_at DESC, name DESC NULLS LAST) = 1
ORDER BY agent_id;
