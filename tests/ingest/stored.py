"""Read back what the tracking API stored, straight from the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from switchboard.events.models import Event, RejectedEvent


def stored_events(engine: Engine) -> list[dict[str, Any]]:
    """Every stored event as its payload plus the extracted columns, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(Event.__table__).order_by(Event.id)).mappings().all()
    return [dict(row) for row in rows]


def stored_rejections(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(RejectedEvent.__table__).order_by(RejectedEvent.id))
        return [dict(row) for row in rows.mappings().all()]
