-- description: Current status of each operator, from the sippet.operator_statuses snapshot, with what the event history observed.
-- grain: one row per sip_user_id present in the latest snapshot (if the snapshot ever holds two rows for one operator, the most recently synced wins, then the highest id), plus one row per snapshot row whose sip_user_id is hidden (NULL): such rows cannot be deduplicated or matched to history, so each is kept with observed_events 0; key operator_status_id.
-- column sip_user_id: SIP user (operator); NULL if hidden.
-- column operator_status_id: Id of the snapshot row (sippet.operator_statuses.id).
-- column agent_name: Operator display name.
-- column status: Current status: available, on_break or logged_out; NULL if hidden.
-- column source: widget, api or system: where the current status was set.
-- column changed_by_user_id: User who made the last change, if any.
-- column synced_at: When the sync last wrote the snapshot row.
-- column observed_events: Status events of the operator in analytics.operator_status_history (events with a hidden sip_user_id belong to no operator).
-- column last_event_status: Status of the operator's latest observed event (highest sequence_number); NULL if that event's status is hidden, not an older known one. May lag or differ from status between syncs.
-- column last_event_first_seen_at: When the sync first saw the operator's latest event.
CREATE OR REPLACE TABLE analytics.operator_status_current AS
WITH snapshot AS (
    SELECT *
    FROM sippet.operator_statuses
    -- Rows with a hidden sip_user_id are not one operator: keep each of them.
    QUALIFY sip_user_id IS NULL
        OR row_number() OVER (PARTITION BY sip_user_id ORDER BY _synced_at DESC, id DESC) = 1
),
latest_event AS (
    SELECT
        sip_user_id,
        count(*) AS observed_events,
        -- arg_max would skip a NULL status and report an older one as the latest.
        arg_max_null(status, sequence_number) AS last_event_status,
        max(first_seen_at) AS last_event_first_seen_at
    FROM analytics.operator_status_history
    WHERE sip_user_id IS NOT NULL
    GROUP BY sip_user_id
)
SELECT
    s.sip_user_id,
    s.id AS operator_status_id,
    s.agent_name,
    s.status,
    s.source,
    s.changed_by_user_id,
    s._synced_at AS synced_at,
    coalesce(h.observed_events, 0) AS observed_events,
    h.last_event_status,
    h.last_event_first_seen_at
FROM snapshot AS s
LEFT JOIN latest_event AS h ON h.sip_user_id = s.sip_user_id
ORDER BY s.sip_user_id, s.id;
