"""/api/v1/events and /api/v1/rejected-events: what the tracking API stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from switchboard.admin.deps import AdminDep
from switchboard.deliveries.schemas import DeliveryOut
from switchboard.deliveries.service import deliveries_of_event
from switchboard.events import service
from switchboard.events.schemas import (
    EventDetail,
    EventOut,
    EventPage,
    RejectedEventOut,
    RejectedEventPage,
)
from switchboard.spec.calls import CALL_TYPES
from switchboard.web.deps import SessionDep

router = APIRouter(tags=["events"], dependencies=[AdminDep])

Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]


@router.get("/events")
def list_events(
    session: SessionDep,
    source_id: int | None = None,
    type: str | None = None,
    event: str | None = None,
    user_id: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    after_id: int | None = None,
    limit: Limit = 50,
) -> EventPage:
    """Stored events, newest first. `user_id` matches userId or anonymousId; pass the
    returned `next_after_id` as `after_id` for the next page."""
    if type is not None and type not in CALL_TYPES:
        raise HTTPException(status_code=400, detail=f"type must be one of {', '.join(CALL_TYPES)}")
    f = service.EventFilter(source_id=source_id, type=type, event=event, user_id=user_id, q=q)
    rows, cursor = service.list_events(session, f, after_id=after_id, limit=limit)
    return EventPage(data=[EventOut.of(r) for r in rows], next_after_id=cursor)


@router.get("/events/{event_id}")
def read_event(event_id: int, session: SessionDep) -> EventDetail:
    """The stored event with each destination's delivery and every attempt at it."""
    row = service.get_event(session, event_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"event {event_id} not found")
    found = deliveries_of_event(session, event_id)
    return EventDetail(
        **EventOut.of(row).model_dump(),
        deliveries=[DeliveryOut.of(d, attempts) for d, attempts in found],
    )


@router.get("/rejected-events")
def list_rejected(
    session: SessionDep,
    source_id: int | None = None,
    after_id: int | None = None,
    limit: Limit = 50,
) -> RejectedEventPage:
    rows, cursor = service.list_rejected(
        session, source_id=source_id, after_id=after_id, limit=limit
    )
    return RejectedEventPage(data=[RejectedEventOut.of(r) for r in rows], next_after_id=cursor)
