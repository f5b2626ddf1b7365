"""The rows the ingest path hands to the group-commit writer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class EventRow:
    """An accepted, normalized event, ready for the `events` table."""

    source_id: int
    type: str
    event_name: str | None
    user_id: str | None
    anonymous_id: str | None
    message_id: str
    original_timestamp: datetime | None
    timestamp: datetime
    sent_at: datetime | None
    received_at: datetime
    payload: str  # the normalized message as JSON text


@dataclass(slots=True)
class RejectedRow:
    """An event the API refused, kept with the reason for the debugger."""

    source_id: int | None
    received_at: datetime
    reason: str
    type: str | None
    message_id: str | None
    payload: str | None  # JSON text, capped in size
