"""GET /readyz and GET /metrics, as bare ASGI handlers (the dispatcher routes to them).

- /readyz: 200 when this process can take traffic: its ingest writer runs, the database
  answers and, when configured, Redis answers; else 503 naming what failed. A load balancer
  should route on it; /healthz (process alive) is for restarts.
- /metrics: the Prometheus exposition text. With `SWITCHBOARD_METRICS_TOKEN` set it needs
  `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from typing import Any

import orjson
import redis
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import Engine, text
from starlette.types import Receive, Send

from switchboard.ingest.responses import send_response
from switchboard.observability import defaults
from switchboard.observability.exposition import StateCollector, render
from switchboard.observability.metrics import Metrics

PATHS = frozenset({"/readyz", "/metrics"})


class OpsEndpoints:
    def __init__(
        self,
        *,
        engine: Engine,
        metrics: Metrics,
        state: StateCollector | None,
        redis_client: redis.Redis | None,
        metrics_token: str | None,
        writer_running: Callable[[], bool],
    ) -> None:
        self._engine = engine
        self._metrics = metrics
        self._state = state
        self._redis = redis_client
        self._token = metrics_token.encode() if metrics_token else None
        self._writer_running = writer_running

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _json(send, 405, {"error": f"{scope['path']} takes GET"})
        elif scope["path"] == "/readyz":
            await self.readyz(send)
        else:
            await self.metrics(scope, send)

    async def readyz(self, send: Send) -> None:
        checks: dict[str, str] = {"writer": "ok" if self._writer_running() else "stopped"}
        checks["database"] = await _check(self._ping_database)
        if self._redis is not None:
            checks["redis"] = await _check(self._ping_redis)
        ready = all(value == "ok" for value in checks.values())
        await _json(
            send,
            200 if ready else 503,
            {"status": "ready" if ready else "unavailable", "checks": checks},
        )

    def _ping_database(self) -> None:
        with self._engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def _ping_redis(self) -> None:
        assert self._redis is not None
        self._redis.ping()

    async def metrics(self, scope: dict[str, Any], send: Send) -> None:
        if self._token is not None and not self._authorized(scope):
            await _json(
                send,
                401,
                {"error": "/metrics needs Authorization: Bearer <SWITCHBOARD_METRICS_TOKEN>"},
                [(b"www-authenticate", b"Bearer")],
            )
            return
        self._metrics.requests.flush()  # on the loop's thread, which owns the counts
        body = await asyncio.to_thread(render, self._metrics, self._state)
        await send_response(
            send, 200, body, [], content_type=(b"content-type", CONTENT_TYPE_LATEST.encode())
        )

    def _authorized(self, scope: dict[str, Any]) -> bool:
        assert self._token is not None
        for key, value in scope["headers"]:
            if key == b"authorization":
                scheme, _, credentials = bytes(value).partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(
                    credentials.strip(), self._token
                )
        return False


async def _check(probe: Callable[[], None]) -> str:
    try:
        await asyncio.wait_for(asyncio.to_thread(probe), defaults.READY_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"no answer within {defaults.READY_TIMEOUT_SECONDS:g} s"
    except Exception as exc:
        # The exception's text may quote a URL with its password; its type names the cause.
        return f"unreachable ({type(exc).__name__})"
    return "ok"


async def _json(
    send: Send,
    status: int,
    document: dict[str, Any],
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send_response(send, status, orjson.dumps(document), headers or [])
