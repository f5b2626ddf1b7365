"""Run the real app in this process, without a server or a socket, for one test.

`running_app(settings)` is `running_server` without uvicorn: the app's lifespan runs (the
group-commit writer, the scheduler and the pruner start, and stop at the end) on an event
loop of its own thread, and `InProcessApp.client()` is an ordinary `httpx.Client` whose
requests reach the app through `httpx.ASGITransport` on that loop. The requests are the same
as over loopback, so a test that only needs request and answer does not need a port, a
thread per server and uvicorn's start and stop. Tests where the wire matters (slow bodies,
SDKs, browsers, several processes) keep `tests.servers.running_server`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, TypeVar, cast

import httpx
from starlette.types import Message

from switchboard.app import Switchboard, create_app
from switchboard.settings import Settings

T = TypeVar("T")

#: Where requests seem to come from: a loopback peer, as with a test server.
PEER: Final = ("127.0.0.1", 50000)
#: Longest wait for one request or for the start or stop of the app (seconds).
WAIT: Final = 30.0


class AppLoop:
    """An event loop on its own thread that runs one ASGI app and its lifespan."""

    def __init__(self, app: Switchboard) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="switchboard-test-app", daemon=True
        )
        self._inbox: asyncio.Queue[Message] | None = None
        self._outbox: asyncio.Queue[Message] | None = None
        self._lifespan: asyncio.Task[None] | None = None

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = WAIT) -> T:
        """Run `coroutine` on the app's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self) -> None:
        self._thread.start()
        try:
            self.run(self._startup())
        except BaseException:
            self._close()
            raise

    def stop(self) -> None:
        try:
            self.run(self._shutdown())
        finally:
            self._close()

    def _close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT)
        self._loop.close()

    async def _startup(self) -> None:
        self._inbox = asyncio.Queue()
        self._outbox = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        self._lifespan = asyncio.create_task(
            self.app(scope, self._inbox.get, self._outbox.put), name="lifespan"
        )
        await self._inbox.put({"type": "lifespan.startup"})
        answer = await self._outbox.get()
        if answer["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"the app did not start: {answer.get('message')}")

    async def _shutdown(self) -> None:
        assert self._inbox is not None and self._outbox is not None
        assert self._lifespan is not None
        await self._inbox.put({"type": "lifespan.shutdown"})
        answer = await self._outbox.get()
        await self._lifespan
        if answer["type"] != "lifespan.shutdown.complete":
            raise RuntimeError(f"the app did not stop: {answer.get('message')}")


class InProcessTransport(httpx.BaseTransport):
    """A synchronous transport that hands each request to the app's loop through
    `httpx.ASGITransport` and waits for the whole answer."""

    def __init__(self, loop: AppLoop, peer: tuple[str, int] = PEER) -> None:
        self._loop = loop
        self._asgi = httpx.ASGITransport(
            app=cast(Any, loop.app), client=peer, raise_app_exceptions=False
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body as bytes, which the async transport can stream too

        async def exchange() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            response = await self._asgi.handle_async_request(request)
            # Raw bytes: the client decodes a content-encoding once, as it would off a socket.
            body = b"".join([chunk async for chunk in response.aiter_raw()])
            return response.status_code, response.headers.raw, body

        status, headers, body = self._loop.run(exchange())
        return httpx.Response(status, headers=headers, content=body, request=request)


@dataclass
class InProcessApp:
    """The app of `running_app`: what `RunningServer` offers, with clients instead of a URL."""

    app: Switchboard
    settings: Settings
    loop: AppLoop
    #: The base URL of the clients (nothing listens there; a port, as a server has one).
    url: str = "http://testserver:8000"

    def client(
        self,
        *,
        headers: dict[str, str] | None = None,
        peer: tuple[str, int] = PEER,
        **options: Any,
    ) -> httpx.Client:
        """An HTTP client of the app (`options` go to `httpx.Client`); close it (or use it in
        a `with`) when done."""
        options.setdefault("timeout", 10)
        return httpx.Client(
            base_url=self.url,
            headers=headers,
            transport=InProcessTransport(self.loop, peer),
            **options,
        )


@contextmanager
def running_app(settings: Settings) -> Iterator[InProcessApp]:
    """`create_app(settings)`, started, in this process until the block ends."""
    loop = AppLoop(create_app(settings))
    loop.start()
    try:
        yield InProcessApp(app=loop.app, settings=settings, loop=loop)
    finally:
        loop.stop()
