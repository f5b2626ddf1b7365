"""Turn one raw message into a stored row (or a rejection with its reason).

What Segment's API does to a message on arrival, and what we do the same way:
- `receivedAt` is stamped once per request (the caller passes it in);
- `originalTimestamp` keeps the client's timestamp as sent; with `sentAt`,
  `timestamp = receivedAt - (sentAt - originalTimestamp)` corrects device clock skew;
- a `messageId` is assigned when missing; `context.ip` comes from the client address;
- the `writeKey` is stripped; identify traits are found in `context.traits` when the
  top-level `traits` is absent (RudderStack's SDKs send them there).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

from switchboard.ingest.rows import EventRow, RejectedRow
from switchboard.spec.calls import CALL_TYPES, MAX_MESSAGE_ID_LENGTH, SpecError, check_message
from switchboard.spec.timestamps import TimestampError, format_timestamp, parse_timestamp

#: Largest stored event. The Spec allows 32 KB per message; we add up to ~300 bytes of our
#: own (timestamps, messageId, context.ip), so the stored form gets that much more room.
MAX_EVENT_BYTES: Final = 32 * 1024
MAX_STORED_EVENT_BYTES: Final = MAX_EVENT_BYTES + 1024
#: How much of a rejected event we keep for the debugger.
MAX_REJECTED_PAYLOAD_BYTES: Final = 4 * 1024

_NUL_ESCAPE: Final = b"\\u0000"


@dataclass(slots=True)
class Envelope:
    """What one request contributes to each of its messages."""

    received_at: datetime
    client_ip: str | None
    sent_at: Any = None
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None


def _without_nul(value: Any) -> Any:
    """Postgres cannot store U+0000 in text or JSONB; drop it wherever it occurs."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def reject(
    message: Any, reason: str, envelope: Envelope, source_id: int | None, call_type: str | None
) -> RejectedRow:
    """A rejection row that keeps at most `MAX_REJECTED_PAYLOAD_BYTES` of the message."""
    message_id = None
    if isinstance(message, dict):
        raw_id = message.get("messageId")
        if isinstance(raw_id, str | int):
            message_id = str(raw_id).replace("\x00", "")[:200]  # Postgres text refuses NUL
        message = {k: v for k, v in message.items() if k != "writeKey"}
    try:
        text = orjson.dumps(_without_nul(message))
    except (TypeError, orjson.JSONEncodeError, RecursionError):
        # Nested deeper than orjson writes (or than Python recurses): keep no payload.
        text = b"null"
    if len(text) > MAX_REJECTED_PAYLOAD_BYTES:
        preview = text[:MAX_REJECTED_PAYLOAD_BYTES].decode("utf-8", "ignore")
        text = orjson.dumps({"truncated": True, "bytes": len(text), "preview": preview})
    return RejectedRow(
        source_id=source_id,
        received_at=envelope.received_at,
        reason=reason,
        type=call_type,
        message_id=message_id,
        payload=text.decode(),
    )


def _merge(outer: dict[str, Any] | None, inner: Any) -> Any:
    """Batch-level context/integrations apply to every message; the message's own keys win."""
    if not outer:
        return inner
    if inner is None:
        return dict(outer)
    if isinstance(inner, dict):
        return {**outer, **inner}
    return inner


def normalize(
    message: Any, call_type: str | None, envelope: Envelope, source_id: int
) -> EventRow | RejectedRow:
    """Validate and normalize one message for `source_id`.

    `call_type` comes from the route for single calls; for batch items it is None and the
    message's own `type` decides. Never raises for bad input: it returns a `RejectedRow`.
    """
    if not isinstance(message, dict):
        return reject(message, "each event must be a JSON object", envelope, source_id, call_type)
    if call_type is None:
        raw_type = message.get("type")
        call_type = raw_type.lower() if isinstance(raw_type, str) else None
        if call_type not in CALL_TYPES:
            return reject(
                message,
                f"type must be one of {', '.join(CALL_TYPES)} (got {raw_type!r})",
                envelope,
                source_id,
                None,
            )
    message.pop("writeKey", None)
    message["type"] = call_type
    if envelope.context is not None:
        message["context"] = _merge(envelope.context, message.get("context"))
    if envelope.integrations is not None:
        message["integrations"] = _merge(envelope.integrations, message.get("integrations"))
    try:
        user_id, anonymous_id = check_message(message, call_type)
        client_time_raw = message.get("timestamp")
        if client_time_raw is None:
            client_time_raw = message.get("originalTimestamp")
        client_time = None if client_time_raw is None else parse_timestamp(client_time_raw)
        sent_raw = message.get("sentAt")
        if sent_raw is None:
            sent_raw = envelope.sent_at
        sent_at = None if sent_raw in (None, "") else parse_timestamp(sent_raw)
    except SpecError as exc:
        return reject(message, str(exc), envelope, source_id, call_type)
    except TimestampError as exc:
        return reject(message, f"bad timestamp: {exc}", envelope, source_id, call_type)
    except OverflowError:  # a valid time whose shift to UTC leaves year 1..9999
        return reject(
            message,
            "bad timestamp: out of range once converted to UTC",
            envelope,
            source_id,
            call_type,
        )

    message_id = message.get("messageId")
    if message_id is None or message_id == "":
        message_id = str(uuid.uuid4())
    elif isinstance(message_id, int | float) and not isinstance(message_id, bool):
        message_id = str(message_id)
    elif not isinstance(message_id, str):
        return reject(message, "messageId must be a string", envelope, source_id, call_type)
    if len(message_id) > MAX_MESSAGE_ID_LENGTH:
        return reject(
            message,
            f"messageId is longer than {MAX_MESSAGE_ID_LENGTH} characters",
            envelope,
            source_id,
            call_type,
        )
    message["messageId"] = message_id

    received_at = envelope.received_at
    if client_time is None:
        original = timestamp = received_at
        message["originalTimestamp"] = format_timestamp(received_at)
    else:
        original = client_time
        try:
            timestamp = client_time if sent_at is None else received_at - (sent_at - client_time)
        except OverflowError:  # sentAt and timestamp thousands of years apart
            return reject(
                message,
                "bad timestamp: correcting timestamp by sentAt gives a time out of range",
                envelope,
                source_id,
                call_type,
            )
        message["originalTimestamp"] = client_time_raw
    message["timestamp"] = format_timestamp(timestamp)
    message["receivedAt"] = format_timestamp(received_at)
    if sent_at is not None:
        message["sentAt"] = sent_raw

    context = message.get("context")
    if context is None:
        context = message["context"] = {}
    if envelope.client_ip and not context.get("ip"):
        context["ip"] = envelope.client_ip
    if call_type == "identify" and "traits" not in message:
        traits = context.get("traits")
        if isinstance(traits, dict):
            message["traits"] = traits

    try:
        payload = orjson.dumps(message)
    except (TypeError, orjson.JSONEncodeError) as exc:  # e.g. integers beyond 64 bits
        reason = f"event cannot be stored: {exc}"
        if "Recursion" in str(exc):  # orjson writes at most 255 levels
            reason = "event cannot be stored: it is nested more than 255 levels deep"
        return reject(message, reason, envelope, source_id, call_type)
    if _NUL_ESCAPE in payload:
        message = _without_nul(message)
        payload = orjson.dumps(message)
        user_id = message.get("userId") or None
        anonymous_id = message.get("anonymousId") or None
        message_id = message["messageId"] or str(uuid.uuid4())
    if len(payload) > MAX_STORED_EVENT_BYTES:
        return reject(
            message,
            f"event is larger than {MAX_EVENT_BYTES} bytes "
            f"({len(payload)} bytes stored, {MAX_STORED_EVENT_BYTES} allowed with our own fields)",
            envelope,
            source_id,
            call_type,
        )
    name = message.get("event") if call_type == "track" else message.get("name")
    return EventRow(
        source_id=source_id,
        type=call_type,
        event_name=name if isinstance(name, str) and name else None,
        user_id=user_id,
        anonymous_id=anonymous_id,
        message_id=message_id,
        original_timestamp=original,
        timestamp=timestamp,
        sent_at=sent_at,
        received_at=received_at,
        payload=payload.decode(),
    )
