"""The deliver job on its own: it sends, records every attempt and its outcome, retries what
may succeed later and leaves alone what another job holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text, update

from switchboard.deliveries.models import Delivery
from switchboard.deliveries.status import Status
from switchboard.deliveries.store import job_connection, open_claims
from switchboard.jobs import defaults
from switchboard.jobs.deliver import deliver
from switchboard.jobs.route import route_events
from tests.jobs.conftest import HOOK_URL, Jobs, track


def _routed(jobs: Jobs, count: int, **destination: object) -> tuple[int, list[int]]:
    """A webhook destination and `count` routed track events: its pending delivery ids."""
    hook = jobs.destination(**destination)  # type: ignore[arg-type]
    events = jobs.events(*(track(properties={"n": n}) for n in range(count)))
    route_events(jobs.ctx, events)
    ids = [d.id for d in jobs.deliveries() if d.destination_id == hook]
    assert len(ids) == count
    return hook, ids


def test_a_delivery_is_sent_and_its_attempt_recorded(jobs: Jobs) -> None:
    hook, [delivery_id] = _routed(jobs, 1)

    assert deliver(jobs.ctx, hook, [delivery_id]) == 1

    [request] = jobs.hook.requests
    assert str(request.url) == HOOK_URL
    assert jobs.hook.bodies()[0]["event"] == "Order Completed"
    [delivery] = jobs.deliveries()
    assert delivery.status == Status.DELIVERED
    assert delivery.attempts == 1
    assert delivery.delivered_at is not None
    assert delivery.lease_until is None
    assert delivery.next_attempt_at is None
    [attempt] = jobs.attempts(delivery_id)
    assert attempt.outcome == "delivered"
    assert attempt.exchanges[0]["status"] == 200
    assert attempt.exchanges[0]["url"] == HOOK_URL


def test_a_503_is_retried_later_and_then_delivered(jobs: Jobs) -> None:
    hook, [delivery_id] = _routed(jobs, 1)
    jobs.hook.script(httpx.Response(503, text="busy"))
    before = datetime.now(UTC)

    deliver(jobs.ctx, hook, [delivery_id])

    [delivery] = jobs.deliveries()
    assert delivery.status == Status.RETRYING
    assert delivery.code == "http_503"
    assert delivery.attempts == 1
    assert delivery.next_attempt_at is not None
    assert before <= delivery.next_attempt_at <= datetime.now(UTC) + timedelta(seconds=2)

    deliver(jobs.ctx, hook, [delivery_id])  # the scheduler's next try
    [delivery] = jobs.deliveries()
    assert delivery.status == Status.DELIVERED
    assert delivery.attempts == 2
    assert [a.outcome for a in jobs.attempts(delivery_id)] == ["retry", "delivered"]
    assert len(jobs.hook.requests) == 2


def test_a_400_fails_for_good(jobs: Jobs) -> None:
    hook, [delivery_id] = _routed(jobs, 1)
    jobs.hook.script(httpx.Response(400, text="no such field"))

    deliver(jobs.ctx, hook, [delivery_id])

    [delivery] = jobs.deliveries()
    assert delivery.status == Status.FAILED
    assert delivery.code == "http_400"
    assert delivery.next_attempt_at is None
    assert [a.outcome for a in jobs.attempts(delivery_id)] == ["failed"]
    # A failed delivery is finished: another run sends nothing.
    assert deliver(jobs.ctx, hook, [delivery_id]) == 0
    assert len(jobs.hook.requests) == 1


def test_retry_after_sets_when_the_next_try_is_due(jobs: Jobs) -> None:
    hook, [delivery_id] = _routed(jobs, 1)
    jobs.hook.script(httpx.Response(429, headers={"retry-after": "120"}))
    before = datetime.now(UTC)

    deliver(jobs.ctx, hook, [delivery_id])

    [delivery] = jobs.deliveries()
    assert delivery.status == Status.RETRYING
    assert delivery.next_attempt_at is not None
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 120 <= wait <= 125


def test_running_twice_sends_each_delivery_once(jobs: Jobs) -> None:
    hook, ids = _routed(jobs, 3)

    assert deliver(jobs.ctx, hook, ids) == 3
    assert deliver(jobs.ctx, hook, ids) == 0

    assert len(jobs.hook.requests) == 3
    assert [d.status for d in jobs.deliveries()] == [Status.DELIVERED] * 3
    assert all(len(jobs.attempts(i)) == 1 for i in ids)


def test_a_delivery_another_job_holds_is_skipped(jobs: Jobs) -> None:
    hook, [held, free] = _routed(jobs, 2)
    engine = jobs.ctx.engine
    with job_connection(engine) as conn:
        other = open_claims(conn, engine, jobs.ctx.timing.lease)
        # Another job's claim: a row lock for its transaction on Postgres, a lease on SQLite.
        with other.chunk():
            assert [c.id for c in other.claim([held], datetime.now(UTC))] == [held]

            assert deliver(jobs.ctx, hook, [held, free]) == 1

            sent = {d.id: d.status for d in jobs.deliveries()}
            assert sent == {held: Status.PENDING, free: Status.DELIVERED}
    assert len(jobs.hook.requests) == 1


def test_a_stopping_worker_hands_the_rest_back(jobs: Jobs) -> None:
    count = defaults.SEND_CHUNK + 5
    hook, ids = _routed(jobs, count)
    jobs.ctx.stopping.set()

    # The chunk in hand is finished; the next one is not even claimed.
    assert deliver(jobs.ctx, hook, ids) == defaults.SEND_CHUNK

    by_status: dict[str, list[int]] = {}
    for d in jobs.deliveries():
        by_status.setdefault(d.status, []).append(d.id)
        if d.status == Status.PENDING:
            assert d.lease_until is None  # due for another worker, not held
    assert by_status == {
        Status.DELIVERED: ids[: defaults.SEND_CHUNK],
        Status.PENDING: ids[defaults.SEND_CHUNK :],
    }


def test_a_disabled_destination_skips_its_deliveries(jobs: Jobs) -> None:
    hook, ids = _routed(jobs, 2)
    with jobs.ctx.engine.begin() as conn:
        conn.execute(text("UPDATE destinations SET enabled = false WHERE id = :i"), {"i": hook})

    assert deliver(jobs.ctx, hook, ids) == 0

    assert [(d.status, d.reason) for d in jobs.deliveries()] == [
        (Status.SKIPPED, "destination is disabled")
    ] * 2
    assert jobs.hook.requests == []


def test_a_finished_delivery_is_never_resent(jobs: Jobs) -> None:
    hook, [delivery_id] = _routed(jobs, 1)
    with jobs.ctx.engine.begin() as conn:
        conn.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(status=Status.DELIVERED)
        )

    assert deliver(jobs.ctx, hook, [delivery_id]) == 0
    assert jobs.hook.requests == []
    assert jobs.attempts(delivery_id) == []


def test_a_delivery_whose_mapping_was_deleted_fails_and_is_counted(jobs: Jobs) -> None:
    from sqlalchemy import func, select

    from switchboard.deliveries.rollups import DeliveryRollup
    from switchboard.destinations.models import DestinationMapping

    hook, ids = _routed(jobs, 2)
    with jobs.ctx.sessions() as session:  # the preset the deliveries were routed to
        session.query(DestinationMapping).delete()
        session.commit()

    assert deliver(jobs.ctx, hook, ids) == 2

    assert jobs.hook.requests == []
    deliveries = jobs.deliveries()
    assert {(d.status, d.code, d.reason, d.attempts) for d in deliveries} == {
        (Status.FAILED, "mapping_deleted", "its mapping was deleted before it was sent", 1)
    }
    [attempt] = jobs.attempts(ids[0])
    assert (attempt.outcome, attempt.exchanges) == ("failed", [])
    with jobs.ctx.sessions() as session:  # what event delivery counts as failed
        failed = session.scalar(
            select(func.sum(DeliveryRollup.total)).where(
                DeliveryRollup.status == Status.FAILED,
                DeliveryRollup.code == "mapping_deleted",
                DeliveryRollup.span == 60,
            )
        )
    assert failed == 2
