"""The route job: stored events → delivery rows (one per connected destination), then
deliver jobs for the ones to send. Safe to run twice: rows are unique per (event,
destination) and an event is routed once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from switchboard.deliveries.models import Delivery
from switchboard.deliveries.status import Status
from switchboard.destinations.models import Connection as SourceLink
from switchboard.destinations.models import Destination
from switchboard.events.models import Event, RouteQueue
from switchboard.jobs import defaults
from switchboard.jobs.context import JobContext
from switchboard.routing.plan import Filters, Target, plan
from switchboard.schema.rollups import record_routed


def _targets(conn: Connection, ctx: JobContext, source_ids: set[int]) -> dict[int, list[Target]]:
    rows = conn.execute(
        select(SourceLink.source_id, Destination)
        .join(Destination, Destination.id == SourceLink.destination_id)
        .where(SourceLink.source_id.in_(source_ids), Destination.enabled.is_(True))
        .order_by(Destination.id)
    )
    targets: dict[int, list[Target]] = defaultdict(list)
    for row in rows:
        adapter = ctx.adapters.get(row.type)
        targets[row.source_id].append(
            Target(
                id=row.id,
                name=row.name,
                display_name=adapter.display_name if adapter else row.type,
                # An adapter whose plugin is missing still gets its rows; the deliver job
                # keeps them retrying until the plugin is back.
                supported_calls=adapter.supported_calls
                if adapter
                else frozenset({"identify", "track", "page", "screen", "group", "alias"}),
                filters=Filters.from_dict(row.filters),
            )
        )
    return targets


# One statement per batch on Postgres, whatever its size: arrays in (bound in binary), unnest,
# skip existing rows. A multi-row VALUES built per call cost most of a worker's CPU (compiling
# and parsing thousands of placeholders), measured by bench/e2e.
_PG_INSERT_DELIVERIES = (
    "INSERT INTO deliveries (event_id, destination_id, status, reason, options, attempts, "
    "next_attempt_at, created_at, updated_at) "
    "SELECT e, d, s, r, o::jsonb, 0, n, %b, %b FROM unnest("
    "%b::bigint[], %b::int[], %b::text[], %b::text[], %b::text[], %b::timestamptz[]"
    ") AS x(e, d, s, r, o, n) "
    "ON CONFLICT (event_id, destination_id) DO NOTHING "
    "RETURNING id, destination_id, status"
)


def _insert_deliveries_postgres(
    conn: Connection, rows: list[dict[str, Any]], now: datetime
) -> list[tuple[int, int, str]]:
    params = (
        now,
        now,
        [r["event_id"] for r in rows],
        [r["destination_id"] for r in rows],
        [r["status"] for r in rows],
        [r["reason"] for r in rows],
        [None if r["options"] is None else orjson.dumps(r["options"]).decode() for r in rows],
        [r["next_attempt_at"] for r in rows],
    )
    with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(_PG_INSERT_DELIVERIES, params)
        return [(int(i), int(d), str(s)) for i, d, s in cursor.fetchall()]


def _insert_deliveries(
    conn: Connection, rows: list[dict[str, Any]], now: datetime
) -> list[tuple[int, int, str]]:
    """Insert, skipping rows that exist; return (id, destination_id, status) of new ones."""
    if conn.dialect.name == "postgresql":
        return _insert_deliveries_postgres(conn, rows, now)
    statement = sqlite_insert(Delivery).on_conflict_do_nothing(
        index_elements=["event_id", "destination_id"]
    )
    created: list[tuple[int, int, str]] = []
    for start in range(0, len(rows), 1000):
        result = conn.execute(
            statement.values(rows[start : start + 1000]).returning(
                Delivery.id, Delivery.destination_id, Delivery.status
            )
        )
        created.extend((r.id, r.destination_id, r.status) for r in result)
    return created


# The route job's read and its `route_queue` delete bind the ids as one array on Postgres: one
# statement text whatever the batch, where `IN (…)` renders and parses a placeholder per id.
_PG_QUEUED_EVENTS = (
    "SELECT e.id, e.source_id, e.payload FROM route_queue AS q JOIN events AS e ON e.id = "
    "q.event_id WHERE q.event_id = ANY(%b::bigint[])"
)
_PG_DEQUEUE = "DELETE FROM route_queue WHERE event_id = ANY(%b::bigint[])"


class _Queued(NamedTuple):
    id: int
    source_id: int
    payload: dict[str, Any]


def _queued_events(conn: Connection, event_ids: Sequence[int]) -> list[_Queued]:
    """The events among `event_ids` still waiting in `route_queue`."""
    if conn.dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(_PG_QUEUED_EVENTS, (list(event_ids),))
            return [_Queued(*row) for row in cursor.fetchall()]
    rows = conn.execute(
        select(Event.id, Event.source_id, Event.payload)
        .join(RouteQueue, RouteQueue.event_id == Event.id)
        .where(RouteQueue.event_id.in_(list(event_ids)))
    )
    return [_Queued(r.id, r.source_id, r.payload) for r in rows]


def _dequeue(conn: Connection, event_ids: list[int]) -> None:
    if conn.dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(_PG_DEQUEUE, (event_ids,))
        return
    conn.execute(delete(RouteQueue).where(RouteQueue.event_id.in_(event_ids)))


def route_events(ctx: JobContext, event_ids: Sequence[int]) -> int:
    """Route the unrouted events among `event_ids`; return how many deliveries were queued."""
    now = datetime.now(UTC)
    pending_by_destination: dict[int, list[int]] = defaultdict(list)
    with ctx.engine.begin() as conn:
        events = _queued_events(conn, event_ids)
        if not events:
            return 0
        targets = _targets(conn, ctx, {e.source_id for e in events})
        claim_by = now + timedelta(seconds=ctx.timing.requeue_after)
        rows = []
        for event in events:
            for decision in plan(event.payload, targets.get(event.source_id, [])):
                rows.append(
                    {
                        "event_id": event.id,
                        "destination_id": decision.destination_id,
                        "status": decision.status,
                        "reason": decision.reason,
                        "options": decision.options,
                        "attempts": 0,
                        # A pending row not claimed by then is enqueued again.
                        "next_attempt_at": claim_by if decision.status == Status.PENDING else None,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        created = _insert_deliveries(conn, rows, now) if rows else []
        # Schema rollups: the batch's counts, one upsert per table (before the dequeue, which
        # decides that this job is the one that counts these events; see schema/rollups.py).
        record_routed(conn, events)
        _dequeue(conn, [e.id for e in events])
    for delivery_id, destination_id, status in created:
        if status == Status.PENDING:
            pending_by_destination[destination_id].append(delivery_id)
    queued = 0
    for destination_id, ids in pending_by_destination.items():
        for start in range(0, len(ids), defaults.DELIVER_BATCH):
            chunk = ids[start : start + defaults.DELIVER_BATCH]
            ctx.queue.enqueue_deliver(destination_id, chunk)
            queued += len(chunk)
    return queued
