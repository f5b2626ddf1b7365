"""The deliveries store on both backends: route inserts, the claim stores, hand-out, replay."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from switchboard.deliveries import store
from switchboard.deliveries.models import Attempt, Delivery
from switchboard.deliveries.rollups import DeliveryRollup
from switchboard.deliveries.status import Status
from switchboard.destinations.models import Destination
from switchboard.events import store as events_store
from switchboard.ingest.rows import EventRow
from tests.conftest import SourceRef

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def destination_id(engine: Engine) -> int:
    with Session(engine) as session:
        row = Destination(name="hook", type="webhook", settings_encrypted="-", filters={})
        session.add(row)
        session.commit()
        return row.id


def _events(engine: Engine, source_id: int, count: int) -> list[int]:
    rows = [
        EventRow(
            source_id,
            "track",
            "E",
            "u",
            None,
            f"m{n}",
            None,
            NOW,
            None,
            NOW,
            orjson.dumps({"type": "track", "event": "E", "n": n}).decode(),
        )
        for n in range(count)
    ]
    with engine.begin() as conn:
        return sorted(events_store.insert_events(conn, rows))


def _new(event_id: int, destination_id: int, status: str = Status.PENDING) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "destination_id": destination_id,
        "status": status,
        "reason": None if status == Status.PENDING else "filtered out",
        "options": {"k": "v"} if status == Status.PENDING else None,
        "next_attempt_at": NOW if status == Status.PENDING else None,
    }


def _deliveries(engine: Engine, source: SourceRef, destination_id: int, count: int) -> list[int]:
    events = _events(engine, source.id, count)
    with engine.begin() as conn:
        created = store.insert_deliveries(conn, [_new(e, destination_id) for e in events], NOW)
    return sorted(i for i, _, _ in created)


def test_deliveries_are_inserted_once(
    engine: Engine, source: SourceRef, destination_id: int
) -> None:
    events = _events(engine, source.id, 2)
    with engine.begin() as conn:
        first = store.insert_deliveries(
            conn,
            [_new(events[0], destination_id), _new(events[1], destination_id, "filtered")],
            NOW,
        )
        again = store.insert_deliveries(conn, [_new(events[0], destination_id)], NOW)
    assert sorted((d, s) for _, d, s in first) == [
        (destination_id, "filtered"),
        (destination_id, "pending"),
    ]
    assert again == []
    with Session(engine) as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert [(r.options, r.attempts, r.reason) for r in rows] == [
        ({"k": "v"}, 0, None),
        (None, 0, "filtered out"),
    ]


def test_a_claim_holds_its_deliveries_until_recorded(
    engine: Engine, source: SourceRef, destination_id: int
) -> None:
    ids = _deliveries(engine, source, destination_id, 3)
    with store.job_connection(engine) as conn, store.job_connection(engine) as other_conn:
        claims = store.open_claims(conn, engine, lease_seconds=60)
        other = store.open_claims(other_conn, engine, lease_seconds=60)
        expected = store.LockingStore if engine.dialect.name == "postgresql" else store.LeasingStore
        assert isinstance(claims, expected)
        with claims.chunk():
            held = claims.claim(ids, NOW)
            assert [h.id for h in held] == ids
            assert held[0].options == {"k": "v"}
            assert held[0].payload["event"] == "E"
            assert held[0].since == NOW
            with other.chunk():
                assert other.claim(ids, NOW) == []  # held: skipped, not waited for
            done = [
                {
                    "id": h.id,
                    "status": Status.DELIVERED,
                    "attempts": h.attempts + 1,
                    "lease_until": None,
                    "updated_at": NOW,
                    "reason": None,
                    "code": None,
                    "next_attempt_at": None,
                    "delivered_at": NOW,
                }
                for h in held[:2]
            ]
            attempts = [
                {
                    "delivery_id": h.id,
                    "created_at": NOW,
                    "outcome": "delivered",
                    "code": None,
                    "reason": None,
                    "duration_ms": 12,
                    "exchanges": [{"status": 200}],
                }
                for h in held[:2]
            ]
            claims.record(done, attempts, Counter({(destination_id, 60, 0, "delivered", "", 3): 2}))
            claims.postpone([ids[2]], NOW + timedelta(minutes=5), None)
        with other.chunk():
            # Recorded and postponed rows are released: only the open one is claimed again.
            assert [h.id for h in other.claim(ids, NOW + timedelta(hours=1))] == [ids[2]]
            other.finish([ids[2]], Status.SKIPPED, "destination is disabled")
    with Session(engine) as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
        stored_attempts = session.scalars(select(Attempt).order_by(Attempt.id)).all()
        rollups = session.scalars(select(DeliveryRollup)).all()
    assert [(r.status, r.attempts, r.lease_until) for r in rows] == [
        (Status.DELIVERED, 1, None),
        (Status.DELIVERED, 1, None),
        (Status.SKIPPED, 0, None),
    ]
    assert rows[2].reason == "destination is disabled"
    assert [(a.delivery_id, a.duration_ms, a.exchanges) for a in stored_attempts] == [
        (ids[0], 12.0, [{"status": 200}]),
        (ids[1], 12.0, [{"status": 200}]),
    ]
    assert [(r.status, r.total) for r in rollups] == [("delivered", 2)]


def test_postpone_keeps_or_replaces_the_reason(
    engine: Engine, source: SourceRef, destination_id: int
) -> None:
    ids = _deliveries(engine, source, destination_id, 2)
    with store.job_connection(engine) as conn:
        claims = store.open_claims(conn, engine, lease_seconds=60)
        with claims.chunk():
            claims.claim(ids, NOW)
            claims.postpone(ids[:1], NOW + timedelta(minutes=1), "throttled")
            claims.postpone(ids[1:], NOW + timedelta(minutes=2), None)
    with Session(engine) as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert [(r.reason, r.next_attempt_at, r.lease_until) for r in rows] == [
        ("throttled", NOW + timedelta(minutes=1), None),
        (None, NOW + timedelta(minutes=2), None),
    ]


def test_due_deliveries_are_handed_out_once(
    engine: Engine, source: SourceRef, destination_id: int
) -> None:
    ids = _deliveries(engine, source, destination_id, 3)
    later = NOW + timedelta(minutes=1)
    with engine.begin() as conn:
        first = store.hand_out_due(conn, NOW, later, 2)
    with engine.begin() as conn:
        rest = store.hand_out_due(conn, NOW, later, 10)
        assert store.hand_out_due(conn, NOW, later, 10) == []  # due again only at `later`
        assert len(store.hand_out_due(conn, later, later + timedelta(minutes=1), 10)) == 3
    assert len(first) == 2
    assert sorted(first + rest) == [(i, destination_id) for i in ids]


def test_a_replay_reopens_finished_deliveries(
    engine: Engine, source: SourceRef, destination_id: int
) -> None:
    ids = _deliveries(engine, source, destination_id, 2)
    with store.job_connection(engine) as conn:
        claims = store.open_claims(conn, engine, lease_seconds=60)
        with claims.chunk():
            claims.claim(ids, NOW)
            claims.finish(ids, Status.FAILED, "gave up")
    with Session(engine) as session:
        reopened = store.reopen(
            session,
            destination_id,
            [Status.FAILED],
            created_since=NOW,
            created_until=None,
            due_at=NOW,
            now=NOW,
        )
        session.commit()
        rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert reopened == ids
    assert {(r.status, r.reason, r.retry_since) for r in rows} == {
        (Status.PENDING, "replayed", NOW)
    }
