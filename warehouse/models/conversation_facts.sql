-- description: One row per conversation with its channel, mode and AI agent (by name), its items by role and modality, the calls linked to it and their AI cost.
-- grain: one row per conversation id in sippet.conversations (if two rows share an id, the most recently synced wins); key conversation_id. NULLs: a hidden channel, mode, status or ai_agent_id stays NULL and the conversation is kept; items whose conversation_id is hidden, or whose conversation is not (yet) synced, are counted nowhere; an item with a hidden role or modality counts in items but in no per-role / per-modality column.
-- column conversation_id: Conversation id (sippet.conversations.id).
-- column status: active or ended (mutable); NULL if hidden.
-- column channel: chat or call; NULL if hidden.
-- column mode: text or voice; NULL if hidden.
-- column ai_agent_id: AI agent of the conversation; NULL if hidden.
-- column agent_name: Current name of that agent (analytics.agent_current); NULL when unknown or hidden.
-- column first_seen_at: When the sync first saw the conversation.
-- column items: Conversation items (every role and modality, hidden ones included).
-- column user_items: Items with role user.
-- column assistant_items: Items with role assistant.
-- column system_items: Items with role system.
-- column tool_items: Items with role tool.
-- column text_items: Items with modality text.
-- column audio_items: Items with modality audio.
-- column first_item_at: Earliest known occurred_at of its items; NULL if none is known.
-- column last_item_at: Latest known occurred_at of its items; NULL if none is known.
-- column linked_calls: Calls whose conversation_id is this conversation (sippet.calls).
-- column call_seconds: Sum of the linked calls' known durations (seconds); 0 when none is known.
-- column ai_cost_usd: Estimated AI cost in USD (exact decimal) of the linked calls (analytics.call_facts.cost_usd); a lower bound when unpriced_events > 0; 0 without linked calls.
-- column unpriced_events: Token-bearing events of the linked calls without a cost.
CREATE OR REPLACE TABLE analytics.conversation_facts AS
WITH conversations AS (
    SELECT *
    FROM sippet.conversations
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY _synced_at DESC) = 1
),
items AS (
    SELECT
        conversation_id,
        count(*) AS items,
        count(*) FILTER (WHERE role = 'user') AS user_items,
        count(*) FILTER (WHERE role = 'assistant') AS assistant_items,
        count(*) FILTER (WHERE role = 'system') AS system_items,
        count(*) FILTER (WHERE role = 'tool') AS tool_items,
        count(*) FILTER (WHERE modality = 'text') AS text_items,
        count(*) FILTER (WHERE modality = 'audio') AS audio_items,
        min(occurred_at) AS first_item_at,
        max(occurred_at) AS last_item_at
    FROM sippet.conversation_items
    WHERE conversation_id IS NOT NULL
    GROUP BY conversation_id
),
calls AS (
    SELECT
        c.conversation_id,
        count(*) AS linked_calls,
        coalesce(sum(c.duration_seconds), 0) AS call_seconds,
        sum(f.cost_usd) AS ai_cost_usd,
        sum(f.unpriced_events) AS unpriced_events
    FROM sippet.calls AS c
    JOIN analytics.call_facts AS f ON f.call_id = c.id
    WHERE c.conversation_id IS NOT NULL
    GROUP BY c.conversation_id
)
SELECT
    v.id AS conversation_id,
    v.status,
    v.channel,
    v.mode,
    v.ai_agent_id,
    a.agent_name,
    v._first_seen_at AS first_seen_at,
    coalesce(i.items, 0) AS items,
    coalesce(i.user_items, 0) AS user_items,
    coalesce(i.assistant_items, 0) AS assistant_items,
    coalesce(i.system_items, 0) AS system_items,
    coalesce(i.tool_items, 0) AS tool_items,
    coalesce(i.text_items, 0) AS text_items,
    coalesce(i.audio_items, 0) AS audio_items,
    i.first_item_at,
    i.last_item_at,
    coalesce(k.linked_calls, 0) AS linked_calls,
    CAST(coalesce(k.call_seconds, 0) AS BIGINT) AS call_seconds,
    coalesce(k.ai_cost_usd, CAST(0 AS DECIMAL(38,12))) AS ai_cost_usd,
    CAST(coalesce(k.unpriced_events, 0) AS BIGINT) AS unpriced_events
FROM conversations AS v
LEFT JOIN items AS i ON i.conversation_id = v.id
LEFT JOIN calls AS k ON k.conversation_id = v.id
LEFT JOIN analytics.agent_current AS a ON a.agent_id = v.ai_agent_id
ORDER BY v.id;
