"""Schema: a source's daily volume and events, and per event its properties' presence.

Everything comes from the schema rollups through switchboard.schema.service.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from switchboard.dashboard.charts import Bar, bars, meter
from switchboard.dashboard.deps import PageNotFound, ViewerDep
from switchboard.dashboard.render import number, pages_of
from switchboard.dashboard.views.sources import source_or_404
from switchboard.schema import service
from switchboard.schema.schemas import DayCount
from switchboard.web.deps import SessionDep

router = APIRouter(include_in_schema=False)

RANGES: Final = (7, 30)
KIND_TITLES: Final = {
    "properties": "Properties",
    "traits": "Traits",
    "context.traits": "Traits in context",
}


def _days(value: str | None) -> int:
    return int(value) if value in ("7", "30") else 7


def _label(day: date, days: int) -> str:
    return day.strftime("%a %d") if days <= 7 else day.strftime("%d %b")


def volume_chart(daily: list[DayCount], days: int, what: str) -> object:
    data = [
        Bar(
            label=_label(d.day, days),
            title=f"{d.day.strftime('%A %d %B')}: {number(d.calls)} calls",
            values=(d.calls,),
        )
        for d in daily
    ]
    return bars(
        data,
        label=f"{what}, calls per day over the last {days} days",
        empty="No calls in this period.",
    )


def event_title(name: str | None, kind: str) -> str:
    if name is not None:
        return name
    return {"page": "Page viewed", "screen": "Screen viewed"}.get(kind, kind.capitalize())


@router.get("/sources/{source_id}/schema")
def schema_page(
    source_id: int, request: Request, viewer: ViewerDep, session: SessionDep
) -> Response:
    source = source_or_404(session, source_id)
    days = _days(request.query_params.get("days"))
    volume = service.source_volume(session, source_id, days)
    listed = service.events(session, source_id, days)
    top = max((e.calls for e in listed.events), default=0)
    rows = [
        {
            "event": e,
            "title": event_title(e.name, e.type),
            "share": meter(100 * e.calls / top if top else 0, f"{e.calls} calls"),
        }
        for e in listed.events
    ]
    return pages_of(request).render(
        request,
        "sources/schema.html",
        viewer,
        source=source,
        tab="schema",
        days=days,
        ranges=RANGES,
        volume=volume,
        chart=volume_chart(volume.daily, days, source.name),
        rows=rows,
    )


@router.get("/sources/{source_id}/schema/event")
def schema_event(
    source_id: int, request: Request, viewer: ViewerDep, session: SessionDep, key: str = ""
) -> Response:
    source = source_or_404(session, source_id)
    days = _days(request.query_params.get("days"))
    detail = service.event_detail(session, source_id, key, days) if key else None
    if detail is None:
        raise PageNotFound(
            f"“{key}” had no calls in the last {days} days.",
            f"/sources/{source_id}/schema?days={days}",
            "Back to the schema",
        )
    title = event_title(detail.name, detail.type)
    groups: dict[str, list[dict[str, object]]] = {}
    for p in detail.properties:
        groups.setdefault(p.kind, []).append(
            {"presence": p, "meter": meter(p.percent, f"present in {p.percent:g}% of calls")}
        )
    return pages_of(request).render(
        request,
        "sources/schema_event.html",
        viewer,
        source=source,
        tab="schema",
        days=days,
        ranges=RANGES,
        detail=detail,
        title=title,
        chart=volume_chart(detail.daily, days, title),
        groups=[(KIND_TITLES.get(kind, kind), items) for kind, items in groups.items()],
    )
