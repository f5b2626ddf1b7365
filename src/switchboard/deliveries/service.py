"""Queries over deliveries: listing, per-destination stats, replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from switchboard.deliveries import store
from switchboard.deliveries.models import Attempt, Delivery
from switchboard.deliveries.status import ALL, Status
from switchboard.events.models import Event

MAX_PAGE = 500
#: Delivered rows sampled for latency percentiles (the newest ones in the range).
LATENCY_SAMPLE = 10_000


def list_deliveries(
    session: Session,
    *,
    destination_id: int | None = None,
    status: str | None = None,
    event_id: int | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> tuple[list[Delivery], int | None]:
    limit = max(1, min(limit, MAX_PAGE))
    statement = select(Delivery)
    if destination_id is not None:
        statement = statement.where(Delivery.destination_id == destination_id)
    if status is not None:
        statement = statement.where(Delivery.status == status)
    if event_id is not None:
        statement = statement.where(Delivery.event_id == event_id)
    if after_id is not None:
        statement = statement.where(Delivery.id < after_id)
    rows = list(session.scalars(statement.order_by(Delivery.id.desc()).limit(limit + 1)))
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def deliveries_of_event(session: Session, event_id: int) -> list[tuple[Delivery, list[Attempt]]]:
    deliveries = list(
        session.scalars(select(Delivery).where(Delivery.event_id == event_id).order_by(Delivery.id))
    )
    attempts: dict[int, list[Attempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for attempt in session.scalars(
            select(Attempt).where(Attempt.delivery_id.in_(list(attempts))).order_by(Attempt.id)
        ):
            attempts[attempt.delivery_id].append(attempt)
    return [(d, attempts[d.id]) for d in deliveries]


def _percentile(sorted_values: list[float], share: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def delivery_stats(session: Session, destination_id: int, since: datetime) -> dict[str, Any]:
    """Counts by status and by error, and ingest→delivered latency percentiles (ms),
    over deliveries last changed since `since`."""
    in_range = (Delivery.destination_id == destination_id, Delivery.updated_at >= since)
    by_status = {
        status: count
        for status, count in session.execute(
            select(Delivery.status, func.count()).where(*in_range).group_by(Delivery.status)
        )
    }
    errors = [
        {"status": status, "code": code, "count": count, "example_reason": reason}
        for status, code, count, reason in session.execute(
            select(Delivery.status, Delivery.code, func.count(), func.max(Delivery.reason))
            .where(*in_range, Delivery.status.in_((Status.FAILED, Status.RETRYING)))
            .group_by(Delivery.status, Delivery.code)
            .order_by(func.count().desc())
        )
    ]
    samples = session.execute(
        select(Delivery.delivered_at, Event.received_at)
        .join(Event, Event.id == Delivery.event_id)
        .where(*in_range, Delivery.status == Status.DELIVERED)
        .order_by(Delivery.updated_at.desc())
        .limit(LATENCY_SAMPLE)
    ).all()
    latencies = sorted(
        (delivered - received).total_seconds() * 1000
        for delivered, received in samples
        if delivered is not None
    )
    return {
        "destination_id": destination_id,
        "since": since,
        "counts": {status: by_status.get(status, 0) for status in ALL},
        "errors": errors,
        "latency_ms": {
            "p50": _percentile(latencies, 0.50),
            "p95": _percentile(latencies, 0.95),
            "p99": _percentile(latencies, 0.99),
            "samples": len(latencies),
        },
    }


def replay(
    session: Session,
    destination_id: int,
    *,
    status: str,
    since: datetime | None,
    until: datetime | None,
    enqueued: bool = True,
    requeue_after: float,
) -> list[int]:
    """Open again the finished deliveries that match; return their ids (caller enqueues).

    `status` is "failed" (the usual case) or "all" (delivered and failed alike). The rows are
    due again after `requeue_after` seconds (the jobs' timing: the scheduler re-enqueues them
    if the caller's deliver jobs never ran). With `enqueued` false (no queue at hand, e.g. the
    CLI in embedded mode) the rows are due at once and the scheduler sends them.
    """
    statuses = (Status.FAILED,) if status == Status.FAILED else (Status.FAILED, Status.DELIVERED)
    now = datetime.now(UTC)
    return store.reopen(
        session,
        destination_id,
        statuses,
        created_since=since,
        created_until=until,
        due_at=now + timedelta(seconds=requeue_after if enqueued else 0),
        now=now,
    )
