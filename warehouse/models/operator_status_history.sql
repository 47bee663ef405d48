-- description: Observed sequence of operator status changes. The API exposes no timestamp, so events are ordered by when the sync first saw them (_first_seen_at), then by id.
-- grain: one row per status event (sippet.operator_status_events); key event_id. Events first seen in the same sync share first_seen_at and their relative order (by random UUID) is not meaningful.
-- column event_id: Status event id (sippet.operator_status_events.id).
-- column sip_user_id: SIP user (operator) whose status changed.
-- column agent_name: Operator display name.
-- column sequence_number: 1-based position of the event in the operator's observed sequence.
-- column status: available, on_break or logged_out.
-- column previous_status: Status of the operator's previous observed event; NULL for the first.
-- column is_status_change: TRUE when status differs from previous_status (TRUE for the first event).
-- column source: widget, api or system.
-- column changed_by_user_id: User who made the change, if any.
-- column first_seen_at: When the sync first saw the event (an upper bound of when it happened).
-- column next_first_seen_at: first_seen_at of the operator's next observed event; NULL for the latest.
CREATE OR REPLACE TABLE analytics.operator_status_history AS
WITH ordered AS (
    SELECT
        id AS event_id,
        sip_user_id,
        agent_name,
        row_number() OVER w AS sequence_number,
        status,
        lag(status) OVER w AS previous_status,
        source,
        changed_by_user_id,
        _first_seen_at AS first_seen_at,
        lead(_first_seen_at) OVER w AS next_first_seen_at
    FROM sippet.operator_status_events
    WINDOW w AS (PARTITION BY sip_user_id ORDER BY _first_seen_at, id)
)
SELECT
    event_id,
    sip_user_id,
    agent_name,
    sequence_number,
    status,
    previous_status,
    previous_status IS DISTINCT FROM status AS is_status_change,
    source,
    changed_by_user_id,
    first_seen_at,
    next_first_seen_at
FROM ordered
ORDER BY sip_user_id, sequence_number;
