"""The schema rollups on a real database (both backends): caps, day ranges, counting once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from switchboard.schema import service
from switchboard.schema.models import SchemaEventDay
from switchboard.schema.rollups import (
    MAX_EVENTS_PER_DAY,
    SchemaBatch,
    aggregate,
    property_paths,
)
from switchboard.schema.store import record_routed, write
from tests.conftest import SourceRef

TODAY = date(2026, 11, 22)


@dataclass
class Stored:
    id: int
    source_id: int
    payload: dict[str, Any]


def _track(source_id: int, name: str, day: date, **properties: Any) -> Stored:
    payload = {
        "type": "track",
        "event": name,
        "receivedAt": f"{day.isoformat()}T10:00:00.000Z",
        "properties": properties,
    }
    return Stored(0, source_id, payload)


def test_paths_are_top_level_keys_and_one_nested_level() -> None:
    payload = {
        "type": "identify",
        "traits": {"address": {"city": "Oslo", "geo": {"lat": 1}}, "tags": ["a"], "x" * 101: 1},
        "context": {"traits": {"email": "e"}},
        "properties": {"ignored": "identify counts traits"},
    }
    assert property_paths(payload, "identify") == [
        ("traits", "address"),
        ("traits", "address.city"),
        ("traits", "address.geo"),
        ("traits", "tags"),
        ("context.traits", "email"),
    ]


def test_new_event_names_beyond_the_daily_cap_count_only_as_volume(
    engine: Engine, source: SourceRef
) -> None:
    names = [f"Event {i:04d}" for i in range(MAX_EVENTS_PER_DAY + 5)]
    with engine.begin() as conn:
        write(conn, aggregate([_track(source.id, n, TODAY, a=1) for n in names], TODAY))
    with engine.begin() as conn:  # a later batch: a known name still counts, a new one not
        write(
            conn,
            aggregate(
                [_track(source.id, names[0], TODAY, b=1), _track(source.id, "New", TODAY)], TODAY
            ),
        )
    with Session(engine) as session:
        kept = session.scalar(select(func.count()).select_from(SchemaEventDay))
        assert kept == MAX_EVENTS_PER_DAY
        listed = service.events(session, source.id, 1, today=TODAY)
        assert listed.events[0].key == f"track:{names[0]}"
        assert listed.events[0].calls == 2
        assert "track:New" not in {e.key for e in listed.events}
        volume = service.source_volume(session, source.id, 1, today=TODAY)
        assert volume.total == MAX_EVENTS_PER_DAY + 7
        first = service.event_detail(session, source.id, f"track:{names[0]}", 1, today=TODAY)
        assert first is not None
        assert [(p.path, p.calls, p.percent) for p in first.properties] == [
            ("a", 1, 50.0),
            ("b", 1, 50.0),
        ]


def test_ranges_are_the_last_n_days_with_empty_days_listed(
    engine: Engine, source: SourceRef
) -> None:
    calls = [
        _track(source.id, "Signed Up", TODAY - timedelta(days=10), plan="pro"),
        _track(source.id, "Signed Up", TODAY - timedelta(days=3), plan="pro"),
        _track(source.id, "Signed Up", TODAY - timedelta(days=3)),
        _track(source.id, "Signed Up", TODAY, plan="free"),
    ]
    with engine.begin() as conn:
        write(conn, aggregate(calls, TODAY))
    with Session(engine) as session:
        week = service.source_volume(session, source.id, 7, today=TODAY)
        assert week.since == TODAY - timedelta(days=6)
        assert [d.calls for d in week.daily] == [0, 0, 0, 2, 0, 0, 1]
        month = service.event_detail(session, source.id, "track:Signed Up", 30, today=TODAY)
        assert month is not None
        assert month.calls == 4
        assert len(month.daily) == 30
        assert [(p.path, p.calls, p.percent) for p in month.properties] == [("plan", 3, 75.0)]
        week_detail = service.event_detail(session, source.id, "track:Signed Up", 7, today=TODAY)
        assert week_detail is not None
        assert [(p.path, p.calls, p.percent) for p in week_detail.properties] == [
            ("plan", 2, 66.67)
        ]
        assert (
            service.event_detail(
                session, source.id, "track:Signed Up", 1, today=TODAY - timedelta(days=1)
            )
            is None
        )
    with pytest.raises(ValueError, match="days must be between 1 and 90"):
        service.day_range(91)


def test_events_no_longer_queued_are_not_counted_on_postgres(
    engine: Engine, source: SourceRef
) -> None:
    """A second route job of the same events finds them dequeued and counts nothing."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's single writer fails a stale job's first write instead")
    with engine.begin() as conn:
        record_routed(conn, [Stored(12345, source.id, _track(source.id, "X", TODAY).payload)])
    with Session(engine) as session:
        assert service.source_volume(session, source.id, 1, today=TODAY).total == 0


def test_an_empty_batch_writes_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        write(conn, SchemaBatch())
        record_routed(conn, [])


class _Abandon(Exception):
    pass


def test_the_counts_belong_to_the_callers_transaction(engine: Engine, source: SourceRef) -> None:
    # A route job that fails after counting must leave nothing counted (it is run again).
    def count_then_fail() -> None:
        with engine.begin() as conn:
            write(conn, aggregate([_track(source.id, "Signed Up", TODAY, a=1)], TODAY))
            raise _Abandon

    with pytest.raises(_Abandon):
        count_then_fail()
    with Session(engine) as session:
        assert service.source_volume(session, source.id, 1, today=TODAY).total == 0
        assert service.events(session, source.id, 1, today=TODAY).events == []
