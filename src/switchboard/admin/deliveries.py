"""/api/v1/deliveries: every routing decision and delivery, filterable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from switchboard.admin.deps import AdminDep, SessionDep
from switchboard.deliveries import service
from switchboard.deliveries.models import Status
from switchboard.deliveries.schemas import DeliveryOut, DeliveryPage

router = APIRouter(tags=["deliveries"], dependencies=[AdminDep])


@router.get("/deliveries")
def list_deliveries(
    session: SessionDep,
    destination_id: int | None = None,
    status: str | None = None,
    event_id: int | None = None,
    after_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> DeliveryPage:
    if status is not None and status not in Status.ALL:
        raise HTTPException(
            status_code=400, detail=f"status must be one of {', '.join(Status.ALL)}"
        )
    rows, cursor = service.list_deliveries(
        session,
        destination_id=destination_id,
        status=status,
        event_id=event_id,
        after_id=after_id,
        limit=limit,
    )
    return DeliveryPage(data=[DeliveryOut.of(d) for d in rows], next_after_id=cursor)
