"""The events store on both backends: an event and its queue row in one write, the queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import Engine, func, select

from switchboard.events import store
from switchboard.events.models import Event, RejectedEvent, RouteQueue
from switchboard.ingest.rows import EventRow, RejectedRow
from tests.conftest import SourceRef

AT = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _event(source_id: int, message_id: str, at: datetime = AT) -> EventRow:
    payload = {"type": "track", "event": "Signed Up", "messageId": message_id, "x": 'it\'s "q"'}
    return EventRow(
        source_id=source_id,
        type="track",
        event_name="Signed Up",
        user_id="u1",
        anonymous_id=None,
        message_id=message_id,
        original_timestamp=None,
        timestamp=at,
        sent_at=None,
        received_at=at,
        payload=orjson.dumps(payload).decode(),
    )


def test_new_events_are_stored_and_queued_duplicates_skipped(
    engine: Engine, source: SourceRef
) -> None:
    with engine.begin() as conn:
        first = store.insert_events(conn, [_event(source.id, "m1"), _event(source.id, "m2")])
        again = store.insert_events(conn, [_event(source.id, "m2"), _event(source.id, "m3")])
        assert store.insert_events(conn, []) == []
    assert len(first) == 2
    assert len(again) == 1
    with engine.connect() as conn:
        queued = store.queued_events(conn, [*first, *again, 10**12])
        assert conn.scalar(select(func.count()).select_from(RouteQueue)) == 3
        stored = conn.execute(select(Event.message_id, Event.received_at).order_by(Event.id)).all()
    assert sorted(q.id for q in queued) == sorted([*first, *again])
    assert {q.payload["x"] for q in queued} == {'it\'s "q"'}
    assert [tuple(r) for r in stored] == [("m1", AT), ("m2", AT), ("m3", AT)]


def test_routed_events_leave_the_queue(engine: Engine, source: SourceRef) -> None:
    with engine.begin() as conn:
        ids = store.insert_events(conn, [_event(source.id, f"m{n}") for n in range(4)])
    with engine.begin() as conn:
        assert store.lock_queued(conn, ids) == set(ids)
        store.dequeue(conn, ids[:2])
        assert store.lock_queued(conn, ids) == set(ids[2:])
        assert [q.id for q in store.queued_events(conn, ids)] == ids[2:]
        assert store.queued_events(conn, []) == []


def test_unrouted_lists_the_oldest_waiting_events(engine: Engine, source: SourceRef) -> None:
    with engine.begin() as conn:
        old = store.insert_events(
            conn, [_event(source.id, f"old{n}", AT - timedelta(minutes=n)) for n in range(3)]
        )
        store.insert_events(conn, [_event(source.id, "new", AT + timedelta(minutes=1))])
    with engine.connect() as conn:
        assert store.unrouted(conn, AT + timedelta(seconds=1), 10) == sorted(old)
        assert store.unrouted(conn, AT + timedelta(seconds=1), 2) == sorted(old)[:2]


def test_rejections_are_kept_and_deletes_cascade(engine: Engine, source: SourceRef) -> None:
    rejected = [
        RejectedRow(source.id, AT, "bad type", "nope", "m9", '{"type": "nope"}'),
        RejectedRow(None, AT, "no write key", None, None, None),
    ]
    with engine.begin() as conn:
        store.insert_rejected(conn, rejected)
        ids = store.insert_events(conn, [_event(source.id, "m1"), _event(source.id, "m2")])
    with engine.begin() as conn:
        kept = conn.execute(select(RejectedEvent.id, RejectedEvent.payload)).all()
        assert sorted((r.payload for r in kept), key=str) == [None, {"type": "nope"}]
        store.delete_rejected(conn, [kept[0].id])
        store.delete_events(conn, ids[:1])
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RejectedEvent)) == 1
        assert list(conn.scalars(select(Event.id))) == ids[1:]
        assert list(conn.scalars(select(RouteQueue.event_id))) == ids[1:]
