"""/api/v1/destination-types and /api/v1/destinations (CRUD, replay, delivery stats)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Response

from switchboard.admin.deps import AdminDep
from switchboard.deliveries import service as deliveries
from switchboard.deliveries.status import Status
from switchboard.destinations.crypto import SecretKeyMissing
from switchboard.destinations.mappings import ref
from switchboard.destinations.models import Destination
from switchboard.destinations.schemas import (
    DestinationCreate,
    DestinationOut,
    DestinationUpdate,
    ReplayIn,
    ReplayOut,
    TestIn,
)
from switchboard.destinations.service import DestinationError, DestinationInput, DestinationService
from switchboard.integrations.base import SendContext
from switchboard.integrations.kit.adapter import KitAdapter
from switchboard.integrations.kit.errors import KitError
from switchboard.integrations.registry import describe
from switchboard.jobs import defaults
from switchboard.jobs.tester import run_test
from switchboard.web.deps import DestinationsDep, JobsDep, SessionDep

router = APIRouter(tags=["destinations"], dependencies=[AdminDep])


def _out(service: DestinationService, d: Destination) -> DestinationOut:
    adapter = service.adapters.get(d.type)
    try:
        masked = service.masked_settings(d)
    except (DestinationError, SecretKeyMissing):
        masked = {}  # adapter missing or key changed: show the rest, never the secrets
    return DestinationOut.of(d, adapter.display_name if adapter else d.type, masked)


def _found(service: DestinationService, destination_id: int) -> Destination:
    destination = service.get(destination_id)
    if destination is None:
        raise HTTPException(status_code=404, detail=f"destination {destination_id} not found")
    return destination


def _fail(exc: Exception) -> HTTPException:
    if isinstance(exc, DestinationError):
        detail: Any = {"message": str(exc), "errors": exc.errors} if exc.errors else str(exc)
        return HTTPException(status_code=exc.status, detail=detail)
    return HTTPException(status_code=400, detail=str(exc))


@router.get("/destination-types")
def destination_types(jobs: JobsDep) -> list[dict[str, Any]]:
    return [describe(a) for a in sorted(jobs.adapters.values(), key=lambda a: a.type)]


@router.post("/destinations", status_code=201)
def create_destination(
    body: DestinationCreate, service: DestinationsDep, session: SessionDep
) -> DestinationOut:
    try:
        destination = service.create(
            DestinationInput(
                name=body.name,
                type=body.type,
                settings=body.settings,
                source_ids=body.source_ids,
                enabled=body.enabled,
                filters=body.filters.model_dump() if body.filters else None,
                retry=body.retry.model_dump(exclude_none=True) if body.retry else None,
                rate_limit_per_second=body.rate_limit_per_second,
                max_concurrency=body.max_concurrency,
            )
        )
    except (DestinationError, SecretKeyMissing) as exc:
        raise _fail(exc) from None
    session.commit()
    return _out(service, destination)


@router.get("/destinations")
def list_destinations(service: DestinationsDep) -> list[DestinationOut]:
    return [_out(service, d) for d in service.all()]


@router.get("/destinations/{destination_id}")
def read_destination(destination_id: int, service: DestinationsDep) -> DestinationOut:
    return _out(service, _found(service, destination_id))


@router.patch("/destinations/{destination_id}")
def update_destination(
    destination_id: int, body: DestinationUpdate, service: DestinationsDep, session: SessionDep
) -> DestinationOut:
    destination = _found(service, destination_id)
    given = body.model_fields_set
    try:
        service.update(
            destination,
            DestinationInput(
                name=body.name,
                settings=body.settings,
                source_ids=body.source_ids,
                enabled=body.enabled,
                filters=body.filters.model_dump() if body.filters else None,
                retry=body.retry.model_dump(exclude_none=True) if body.retry else None,
                rate_limit_per_second=body.rate_limit_per_second,
                max_concurrency=body.max_concurrency,
                clear=frozenset(
                    f
                    for f in ("retry", "rate_limit_per_second", "max_concurrency")
                    if f in given and getattr(body, f) is None
                ),
            ),
        )
    except (DestinationError, SecretKeyMissing) as exc:
        raise _fail(exc) from None
    session.commit()
    return _out(service, destination)


@router.delete("/destinations/{destination_id}", status_code=204)
def delete_destination(
    destination_id: int, service: DestinationsDep, session: SessionDep
) -> Response:
    service.delete(_found(service, destination_id))
    session.commit()
    return Response(status_code=204)


@router.post("/destinations/{destination_id}/test")
def test_destination(
    destination_id: int, body: TestIn, service: DestinationsDep, jobs: JobsDep
) -> dict[str, Any]:
    """Send one event through the destination's real adapter, now, and show everything:
    the outcome and every HTTP exchange in order. Nothing is stored, no delivery is made."""
    destination = _found(service, destination_id)
    try:
        adapter = service.adapter(destination.type)
        settings = service.settings_of(destination)
    except (DestinationError, SecretKeyMissing) as exc:
        raise _fail(exc) from None
    enabled = [row for row in destination.mappings if row.enabled]
    return run_test(
        adapter,
        settings,
        destination.name,
        body.event,
        SendContext(http=jobs.http),
        jobs.policy.with_overrides(destination.retry),
        mappings=[ref(row) for row in enabled],
        triggers={row.id: row.trigger for row in enabled},
    )


@router.post("/destinations/{destination_id}/replay")
def replay(
    destination_id: int,
    service: DestinationsDep,
    session: SessionDep,
    jobs: JobsDep,
    body: ReplayIn | None = None,
) -> ReplayOut:
    body = body or ReplayIn()
    if body.status not in (Status.FAILED, "all"):
        raise HTTPException(status_code=400, detail="status must be 'failed' or 'all'")
    _found(service, destination_id)
    ids = deliveries.replay(
        session,
        destination_id,
        status=body.status,
        since=body.since,
        until=body.until,
        requeue_after=jobs.timing.requeue_after,
    )
    session.commit()
    queue = jobs.queue
    for start in range(0, len(ids), defaults.DELIVER_BATCH):
        queue.enqueue_deliver(destination_id, ids[start : start + defaults.DELIVER_BATCH])
    return ReplayOut(queued=len(ids))


@router.get("/destinations/{destination_id}/delivery-stats")
def delivery_stats(
    destination_id: int,
    service: DestinationsDep,
    session: SessionDep,
    since: datetime | None = None,
) -> dict[str, Any]:
    _found(service, destination_id)
    if since is None:
        since = datetime.now(UTC) - timedelta(hours=24)
    elif since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return deliveries.delivery_stats(session, destination_id, since)


@router.post("/destinations/{destination_id}/test-connection")
def test_connection(destination_id: int, service: DestinationsDep, jobs: JobsDep) -> dict[str, Any]:
    """Check the stored settings against the vendor (the destination type's connection test,
    for instance GA4's validation server): `{"ok": true}`, or `{"ok": false, "code", "reason"}`
    with the kit's outcome, secrets hidden, and every exchange. Nothing is stored."""
    destination = _found(service, destination_id)
    try:
        adapter = service.adapter(destination.type)
        settings = service.settings_of(destination)
    except (DestinationError, SecretKeyMissing) as exc:
        raise _fail(exc) from None
    if not isinstance(adapter, KitAdapter) or adapter.destination.test_connection is None:
        raise HTTPException(
            status_code=400,
            detail=f"{adapter.display_name} destinations have no connection test",
        )
    ctx = adapter.context(settings, jobs.http)
    answer: dict[str, Any] = {"ok": True}
    try:
        adapter.destination.test_connection(ctx, settings)
    except KitError as exc:
        outcome = exc.outcome
        answer = {"ok": False, "code": outcome.code, "reason": outcome.reason}
    answer["exchanges"] = [e.as_dict() for e in ctx.take_exchanges()]
    return answer
