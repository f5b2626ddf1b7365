"""The deliver job: one destination, a batch of delivery ids.

Claims the deliveries a chunk at a time (a row lock on Postgres, a lease on SQLite: see
`deliveries/store.py`), so a second job, or a retry of this one, never sends them twice at
once; sends them through the destination's adapter within its concurrency cap and rate limit;
records each outcome and every HTTP exchange. Safe to run twice: finished and held deliveries are
not claimed again.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from switchboard.deliveries.rollups import aggregate as aggregate_rollups
from switchboard.deliveries.status import AttemptOutcome, Status
from switchboard.deliveries.store import Claimed, ClaimStore, job_connection, open_claims
from switchboard.destinations.mappings import ref
from switchboard.destinations.models import Destination
from switchboard.integrations.base import (
    Adapter,
    MappingRef,
    Message,
    Outcome,
    Result,
    SendContext,
)
from switchboard.jobs import defaults
from switchboard.jobs.context import JobContext
from switchboard.jobs.retry import RetryPolicy, Verdict

log = logging.getLogger(__name__)

MAPPING_DELETED = "its mapping was deleted before it was sent"


def _outcomes(
    policy: RetryPolicy, judged: Sequence[tuple[Result, Verdict]], held: dict[int, Claimed]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The delivery changes and the attempts rows for a chunk's results, as `policy` judged
    them."""
    now = datetime.now(UTC)
    changes: list[dict[str, Any]] = []
    attempt_rows: list[dict[str, Any]] = []
    shown: set[int] = set()
    for result, outcome in judged:
        tries = held[result.delivery_id].attempts + 1
        change: dict[str, Any] = {
            "id": result.delivery_id,
            "attempts": tries,
            "lease_until": None,
            "updated_at": now,
            "reason": outcome.reason or None,
            "code": outcome.code or None,
            "next_attempt_at": None,
            "delivered_at": None,
            "status": Status.FAILED,
        }
        if outcome.kind is AttemptOutcome.DELIVERED:
            change["status"] = Status.DELIVERED
            change["delivered_at"] = now
        elif outcome.kind is AttemptOutcome.RETRY:
            wait = policy.delay(tries, outcome.retry_after)
            age = (now - held[result.delivery_id].since).total_seconds()
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
                "exchanges": _exchanges(result, outcome, shown),
            }
        )
    return changes, attempt_rows


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _exchanges(result: Result, outcome: Verdict, shown: set[int]) -> list[dict[str, Any]]:
    """The exchanges to store for one result.

    A batched request is shared by every event in it. Its bodies are stored in full with the
    first delivered event of the batch and with every event that did not get through; the
    other delivered events keep the exchange without bodies (status, URL, timing), so a
    batch of 100 does not store the same request 100 times.
    """
    stored = []
    for exchange in result.exchanges:
        document = exchange.as_dict()
        if outcome.kind is AttemptOutcome.DELIVERED:
            if id(exchange) in shown:
                document["request_body"] = document["response_body"] = None
                document["bodies"] = "stored with the first event of this batch"
            shown.add(id(exchange))
        stored.append(document)
    return stored


def deliver(ctx: JobContext, destination_id: int, delivery_ids: Sequence[int]) -> int:
    """Try to deliver `delivery_ids` to `destination_id`; return how many were attempted.

    The ids are taken a chunk at a time: each chunk is claimed, sent and recorded before the
    next is claimed, so what a job holds is never more than one chunk (see
    `deliveries/store.py`).
    """
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
        mappings = {row.id: ref(row) for row in destination.mappings}
    ids = sorted(set(delivery_ids))
    with job_connection(ctx.engine) as conn:
        store = open_claims(conn, ctx.engine, ctx.timing.lease)
        if not enabled or adapter is None or settings is None:
            with store.chunk():
                held = store.claim(ids, datetime.now(UTC))
                if not enabled:
                    store.finish([h.id for h in held], Status.SKIPPED, "destination is disabled")
                else:
                    store.postpone(
                        [h.id for h in held],
                        _after(300),
                        f"adapter {destination.type!r} is not installed",
                    )
            return 0
        slot = None
        if cap is not None:
            slot = ctx.limiter.acquire_slot(destination_id, cap, ctx.timing.lease)
            if slot is None:
                with store.chunk():
                    held = store.claim(ids, datetime.now(UTC))
                    store.postpone(
                        [h.id for h in held], _after(defaults.THROTTLED_RETRY_SECONDS), None
                    )
                return 0
        try:
            job = _Job(ctx, store, destination_id, adapter, settings, policy, rate, slot, mappings)
            return job.run(ids)
        finally:
            if slot is not None:
                ctx.limiter.release_slot(destination_id, slot)


def _after(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


class _Rest(Exception):
    """The job stops early; what it has not sent goes back, due in `seconds`."""

    def __init__(self, seconds: float, reason: str | None = None) -> None:
        self.seconds = seconds
        self.reason = reason


class _Job:
    """One deliver job's send loop over its chunks."""

    def __init__(
        self,
        ctx: JobContext,
        store: ClaimStore,
        destination_id: int,
        adapter: Adapter,
        settings: BaseModel,
        policy: RetryPolicy,
        rate: float | None,
        slot: str | None,
        mappings: dict[int, MappingRef],
    ) -> None:
        self.ctx = ctx
        self.mappings = mappings
        self.store = store
        self.destination_id = destination_id
        self.adapter = adapter
        self.settings = settings
        self.policy = policy
        self.rate = rate
        self.slot = slot
        self.context = SendContext(http=ctx.http, limiter=ctx.limiter, scope=str(destination_id))

    def run(self, ids: list[int]) -> int:
        size = defaults.SEND_CHUNK
        if self.rate is not None:
            size = max(1, min(defaults.SEND_CHUNK, int(self.rate)))
        sent = 0
        for start in range(0, len(ids), size):
            if start and self.ctx.stopping.is_set():
                # The worker got SIGTERM: stop between chunks. Nothing unsent is held; the
                # rest stays due, and the scheduler hands it to another worker.
                return sent
            with self.store.chunk():
                held = self.store.claim(ids[start : start + size], datetime.now(UTC))
                if not held:
                    continue
                try:
                    sent += self._send(held)
                except _Rest as rest:
                    # This chunk and the ones not yet claimed go back together (those another
                    # job holds are skipped, not waited for).
                    later = ids[start + size :]
                    others = self.store.claim(later, datetime.now(UTC)) if later else []
                    back = [h.id for h in held] + [o.id for o in others]
                    self.store.postpone(back, _after(rest.seconds), rest.reason)
                    return sent
            if self.slot is not None and start + size < len(ids):
                # A long job must not lose its concurrency slot half-way.
                self.ctx.limiter.renew_slot(self.destination_id, self.slot, self.ctx.timing.lease)
        return sent

    def _send(self, held: list[Claimed]) -> int:
        token = self._reserve(len(held)) if self.rate is not None else None
        try:
            return self._send_now(held)
        finally:
            if token is not None:
                self.ctx.limiter.settle(self.destination_id, token)

    def _send_now(self, held: list[Claimed]) -> int:
        # Routed to a mapping deleted since: nothing says what to send. They fail like any
        # refused event (an attempt row, the event-delivery counts), without a request.
        gone = [
            Result(h.id, Outcome.permanent(MAPPING_DELETED, "mapping_deleted"))
            for h in held
            if h.mapping_id and h.mapping_id not in self.mappings
        ]
        gone_ids = {result.delivery_id for result in gone}
        messages = [
            Message(h.id, h.payload, h.options, self.mappings.get(h.mapping_id))
            for h in held
            if h.id not in gone_ids
        ]
        try:
            results = self.adapter.send(self.settings, messages, self.context) if messages else []
            results += gone
        except Exception as exc:  # a bug in the adapter: keep the events, retry later
            # The message of an adapter's exception may quote its settings (secrets), so
            # neither the log nor the stored reason carries it: the type and where it raised.
            where = traceback.extract_tb(exc.__traceback__)[-1]
            error = f"{type(exc).__name__} at {where.filename}:{where.lineno}"
            log.error("adapter %s raised %s", self.adapter.type, error)
            raise _Rest(60, f"adapter error: {error}") from None
        judged = [(result, self.policy.judge(result.outcome)) for result in results]
        changes, attempt_rows = _outcomes(self.policy, judged, {h.id: h for h in held})
        since = {h.id: h.since for h in held}
        # Event-delivery rollups (deliveries/rollups.py) go in the chunk's transaction.
        rollups = aggregate_rollups(self.destination_id, changes, since)
        self.store.record(changes, attempt_rows, rollups)
        outcomes = [(result.delivery_id, verdict.kind) for result, verdict in judged]
        self.ctx.metrics.record_results(self.destination_id, outcomes, since)
        return len(held)

    def _reserve(self, count: int) -> str:
        """Room for `count` sends under the destination's rate, waiting in-line briefly."""
        assert self.rate is not None
        for _ in range(defaults.MAX_RATE_WAITS + 1):
            token, wait = self.ctx.limiter.reserve(
                self.destination_id, self.rate, count, self.ctx.timing.lease
            )
            if token is not None:
                return token
            if wait > defaults.MAX_INLINE_RATE_WAIT:
                break
            time.sleep(wait)
        # Give the worker back; the scheduler brings these back when due. A wait longer than
        # the rate window means the window is full of reservations still in flight, which the
        # limiter can only date by their lease (minutes): they settle when their calls end,
        # so look again soon rather than parking these deliveries for the lease.
        raise _Rest(min(max(wait, 1.0), defaults.MAX_RATE_REST_SECONDS))
