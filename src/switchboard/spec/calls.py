"""The six Spec call types, their short route letters, and the fields each one requires."""

from __future__ import annotations

from typing import Any, Final

CALL_TYPES: Final = ("identify", "track", "page", "screen", "group", "alias")

#: analytics.js posts single events to /v1/{letter}.
SHORT_ROUTES: Final = {name[0]: name for name in CALL_TYPES}

#: Longest userId, anonymousId, event name or groupId we store in an indexed column.
MAX_ID_LENGTH: Final = 255
MAX_MESSAGE_ID_LENGTH: Final = 100

_OBJECT_FIELDS: Final = ("properties", "traits", "context", "integrations")


class SpecError(ValueError):
    """The message breaks the Spec; the text names the field."""


def _identifier(message: dict[str, Any], field: str) -> str | None:
    """Read an id field leniently: numbers become strings, empty and null mean absent."""
    value = message.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SpecError(f"{field} must be a string")
    text = value if isinstance(value, str) else str(value)
    if not text:
        return None
    if len(text) > MAX_ID_LENGTH:
        raise SpecError(f"{field} is longer than {MAX_ID_LENGTH} characters")
    message[field] = text
    return text


def check_message(message: dict[str, Any], call_type: str) -> tuple[str | None, str | None]:
    """Check `message` against the Spec for `call_type`, in place.

    Ids given as numbers are turned into strings and `null` objects into `{}`. Returns
    `(userId, anonymousId)`; raises `SpecError` naming the first field that is wrong.
    """
    user_id = _identifier(message, "userId")
    anonymous_id = _identifier(message, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise SpecError("userId or anonymousId is required")
    for field in _OBJECT_FIELDS:
        if field in message:
            value = message[field]
            if value is None:
                message[field] = {}
            elif not isinstance(value, dict):
                raise SpecError(f"{field} must be an object")
    if call_type == "track":
        event = message.get("event")
        if not isinstance(event, str) or not event.strip():
            raise SpecError("event is required for track (a non-empty string)")
        if len(event) > MAX_ID_LENGTH:
            raise SpecError(f"event is longer than {MAX_ID_LENGTH} characters")
    elif call_type == "group":
        if _identifier(message, "groupId") is None:
            raise SpecError("groupId is required for group")
    elif call_type == "alias":
        if _identifier(message, "previousId") is None:
            raise SpecError("previousId is required for alias")
    elif call_type in ("page", "screen"):
        name = message.get("name")
        if name is not None and not isinstance(name, str):
            raise SpecError("name must be a string")
        if isinstance(name, str) and len(name) > MAX_ID_LENGTH:
            raise SpecError(f"name is longer than {MAX_ID_LENGTH} characters")
    return user_id, anonymous_id
