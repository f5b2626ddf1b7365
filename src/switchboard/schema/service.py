"""Read a source's schema from the rollups: volume, events, and property presence.

Every query reads only rollup rows of one source within the range (their primary keys lead
with the source and the day, or the source, the event and the day), never `events`, so the
cost depends on how many distinct events and properties a source has, not on its volume.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from switchboard.schema.models import SchemaEventDay, SchemaPropertyDay, SchemaSourceDay
from switchboard.schema.rollups import MAX_PATHS_PER_EVENT_DAY
from switchboard.schema.schemas import (
    DayCount,
    EventCount,
    EventDetail,
    EventList,
    PropertyPresence,
    SchemaOverview,
    SourceVolume,
)

#: The longest range the schema answers for, in days.
MAX_DAYS = 90
_KIND_ORDER = {"properties": 0, "traits": 1, "context.traits": 2}


def day_range(days: int, today: date | None = None) -> tuple[date, date]:
    """The first and last day of "the last `days` days", today (UTC) included."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    until = today or datetime.now(UTC).date()
    return until - timedelta(days=days - 1), until


def _daily(counts: dict[date, int], since: date, until: date) -> list[DayCount]:
    span = (until - since).days + 1
    days = [since + timedelta(days=i) for i in range(span)]
    return [DayCount(day=d, calls=counts.get(d, 0)) for d in days]


def _name(key: str) -> str | None:
    return key.removeprefix("track:") if key.startswith("track:") else None


def source_volume(
    session: Session, source_id: int, days: int, *, today: date | None = None
) -> SourceVolume:
    """Calls per day for the last `days` days (zeros included), and their total."""
    since, until = day_range(days, today)
    rows = session.execute(
        select(SchemaSourceDay.day, SchemaSourceDay.calls).where(
            SchemaSourceDay.source_id == source_id,
            SchemaSourceDay.day >= since,
            SchemaSourceDay.day <= until,
        )
    )
    counts = {day: calls for day, calls in rows}
    daily = _daily(counts, since, until)
    return SourceVolume(
        source_id=source_id,
        days=days,
        since=since,
        until=until,
        total=sum(d.calls for d in daily),
        daily=daily,
    )


def events(session: Session, source_id: int, days: int, *, today: date | None = None) -> EventList:
    """The events with calls in the last `days` days, most calls first."""
    since, until = day_range(days, today)
    rows = session.execute(
        select(
            SchemaEventDay.event_key,
            SchemaEventDay.type,
            func.sum(SchemaEventDay.calls),
            func.max(SchemaEventDay.day),
        )
        .where(
            SchemaEventDay.source_id == source_id,
            SchemaEventDay.day >= since,
            SchemaEventDay.day <= until,
        )
        .group_by(SchemaEventDay.event_key, SchemaEventDay.type)
    )
    found = [
        EventCount(key=key, type=kind, name=_name(key), calls=int(calls), last_day=last)
        for key, kind, calls, last in rows
    ]
    found.sort(key=lambda e: (-e.calls, e.key))
    return EventList(
        source_id=source_id,
        days=days,
        since=since,
        until=until,
        total=sum(e.calls for e in found),
        events=found,
    )


def _presence(rows: list[tuple[str, str, int]], event_calls: int) -> list[PropertyPresence]:
    found = [
        PropertyPresence(
            kind=kind,
            path=path,
            calls=calls,
            percent=round(min(100.0, 100.0 * calls / event_calls), 2) if event_calls else 0.0,
        )
        for kind, path, calls in rows
    ]
    found.sort(key=lambda p: (_KIND_ORDER.get(p.kind, 9), -p.calls, p.path))
    return found


def _details(
    session: Session,
    source_id: int,
    days: int,
    since: date,
    until: date,
    keys: list[str] | None,
) -> list[EventDetail]:
    """Details of the events in `keys`, or of every event when None."""
    event_rows = select(
        SchemaEventDay.event_key, SchemaEventDay.type, SchemaEventDay.day, SchemaEventDay.calls
    ).where(
        SchemaEventDay.source_id == source_id,
        SchemaEventDay.day >= since,
        SchemaEventDay.day <= until,
    )
    path_rows = select(
        SchemaPropertyDay.event_key,
        SchemaPropertyDay.kind,
        SchemaPropertyDay.path,
        func.sum(SchemaPropertyDay.calls),
    ).where(
        SchemaPropertyDay.source_id == source_id,
        SchemaPropertyDay.day >= since,
        SchemaPropertyDay.day <= until,
    )
    widest = select(
        SchemaPropertyDay.event_key, SchemaPropertyDay.day, func.count().label("paths")
    ).where(
        SchemaPropertyDay.source_id == source_id,
        SchemaPropertyDay.day >= since,
        SchemaPropertyDay.day <= until,
    )
    if keys is not None:
        event_rows = event_rows.where(SchemaEventDay.event_key.in_(keys))
        path_rows = path_rows.where(SchemaPropertyDay.event_key.in_(keys))
        widest = widest.where(SchemaPropertyDay.event_key.in_(keys))
    daily: dict[str, dict[date, int]] = defaultdict(dict)
    types: dict[str, str] = {}
    for key, kind, day, calls in session.execute(event_rows):
        daily[key][day] = calls
        types[key] = kind
    paths: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for key, kind, path, calls in session.execute(
        path_rows.group_by(
            SchemaPropertyDay.event_key, SchemaPropertyDay.kind, SchemaPropertyDay.path
        )
    ):
        paths[key].append((kind, path, int(calls)))
    widest_sub = widest.group_by(SchemaPropertyDay.event_key, SchemaPropertyDay.day).subquery()
    capped = set(
        session.scalars(
            select(widest_sub.c.event_key)
            .where(widest_sub.c.paths >= MAX_PATHS_PER_EVENT_DAY)
            .distinct()
        )
    )
    details = []
    for key, per_day in daily.items():
        calls = sum(per_day.values())
        details.append(
            EventDetail(
                source_id=source_id,
                days=days,
                since=since,
                until=until,
                key=key,
                type=types[key],
                name=_name(key),
                calls=calls,
                daily=_daily(per_day, since, until),
                properties=_presence(paths.get(key, []), calls),
                capped=key in capped,
                max_paths_per_day=MAX_PATHS_PER_EVENT_DAY,
            )
        )
    details.sort(key=lambda d: (-d.calls, d.key))
    return details


def event_detail(
    session: Session, source_id: int, event_key: str, days: int, *, today: date | None = None
) -> EventDetail | None:
    """One event's daily calls and property presence; None when it had no calls in range."""
    since, until = day_range(days, today)
    found = _details(session, source_id, days, since, until, [event_key])
    return found[0] if found else None


def overview(
    session: Session, source_id: int, days: int, *, today: date | None = None
) -> SchemaOverview:
    """Volume and every event's detail for the last `days` days, in four queries."""
    since, until = day_range(days, today)
    volume = source_volume(session, source_id, days, today=until)
    return SchemaOverview(
        source_id=source_id,
        days=days,
        since=since,
        until=until,
        total=volume.total,
        daily=volume.daily,
        events=_details(session, source_id, days, since, until, None),
    )
