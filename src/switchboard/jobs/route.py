"""The route job: stored events → delivery rows (one per connected destination), then
deliver jobs for the ones to send. Safe to run twice: rows are unique per (event,
destination) and an event is routed once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from switchboard.deliveries import store as deliveries_store
from switchboard.deliveries.status import Status
from switchboard.destinations.models import Connection as SourceLink
from switchboard.destinations.models import Destination
from switchboard.events import store as events_store
from switchboard.jobs import defaults
from switchboard.jobs.context import JobContext
from switchboard.routing.plan import Filters, Target, plan
from switchboard.schema import store as schema_store


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


def route_events(ctx: JobContext, event_ids: Sequence[int]) -> int:
    """Route the unrouted events among `event_ids`; return how many deliveries were queued."""
    now = datetime.now(UTC)
    pending_by_destination: dict[int, list[int]] = defaultdict(list)
    with ctx.engine.begin() as conn:
        events = events_store.queued_events(conn, event_ids)
        if not events:
            return 0
        targets = _targets(conn, ctx, {e.source_id for e in events})
        claim_by = now + timedelta(seconds=ctx.timing.requeue_after)
        rows: list[dict[str, Any]] = []
        for event in events:
            for decision in plan(event.payload, targets.get(event.source_id, [])):
                rows.append(
                    {
                        "event_id": event.id,
                        "destination_id": decision.destination_id,
                        "status": decision.status,
                        "reason": decision.reason,
                        "options": decision.options,
                        # A pending row not claimed by then is enqueued again.
                        "next_attempt_at": claim_by if decision.status == Status.PENDING else None,
                    }
                )
        created = deliveries_store.insert_deliveries(conn, rows, now)
        # Schema rollups: the batch's counts, one upsert per table (before the dequeue, which
        # decides that this job is the one that counts these events; see schema/store.py).
        schema_store.record_routed(conn, events)
        events_store.dequeue(conn, [e.id for e in events])
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
