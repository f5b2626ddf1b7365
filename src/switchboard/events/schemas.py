"""Admin API shapes for events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from switchboard.deliveries.schemas import DeliveryOut
from switchboard.events.models import Event, RejectedEvent


class EventOut(BaseModel):
    id: int
    source_id: int
    type: str
    event: str | None
    user_id: str | None
    anonymous_id: str | None
    message_id: str
    original_timestamp: datetime | None
    timestamp: datetime
    sent_at: datetime | None
    received_at: datetime
    payload: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> EventOut:
        return cls(
            id=event.id,
            source_id=event.source_id,
            type=event.type,
            event=event.event_name,
            user_id=event.user_id,
            anonymous_id=event.anonymous_id,
            message_id=event.message_id,
            original_timestamp=event.original_timestamp,
            timestamp=event.timestamp,
            sent_at=event.sent_at,
            received_at=event.received_at,
            payload=event.payload,
        )


class EventDetail(EventOut):
    deliveries: list[DeliveryOut]


class EventPage(BaseModel):
    data: list[EventOut]
    next_after_id: int | None


class RejectedEventOut(BaseModel):
    id: int
    source_id: int | None
    received_at: datetime
    reason: str
    type: str | None
    message_id: str | None
    payload: Any

    @classmethod
    def of(cls, row: RejectedEvent) -> RejectedEventOut:
        return cls(
            id=row.id,
            source_id=row.source_id,
            received_at=row.received_at,
            reason=row.reason,
            type=row.type,
            message_id=row.message_id,
            payload=row.payload,
        )


class RejectedEventPage(BaseModel):
    data: list[RejectedEventOut]
    next_after_id: int | None
