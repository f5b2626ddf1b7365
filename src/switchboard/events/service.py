"""Queries over stored events, newest first, with cursor paging.

Every filter is served by an index on `events` (see `events/models.py`); the free-text `q`
filter looks only at the newest `store.SEARCH_WINDOW` rows matching the other filters, so no
query reads the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, String, cast, or_, select
from sqlalchemy.orm import Session, aliased

from switchboard.events import store
from switchboard.events.models import Event, RejectedEvent

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class EventFilter:
    source_id: int | None = None
    type: str | None = None
    event: str | None = None
    user_id: str | None = None
    q: str | None = None


def _filtered(statement: Select[Event], f: EventFilter) -> Select[Event]:
    if f.source_id is not None:
        statement = statement.where(Event.source_id == f.source_id)
    if f.type is not None:
        statement = statement.where(Event.type == f.type)
    if f.event is not None:
        statement = statement.where(Event.event_name == f.event)
    if f.user_id is not None:
        statement = statement.where(
            or_(Event.user_id == f.user_id, Event.anonymous_id == f.user_id)
        )
    return statement


def list_events(
    session: Session, f: EventFilter, *, after_id: int | None = None, limit: int = 50
) -> tuple[list[Event], int | None]:
    """A page of events older than `after_id`, and the cursor for the next page (or None)."""
    limit = max(1, min(limit, MAX_PAGE))
    statement = _filtered(select(Event), f)
    if after_id is not None:
        statement = statement.where(Event.id < after_id)
    statement = statement.order_by(Event.id.desc())
    if f.q:
        window = aliased(Event, store.newest_window(statement, Event.id))
        statement = (
            select(window)
            .where(cast(window.payload, String).like(f"%{f.q}%"))
            .order_by(window.id.desc())
        )
    rows = list(session.scalars(statement.limit(limit + 1)))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor


def get_event(session: Session, event_id: int) -> Event | None:
    return session.get(Event, event_id)


def list_rejected(
    session: Session, *, source_id: int | None, after_id: int | None, limit: int = 50
) -> tuple[list[RejectedEvent], int | None]:
    limit = max(1, min(limit, MAX_PAGE))
    statement = select(RejectedEvent)
    if source_id is not None:
        statement = statement.where(RejectedEvent.source_id == source_id)
    if after_id is not None:
        statement = statement.where(RejectedEvent.id < after_id)
    rows = list(session.scalars(statement.order_by(RejectedEvent.id.desc()).limit(limit + 1)))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor
