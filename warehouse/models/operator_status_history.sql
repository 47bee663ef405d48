-- description: Observed sequence of operator status changes. The API exposes no timestamp, so events are ordered by when the sync first saw them (_first_seen_at), then by id.
-- grain: one row per status event (sippet.operator_status_events); key event_id. Events first seen in the same sync share first_seen_at and their relative order (by random UUID) is not meaningful. An event whose sip_user_id is hidden (NULL) is kept but belongs to no operator's sequence: its sequence_number, previous_status, is_status_change and next_first_seen_at are NULL.
-- column event_id: Status event id (sippet.operator_status_events.id).
-- column sip_user_id: SIP user (operator) whose status changed; NULL if hidden.
-- column agent_name: Operator display name.
-- column sequence_number: 1-based position of the event in the operator's observed sequence (events with a hidden status keep their place); NULL when sip_user_id is hidden.
-- column status: available, on_break or logged_out; NULL if hidden.
-- column previous_status: Status of the operator's previous observed event; NULL for the first, or when that event's status is hidden.
-- column is_status_change: TRUE when status differs from previous_status (TRUE for the first event); NULL (unknown) when this or the previous event's status is hidden, or the event has no sequence.
-- column source: widget, api or system.
-- column changed_by_user_id: User who made the change, if any.
-- column first_seen_at: When the sync first saw the event (an upper bound of when it happened).
-- column next_first_seen_at: first_seen_at of the operator's next observed event; NULL for the latest or without a sequence.
CREATE OR REPLACE TABLE analytics.operator_status_history AS
WITH ordered AS (
    SELECT
        id AS event_id,
        sip_user_id,
        agent_name,
        -- The NULL partition would chain unrelated operators together: no sequence for it.
        CASE WHEN sip_user_id IS NOT NULL THEN row_number() OVER w END AS sequence_number,
        status,
        CASE WHEN sip_user_id IS NOT NULL THEN lag(status) OVER w END AS previous_status,
        source,
        changed_by_user_id,
        _first_seen_at AS first_seen_at,
        CASE WHEN sip_user_id IS NOT NULL THEN lead(_first_seen_at) OVER w END
            AS next_first_seen_at
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
    -- A hidden status on either side makes the change unknown (NULL), not a change.
    CASE
        WHEN status IS NULL THEN NULL
        WHEN sequence_number = 1 THEN TRUE
        ELSE status <> previous_status
    END AS is_status_change,
    source,
    changed_by_user_id,
    first_seen_at,
    next_first_seen_at
FROM ordered
ORDER BY sip_user_id, sequence_number;
