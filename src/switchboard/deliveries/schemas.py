"""Admin API shapes for deliveries and attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from switchboard.deliveries.models import Attempt, Delivery


class AttemptOut(BaseModel):
    id: int
    created_at: datetime
    outcome: str
    code: str | None
    reason: str | None
    duration_ms: float
    exchanges: list[dict[str, Any]]

    @classmethod
    def of(cls, a: Attempt) -> AttemptOut:
        return cls(
            id=a.id,
            created_at=a.created_at,
            outcome=a.outcome,
            code=a.code,
            reason=a.reason,
            duration_ms=a.duration_ms,
            exchanges=a.exchanges,
        )


class DeliveryOut(BaseModel):
    id: int
    event_id: int
    destination_id: int
    status: str
    reason: str | None
    code: str | None
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    attempt_log: list[AttemptOut] | None = None

    @classmethod
    def of(cls, d: Delivery, attempts: list[Attempt] | None = None) -> DeliveryOut:
        return cls(
            id=d.id,
            event_id=d.event_id,
            destination_id=d.destination_id,
            status=d.status,
            reason=d.reason,
            code=d.code,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            delivered_at=d.delivered_at,
            created_at=d.created_at,
            updated_at=d.updated_at,
            attempt_log=None if attempts is None else [AttemptOut.of(a) for a in attempts],
        )


class DeliveryPage(BaseModel):
    data: list[DeliveryOut]
    next_after_id: int | None
