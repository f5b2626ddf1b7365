"""How a deliver job holds its deliveries while it sends them, and writes what happened.

Two stores, one per dialect, behind the same methods:

- `LockingStore` (Postgres): a chunk's deliveries are held by row locks
  (`SELECT … FOR UPDATE SKIP LOCKED`) for the one transaction that claims them, sends them and
  records their outcomes. The lock is the lease: the scheduler and any other job skip locked
  rows, and when a worker dies its connection closes and the locks go with it. Each delivery is
  then written once (its outcome) instead of twice (a lease, then the outcome): measured in
  bench/e2e, the lease update was half of all `deliveries` updates.
- `LeasingStore` (SQLite): SQLite has one writer for the whole database, so a transaction
  held across HTTP calls would stall ingestion. A chunk is leased with a short `UPDATE` of
  `lease_until` instead, and the outcome is written in a second short transaction.

Id lists are bound as one array on Postgres (`= ANY(%b)`): one statement text whatever the
batch, not a new `IN (…)` with a placeholder per id to compile and parse on every call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, Engine, bindparam, insert, or_, select, update

from switchboard.deliveries.models import Attempt, Delivery
from switchboard.deliveries.rollups import RollupKey
from switchboard.deliveries.rollups import write as write_rollups
from switchboard.deliveries.status import OPEN
from switchboard.events.models import Event


@dataclass(frozen=True)
class Claimed:
    """A delivery this job holds, with what sending it needs."""

    id: int
    attempts: int
    options: dict[str, Any]
    payload: dict[str, Any]
    #: When the retry window started: the event's arrival, or a replay's start.
    since: datetime


class Store(Protocol):
    def chunk(self) -> AbstractContextManager[object]:
        """The scope of one chunk: claim, send and record happen inside it."""
        ...

    def claim(self, delivery_ids: Sequence[int], now: datetime) -> list[Claimed]:
        """Hold the open, unheld deliveries among `delivery_ids`; return them by id."""
        ...

    def record(
        self,
        changes: list[dict[str, Any]],
        attempts: list[dict[str, Any]],
        rollups: Counter[RollupKey],
    ) -> None:
        """Write outcomes (and release the deliveries), their attempts rows and the
        event-delivery rollups, in one transaction."""
        ...

    def postpone(self, delivery_ids: Sequence[int], until: datetime, reason: str | None) -> None:
        """Release held deliveries unsent, due again at `until`."""
        ...

    def finish(self, delivery_ids: Sequence[int], status: str, reason: str) -> None:
        """Release held deliveries unsent, with a final status."""
        ...


def open_store(conn: Connection, engine: Engine, lease_seconds: float) -> Store:
    """The store for `engine`'s dialect; `conn` is the job's own connection."""
    if engine.dialect.name == "postgresql":
        return LockingStore(conn)
    return LeasingStore(engine, lease_seconds)


_OPEN = list(OPEN)

_PG_CLAIM = (
    "SELECT d.id, d.attempts, d.options, coalesce(d.retry_since, e.received_at), e.payload "
    "FROM deliveries AS d JOIN events AS e ON e.id = d.event_id "
    "WHERE d.id = ANY(%b::bigint[]) AND d.status = ANY(%b::text[]) "
    "AND (d.lease_until IS NULL OR d.lease_until < %b) "
    "ORDER BY d.id FOR UPDATE OF d SKIP LOCKED"
)
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
_PG_POSTPONE = (
    "UPDATE deliveries SET lease_until = NULL, next_attempt_at = %b, "
    "reason = coalesce(%b, reason) WHERE id = ANY(%b::bigint[])"
)
_PG_FINISH = (
    "UPDATE deliveries SET status = %b, reason = %b, lease_until = NULL, updated_at = %b "
    "WHERE id = ANY(%b::bigint[])"
)


class LockingStore:
    """Postgres: row locks held for one chunk's transaction on the job's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def chunk(self) -> AbstractContextManager[object]:
        return self._conn.begin()

    def _execute(self, sql: str, params: Sequence[Any]) -> list[Any]:
        raw = self._conn.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def claim(self, delivery_ids: Sequence[int], now: datetime) -> list[Claimed]:
        rows = self._execute(_PG_CLAIM, (list(delivery_ids), _OPEN, now))
        return [
            Claimed(id=i, attempts=a, options=o or {}, payload=p, since=s) for i, a, o, s, p in rows
        ]

    def record(
        self,
        changes: list[dict[str, Any]],
        attempts: list[dict[str, Any]],
        rollups: Counter[RollupKey],
    ) -> None:
        # The rollup rows are shared by every job of the destination, but they are locked
        # only from here to the commit that ends this chunk, after its sends.
        write_rollups(self._conn, rollups)
        self._execute(
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
        self._execute(
            _PG_INSERT_ATTEMPTS,
            (
                [a["delivery_id"] for a in attempts],
                [a["created_at"] for a in attempts],
                [a["outcome"] for a in attempts],
                [a["code"] for a in attempts],
                [a["reason"] for a in attempts],
                [float(a["duration_ms"]) for a in attempts],
                [orjson.dumps(a["exchanges"]).decode() for a in attempts],
            ),
        )

    def postpone(self, delivery_ids: Sequence[int], until: datetime, reason: str | None) -> None:
        if delivery_ids:
            self._execute(_PG_POSTPONE, (until, reason, list(delivery_ids)))

    def finish(self, delivery_ids: Sequence[int], status: str, reason: str) -> None:
        if delivery_ids:
            self._execute(_PG_FINISH, (status, reason, datetime.now(UTC), list(delivery_ids)))


class LeasingStore:
    """SQLite: a lease written in a short transaction; every write its own transaction."""

    def __init__(self, engine: Engine, lease_seconds: float) -> None:
        self._engine = engine
        self._lease = lease_seconds

    def chunk(self) -> AbstractContextManager[object]:
        return nullcontext()

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
            )
            for r in rows
        ]

    def record(
        self,
        changes: list[dict[str, Any]],
        attempts: list[dict[str, Any]],
        rollups: Counter[RollupKey],
    ) -> None:
        with self._engine.begin() as conn:
            write_rollups(conn, rollups)
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
            conn.execute(insert(Attempt), attempts)

    def postpone(self, delivery_ids: Sequence[int], until: datetime, reason: str | None) -> None:
        if not delivery_ids:
            return
        values: dict[str, Any] = {"lease_until": None, "next_attempt_at": until}
        if reason is not None:
            values["reason"] = reason
        with self._engine.begin() as conn:
            conn.execute(update(Delivery).where(Delivery.id.in_(list(delivery_ids))).values(values))

    def finish(self, delivery_ids: Sequence[int], status: str, reason: str) -> None:
        if not delivery_ids:
            return
        with self._engine.begin() as conn:
            conn.execute(
                update(Delivery)
                .where(Delivery.id.in_(list(delivery_ids)))
                .values(
                    status=status, reason=reason, lease_until=None, updated_at=datetime.now(UTC)
                )
            )


@contextmanager
def job_connection(engine: Engine) -> Iterator[Connection]:
    """The deliver job's own connection (the locking store's transactions run on it)."""
    with engine.connect() as conn:
        yield conn
