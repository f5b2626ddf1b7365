"""Webhook settings as releases before the kit stored them, made into settings and a mapping.

Those settings held `method` and `batch_size`; both now belong to the "send" mapping. The
mapping made from them sends the whole stored event, as those releases did, so every request
body (and so every signature) stays byte for byte what it was.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.webhook.send import EVERY_CALL, MAX_BATCH_SIZE

#: The name of the mapping a new destination starts with, and of the one converted settings get.
SEND_EVERY_EVENT: Final = "Send every event"

#: The keys that moved from the settings to the mapping.
MOVED: Final = ("method", "batch_size")


class _Moved(BaseModel):
    """The moved keys, checked as the settings checked them (same messages, same places)."""

    model_config = ConfigDict(extra="ignore")

    method: Literal["POST", "PUT", "PATCH"] = "POST"
    batch_size: int = Field(default=1, ge=1, le=MAX_BATCH_SIZE)


def convert_legacy(stored: dict[str, Any]) -> tuple[dict[str, Any], list[MappingSpec]] | None:
    """`stored` without `method` and `batch_size`, and one "send" mapping for every call that
    carries them as literals and sends the whole event; None when `stored` has neither key.

    Raises pydantic's `ValidationError` (at `method` or `batch_size`, with the messages the
    settings gave) when one of them is not a value those releases accepted."""
    if not any(key in stored for key in MOVED):
        return None
    moved = _Moved.model_validate({key: stored[key] for key in MOVED if key in stored})
    settings = {key: value for key, value in stored.items() if key not in MOVED}
    mapping: dict[str, Any] = {
        "method": moved.method,
        "data": {"@path": "$."},
        "batch_size": moved.batch_size,
    }
    return settings, [MappingSpec(SEND_EVERY_EVENT, "send", EVERY_CALL, mapping)]
