"""What the source debugger shows: a source's newest events and rejections, merged.

Every query here is bounded and served by an index: `(source_id, id)` on both tables, the
per-column indexes for an exact search hit, and for free text only the newest
`events.store.SEARCH_WINDOW` rows of the source are looked at (as in events/service.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVarTuple

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from switchboard.events import store
from switchboard.events.models import Event, RejectedEvent

Ts = TypeVarTuple("Ts")

#: Rows the debugger keeps on screen, as Segment's does.
MAX_ROWS: Final = 500
#: Rows sent when the debugger opens or its filter changes.
BACKLOG: Final = 100
#: New rows sent per poll at most; more wait for the next poll.
POLL_LIMIT: Final = 200


@dataclass(frozen=True, slots=True)
class FeedFilter:
    source_id: int
    type: str | None = None  # a call type; None: every call
    q: str | None = None  # event name, userId, anonymousId, messageId, or any text


@dataclass(frozen=True, slots=True)
class Cursor:
    """The newest event and rejection already sent."""

    event_id: int = 0
    rejected_id: int = 0

    def __str__(self) -> str:
        return f"{self.event_id}:{self.rejected_id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        first, _, second = text.partition(":")
        try:
            return cls(max(0, int(first)), max(0, int(second or 0)))
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class FeedItem:
    kind: str  # "event" or "rejected"
    id: int
    type: str | None
    name: str | None
    user_id: str | None
    anonymous_id: str | None
    message_id: str | None
    received_at: datetime
    reason: str | None = None

    @property
    def key(self) -> str:
        return f"{'e' if self.kind == 'event' else 'r'}{self.id}"


def _event_item(row: Any) -> FeedItem:
    return FeedItem(
        "event",
        row.id,
        row.type,
        row.event_name,
        row.user_id,
        row.anonymous_id,
        row.message_id,
        row.received_at,
    )


def _rejected_item(row: Any) -> FeedItem:
    payload = row.payload if isinstance(row.payload, dict) else {}
    name = payload.get("event") or payload.get("name")
    return FeedItem(
        "rejected",
        row.id,
        row.type,
        name if isinstance(name, str) else None,
        _text(payload.get("userId")),
        _text(payload.get("anonymousId")),
        row.message_id,
        row.received_at,
        row.reason,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


_EVENT_COLUMNS = (
    Event.id,
    Event.type,
    Event.event_name,
    Event.user_id,
    Event.anonymous_id,
    Event.message_id,
    Event.received_at,
)


def _bounded(
    statement: Select[*Ts],
    columns: type[Event] | type[RejectedEvent],
    f: FeedFilter,
    *,
    after: int,
    upto: int | None,
) -> Select[*Ts]:
    """`statement` limited to the source, the id range (after, upto] and the call type."""
    statement = statement.where(columns.source_id == f.source_id, columns.id > after)
    if upto is not None:
        statement = statement.where(columns.id <= upto)
    if f.type:
        statement = statement.where(columns.type == f.type)
    return statement


def _events(
    session: Session,
    f: FeedFilter,
    *,
    after: int,
    limit: int,
    newest: bool,
    upto: int | None = None,
) -> list[Any]:
    order = Event.id.desc() if newest else Event.id.asc()
    base = _bounded(select(*_EVENT_COLUMNS), Event, f, after=after, upto=upto)
    if not f.q:
        return list(session.execute(base.order_by(order).limit(limit)))
    # One query per exact match, each a walk of its own index (`(event_name, id)`,
    # `(user_id, id)`, `(anonymous_id, id)`, unique `(source_id, message_id)`), merged here:
    # a single OR of the four leaves the planner one plan for all four columns.
    store.plan_for_values(session)
    found: dict[int, Any] = {}
    for column in (Event.event_name, Event.user_id, Event.anonymous_id, Event.message_id):
        for row in session.execute(base.where(column == f.q).order_by(order).limit(limit)):
            found.setdefault(row.id, row)
    # Free text: the LIKE applies to the rows of the newest window itself (see
    # `store.newest_window`; as `Event.id IN (window)` with the LIKE on `events`, the plan
    # became a scan of every row at 100 K).
    window = store.newest_window(
        _bounded(select(*_EVENT_COLUMNS, Event.payload), Event, f, after=after, upto=upto),
        Event.id,
    )
    needle = f"%{_escape_like(f.q.lower())}%"
    matching = (
        select(*(window.c[column.key] for column in _EVENT_COLUMNS))
        .where(func.lower(cast(window.c.payload, String)).like(needle, escape="\\"))
        .order_by(window.c.id.desc() if newest else window.c.id.asc())
        .limit(limit)
    )
    for row in session.execute(matching):
        found.setdefault(row.id, row)
    return sorted(found.values(), key=lambda r: r.id, reverse=newest)[:limit]


def _rejections(
    session: Session,
    f: FeedFilter,
    *,
    after: int,
    limit: int,
    newest: bool,
    upto: int | None = None,
) -> list[Any]:
    if not f.q:
        statement = _bounded(select(RejectedEvent), RejectedEvent, f, after=after, upto=upto)
        order = RejectedEvent.id.desc() if newest else RejectedEvent.id.asc()
        return list(session.scalars(statement.order_by(order).limit(limit)))
    # Rejections are searched only in the newest window of the source (their table has no
    # per-column index), the filter applied to the window's rows as above.
    window = aliased(
        RejectedEvent,
        store.newest_window(
            _bounded(select(RejectedEvent), RejectedEvent, f, after=after, upto=upto),
            RejectedEvent.id,
        ),
    )
    needle = f"%{_escape_like(f.q.lower())}%"
    statement = select(window).where(
        or_(
            window.message_id == f.q,
            func.lower(window.reason).like(needle, escape="\\"),
            func.lower(cast(window.payload, String)).like(needle, escape="\\"),
        )
    )
    order = window.id.desc() if newest else window.id.asc()
    return list(session.scalars(statement.order_by(order).limit(limit)))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def latest_cursor(session: Session, source_id: int) -> Cursor:
    """The newest ids of the source right now (nothing older will be sent as new)."""
    event_id = session.scalar(select(func.max(Event.id)).where(Event.source_id == source_id))
    rejected_id = session.scalar(
        select(func.max(RejectedEvent.id)).where(RejectedEvent.source_id == source_id)
    )
    return Cursor(event_id or 0, rejected_id or 0)


def backlog(session: Session, f: FeedFilter, limit: int = BACKLOG) -> tuple[list[FeedItem], Cursor]:
    """The newest matching rows, newest first, and the cursor they reach up to."""
    cursor = latest_cursor(session, f.source_id)
    events = [
        _event_item(r)
        for r in _events(session, f, after=0, limit=limit, newest=True, upto=cursor.event_id)
    ]
    rejected = [
        _rejected_item(r)
        for r in _rejections(session, f, after=0, limit=limit, newest=True, upto=cursor.rejected_id)
    ]
    merged = sorted(events + rejected, key=lambda i: i.received_at, reverse=True)[:limit]
    return merged, cursor


def newer(session: Session, f: FeedFilter, after: Cursor, upto: Cursor) -> list[FeedItem]:
    """Matching rows with ids in (after, upto], oldest first. Under a flood only the newest
    POLL_LIMIT of each kind are returned: the debugger is a sample, not an export."""
    events = _events(
        session, f, after=after.event_id, limit=POLL_LIMIT, newest=True, upto=upto.event_id
    )
    rejected = _rejections(
        session, f, after=after.rejected_id, limit=POLL_LIMIT, newest=True, upto=upto.rejected_id
    )
    items = [_event_item(r) for r in events] + [_rejected_item(r) for r in rejected]
    items.sort(key=lambda i: (i.received_at, i.id))
    return items
