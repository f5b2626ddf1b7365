"""The deliver job: one destination, a batch of delivery ids.

Claims the deliveries with a lease (so a second job, or a retry of this one, never sends
them twice at once), sends them through the destination's adapter within its concurrency
cap and rate limit, and records each outcome and every HTTP exchange. Safe to run twice:
finished and leased deliveries are not claimed again.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update

from switchboard.deliveries.models import Attempt, Delivery, Status
from switchboard.destinations.models import Destination
from switchboard.events.models import Event
from switchboard.integrations.base import Adapter, Message, OutcomeKind, Result, SendContext
from switchboard.jobs import defaults
from switchboard.jobs.context import JobContext
from switchboard.jobs.retry import RetryPolicy

log = logging.getLogger(__name__)


def _claim(ctx: JobContext, delivery_ids: Sequence[int], now: datetime) -> list[int]:
    """Lease the open, unleased deliveries among `delivery_ids`; return the ones we got."""
    lease = now + timedelta(seconds=ctx.timing.lease)
    with ctx.engine.begin() as conn:
        rows = conn.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(list(delivery_ids)),
                Delivery.status.in_(Status.OPEN),
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            )
            .values(lease_until=lease)
            .returning(Delivery.id)
        )
        return sorted(r.id for r in rows)


def _postpone(
    ctx: JobContext, delivery_ids: Sequence[int], seconds: float, reason: str | None = None
) -> None:
    """Give leased deliveries back, to be tried again in `seconds` (the scheduler will)."""
    if not delivery_ids:
        return
    values: dict[str, Any] = {
        "lease_until": None,
        "next_attempt_at": datetime.now(UTC) + timedelta(seconds=seconds),
    }
    if reason is not None:
        values["reason"] = reason
    with ctx.engine.begin() as conn:
        conn.execute(update(Delivery).where(Delivery.id.in_(list(delivery_ids))).values(values))


def _record(
    ctx: JobContext,
    policy: RetryPolicy,
    results: Sequence[Result],
    received: dict[int, datetime],
    attempts: dict[int, int],
) -> None:
    now = datetime.now(UTC)
    changes: list[dict[str, Any]] = []
    attempt_rows: list[dict[str, Any]] = []
    shown: set[int] = set()
    for result in results:
        outcome = result.outcome
        tries = attempts[result.delivery_id] + 1
        change: dict[str, Any] = {
            "b_id": result.delivery_id,
            "attempts": tries,
            "lease_until": None,
            "updated_at": now,
            "reason": outcome.reason or None,
            "code": outcome.code or None,
            "next_attempt_at": None,
            "delivered_at": None,
            "status": Status.FAILED,
        }
        if outcome.kind is OutcomeKind.DELIVERED:
            change["status"] = Status.DELIVERED
            change["delivered_at"] = now
        elif outcome.kind is OutcomeKind.RETRY:
            wait = policy.delay(tries, outcome.retry_after)
            age = (now - received[result.delivery_id]).total_seconds()
            if age + wait > policy.give_up_after:
                window = _duration(policy.give_up_after)
                change["reason"] = f"gave up after {window} of retries: {outcome.reason}"
            else:
                change["status"] = Status.RETRYING
                change["next_attempt_at"] = now + timedelta(seconds=wait)
        changes.append(change)
        attempt_rows.append(
            {
                "delivery_id": result.delivery_id,
                "created_at": now,
                "outcome": outcome.kind.value,
                "code": outcome.code or None,
                "reason": outcome.reason or None,
                "duration_ms": sum(e.duration_ms for e in result.exchanges),
                "exchanges": _exchanges(result, shown),
            }
        )
    with ctx.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            _record_postgres(conn, changes, attempt_rows)
            return
        conn.execute(
            update(Delivery)
            .where(Delivery.id == bindparam("b_id"))
            .values(
                status=bindparam("status"),
                attempts=bindparam("attempts"),
                lease_until=bindparam("lease_until"),
                updated_at=bindparam("updated_at"),
                reason=bindparam("reason"),
                code=bindparam("code"),
                next_attempt_at=bindparam("next_attempt_at"),
                delivered_at=bindparam("delivered_at"),
            ),
            changes,
        )
        conn.execute(insert(Attempt), attempt_rows)


# Outcomes and attempts of a chunk in two statements, arrays bound in binary: executemany ran
# one UPDATE per delivery (bench/e2e).
_PG_RECORD_OUTCOMES = (
    "UPDATE deliveries AS d SET status = x.s, attempts = x.a, lease_until = NULL, "
    "updated_at = x.u, reason = x.r, code = x.c, next_attempt_at = x.n, delivered_at = x.dl "
    "FROM unnest(%b::bigint[], %b::text[], %b::int[], %b::timestamptz[], %b::text[], "
    "%b::text[], %b::timestamptz[], %b::timestamptz[]) AS x(id, s, a, u, r, c, n, dl) "
    "WHERE d.id = x.id"
)
_PG_INSERT_ATTEMPTS = (
    "INSERT INTO attempts (delivery_id, created_at, outcome, code, reason, duration_ms, "
    "exchanges) SELECT i, t, o, c, r, m, e::jsonb FROM unnest(%b::bigint[], %b::timestamptz[], "
    "%b::text[], %b::text[], %b::text[], %b::float8[], %b::text[]) AS x(i, t, o, c, r, m, e)"
)


def _record_postgres(
    conn: Connection, changes: list[dict[str, Any]], attempt_rows: list[dict[str, Any]]
) -> None:
    with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            _PG_RECORD_OUTCOMES,
            (
                [c["b_id"] for c in changes],
                [c["status"] for c in changes],
                [c["attempts"] for c in changes],
                [c["updated_at"] for c in changes],
                [c["reason"] for c in changes],
                [c["code"] for c in changes],
                [c["next_attempt_at"] for c in changes],
                [c["delivered_at"] for c in changes],
            ),
        )
        cursor.execute(
            _PG_INSERT_ATTEMPTS,
            (
                [a["delivery_id"] for a in attempt_rows],
                [a["created_at"] for a in attempt_rows],
                [a["outcome"] for a in attempt_rows],
                [a["code"] for a in attempt_rows],
                [a["reason"] for a in attempt_rows],
                [float(a["duration_ms"]) for a in attempt_rows],
                [orjson.dumps(a["exchanges"]).decode() for a in attempt_rows],
            ),
        )


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _exchanges(result: Result, shown: set[int]) -> list[dict[str, Any]]:
    """The exchanges to store for one result.

    A batched request is shared by every event in it. Its bodies are stored in full with the
    first delivered event of the batch and with every event that did not get through; the
    other delivered events keep the exchange without bodies (status, URL, timing), so a
    batch of 100 does not store the same request 100 times.
    """
    stored = []
    for exchange in result.exchanges:
        document = exchange.as_dict()
        if result.outcome.kind is OutcomeKind.DELIVERED:
            if id(exchange) in shown:
                document["request_body"] = document["response_body"] = None
                document["bodies"] = "stored with the first event of this batch"
            shown.add(id(exchange))
        stored.append(document)
    return stored


def _finish_without_sending(
    ctx: JobContext, delivery_ids: Sequence[int], status: str, reason: str
) -> None:
    now = datetime.now(UTC)
    with ctx.engine.begin() as conn:
        conn.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(delivery_ids)))
            .values(status=status, reason=reason, lease_until=None, updated_at=now)
        )


def deliver(ctx: JobContext, destination_id: int, delivery_ids: Sequence[int]) -> int:
    """Try to deliver `delivery_ids` to `destination_id`; return how many were attempted."""
    with ctx.sessions() as session:
        destination = session.get(Destination, destination_id)
        if destination is None:
            return 0  # deleted: its deliveries went with it
        adapter: Adapter | None = ctx.adapters.get(destination.type)
        enabled = destination.enabled
        cap = destination.max_concurrency
        rate = destination.rate_limit_per_second
        policy = ctx.policy.with_overrides(destination.retry)
        settings: BaseModel | None = None
        if adapter is not None and enabled:
            settings = adapter.settings_model.model_validate(
                ctx.box.open(destination.settings_encrypted)
            )
    now = datetime.now(UTC)
    claimed = _claim(ctx, delivery_ids, now)
    if not claimed:
        return 0
    if not enabled:
        _finish_without_sending(ctx, claimed, Status.SKIPPED, "destination is disabled")
        return 0
    if adapter is None or settings is None:
        _postpone(ctx, claimed, 300, f"adapter {destination.type!r} is not installed")
        return 0

    slot = None
    if cap is not None:
        slot = ctx.limiter.acquire_slot(destination_id, cap, ctx.timing.lease)
        if slot is None:
            _postpone(ctx, claimed, defaults.THROTTLED_RETRY_SECONDS)
            return 0
    try:
        return _send_all(ctx, destination_id, adapter, settings, policy, rate, claimed, slot)
    finally:
        if slot is not None:
            ctx.limiter.release_slot(destination_id, slot)


def _send_all(
    ctx: JobContext,
    destination_id: int,
    adapter: Adapter,
    settings: BaseModel,
    policy: RetryPolicy,
    rate: float | None,
    claimed: list[int],
    slot: str | None = None,
) -> int:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(
                Delivery.id,
                Delivery.attempts,
                Delivery.options,
                Delivery.retry_since,
                Event.payload,
                Event.received_at,
            )
            .join(Event, Event.id == Delivery.event_id)
            .where(Delivery.id.in_(claimed))
            .order_by(Delivery.id)
        ).all()
    received = {r.id: r.retry_since or r.received_at for r in rows}
    attempts = {r.id: r.attempts for r in rows}
    messages = [Message(r.id, r.payload, r.options or {}) for r in rows]
    chunk_size = (
        defaults.SEND_CHUNK if rate is None else max(1, min(defaults.SEND_CHUNK, int(rate)))
    )
    context = SendContext(
        http=ctx.http, policy=policy, limiter=ctx.limiter, scope=str(destination_id)
    )
    sent = 0
    for start in range(0, len(messages), chunk_size):
        chunk = messages[start : start + chunk_size]
        if rate is not None:
            wait = ctx.limiter.take(destination_id, rate, len(chunk))
            tries = 0
            while wait > 0:
                tries += 1
                if wait > defaults.MAX_INLINE_RATE_WAIT or tries > defaults.MAX_RATE_WAITS:
                    # Give the worker back; the scheduler brings these back when due.
                    _postpone(ctx, [m.delivery_id for m in messages[start:]], max(wait, 1.0))
                    return sent
                time.sleep(wait)
                wait = ctx.limiter.take(destination_id, rate, len(chunk))
        try:
            results = adapter.send(settings, chunk, context)
        except Exception as exc:  # a bug in the adapter: keep the events, retry later
            # The message of an adapter's exception may quote its settings (secrets), so
            # neither the log nor the stored reason carries it: the type and where it raised.
            where = traceback.extract_tb(exc.__traceback__)[-1]
            error = f"{type(exc).__name__} at {where.filename}:{where.lineno}"
            log.error("adapter %s raised %s", adapter.type, error)
            _postpone(ctx, [m.delivery_id for m in messages[start:]], 60, f"adapter error: {error}")
            return sent
        _record(ctx, policy, results, received, attempts)
        sent += len(chunk)
        rest = [m.delivery_id for m in messages[start + chunk_size :]]
        if rest:  # still ours: a long job must not lose its lease (or its slot) half-way
            _renew(ctx, rest)
            if slot is not None:
                ctx.limiter.renew_slot(destination_id, slot, ctx.timing.lease)
    return sent


def _renew(ctx: JobContext, delivery_ids: Sequence[int]) -> None:
    lease = datetime.now(UTC) + timedelta(seconds=ctx.timing.lease)
    with ctx.engine.begin() as conn:
        conn.execute(
            update(Delivery).where(Delivery.id.in_(list(delivery_ids))).values(lease_until=lease)
        )


def due_condition(now: datetime) -> Any:
    """Deliveries the scheduler should hand to a deliver job now."""
    return and_(
        Delivery.status.in_(Status.OPEN),
        Delivery.next_attempt_at <= now,
        or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
    )
