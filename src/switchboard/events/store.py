"""The events slice's writes: the one module that writes `events`, `route_queue` and
`rejected_events`, and the search window its readers share.

An accepted event joins `route_queue` in the statement that stores it (a duplicate, skipped
by the `(source_id, message_id)` index, never does); the route job reads the queued events
and deletes their queue rows in its own transaction.

Rows to insert are objects with an attribute per column (ingest's `EventRow` and
`RejectedRow`), payloads as JSON text: see `db/bulk.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, NamedTuple

import psycopg
from sqlalchemy import Connection, Select, Subquery, bindparam, select, text
from sqlalchemy.orm import QueryableAttribute, Session

from switchboard.db import bulk
from switchboard.db.bulk import BulkInsert
from switchboard.events.models import Event, RejectedEvent, RouteQueue

#: The newest rows a free-text search reads (the admin API's `q`, the debugger's search), so
#: that no search reads the whole table.
SEARCH_WINDOW: Final = 5000


def _events_insert() -> BulkInsert:
    return bulk.insert_statement(
        bulk.table(Event),
        on_conflict_do_nothing=("source_id", "message_id"),
        returning=("id",),
        then=(bulk.table(RouteQueue), (("event_id", "id"), ("received_at", "received_at"))),
    )


def _rejected_insert() -> BulkInsert:
    return bulk.insert_statement(bulk.table(RejectedEvent))


def insert_events(conn: Connection, rows: Sequence[object]) -> list[int]:
    """Store `rows` and queue them for routing, skipping duplicates; return the new ids."""
    return [row[0] for row in bulk.insert(conn, _events_insert(), rows)]


async def insert_events_async(
    cursor: psycopg.AsyncCursor[Any], rows: Sequence[object]
) -> list[int]:
    """`insert_events` on an async psycopg cursor (Postgres)."""
    return [int(row[0]) for row in await bulk.insert_async(cursor, _events_insert(), rows)]


def insert_rejected(conn: Connection, rows: Sequence[object]) -> None:
    """Keep refused events with their reasons."""
    bulk.insert(conn, _rejected_insert(), rows)


async def insert_rejected_async(cursor: psycopg.AsyncCursor[Any], rows: Sequence[object]) -> None:
    """`insert_rejected` on an async psycopg cursor (Postgres)."""
    await bulk.insert_async(cursor, _rejected_insert(), rows)


class Queued(NamedTuple):
    """An event waiting to be routed."""

    id: int
    source_id: int
    payload: dict[str, Any]


# Bound as one array on Postgres: one statement text whatever the batch, where `IN (…)`
# renders and parses a placeholder per id.
_PG_QUEUED = (
    "SELECT e.id, e.source_id, e.payload FROM route_queue AS q JOIN events AS e ON e.id = "
    "q.event_id WHERE q.event_id = ANY(%b::bigint[])"
)


@functools.cache
def _queued() -> Select[Any]:
    return (
        select(Event.id, Event.source_id, Event.payload)
        .join(RouteQueue, RouteQueue.event_id == Event.id)
        .where(RouteQueue.event_id.in_(bindparam("ids", expanding=True)))
    )


def queued_events(conn: Connection, event_ids: Sequence[int]) -> list[Queued]:
    """The events among `event_ids` still waiting in `route_queue`."""
    return [Queued(*row) for row in bulk.select_ids(conn, _PG_QUEUED, _queued, event_ids)]


_PG_LOCK_QUEUED = "SELECT event_id FROM route_queue WHERE event_id = ANY(%b::bigint[]) FOR UPDATE"


@functools.cache
def _lock_queued() -> Select[Any]:
    return select(RouteQueue.event_id).where(
        RouteQueue.event_id.in_(bindparam("ids", expanding=True))
    )


def lock_queued(conn: Connection, event_ids: Sequence[int]) -> set[int]:
    """The events among `event_ids` still queued, their queue rows locked until commit.

    On Postgres a second job routing the same events at the same moment (the scheduler
    re-queues a slow job's events) waits here, then finds them gone. SQLite has one writer: a
    job whose read of the queue is stale fails on its first write and is run again.
    """
    return {
        int(row[0])
        for row in bulk.select_ids(conn, _PG_LOCK_QUEUED, _lock_queued, sorted(event_ids))
    }


def dequeue(conn: Connection, event_ids: Sequence[int]) -> None:
    """Take routed events off `route_queue`."""
    bulk.delete_ids(conn, bulk.table(RouteQueue), event_ids, key="event_id")


def unrouted(conn: Connection, received_before: datetime, limit: int) -> list[int]:
    """The oldest queued events that arrived before `received_before` (their route job was
    lost), at most `limit`."""
    return list(
        conn.scalars(
            select(RouteQueue.event_id)
            .where(RouteQueue.received_at < received_before)
            .order_by(RouteQueue.event_id)
            .limit(limit)
        )
    )


def delete_events(conn: Connection, event_ids: Sequence[int]) -> None:
    """Delete events (their deliveries and attempts go with them: the keys cascade)."""
    bulk.delete_ids(conn, bulk.table(Event), event_ids)


def delete_rejected(conn: Connection, rejected_ids: Sequence[int]) -> None:
    """Delete rejected events."""
    bulk.delete_ids(conn, bulk.table(RejectedEvent), rejected_ids)


def newest_window(statement: Select[Any], id_column: QueryableAttribute[int]) -> Subquery:
    """The newest `SEARCH_WINDOW` rows of `statement`, as a subquery a text filter then reads.

    The filter applies to the window's own rows: Postgres cannot push a filter below a LIMIT,
    so a search never becomes a scan of every row (joined back to `events` instead, at 100 K
    events the planner chose a parallel scan of the table: 200 ms against 10 ms at 1 M,
    bench/dashboard).
    """
    return statement.order_by(None).order_by(id_column.desc()).limit(SEARCH_WINDOW).subquery()


def plan_for_values(session: Session) -> None:
    """Plan this transaction's searches for their own values, not once for any value.

    psycopg prepares a statement run 5 times on a connection, and Postgres may then keep a
    generic plan, made without the searched value. For `event_name = $1` that plan expects
    one event in 20 (the table has about 20 names) and walks `events` backward by id; a
    value that is no event name, such as a userId, then reads every row of the table (730 ms
    at 1 M events in bench/dashboard). With the value known, each lookup uses its index.
    """
    if bulk.is_postgres(session.get_bind()):
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
