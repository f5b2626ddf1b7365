"""The event tester page. Sending goes through POST /api/v1/destinations/{id}/test (the
page's script calls it with the session), which runs the destination's real adapter."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from switchboard.dashboard.deps import ViewerDep
from switchboard.dashboard.render import pages_of
from switchboard.dashboard.views.destinations import adapter_or_404, destination_or_404
from switchboard.events.models import Event
from switchboard.web.deps import DestinationsDep, SessionDep

router = APIRouter(include_in_schema=False)

#: What the page's JSON box starts with, per call type the destination takes.
SAMPLES: dict[str, dict[str, Any]] = {
    "track": {
        "type": "track",
        "event": "Order Completed",
        "userId": "user-123",
        "properties": {"order_id": "o-1001", "revenue": 42.5, "currency": "USD"},
        "context": {"traits": {"email": "ada@example.com"}},
    },
    "identify": {
        "type": "identify",
        "userId": "user-123",
        "traits": {"email": "ada@example.com", "name": "Ada Lovelace", "plan": "pro"},
    },
    "group": {
        "type": "group",
        "userId": "user-123",
        "groupId": "acme",
        "traits": {"name": "Acme Inc.", "employees": 120},
    },
    "page": {"type": "page", "name": "Pricing", "userId": "user-123", "properties": {}},
}


def _sample(supported: frozenset[str]) -> dict[str, Any]:
    for kind in ("track", "identify", "group", "page"):
        if kind in supported:
            return SAMPLES[kind]
    return SAMPLES["track"]


def _stored(event: Event) -> dict[str, Any]:
    """A stored event as the tester's starting point, without the fields the server sets."""
    payload = {k: v for k, v in event.payload.items() if k not in ("receivedAt", "sentAt")}
    return payload


@router.get("/destinations/{destination_id}/tester")
def event_tester_page(
    destination_id: int,
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    service: DestinationsDep,
    event_id: int | None = None,
) -> Response:
    destination = destination_or_404(service, destination_id)
    adapter = adapter_or_404(service, destination.type)
    loaded = session.get(Event, event_id) if event_id is not None else None
    event = _stored(loaded) if loaded is not None else _sample(adapter.supported_calls)
    return pages_of(request).render(
        request,
        "destinations/tester.html",
        viewer,
        destination=destination,
        adapter=adapter,
        tab="tester",
        event_json=orjson.dumps(event, option=orjson.OPT_INDENT_2).decode(),
        loaded=loaded,
        supported=sorted(adapter.supported_calls),
        event_type=event.get("type", "track"),
    )
