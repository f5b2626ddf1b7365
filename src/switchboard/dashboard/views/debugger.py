"""The source debugger: a page, its live stream (Server-Sent Events) and the event pane."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Final

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from switchboard.dashboard import feed
from switchboard.dashboard.deps import PageNotFound, ViewerDep
from switchboard.dashboard.pretty import facts, sdk_call
from switchboard.dashboard.render import Pages, pages_of
from switchboard.dashboard.views.sources import source_or_404
from switchboard.deliveries.service import deliveries_of_event
from switchboard.deliveries.status import Status
from switchboard.destinations.models import Destination, DestinationMapping
from switchboard.events.models import Event, RejectedEvent
from switchboard.sources.models import Source
from switchboard.spec.calls import CALL_TYPES
from switchboard.web.deps import SessionDep, SessionsDep
from switchboard.web.sessions import viewer_of

router = APIRouter(include_in_schema=False)

#: How often the stream looks for new rows while someone watches (nobody watching: no query).
POLL_SECONDS: Final = 0.5
#: A stream ends after this long and the browser reconnects where it left off, so a server
#: restart never waits on an open debugger tab for longer.
STREAM_SECONDS: Final = 20.0
#: A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE_SECONDS: Final = 15.0
#: Earlier polls' cursors kept to read again: rows committed out of id order (two writers)
#: show up a poll late instead of never.
LOOKBACK_POLLS: Final = 4

STATUS_TEXT: Final[dict[str, str]] = {
    Status.PENDING: "Waiting to be sent",
    Status.RETRYING: "Retrying",
    Status.DELIVERED: "Delivered",
    Status.FAILED: "Failed",
    Status.SKIPPED: "Skipped: the event's integrations object turned this destination off",
    Status.FILTERED: "Filtered out by this destination's filters",
    Status.UNSUPPORTED: "Not sent: this destination does not take this kind of call",
}
STATUS_PILL: Final[dict[str, str]] = {
    Status.PENDING: "pill-info",
    Status.RETRYING: "pill-warn",
    Status.DELIVERED: "pill-ok",
    Status.FAILED: "pill-bad",
}


def _filter(source_id: int, request: Request) -> feed.FeedFilter:
    kind = request.query_params.get("type") or None
    q = (request.query_params.get("q") or "").strip()[:200] or None
    return feed.FeedFilter(source_id, kind if kind in CALL_TYPES else None, q)


@router.get("/sources/{source_id}/debugger")
def debugger_page(
    source_id: int, request: Request, viewer: ViewerDep, session: SessionDep
) -> Response:
    source = source_or_404(session, source_id)
    f = _filter(source_id, request)
    destinations = list(session.scalars(select(Destination).order_by(Destination.name)))
    return pages_of(request).render(
        request,
        "sources/debugger.html",
        viewer,
        source=source,
        tab="debugger",
        call_types=CALL_TYPES,
        selected_type=f.type or "",
        q=f.q or "",
        destinations=destinations,
        max_rows=feed.MAX_ROWS,
    )


def _rows(pages: Pages, source_id: int, items: list[feed.FeedItem]) -> list[dict[str, Any]]:
    return [
        {
            "key": item.key,
            "html": pages.fragment("sources/_row.html", item=item, source_id=source_id),
        }
        for item in items
    ]


def _message(event: str, data: dict[str, Any], cursor: feed.Cursor | None = None) -> bytes:
    head = f"id: {cursor}\n" if cursor is not None else ""
    return f"{head}event: {event}\ndata: ".encode() + orjson.dumps(data) + b"\n\n"


async def _stream(
    request: Request, sessions: sessionmaker[Session], f: feed.FeedFilter, start: feed.Cursor | None
) -> AsyncIterator[bytes]:
    pages = pages_of(request)
    yield b"retry: 1000\n\n"

    def first() -> tuple[list[feed.FeedItem], feed.Cursor]:
        with sessions() as session:
            if start is None:
                return feed.backlog(session, f)
            upto = feed.latest_cursor(session, f.source_id)
            return list(reversed(feed.newer(session, f, start, upto))), upto

    items, cursor = await run_in_threadpool(first)
    yield _message(
        "rows", {"reset": start is None, "rows": _rows(pages, f.source_id, items)}, cursor
    )
    seen = {item.key for item in items}
    history: deque[feed.Cursor] = deque([cursor], maxlen=LOOKBACK_POLLS)
    began = last_sent = time.monotonic()

    def poll(lower: feed.Cursor) -> tuple[list[feed.FeedItem], feed.Cursor]:
        with sessions() as session:
            upto = feed.latest_cursor(session, f.source_id)
            return feed.newer(session, f, lower, upto), upto

    while time.monotonic() - began < STREAM_SECONDS:
        # A closed tab ends this generator: the response cancels it on http.disconnect.
        await asyncio.sleep(POLL_SECONDS)
        found, upto = await run_in_threadpool(poll, history[0])
        fresh = [item for item in found if item.key not in seen]
        history.append(upto)
        if fresh:
            seen.update(item.key for item in fresh)
            # Newest first, as the list shows them.
            rows = _rows(pages, f.source_id, list(reversed(fresh)))
            yield _message("rows", {"reset": False, "rows": rows}, upto)
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent > KEEPALIVE_SECONDS:
            yield b": keep-alive\n\n"
            last_sent = time.monotonic()
        if len(seen) > 4 * feed.POLL_LIMIT * LOOKBACK_POLLS:
            seen = {item.key for item in fresh}
    yield _message("cursor", {}, history[-1])


@router.get("/sources/{source_id}/debugger/stream")
def debugger_stream(source_id: int, request: Request, sessions: SessionsDep) -> Response:
    """Server-Sent Events: `rows` messages carry rendered rows, newest first; the event id is
    the cursor, so a reconnecting browser (Last-Event-ID) continues where it stopped.

    The login is checked with a short-lived database session (not the request-scoped one,
    which would hold a pooled connection for the whole stream)."""
    with sessions() as session:
        if viewer_of(request, session) is None:
            return JSONResponse({"detail": "log in to watch the debugger"}, status_code=401)
        if session.get(Source, source_id) is None:
            return JSONResponse({"detail": f"source {source_id} not found"}, status_code=404)
    start = feed.Cursor.parse(
        request.headers.get("last-event-id") or request.query_params.get("after")
    )
    return StreamingResponse(
        _stream(request, sessions, _filter(source_id, request), start),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


@router.get("/sources/{source_id}/debugger/events/{event_id}")
def event_pane(
    source_id: int, event_id: int, request: Request, viewer: ViewerDep, session: SessionDep
) -> Response:
    event = session.get(Event, event_id)
    if event is None or event.source_id != source_id:
        return HTMLResponse('<p class="muted">This event is no longer stored.</p>', status_code=404)
    names = {i: name for i, name in session.execute(select(Destination.id, Destination.name))}
    found = deliveries_of_event(session, event_id)
    # A kit destination's deliveries are one per mapping: each row names its mapping.
    wanted = {d.mapping_id for d, _ in found if d.mapping_id}
    mappings = {
        row.id: f"{row.name} ({row.action})"
        for row in session.execute(
            select(DestinationMapping.id, DestinationMapping.name, DestinationMapping.action).where(
                DestinationMapping.id.in_(wanted)
            )
        )
    }
    trail = [
        {
            "delivery": delivery,
            "destination": names.get(delivery.destination_id, f"#{delivery.destination_id}"),
            "mapping": (
                mappings.get(delivery.mapping_id, f"mapping #{delivery.mapping_id} (deleted)")
                if delivery.mapping_id
                else None
            ),
            "status_text": STATUS_TEXT.get(delivery.status, delivery.status),
            "pill": STATUS_PILL.get(delivery.status, "pill-off"),
            "attempts": attempts,
        }
        for delivery, attempts in found
    ]
    destinations = sorted(names.items(), key=lambda pair: pair[1].lower())
    html = pages_of(request).fragment(
        "sources/_event_pane.html",
        event=event,
        payload=event.payload,
        pretty=sdk_call(event.payload),
        facts=facts(event.payload),
        trail=trail,
        destinations=destinations,
        connected=bool(names),
    )
    return HTMLResponse(html, headers={"cache-control": "no-store"})


@router.get("/sources/{source_id}/debugger/rejected/{rejected_id}")
def rejected_pane(
    source_id: int, rejected_id: int, request: Request, viewer: ViewerDep, session: SessionDep
) -> Response:
    row = session.get(RejectedEvent, rejected_id)
    if row is None or row.source_id != source_id:
        return HTMLResponse(
            '<p class="muted">This rejected event is no longer stored.</p>', status_code=404
        )
    html = pages_of(request).fragment("sources/_rejected_pane.html", row=row)
    return HTMLResponse(html, headers={"cache-control": "no-store"})


@router.get("/tester")
def open_tester(
    viewer: ViewerDep, session: SessionDep, destination_id: int, event_id: int | None = None
) -> Response:
    """ "Send to tester": the chosen destination's tester with the event filled in."""
    if session.get(Destination, destination_id) is None:
        raise PageNotFound(
            f"There is no destination number {destination_id}.", "/destinations", "Destinations"
        )
    target = f"/destinations/{destination_id}/tester"
    if event_id is not None:
        target += f"?event_id={event_id}"
    return RedirectResponse(target, status_code=303)
