"""/api/v1/sources/{id}/schema: a source's events, volume and property presence.

Served from the schema rollups (`schema/service.py`), never by scanning events.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from switchboard.admin.deps import AdminDep
from switchboard.schema import service
from switchboard.schema.schemas import EventDetail, EventList, SchemaOverview, SourceVolume
from switchboard.sources.models import Source
from switchboard.web.deps import SessionDep

router = APIRouter(prefix="/sources/{source_id}/schema", tags=["schema"], dependencies=[AdminDep])

Days = Annotated[
    int,
    Query(
        ge=1,
        le=service.MAX_DAYS,
        description="the last N days, today (UTC) included",
    ),
]


def _exists(session: SessionDep, source_id: int) -> None:
    if session.get(Source, source_id) is None:
        raise HTTPException(status_code=404, detail=f"source {source_id} not found")


@router.get("")
def read_schema(source_id: int, session: SessionDep, days: Days = 7) -> SchemaOverview:
    """Daily volume, and every event with its calls, daily calls and property presence."""
    _exists(session, source_id)
    return service.overview(session, source_id, days)


@router.get("/volume")
def read_volume(source_id: int, session: SessionDep, days: Days = 7) -> SourceVolume:
    """Calls per day, every day of the range listed."""
    _exists(session, source_id)
    return service.source_volume(session, source_id, days)


@router.get("/events")
def list_schema_events(source_id: int, session: SessionDep, days: Days = 7) -> EventList:
    """The events with calls in the range, most calls first."""
    _exists(session, source_id)
    return service.events(session, source_id, days)


@router.get("/events/{event_key:path}")
def read_schema_event(
    source_id: int, event_key: str, session: SessionDep, days: Days = 7
) -> EventDetail:
    """One event (`track:<name>` or a call type, URL-encoded) with its daily calls and
    property presence; 404 when it had no calls in the range."""
    _exists(session, source_id)
    found = service.event_detail(session, source_id, event_key, days)
    if found is None:
        raise HTTPException(
            status_code=404,
            detail=f"event {event_key!r} has no calls in the last {days} days of source "
            f"{source_id}",
        )
    return found
