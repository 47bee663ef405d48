"""What the simulated API serves: resources, their selectable fields and the fields' types.

Transcribed from the public reference `../shared/reference/sippet-rpc-actions.txt` ("Selectable
fields"), in the reference's order, for the resources the simulator serves. The types are the
simulator's own (the reference lists names only; SIPPET_API.md says timestamps are ISO-8601 UTC
strings, enums strings, map fields JSON objects with their keys as stored). This module is the
simulator's contract and deliberately knows nothing of the sync engine: a test compares it with
the reference file, so a field added upstream shows up as a failing test here, not as a mirror
of the engine's own assumptions.
"""

from __future__ import annotations

from typing import Final

# the simulator's type table
UUID: Final = "uuid"
STRING: Final = "string"
ENUM: Final = "enum"
TIMESTAMP: Final = "timestamp"
INTEGER: Final = "integer"
FLOAT: Final = "float"
BOOLEAN: Final = "boolean"
MAP: Final = "map"
TYPES: Final = frozenset({UUID, STRING, ENUM, TIMESTAMP, INTEGER, FLOAT, BOOLEAN, MAP})

_OPERATOR_STATUS: dict[str, str] = {
    "id": UUID, "sipUserId": UUID, "agentName": STRING, "status": ENUM, "source": ENUM,
    "changedByUserId": UUID,
}

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    "Call": {
        "id": UUID, "direction": ENUM, "fromNumber": STRING, "toNumber": STRING,
        "sipUsername": STRING, "status": ENUM, "callUuid": STRING, "callSource": STRING,
        "startedAt": TIMESTAMP, "endedAt": TIMESTAMP, "durationSeconds": INTEGER,
        "conversationId": UUID,
    },
    "CallTranscript": {
        "id": UUID, "content": STRING, "speaker": ENUM, "itemId": STRING,
        "contentIndex": INTEGER, "occurredAt": TIMESTAMP, "callId": UUID,
    },
    "CallAiAuditEvent": {
        "id": UUID, "eventType": ENUM, "toolName": STRING, "toolCallId": STRING,
        "toolArgumentsRaw": STRING, "toolArguments": MAP, "toolOutput": MAP, "error": STRING,
        "success": BOOLEAN, "stateId": STRING, "stateLabel": STRING, "stepIndex": INTEGER,
        "totalSteps": INTEGER, "progressPercent": FLOAT, "tokenUsage": MAP,
        "inputTokens": INTEGER, "outputTokens": INTEGER, "totalTokens": INTEGER,
        "inputTextTokens": INTEGER, "inputAudioTokens": INTEGER, "inputImageTokens": INTEGER,
        "inputCachedTokens": INTEGER, "inputCachedTextTokens": INTEGER,
        "inputCachedAudioTokens": INTEGER, "inputCachedImageTokens": INTEGER,
        "outputTextTokens": INTEGER, "outputAudioTokens": INTEGER,
        "outputImageTokens": INTEGER, "model": STRING, "payload": MAP, "callUuid": STRING,
        "roomId": STRING, "agentId": UUID, "occurredAt": TIMESTAMP, "callId": UUID,
        "organisationId": UUID,
    },
    "OperatorStatusEvent": dict(_OPERATOR_STATUS),
    "OperatorStatus": dict(_OPERATOR_STATUS),
    "User": {"id": UUID, "fullName": STRING, "email": STRING, "sipUsername": STRING},
    "AiAgent": {
        "id": UUID, "name": STRING, "voice": STRING, "tone": STRING, "languages": MAP,
        "workflow": MAP, "systemPrompt": STRING, "safetyGuardrails": MAP, "published": BOOLEAN,
    },
    "Queue": {"id": UUID, "queueName": STRING, "strategy": ENUM, "mohSound": STRING,
              "maxWaitTime": INTEGER},
    "PhoneNumber": {"id": UUID, "phoneE164": STRING, "label": STRING},
    "Conversation": {
        "id": UUID, "status": ENUM, "channel": ENUM, "mode": ENUM, "publicId": STRING,
        "metadata": MAP, "aiAgentId": UUID,
    },
    "ConversationItem": {
        "id": UUID, "role": ENUM, "modality": ENUM, "content": STRING, "metadata": MAP,
        "itemId": STRING, "contentIndex": INTEGER, "occurredAt": TIMESTAMP,
        "conversationId": UUID,
    },
    "CallQueueEntry": {
        "id": UUID, "callUuid": STRING, "queueName": STRING, "callerIdNumber": STRING,
        "callerIdName": STRING, "state": ENUM, "agentName": STRING, "waitStartedAt": TIMESTAMP,
        "answeredAt": TIMESTAMP, "completedAt": TIMESTAMP, "abandonedAt": TIMESTAMP,
    },
    "CallParticipant": {
        "id": UUID, "memberUuid": UUID, "role": ENUM, "joinedAt": TIMESTAMP,
        "leftAt": TIMESTAMP, "callId": UUID, "organisationId": UUID,
    },
    "Contact": {"id": UUID, "fullName": STRING, "email": STRING, "phoneE164": STRING,
                "notes": STRING},
    "Gateway": {
        "id": UUID, "name": STRING, "provider": STRING, "username": STRING, "realm": STRING,
        "proxy": STRING, "register": BOOLEAN, "fromDomain": STRING, "fromUser": STRING,
        "inboundAcl": STRING, "password": STRING,
    },
}


def fields(resource: str) -> list[str]:
    """The selectable fields of a resource, in the reference's order."""
    return list(CATALOGUE[resource])


def fields_of_type(kind: str) -> frozenset[str]:
    """Every field name that has type `kind` in some resource."""
    return frozenset(f for spec in CATALOGUE.values() for f, t in spec.items() if t == kind)


TIMESTAMP_FIELDS: Final = fields_of_type(TIMESTAMP)
MAP_FIELDS: Final = fields_of_type(MAP)

__all__ = ["CATALOGUE", "MAP_FIELDS", "TIMESTAMP_FIELDS", "TYPES", "fields", "fields_of_type"]
