"""Event delivery per destination: summary, trends, issues with examples, and replay.

The numbers come from switchboard.deliveries.insights (delivery rollups); replay uses the
same service call as the admin API and the CLI.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from switchboard.dashboard.charts import Bar, bars
from switchboard.dashboard.deps import FormDep, ViewerDep
from switchboard.dashboard.issues import describe_issue
from switchboard.dashboard.render import millis, number, pages_of
from switchboard.dashboard.views.destinations import adapter_or_404, destination_or_404
from switchboard.deliveries import insights
from switchboard.deliveries import service as deliveries
from switchboard.deliveries.schemas import Trends
from switchboard.deliveries.status import Status
from switchboard.deliveries.windows import Window, parse_window
from switchboard.destinations.models import Destination
from switchboard.jobs import defaults
from switchboard.web.deps import DestinationsDep, JobsDep, SessionDep

router = APIRouter(include_in_schema=False)

Row = dict[str, Any]

WINDOW_LABELS: Final = {
    "10m": "10 minutes",
    "1h": "1 hour",
    "24h": "24 hours",
    "7d": "7 days",
    "14d": "14 days",
}
DEFAULT_WINDOW: Final = "24h"


def _window(name: str | None) -> Window:
    try:
        return parse_window(name or DEFAULT_WINDOW)
    except ValueError:
        return parse_window(DEFAULT_WINDOW)


def _bucket_label(start: datetime, bucket_seconds: int) -> str:
    if bucket_seconds < 86400 and bucket_seconds <= 3600:
        return start.strftime("%H:%M")
    return start.strftime("%d %b %H:%M")


def trends_chart(trends: Trends) -> object:
    data = []
    for b in trends.buckets:
        label = _bucket_label(b.start, trends.bucket_seconds)
        title = (
            f"{b.start.strftime('%d %b %H:%M')} UTC: {number(b.delivered)} delivered, "
            f"{number(b.retries)} retried, {number(b.failed)} failed"
        )
        if b.p95_ms is not None:
            title += f", p95 latency {millis(b.p95_ms)}"
        data.append(Bar(label=label, title=title, values=(b.delivered, b.retries, b.failed)))
    return bars(
        data,
        classes=("bar-delivered", "bar-retrying", "bar-failed"),
        label="Deliveries over time: delivered, retried and failed, with p95 latency",
        line=[b.p95_ms for b in trends.buckets],
        empty="Nothing was sent to this destination in this period.",
    )


def replay_notice(queued: str | None) -> str | None:
    if queued is None or not queued.isdigit():
        return None
    if queued == "0":
        return "There was no failed delivery to replay."
    what = "1 failed delivery was" if queued == "1" else f"{queued} failed deliveries were"
    return f"{what} queued again. Delivered ones are counted here as the destination accepts them."


@router.get("/destinations/{destination_id}/delivery")
def delivery_page(
    destination_id: int,
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    service: DestinationsDep,
) -> Response:
    destination = destination_or_404(service, destination_id)
    adapter = adapter_or_404(service, destination.type)
    window = _window(request.query_params.get("window"))
    found = insights.insights(session, destination_id, window)
    issues = [
        {"issue": issue, "text": describe_issue(issue.code, issue.status)}
        for issue in found.issues.issues
    ]
    queued = request.query_params.get("replayed")
    return pages_of(request).render(
        request,
        "destinations/delivery.html",
        viewer,
        mappings=_mapping_rows(destination, insights.by_mapping(session, destination_id, window)),
        destination=destination,
        adapter=adapter,
        tab="delivery",
        window=window.name,
        windows=WINDOW_LABELS,
        window_label=WINDOW_LABELS[window.name],
        summary=found.summary,
        chart=trends_chart(found.trends),
        issues=issues,
        notice=replay_notice(queued),
    )


def _mapping_rows(destination: Destination, counts: list[tuple[int, str, int]]) -> list[Row]:
    """One row per mapping (in the destination's order, then deleted ones and unmatched
    events): its deliveries by status now."""
    rows: dict[int, Row] = {
        m.id: {"name": m.name, "action": m.action, "counts": {}} for m in destination.mappings
    }
    for mapping_id, status, total in counts:
        if mapping_id not in rows:
            name = "No mapping" if mapping_id == 0 else f"Mapping #{mapping_id} (deleted)"
            rows[mapping_id] = {"name": name, "action": "", "counts": {}}
        rows[mapping_id]["counts"][status] = total
    return [row for row in rows.values() if row["counts"] or row["action"]]


@router.get("/destinations/{destination_id}/replay")
def replay_confirm(
    destination_id: int,
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    service: DestinationsDep,
) -> Response:
    destination = destination_or_404(service, destination_id)
    adapter = adapter_or_404(service, destination.type)
    window = _window(request.query_params.get("window"))
    summary = insights.summary(session, destination_id, window)
    return pages_of(request).render(
        request,
        "destinations/replay.html",
        viewer,
        destination=destination,
        adapter=adapter,
        tab="delivery",
        window=window.name,
        window_label=WINDOW_LABELS[window.name],
        failed=summary.failed,
    )


@router.post("/destinations/{destination_id}/replay")
def replay(
    destination_id: int,
    viewer: ViewerDep,
    form: FormDep,
    session: SessionDep,
    service: DestinationsDep,
    jobs: JobsDep,
) -> Response:
    destination_or_404(service, destination_id)
    scope = form.get("scope")
    window = _window(form.get("window"))
    since = datetime.now(UTC) - timedelta(seconds=window.seconds) if scope == "window" else None
    ids = deliveries.replay(
        session,
        destination_id,
        status=Status.FAILED,
        since=since,
        until=None,
        requeue_after=jobs.timing.requeue_after,
    )
    session.commit()
    for start in range(0, len(ids), defaults.DELIVER_BATCH):
        jobs.queue.enqueue_deliver(destination_id, ids[start : start + defaults.DELIVER_BATCH])
    return RedirectResponse(
        f"/destinations/{destination_id}/delivery?window={window.name}&replayed={len(ids)}",
        status_code=303,
    )
