"""The job functions called directly, on each backend, with an in-process job context.

`job_context` is the one place these tests build a `JobContext`. Its HTTP client reaches a
`Hook` through `httpx.MockTransport` (no socket: the far end of a webhook answers from a
script), and its queue keeps the deliver jobs a route job asks for instead of running them,
so that each test runs the next job itself and sees each job's own effect.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine, select

from switchboard.db.engine import make_sessionmaker
from switchboard.deliveries.models import Attempt, Delivery
from switchboard.destinations.crypto import SettingsBox
from switchboard.destinations.service import DestinationInput, DestinationService
from switchboard.events.models import Event, RouteQueue
from switchboard.integrations.registry import load_adapters
from switchboard.jobs.context import JobContext, Timing
from switchboard.jobs.limits import LocalLimiter
from switchboard.sources.service import create_source

SECRET = "jobs-test-secret-key"
HOOK_URL = "https://hooks.example.com/in"


class Hook:
    """The webhook's far end: answers each request with the next scripted reply (then 200)
    and keeps what it was sent."""

    def __init__(self) -> None:
        self.replies: list[httpx.Response] = []
        self.requests: list[httpx.Request] = []

    def script(self, *replies: httpx.Response) -> None:
        self.replies.extend(replies)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.replies.pop(0) if self.replies else httpx.Response(200, text="ok")

    def bodies(self) -> list[Any]:
        """The JSON bodies received, in order."""
        return [orjson.loads(r.content) for r in self.requests]


@dataclass
class KeptJobs:
    """A job queue that keeps what is enqueued (the queue seam of `jobs/queue.py`)."""

    routes: list[list[int]] = field(default_factory=list)
    delivers: list[tuple[int, list[int]]] = field(default_factory=list)

    def enqueue_route(self, event_ids: Sequence[int]) -> None:
        self.routes.append(list(event_ids))

    def enqueue_deliver(self, destination_id: int, delivery_ids: Sequence[int]) -> None:
        self.delivers.append((destination_id, list(delivery_ids)))

    def close(self) -> None:
        """Nothing runs, so nothing is left to wait for."""


def job_context(engine: Engine, http: httpx.Client, queue: KeptJobs) -> JobContext:
    """The job context of these tests: in-process limits, the installed adapters, recovery
    timings as in production."""
    return JobContext(
        engine=engine,
        sessions=make_sessionmaker(engine),
        box=SettingsBox(SECRET),
        adapters=load_adapters(),
        queue=queue,
        limiter=LocalLimiter(),
        http=http,
        timing=Timing(),
    )


@dataclass
class Jobs:
    """A job context on a fresh database with one source, and helpers to fill it."""

    ctx: JobContext
    hook: Hook
    queue: KeptJobs
    source_id: int
    _ids: Iterator[int] = field(default_factory=lambda: count(1))

    def destination(self, name: str = "hook", **fields: Any) -> int:
        """A destination connected to the source: a webhook to the `Hook` unless told."""
        fields.setdefault("type", "webhook")
        fields.setdefault("settings", {"urls": [HOOK_URL]})
        fields.setdefault("source_ids", [self.source_id])
        with self.ctx.sessions() as session:
            service = DestinationService(
                session, self.ctx.box, self.ctx.adapters, allow_private=True
            )
            created = service.create(DestinationInput(name=name, **fields))
            session.commit()
            return created.id

    def events(self, *payloads: dict[str, Any]) -> list[int]:
        """Store events as the ingest writer leaves them: in `events` and in `route_queue`."""
        now = datetime.now(UTC)
        ids = []
        with self.ctx.sessions() as session:
            for payload in payloads:
                message_id = payload.get("messageId") or f"m{next(self._ids)}"
                event = Event(
                    source_id=self.source_id,
                    type=payload["type"],
                    event_name=payload.get("event") or payload.get("name"),
                    user_id=payload.get("userId"),
                    anonymous_id=payload.get("anonymousId"),
                    message_id=message_id,
                    timestamp=now,
                    received_at=now,
                    payload={**payload, "messageId": message_id},
                )
                session.add(event)
                session.flush()
                session.add(RouteQueue(event_id=event.id, received_at=now))
                ids.append(event.id)
            session.commit()
        return ids

    def deliveries(self) -> list[Delivery]:
        with self.ctx.sessions() as session:
            found = session.scalars(select(Delivery).order_by(Delivery.id)).all()
            session.expunge_all()
            return list(found)

    def attempts(self, delivery_id: int) -> list[Attempt]:
        with self.ctx.sessions() as session:
            found = session.scalars(
                select(Attempt).where(Attempt.delivery_id == delivery_id).order_by(Attempt.id)
            ).all()
            session.expunge_all()
            return list(found)

    def queued_events(self) -> list[int]:
        with self.ctx.sessions() as session:
            return list(session.scalars(select(RouteQueue.event_id).order_by(RouteQueue.event_id)))


def track(name: str = "Order Completed", **extra: Any) -> dict[str, Any]:
    return {"type": "track", "userId": "u1", "event": name, **extra}


@pytest.fixture
def jobs(engine: Engine) -> Iterator[Jobs]:
    """Each backend's fresh database (the jobs open their own connections, so not a
    SAVEPOINT), one source, and a job context whose webhooks reach `Jobs.hook`."""
    hook = Hook()
    queue = KeptJobs()
    with httpx.Client(transport=httpx.MockTransport(hook)) as http:
        ctx = job_context(engine, http, queue)
        with ctx.sessions() as session:
            source = create_source(session, "app")
            session.commit()
            source_id = source.id
        yield Jobs(ctx=ctx, hook=hook, queue=queue, source_id=source_id)
