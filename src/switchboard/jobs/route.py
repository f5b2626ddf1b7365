"""The route job: stored events → delivery rows (one per connected destination, or per
matching mapping of a kit destination), then deliver jobs for the ones to send. Safe to run
twice: rows are unique per (event, destination, mapping) and an event is routed once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from switchboard.deliveries import store as deliveries_store
from switchboard.deliveries.status import Status
from switchboard.destinations.adopt import adopt_all
from switchboard.destinations.models import Connection as SourceLink
from switchboard.destinations.models import Destination, DestinationMapping
from switchboard.events import store as events_store
from switchboard.integrations.kit.adapter import KitAdapter
from switchboard.integrations.kit.triggers import TriggerSyntaxError, parse_trigger
from switchboard.jobs import defaults
from switchboard.jobs.context import JobContext
from switchboard.routing.plan import Filters, MappingTarget, Target, plan
from switchboard.schema import store as schema_store


def _targets(conn: Connection, ctx: JobContext, source_ids: set[int]) -> dict[int, list[Target]]:
    rows = conn.execute(
        select(SourceLink.source_id, Destination)
        .join(Destination, Destination.id == SourceLink.destination_id)
        .where(SourceLink.source_id.in_(source_ids), Destination.enabled.is_(True))
        .order_by(Destination.id)
    ).all()
    kit = {r.id for r in rows if isinstance(ctx.adapters.get(r.type), KitAdapter)}
    mappings = _mappings(conn, kit)
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
                mappings=tuple(mappings.get(row.id, ())) if row.id in kit else None,
            )
        )
    return targets


def _mappings(conn: Connection, destination_ids: set[int]) -> dict[int, list[MappingTarget]]:
    """The enabled mappings of `destination_ids`, in order, with their triggers parsed. A
    trigger that no longer parses (saved by hand in the database) matches nothing."""
    if not destination_ids:
        return {}
    found: dict[int, list[MappingTarget]] = defaultdict(list)
    rows = conn.execute(
        select(
            DestinationMapping.id,
            DestinationMapping.destination_id,
            DestinationMapping.name,
            DestinationMapping.trigger,
        )
        .where(
            DestinationMapping.destination_id.in_(destination_ids),
            DestinationMapping.enabled.is_(True),
        )
        .order_by(DestinationMapping.position, DestinationMapping.id)
    )
    for row in rows:
        try:
            trigger = parse_trigger(row.trigger)
        except TriggerSyntaxError:
            continue
        found[row.destination_id].append(MappingTarget(row.id, row.name, trigger))
    return found


def _adopt_pending(ctx: JobContext) -> None:
    """Make the mappings of kit destinations stored before the kit (destinations/adopt.py)
    before any event is routed to them: those `switchboard migrate` could not adopt (a
    plugin installed since). One query when there are none."""
    with ctx.sessions() as session:
        adopted = adopt_all(session, ctx.box, ctx.adapters)
        if adopted:
            session.commit()


def route_events(ctx: JobContext, event_ids: Sequence[int]) -> int:
    """Route the unrouted events among `event_ids`; return how many deliveries were queued."""
    now = datetime.now(UTC)
    pending_by_destination: dict[int, list[int]] = defaultdict(list)
    _adopt_pending(ctx)
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
                        "mapping_id": decision.mapping_id,
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
