"""The deliver job's claims: how deliveries are held while they are sent, and released.

The same semantics on both backends, by different means: `LockingStore` (Postgres) holds row
locks for the chunk's transaction, `LeasingStore` (SQLite) writes a lease.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, update

from switchboard.deliveries.models import Delivery
from switchboard.deliveries.rollups import RollupKey
from switchboard.deliveries.status import Status
from switchboard.deliveries.store import (
    ClaimStore,
    LeasingStore,
    LockingStore,
    job_connection,
    open_claims,
)
from switchboard.jobs.route import route_events
from tests.jobs.conftest import Jobs, track

LEASE = 30.0


@pytest.fixture
def conn(jobs: Jobs) -> Iterator[Connection]:
    with job_connection(jobs.ctx.engine) as connection:
        yield connection


@pytest.fixture
def store(jobs: Jobs, conn: Connection) -> ClaimStore:
    return open_claims(conn, jobs.ctx.engine, LEASE)


def _pending(jobs: Jobs, count: int) -> list[int]:
    jobs.destination()
    events = jobs.events(*(track(properties={"n": n}) for n in range(count)))
    route_events(jobs.ctx, events)
    return [d.id for d in jobs.deliveries()]


def _by_id(jobs: Jobs) -> dict[int, Delivery]:
    return {d.id: d for d in jobs.deliveries()}


def test_the_store_follows_the_dialect(jobs: Jobs, store: ClaimStore) -> None:
    expected = LockingStore if jobs.ctx.engine.dialect.name == "postgresql" else LeasingStore
    assert isinstance(store, expected)


def test_a_claim_returns_what_sending_needs(jobs: Jobs, store: ClaimStore) -> None:
    ids = _pending(jobs, 3)
    now = datetime.now(UTC)
    with store.chunk():
        held = store.claim([*reversed(ids), 10_000], now)
    assert [h.id for h in held] == ids  # by id, unknown ids ignored
    first = held[0]
    assert first.attempts == 0
    assert first.options == {}
    assert first.payload["event"] == "Order Completed"
    assert first.payload["properties"] == {"n": 0}
    # The retry window starts at the event's arrival.
    assert abs((first.since - now).total_seconds()) < 60


def test_held_deliveries_are_not_claimed_by_another_job(jobs: Jobs, store: ClaimStore) -> None:
    first, second = _pending(jobs, 2)
    engine = jobs.ctx.engine
    with store.chunk():
        assert [h.id for h in store.claim([first], datetime.now(UTC))] == [first]
        with job_connection(engine) as other_conn:
            other = open_claims(other_conn, engine, LEASE)
            with other.chunk():
                assert [h.id for h in other.claim([first, second], datetime.now(UTC))] == [second]


def test_only_open_deliveries_are_claimed(jobs: Jobs, store: ClaimStore) -> None:
    pending, retrying, delivered, failed = _pending(jobs, 4)
    with jobs.ctx.engine.begin() as conn:
        for delivery_id, status in (
            (retrying, Status.RETRYING),
            (delivered, Status.DELIVERED),
            (failed, Status.FAILED),
        ):
            conn.execute(update(Delivery).where(Delivery.id == delivery_id).values(status=status))
    with store.chunk():
        held = store.claim([pending, retrying, delivered, failed], datetime.now(UTC))
    assert [h.id for h in held] == [pending, retrying]


def test_an_expired_lease_is_claimed_again(jobs: Jobs, store: ClaimStore) -> None:
    [delivery_id] = _pending(jobs, 1)
    now = datetime.now(UTC)
    with jobs.ctx.engine.begin() as conn:
        conn.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(lease_until=now + timedelta(seconds=60))
        )
    with store.chunk():
        assert store.claim([delivery_id], now) == []
    with store.chunk():
        assert [h.id for h in store.claim([delivery_id], now + timedelta(seconds=61))] == [
            delivery_id
        ]


def _change(delivery_id: int, status: str, at: datetime, **values: Any) -> dict[str, Any]:
    return {
        "id": delivery_id,
        "status": status,
        "attempts": 1,
        "lease_until": None,
        "updated_at": at,
        "reason": None,
        "code": None,
        "next_attempt_at": None,
        "delivered_at": None,
        **values,
    }


def _attempt(delivery_id: int, outcome: str, at: datetime, code: str | None) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "created_at": at,
        "outcome": outcome,
        "code": code,
        "reason": None,
        "duration_ms": 12.5,
        "exchanges": [{"status": 200 if code is None else 503}],
    }


def test_record_writes_outcomes_attempts_and_rollups_and_releases(
    jobs: Jobs, store: ClaimStore
) -> None:
    sent, later = _pending(jobs, 2)
    hook = jobs.deliveries()[0].destination_id
    now = datetime.now(UTC)
    due = now + timedelta(seconds=30)
    rollups: Counter[RollupKey] = Counter({(hook, 60, 0, Status.DELIVERED, "", 3): 1})
    with store.chunk():
        store.claim([sent, later], now)
        store.record(
            [
                _change(sent, Status.DELIVERED, now, delivered_at=now),
                _change(later, Status.RETRYING, now, code="http_503", next_attempt_at=due),
            ],
            [_attempt(sent, "delivered", now, None), _attempt(later, "retry", now, "http_503")],
            rollups,
        )
    found = _by_id(jobs)
    assert found[sent].status == Status.DELIVERED
    assert found[sent].delivered_at == now
    assert found[later].status == Status.RETRYING
    assert found[later].code == "http_503"
    assert found[later].next_attempt_at == due
    assert all(d.lease_until is None and d.attempts == 1 for d in found.values())
    assert [(a.outcome, a.duration_ms) for a in jobs.attempts(sent)] == [("delivered", 12.5)]
    assert jobs.attempts(later)[0].exchanges == [{"status": 503}]
    with jobs.ctx.engine.connect() as conn:
        totals = conn.exec_driver_sql(
            "SELECT destination_id, span, bucket, status, code, latency, total "
            "FROM delivery_rollups"
        ).all()
    assert [tuple(r) for r in totals] == [(hook, 60, 0, "delivered", "", 3, 1)]
    # Released: the retrying one is open and unheld, so it can be claimed again.
    with store.chunk():
        assert [h.id for h in store.claim([sent, later], now)] == [later]


def test_postpone_releases_unsent_and_keeps_the_reason_unless_given(
    jobs: Jobs, store: ClaimStore
) -> None:
    first, second = _pending(jobs, 2)
    now = datetime.now(UTC)
    until = now + timedelta(minutes=5)
    with store.chunk():
        store.claim([first, second], now)
        store.postpone([first], until, "adapter 'x' is not installed")
        store.postpone([second], until, None)
    found = _by_id(jobs)
    assert [(found[i].status, found[i].next_attempt_at) for i in (first, second)] == [
        (Status.PENDING, until),
        (Status.PENDING, until),
    ]
    assert found[first].reason == "adapter 'x' is not installed"
    assert found[second].reason is None
    assert found[first].attempts == 0
    with store.chunk():
        assert [h.id for h in store.claim([first, second], now)] == [first, second]


def test_finish_gives_a_final_status_unsent(jobs: Jobs, store: ClaimStore) -> None:
    first, second = _pending(jobs, 2)
    now = datetime.now(UTC)
    with store.chunk():
        store.claim([first, second], now)
        store.finish([first, second], Status.SKIPPED, "destination is disabled")
        store.finish([], Status.SKIPPED, "nothing")
    found = _by_id(jobs)
    assert {(d.status, d.reason, d.lease_until) for d in found.values()} == {
        (Status.SKIPPED, "destination is disabled", None)
    }
    with store.chunk():
        assert store.claim([first, second], now) == []
