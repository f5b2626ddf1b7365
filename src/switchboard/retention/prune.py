"""Delete old events and attempts in small batches, oldest first, never blocking ingestion.

Each batch is one short transaction that deletes at most `batch` rows by primary key, so row
locks are held for milliseconds and an ingest commit never waits long behind a prune (on
SQLite, which has one writer, the batches take turns with the ingest writers). Rows are
walked in id order: ids grow with arrival time, so the walk stops at the first row that is
young enough to keep, and pruning never scans the table or needs an index on the time
column (one more index would cost every ingest insert).

- Events go with their deliveries and attempts (foreign keys cascade), except events that
  still have a delivery open (pending or retrying): those stay until it finishes.
- Attempts (the recorded HTTP exchanges, the bulk of the data) can be kept for less time
  than their events; the deliveries themselves keep their final status.
- Rejected events follow the events' age.

Why not daily partitions of `events`, which would make pruning a DROP: deduplication relies
on a unique index over (source_id, message_id), and on a partitioned table a unique index
must include the partition key, so a retry reaching the server on another day would be
stored twice. See docs/deploy.md.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, Engine, exists, literal, select

from switchboard.deliveries import store as deliveries_store
from switchboard.deliveries.models import Attempt, Delivery
from switchboard.deliveries.status import OPEN
from switchboard.events import store as events_store
from switchboard.events.models import Event, RejectedEvent

#: Deletes a batch of rows by id, in the caller's transaction (a store's function).
Delete = Callable[[Connection, list[int]], None]

#: Pause between two batches (seconds): lets waiting writers (SQLite's single writer above
#: all) in, and keeps a long prune to a fraction of the database's time.
BATCH_PAUSE_SECONDS: Final = 0.02
#: Rows deleted per transaction, unless the `prune_batch_size` setting says otherwise.
PRUNE_BATCH: Final = 1000


@dataclass
class Pruned:
    """How many rows one pass deleted (cascaded deliveries and attempts not counted)."""

    events: int = 0
    rejected_events: int = 0
    attempts: int = 0
    #: False when the pass stopped early (time budget or shutdown); the next pass goes on.
    complete: bool = True


def days(value: float) -> timedelta | None:
    """A retention setting in days as an age; 0 means keep forever (None)."""
    return timedelta(days=value) if value > 0 else None


def prune(
    engine: Engine,
    *,
    event_age: timedelta | None,
    attempt_age: timedelta | None,
    batch: int = PRUNE_BATCH,
    budget_seconds: float | None = None,
    stopping: threading.Event | None = None,
    now: datetime | None = None,
) -> Pruned:
    """Delete what is older than the ages (None: keep), `batch` rows per transaction.

    Stops early, with `complete` false, after `budget_seconds` or once `stopping` is set.
    """
    now = now or datetime.now(UTC)
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    result = Pruned()

    def go_on() -> bool:
        if (stopping is not None and stopping.is_set()) or (
            deadline is not None and time.monotonic() > deadline
        ):
            result.complete = False
            return False
        return True

    if attempt_age is not None:
        result.attempts = _walk(
            engine,
            deliveries_store.delete_attempts,
            Attempt.id,
            Attempt.created_at,
            now - attempt_age,
            batch,
            go_on,
        )
    if event_age is not None:
        cutoff = now - event_age
        result.rejected_events = _walk(
            engine,
            events_store.delete_rejected,
            RejectedEvent.id,
            RejectedEvent.received_at,
            cutoff,
            batch,
            go_on,
        )
        busy = exists().where(Delivery.event_id == Event.id, Delivery.status.in_(OPEN))
        result.events = _walk(
            engine,
            events_store.delete_events,
            Event.id,
            Event.received_at,
            cutoff,
            batch,
            go_on,
            busy,
        )
    return result


def _walk(
    engine: Engine,
    delete: Delete,
    id_column: Any,
    time_column: Any,
    cutoff: datetime,
    batch: int,
    go_on: Callable[[], bool],
    keep: ColumnElement[bool] | None = None,
) -> int:
    deleted = 0
    after = 0
    while go_on():
        with engine.begin() as conn:
            rows = conn.execute(
                select(id_column, time_column, keep if keep is not None else literal(False))
                .where(id_column > after)
                .order_by(id_column)
                .limit(batch)
            ).all()
            if not rows:
                return deleted
            old = [row[0] for row in rows if row[1] < cutoff and not row[2]]
            if old:
                delete(conn, old)
                deleted += len(old)
        if any(row[1] >= cutoff for row in rows):
            return deleted  # ids grow with time: everything after this row is younger
        after = rows[-1][0]
        time.sleep(BATCH_PAUSE_SECONDS)
    return deleted
