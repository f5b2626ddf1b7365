"""The debugger's Pretty view: an event shown as the SDK call that would have sent it."""

from __future__ import annotations

from typing import Any

import orjson


def _js(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def sdk_call(payload: dict[str, Any]) -> str:
    """`analytics.track("Signed Up", {...})` and the like, approximately as the app wrote it."""
    kind = payload.get("type")
    properties = payload.get("properties") or {}
    traits = payload.get("traits") or {}
    if kind == "track":
        args = [payload.get("event"), properties]
    elif kind == "identify":
        args = [payload.get("userId") or payload.get("anonymousId"), traits]
    elif kind == "page":
        args = [payload.get("category"), payload.get("name"), properties]
        if args[0] is None:
            args = args[1:]
    elif kind == "screen":
        args = [payload.get("name"), properties]
    elif kind == "group":
        args = [payload.get("groupId"), traits]
    elif kind == "alias":
        args = [payload.get("userId"), payload.get("previousId")]
    else:
        return _js(payload)
    return f"analytics.{kind}({', '.join(_js(a) for a in args)})"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def facts(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields a person checks first, as (label, value) pairs, only those present."""
    context = _mapping(payload.get("context"))
    library = _mapping(context.get("library"))
    page = _mapping(context.get("page"))
    pairs = [
        ("Type", payload.get("type")),
        ("Event", payload.get("event") or payload.get("name")),
        ("User ID", payload.get("userId")),
        ("Anonymous ID", payload.get("anonymousId")),
        ("Group ID", payload.get("groupId")),
        ("Previous ID", payload.get("previousId")),
        ("Message ID", payload.get("messageId")),
        ("Happened at", payload.get("timestamp")),
        ("Received at", payload.get("receivedAt")),
        ("Library", " ".join(str(v) for v in (library.get("name"), library.get("version")) if v)),
        ("Page URL", page.get("url")),
        ("IP address", context.get("ip")),
    ]
    return [(label, str(value)) for label, value in pairs if value not in (None, "")]
