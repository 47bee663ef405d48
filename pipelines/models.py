"""Pydantic records, one per Sippet API resource: the wire contract of the sync.

Each model lists every *selectable* field of its resource (see
`shared/reference/sippet-rpc-actions.txt`). Attribute names are the warehouse's snake_case
column names; the camelCase alias is the API's field name. The field description is what
lands in the warehouse as the column comment.

The contract is the reference, not our expectations: `id` is the only field a record must
carry a value for. "A field hidden by policy comes back `null`" (SIPPET_API.md) — any field, on
any record — so every other field is `X | None` and a null lands as NULL; a null alone never
sends a record to quarantine. A key missing from the record, or a value of the wrong type,
still does.

Validation rules that protect the warehouse and its cursors:
- timestamps must carry a timezone (`AwareDatetime`) and are normalised to UTC;
- integers are strict (no "12" or 1.5 silently coerced), NaN/Infinity are rejected;
- unknown extra fields are tolerated (the API may grow) and reported by the sync;
- map fields (`tokenUsage`, `payload`, ...) keep their keys exactly as sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictBool
from pydantic import StrictInt as _StrictInt
from pydantic.alias_generators import to_camel


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Timestamp = Annotated[AwareDatetime, AfterValidator(_to_utc)]
StrictInt = _StrictInt
JsonMap = dict[str, Any] | list[Any]


class SippetRecord(BaseModel):
    """Base of every API record: camelCase aliases, strict numbers, extra fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        allow_inf_nan=False,
        frozen=True,
    )

    id: str = Field(description="Primary key (UUID) of the record in Sippet.")


class Call(SippetRecord):
    """A phone call handled by Sippet. Mutable: status, end and duration change while it runs."""

    direction: str | None = Field(description="`inbound` or `outbound`.")
    from_number: str | None = Field(description="Caller number (E.164).")
    to_number: str | None = Field(description="Called number (E.164).")
    sip_username: str | None = Field(description="SIP user that handled the call, if any.")
    status: str | None = Field(
        description="initiated, ringing, answered (in progress) or completed, failed, busy, "
        "no_answer (final)."
    )
    call_uuid: str | None = Field(description="Telephony-layer call UUID.")
    call_source: str | None = Field(description="Where the call came from (sip, pstn, api, ...).")
    started_at: Timestamp | None = Field(description="When the call started (UTC).")
    ended_at: Timestamp | None = Field(description="When the call ended; null while in progress.")
    duration_seconds: StrictInt | None = Field(
        description="Call length in seconds; null while in progress."
    )
    conversation_id: str | None = Field(description="Conversation the call belongs to.")


class CallTranscript(SippetRecord):
    """One transcript line of a call (immutable; may be committed after `occurredAt`)."""

    content: str | None = Field(description="Spoken text of the line.")
    speaker: str | None = Field(description="`caller` or `agent`.")
    item_id: str | None = Field(description="Realtime conversation item the line belongs to.")
    content_index: StrictInt | None = Field(description="Index of the line within its item.")
    occurred_at: Timestamp | None = Field(description="When the line was spoken (UTC).")
    call_id: str | None = Field(description="Call the line belongs to (calls.id).")


class CallAiAuditEvent(SippetRecord):
    """One AI audit event of a call: a model response, a tool call or a workflow state step."""

    event_type: str | None = Field(description="response, tool_call, tool_result or state_step.")
    tool_name: str | None = Field(description="Tool invoked (tool events only).")
    tool_call_id: str | None = Field(description="Id pairing a tool call with its result.")
    tool_arguments_raw: str | None = Field(description="Tool arguments as the model wrote them.")
    tool_arguments: JsonMap | None = Field(description="Parsed tool arguments (JSON).")
    tool_output: JsonMap | None = Field(description="Tool output (JSON, keys as sent).")
    error: str | None = Field(description="Error message of a failed tool call.")
    success: StrictBool | None = Field(description="Whether the tool call succeeded.")
    state_id: str | None = Field(description="Workflow state id (state steps).")
    state_label: str | None = Field(description="Workflow state label (state steps).")
    step_index: StrictInt | None = Field(description="Index of the workflow step.")
    total_steps: StrictInt | None = Field(description="Number of steps of the workflow.")
    progress_percent: float | None = Field(description="Workflow progress in percent.")
    token_usage: JsonMap | None = Field(description="Token usage as reported by the model (JSON).")
    input_tokens: StrictInt | None = Field(description="Input tokens (text + audio + image).")
    output_tokens: StrictInt | None = Field(description="Output tokens (text + audio + image).")
    total_tokens: StrictInt | None = Field(description="input_tokens + output_tokens.")
    input_text_tokens: StrictInt | None = Field(description="Input text tokens.")
    input_audio_tokens: StrictInt | None = Field(description="Input audio tokens.")
    input_image_tokens: StrictInt | None = Field(description="Input image tokens.")
    input_cached_tokens: StrictInt | None = Field(description="Input tokens served from cache.")
    input_cached_text_tokens: StrictInt | None = Field(description="Cached input text tokens.")
    input_cached_audio_tokens: StrictInt | None = Field(description="Cached input audio tokens.")
    input_cached_image_tokens: StrictInt | None = Field(description="Cached input image tokens.")
    output_text_tokens: StrictInt | None = Field(description="Output text tokens.")
    output_audio_tokens: StrictInt | None = Field(description="Output audio tokens.")
    output_image_tokens: StrictInt | None = Field(description="Output image tokens.")
    model: str | None = Field(description="Model that produced the event.")
    payload: JsonMap | None = Field(description="Raw event payload (JSON, keys as sent).")
    call_uuid: str | None = Field(description="Telephony-layer call UUID.")
    room_id: str | None = Field(description="Realtime room id.")
    agent_id: str | None = Field(description="AI agent that handled the call.")
    occurred_at: Timestamp | None = Field(description="When the event happened (UTC).")
    call_id: str | None = Field(description="Call the event belongs to (calls.id).")
    organisation_id: str | None = Field(description="Organisation owning the call.")


class OperatorStatusEvent(SippetRecord):
    """A change of an operator's status. No timestamp is exposed; ids are random UUIDs."""

    sip_user_id: str | None = Field(description="SIP user (operator) whose status changed.")
    agent_name: str | None = Field(description="Operator display name.")
    status: str | None = Field(description="available, on_break or logged_out.")
    source: str | None = Field(description="widget, api or system.")
    changed_by_user_id: str | None = Field(description="User who made the change, if any.")


class OperatorStatus(SippetRecord):
    """The current status of one operator (a snapshot; operators may disappear)."""

    sip_user_id: str | None = Field(description="SIP user (operator).")
    agent_name: str | None = Field(description="Operator display name.")
    status: str | None = Field(description="available, on_break or logged_out.")
    source: str | None = Field(description="widget, api or system.")
    changed_by_user_id: str | None = Field(description="User who made the last change, if any.")


RESOURCE_MODELS: dict[str, type[SippetRecord]] = {
    "Call": Call,
    "CallTranscript": CallTranscript,
    "CallAiAuditEvent": CallAiAuditEvent,
    "OperatorStatusEvent": OperatorStatusEvent,
    "OperatorStatus": OperatorStatus,
}


def api_fields(model: type[SippetRecord]) -> list[str]:
    """The camelCase field names to request for a model, in declaration order."""
    return [info.alias or name for name, info in model.model_fields.items()]


def column_names(model: type[SippetRecord]) -> list[str]:
    """The snake_case warehouse column names of a model, in declaration order."""
    return list(model.model_fields)
