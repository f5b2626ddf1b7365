"""The deliveries slice's writes: the one module that writes `deliveries`, `attempts` and
`delivery_rollups`.

The route job inserts deliveries (`insert_deliveries`), the scheduler hands the due ones out
(`hand_out_due`), a replay opens finished ones again (`reopen`), retention deletes old
attempts (`delete_attempts`). The deliver job holds its deliveries while it sends them and
writes what happened through a claim store, one per backend behind the same methods:

- `LockingStore` (Postgres): a chunk's deliveries are held by row locks
  (`SELECT … FOR UPDATE SKIP LOCKED`) for the one transaction that claims them, sends them and
  records their outcomes. The lock is the lease: the scheduler and any other job skip locked
  rows, and when a worker dies its connection closes and the locks go with it. Each delivery is
  then written once (its outcome) instead of twice (a lease, then the outcome): measured in
  bench/e2e, the lease update was half of all `deliveries` updates.
- `LeasingStore` (SQLite): SQLite has one writer for the whole database, so a transaction
  held across HTTP calls would stall ingestion. A chunk is leased with a short `UPDATE` of
  `lease_until` instead, and the outcome is written in a second short transaction.

`open_claims` picks one; the statements themselves are `db/bulk.py`'s (one statement per
chunk on Postgres, arrays bound in binary).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, Engine, and_, or_, select, update
from sqlalchemy.orm import Session

from switchboard.db import bulk
from switchboard.deliveries.models import Attempt, Delivery
from switchboard.deliveries.rollups import RollupKey, aggregate
from switchboard.deliveries.status import OPEN, Status
from switchboard.events.models import Event

#: The columns the route job gives each new delivery, and those that are the same for all.
_NEW_COLUMNS = (
    "event_id",
    "destination_id",
    "mapping_id",
    "status",
    "reason",
    "options",
    "next_attempt_at",
)
_NEW_SHARED = ("attempts", "created_at", "updated_at")
#: The columns the deliver job writes for each outcome (rows carry the delivery's `id`).
OUTCOME_COLUMNS = (
    "status",
    "attempts",
    "lease_until",
    "updated_at",
    "reason",
    "code",
    "next_attempt_at",
    "delivered_at",
)
_ATTEMPT_COLUMNS = (
    "delivery_id",
    "created_at",
    "outcome",
    "code",
    "reason",
    "duration_ms",
    "exchanges",
)


def insert_deliveries(
    conn: Connection, rows: Sequence[Mapping[str, Any]], now: datetime
) -> list[tuple[int, int, str]]:
    """Insert new deliveries, created `now` (mappings of `event_id`, `destination_id`,
    `mapping_id` (0 when absent), `status`, `reason`, `options`, a document, and
    `next_attempt_at`), skipping
    those that exist; return (id, destination_id, status) of the new ones."""
    statement = bulk.insert_statement(
        bulk.table(Delivery),
        columns=_NEW_COLUMNS,
        shared=_NEW_SHARED,
        on_conflict_do_nothing=("event_id", "destination_id", "mapping_id"),
        returning=("id", "destination_id", "status"),
    )
    shared = {"attempts": 0, "created_at": now, "updated_at": now}
    # A row without `mapping_id` is an adapter's without mappings: 0.
    rows = [row if "mapping_id" in row else {**row, "mapping_id": 0} for row in rows]
    inserted = bulk.insert(conn, statement, rows, shared)
    return [(int(i), int(d), str(s)) for i, d, s in inserted]


def due_condition(now: datetime) -> ColumnElement[bool]:
    """Deliveries the scheduler should hand to a deliver job now."""
    return and_(
        Delivery.status.in_(OPEN),
        Delivery.next_attempt_at <= now,
        or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
    )


def hand_out_due(
    conn: Connection, now: datetime, due_again: datetime, limit: int
) -> list[tuple[int, int]]:
    """(id, destination_id) of at most `limit` due deliveries, earliest first, now due
    again at `due_again` so the next scheduler pass does not hand them out while their job
    waits in the queue."""
    due_ids = (
        select(Delivery.id)
        .where(due_condition(now))
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
        # Rows a deliver job holds right now are skipped, not waited for: waiting is how the
        # scheduler and the jobs deadlocked under a backlog (bench/e2e).
        .with_for_update(skip_locked=True)
    )
    rows = conn.execute(
        update(Delivery)
        .where(Delivery.id.in_(due_ids.scalar_subquery()))
        .values(next_attempt_at=due_again)
        .returning(Delivery.id, Delivery.destination_id)
    )
    return [(row.id, row.destination_id) for row in rows]


def reopen(
    session: Session,
    destination_id: int,
    statuses: Sequence[str],
    *,
    created_since: datetime | None,
    created_until: datetime | None,
    due_at: datetime,
    now: datetime,
) -> list[int]:
    """Open again the destination's deliveries in `statuses` (created in the range), due at
    `due_at`; return their ids, sorted."""
    conditions = [Delivery.destination_id == destination_id, Delivery.status.in_(statuses)]
    if created_since is not None:
        conditions.append(Delivery.created_at >= created_since)
    if created_until is not None:
        conditions.append(Delivery.created_at < created_until)
    rows = session.execute(
        update(Delivery)
        .where(*conditions)
        .values(
            status=Status.PENDING,
            next_attempt_at=due_at,
            attempts=0,
            lease_until=None,
            reason="replayed",
            code=None,
            delivered_at=None,
            updated_at=now,
            # Give-up is measured from the replay, not from the original arrival, or an
            # event older than the give-up window could never be retried.
            retry_since=now,
        )
        .returning(Delivery.id)
    )
    return sorted(r.id for r in rows)


def delete_attempts(conn: Connection, attempt_ids: Sequence[int]) -> None:
    """Delete attempts rows (their deliveries keep their final status)."""
    bulk.delete_ids(conn, bulk.table(Attempt), attempt_ids)


_ROLLUP_UPSERT = (
    "INSERT INTO delivery_rollups AS t (destination_id, span, bucket, status, code, latency, "
    "total) SELECT d, s, b, st, c, l, n FROM x WHERE true "
    "ON CONFLICT (destination_id, span, bucket, status, code, latency) "
    "DO UPDATE SET total = t.total + excluded.total"
)
_ROLLUP_INPUT = (
    ("d", "int"),
    ("s", "int"),
    ("b", "bigint"),
    ("st", "text"),
    ("c", "text"),
    ("l", "int"),
    ("n", "bigint"),
)


def write_rollups(conn: Connection, rows: Counter[RollupKey]) -> None:
    """Add `rows` to `delivery_rollups` in one statement, in `conn`'s transaction, sorted
    by key so concurrent jobs lock them in one order."""
    ordered = [(*key, total) for key, total in sorted(rows.items())]
    bulk.run_rows(conn, bulk.rows_statement(_ROLLUP_UPSERT, _ROLLUP_INPUT), ordered)


def record_outcomes(
    conn: Connection,
    destination_id: int,
    changes: Sequence[Mapping[str, Any]],
    received: Mapping[int, datetime],
) -> None:
    """Add one chunk's outcomes to the rollups, in the deliver job's transaction."""
    write_rollups(conn, aggregate(destination_id, changes, received))


@dataclass(frozen=True)
class Claimed:
    """A delivery this job holds, with what sending it needs."""

    id: int
    attempts: int
    options: dict[str, Any]
    payload: dict[str, Any]
    #: When the retry window started: the event's arrival, or a replay's start.
    since: datetime
    mapping_id: int = 0


class ClaimStore(Protocol):
    def chunk(self) -> AbstractContextManager[object]:
        """The scope of one chunk: claim, send and record happen inside it."""
        ...

    def claim(self, delivery_ids: Sequence[int], now: datetime) -> list[Claimed]:
        """Hold the open, unheld deliveries among `delivery_ids`; return them by id."""
        ...

    def record(
        self,
        changes: Sequence[Mapping[str, Any]],
        attempts: Sequence[Mapping[str, Any]],
        rollups: Counter[RollupKey],
    ) -> None:
        """Write outcomes (`OUTCOME_COLUMNS` and the delivery's `id`; this releases the
        deliveries), their attempts rows (`exchanges` a document) and the event-delivery
        rollups, in one transaction."""
        ...

    def postpone(self, delivery_ids: Sequence[int], until: datetime, reason: str | None) -> None:
        """Release held deliveries unsent, due again at `until` (`reason` None keeps theirs)."""
        ...

    def finish(self, delivery_ids: Sequence[int], status: str, reason: str) -> None:
        """Release held deliveries unsent, with a final status."""
        ...


def open_claims(conn: Connection, engine: Engine, lease_seconds: float) -> ClaimStore:
    """The claim store for `engine`'s backend; `conn` is the job's own connection."""
    if bulk.is_postgres(engine):
        return LockingStore(conn)
    return LeasingStore(engine, lease_seconds)


class _Writes(ABC):
    """What both claim stores write the same way, each on the connection `_writing` gives."""

    @abstractmethod
    def _writing(self) -> AbstractContextManager[Connection]:
        """The connection a write runs on, in the transaction it belongs to."""

    def record(
        self,
        changes: Sequence[Mapping[str, Any]],
        attempts: Sequence[Mapping[str, Any]],
        rollups: Counter[RollupKey],
    ) -> None:
        with self._writing() as conn:
            # The rollup rows are shared by every job of the destination; on Postgres they
            # are locked only from here to the commit that ends this chunk, after its sends.
            write_rollups(conn, rollups)
            bulk.update(conn, bulk.table(Delivery), changes, key="id", columns=OUTCOME_COLUMNS)
            bulk.insert(conn, _attempts_insert(), attempts)

    def postpone(self, delivery_ids: Sequence[int], until: datetime, reason: str | None) -> None:
        if not delivery_ids:
            return
        with self._writing() as conn:
            bulk.update_ids(
                conn,
                bulk.table(Delivery),
                delivery_ids,
                {"lease_until": None, "next_attempt_at": until, "reason": reason},
                keep_if_null=("reason",),
            )

    def finish(self, delivery_ids: Sequence[int], status: str, reason: str) -> None:
        if not delivery_ids:
            return
        with self._writing() as conn:
            bulk.update_ids(
                conn,
                bulk.table(Delivery),
                delivery_ids,
                {
                    "status": status,
                    "reason": reason,
                    "lease_until": None,
                    "updated_at": datetime.now(UTC),
                },
            )


def _attempts_insert() -> bulk.BulkInsert:
    return bulk.insert_statement(bulk.table(Attempt), columns=_ATTEMPT_COLUMNS)


_OPEN = list(OPEN)

_PG_CLAIM = (
    "SELECT d.id, d.attempts, d.options, coalesce(d.retry_since, e.received_at), e.payload, "
    "d.mapping_id "
    "FROM deliveries AS d JOIN events AS e ON e.id = d.event_id "
    "WHERE d.id = ANY(%b::bigint[]) AND d.status = ANY(%b::text[]) "
    "AND (d.lease_until IS NULL OR d.lease_until < %b) "
    "ORDER BY d.id FOR UPDATE OF d SKIP LOCKED"
)


class LockingStore(_Writes):
    """Postgres: row locks held for one chunk's transaction on the job's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def chunk(self) -> AbstractContextManager[object]:
        return self._conn.begin()

    def _writing(self) -> AbstractContextManager[Connection]:
        return nullcontext(self._conn)

    def claim(self, delivery_ids: Sequence[int], now: datetime) -> list[Claimed]:
        rows = bulk.postgres_rows(self._conn, _PG_CLAIM, (list(delivery_ids), _OPEN, now))
        return [
            Claimed(id=i, attempts=a, options=o or {}, payload=p, since=s, mapping_id=m)
            for i, a, o, s, p, m in rows
        ]


class LeasingStore(_Writes):
    """SQLite: a lease written in a short transaction; every write its own transaction."""

    def __init__(self, engine: Engine, lease_seconds: float) -> None:
        self._engine = engine
        self._lease = lease_seconds

    def chunk(self) -> AbstractContextManager[object]:
        return nullcontext()

    def _writing(self) -> AbstractContextManager[Connection]:
        return self._engine.begin()

    def claim(self, delivery_ids: Sequence[int], now: datetime) -> list[Claimed]:
        with self._engine.begin() as conn:
            got = [
                r.id
                for r in conn.execute(
                    update(Delivery)
                    .where(
                        Delivery.id.in_(list(delivery_ids)),
                        Delivery.status.in_(OPEN),
                        or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
                    )
                    .values(lease_until=now + timedelta(seconds=self._lease))
                    .returning(Delivery.id)
                )
            ]
            if not got:
                return []
            rows = conn.execute(
                select(
                    Delivery.id,
                    Delivery.attempts,
                    Delivery.options,
                    Delivery.retry_since,
                    Event.payload,
                    Event.received_at,
                    Delivery.mapping_id,
                )
                .join(Event, Event.id == Delivery.event_id)
                .where(Delivery.id.in_(got))
                .order_by(Delivery.id)
            ).all()
        return [
            Claimed(
                id=r.id,
                attempts=r.attempts,
                options=r.options or {},
                payload=r.payload,
                since=r.retry_since or r.received_at,
                mapping_id=r.mapping_id,
            )
            for r in rows
        ]


@contextmanager
def job_connection(engine: Engine) -> Iterator[Connection]:
    """The deliver job's own connection (the locking store's transactions run on it)."""
    with engine.connect() as conn:
        yield conn
