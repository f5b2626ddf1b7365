"""/api/v1/deliveries: every routing decision and delivery, filterable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from switchboard.admin.deps import AdminDep
from switchboard.deliveries import insights, service
from switchboard.deliveries.schemas import (
    MAX_EXAMPLES,
    DeliveryOut,
    DeliveryPage,
    Insights,
    Issues,
    Summary,
    Trends,
)
from switchboard.deliveries.status import ALL
from switchboard.deliveries.windows import WINDOWS, Window, parse_window
from switchboard.destinations.models import Destination
from switchboard.web.deps import SessionDep

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
    if status is not None and status not in ALL:
        raise HTTPException(status_code=400, detail=f"status must be one of {', '.join(ALL)}")
    rows, cursor = service.list_deliveries(
        session,
        destination_id=destination_id,
        status=status,
        event_id=event_id,
        after_id=after_id,
        limit=limit,
    )
    return DeliveryPage(data=[DeliveryOut.of(d) for d in rows], next_after_id=cursor)


# Event delivery per destination (deliveries/insights.py), read from the delivery rollups.

WindowParam = Annotated[str, Query(description=f"one of {', '.join(WINDOWS)}")]
Examples = Annotated[int, Query(ge=0, le=MAX_EXAMPLES, description="examples per issue")]


def _window(session: SessionDep, destination_id: int, window: str) -> Window:
    if session.get(Destination, destination_id) is None:
        raise HTTPException(status_code=404, detail=f"destination {destination_id} not found")
    try:
        return parse_window(window)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


@router.get("/destinations/{destination_id}/insights")
def read_insights(
    destination_id: int,
    session: SessionDep,
    window: WindowParam = "24h",
    examples: Examples = MAX_EXAMPLES,
) -> Insights:
    """Summary, trends and issues (with examples) of one window."""
    span = _window(session, destination_id, window)
    return insights.insights(session, destination_id, span, examples=examples)


@router.get("/destinations/{destination_id}/insights/summary")
def read_insights_summary(
    destination_id: int, session: SessionDep, window: WindowParam = "24h"
) -> Summary:
    """Delivered, failed, retries, retrying, success rate, p50/p95 latency."""
    return insights.summary(session, destination_id, _window(session, destination_id, window))


@router.get("/destinations/{destination_id}/insights/trends")
def read_insights_trends(
    destination_id: int, session: SessionDep, window: WindowParam = "24h"
) -> Trends:
    """Outcomes and latency per time bucket, oldest first."""
    return insights.trends(session, destination_id, _window(session, destination_id, window))


@router.get("/destinations/{destination_id}/insights/issues")
def read_insights_issues(
    destination_id: int,
    session: SessionDep,
    window: WindowParam = "24h",
    examples: Examples = MAX_EXAMPLES,
) -> Issues:
    """Failures and retries grouped by error, most frequent first, with examples."""
    span = _window(session, destination_id, window)
    return insights.issues(session, destination_id, span, examples=examples)
