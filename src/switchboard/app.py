"""The application factory: the tracking API, the admin API and the dashboard, from one runtime."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import redis
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Send

from switchboard.admin.app import create_admin_app
from switchboard.dashboard.app import install_dashboard
from switchboard.db.bulk import is_postgres
from switchboard.ingest.app import _BATCH_ROUTES as BATCH_ROUTES
from switchboard.ingest.app import TrackingAPI
from switchboard.ingest.keys import WriteKeyResolver
from switchboard.ingest.pg_writer import AsyncPostgresWriter, conninfo
from switchboard.ingest.writer import GroupCommitWriter, IngestWriter
from switchboard.jobs.scheduler import SchedulerThread
from switchboard.observability import endpoints
from switchboard.observability.defaults import READY_TIMEOUT_SECONDS
from switchboard.observability.endpoints import OpsEndpoints
from switchboard.observability.exposition import StateCollector
from switchboard.observability.logging import REQUEST_ID
from switchboard.retention.runner import PrunerThread
from switchboard.runtime import Runtime, build_runtime
from switchboard.settings import Settings, get_settings
from switchboard.web.deps import install_web

access_log = logging.getLogger("switchboard.access")

#: An ASGI app as our own raw handlers type it (scope as a dict).
Handler = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]

#: A request id a client may choose (X-Request-ID): short, and nothing a log could misread.
_CLIENT_REQUEST_ID: Final = re.compile(rb"[A-Za-z0-9._:+=-]{1,128}")


def tune_gc(gen0_threshold: int) -> None:
    """Keep the cyclic garbage collector from pausing the event loop under load.

    Every request allocates thousands of short-lived objects, so with Python's default
    threshold (700) the collector runs constantly and its occasional full passes stall every
    request in flight: measured, p99 latency of single-event ingest fell from ~70 ms to
    ~20 ms (docs/benchmarks.md). Objects alive at startup are frozen out of collection and
    the youngest generation collects less often. 0 leaves Python's defaults.
    """
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)


class Switchboard:
    """The ASGI entry point: /v1 and /projects go to the tracking API, /readyz and /metrics
    to the operational endpoints, the rest to admin.

    Every HTTP request gets a request id (the client's `X-Request-ID` if it is sane, else a
    new one), which its log lines carry and its answer echoes, and its duration is counted
    for /metrics (in plain per-process counters: no lock, see `observability.metrics`).

    It owns the lifespan: the group-commit writer (and, without Redis, the scheduler and
    the pruner) starts before the first request. On SIGTERM uvicorn stops accepting
    connections and lets the requests in flight finish, each answered after its commit;
    then the writer writes whatever is still queued, the runtime is closed, and only then
    does the process exit.
    """

    def __init__(
        self,
        *,
        runtime: Runtime,
        tracking: TrackingAPI,
        admin: ASGIApp,
        writer: IngestWriter,
        scheduler: SchedulerThread | None = None,
        gc_gen0_threshold: int = 0,
        ops: Handler | None = None,
        probe_redis: redis.Redis | None = None,
        pruner: PrunerThread | None = None,
        access_log: bool = False,
        shutdown_timeout: float = 30.0,
    ) -> None:
        self.runtime = runtime
        self.tracking = tracking
        self.admin = admin
        self.writer = writer
        self.scheduler = scheduler
        self.gc_gen0_threshold = gc_gen0_threshold
        self.metrics = runtime.metrics
        self.ops = ops
        self.probe_redis = probe_redis
        self.pruner = pruner
        self.access_log = access_log
        self.shutdown_timeout = shutdown_timeout
        #: True between a successful start and the beginning of shutdown (/readyz).
        self.serving = False
        self._flusher: asyncio.Task[None] | None = None
        self._id_prefix = secrets.token_hex(4)
        self._ids = itertools.count(1)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path: str = scope["path"]
            if path.startswith(("/v1/", "/projects/")):
                handler = "batch" if path in BATCH_ROUTES else "tracking"
                await self._serve(self.tracking, handler, scope, receive, send)
            elif self.ops is not None and path in endpoints.PATHS:
                await self._serve(self.ops, "ops", scope, receive, send)
            else:
                await self._serve(self.admin, "admin", scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:
            await self.admin(scope, receive, send)

    async def _serve(
        self, app: Handler, handler: str, scope: dict[str, Any], receive: Receive, send: Send
    ) -> None:
        start = time.perf_counter()
        request_id = self._request_id(scope)
        header = (b"x-request-id", request_id.encode())
        status = 500  # if the app raises before answering, uvicorn answers 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            self.metrics.requests.observe(handler, status, elapsed)
            if self.access_log:
                access_log.info(
                    "%s %s %d",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                    },
                )
            REQUEST_ID.reset(token)

    def _request_id(self, scope: dict[str, Any]) -> str:
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                if _CLIENT_REQUEST_ID.fullmatch(value):
                    return bytes(value).decode()
                break
        return f"{self._id_prefix}-{next(self._ids):x}"

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    tune_gc(self.gc_gen0_threshold)
                    await self.writer.start()
                    if self.scheduler is not None:
                        self.scheduler.start()
                    if self.pruner is not None:
                        self.pruner.start()
                    self._flusher = asyncio.create_task(
                        self.metrics.requests.run_flusher(), name="switchboard-metrics"
                    )
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                self.serving = True
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _shutdown(self) -> None:
        """Runs after uvicorn has answered (or, past the timeout, cut) the open requests."""
        self.serving = False
        self.runtime.jobs.stopping.set()  # running deliver jobs hand their rest back
        await self.writer.stop(self.shutdown_timeout)
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        self.metrics.requests.flush()
        if self.pruner is not None:
            self.pruner.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.probe_redis is not None:
            self.probe_redis.close()
        self.runtime.close()


def create_app(settings: Settings) -> Switchboard:
    """The whole server on one runtime; the runtime is closed when the app shuts down."""
    runtime = build_runtime(settings)
    engine, queue, metrics = runtime.engine, runtime.queue, runtime.metrics
    writer: IngestWriter
    # Postgres: group commit inside the event loop (async psycopg); SQLite: writer threads.
    if is_postgres(engine):
        writer = AsyncPostgresWriter(
            conninfo(engine.url),
            writers=settings.ingest_writers or 2,
            max_rows_per_commit=settings.ingest_max_rows_per_commit,
            on_commit=queue.enqueue_route,
            on_flush=metrics.record_flush,
        )
    else:
        writer = GroupCommitWriter(
            engine,
            writers=settings.ingest_writers or 1,
            max_rows_per_commit=settings.ingest_max_rows_per_commit,
            on_commit=queue.enqueue_route,
            on_flush=metrics.record_flush,
        )
    tracking = TrackingAPI(
        resolver=WriteKeyResolver(engine, ttl=settings.write_key_cache_seconds),
        writer=writer,
        trusted_proxies=settings.trusted_proxies,
        public_url=settings.public_url,
        body_timeout=settings.ingest_body_timeout_seconds,
    )
    # Without Redis this process runs the jobs, so it runs the scheduler too; with Redis,
    # `switchboard worker` processes do both.
    scheduler = None if settings.redis_url else SchedulerThread(runtime.jobs)
    pruner = None if settings.redis_url else PrunerThread(engine, settings)
    # The probes' own client: /readyz must answer within its timeout even when Redis hangs.
    # Connections are made on first use (a probe or a scrape), not here.
    probe_redis = (
        redis.Redis.from_url(
            settings.redis_url,
            socket_timeout=READY_TIMEOUT_SECONDS,
            socket_connect_timeout=READY_TIMEOUT_SECONDS,
        )
        if settings.redis_url
        else None
    )
    app = Switchboard(
        runtime=runtime,
        tracking=tracking,
        admin=web_app(runtime),
        writer=writer,
        scheduler=scheduler,
        gc_gen0_threshold=settings.gc_gen0_threshold,
        pruner=pruner,
        probe_redis=probe_redis,
        access_log=settings.access_log,
        shutdown_timeout=settings.shutdown_timeout_seconds,
    )
    app.ops = OpsEndpoints(
        engine=engine,
        metrics=metrics,
        state=StateCollector(engine, probe_redis),
        redis_client=probe_redis,
        metrics_token=settings.metrics_token.get_secret_value() if settings.metrics_token else None,
        writer_running=lambda: app.serving,
    )
    return app


def web_app(runtime: Runtime) -> FastAPI:
    """The FastAPI app behind every path but the tracking API and the ops endpoints: the
    admin API (/api/v1, /healthz) and the dashboard, their requests served from `runtime`."""
    web = create_admin_app()
    install_web(web, runtime)
    install_dashboard(web)
    return web


def app_from_environment() -> Switchboard:
    """Factory for `uvicorn --factory` and multi-worker serving: settings from the env."""
    return create_app(get_settings())
