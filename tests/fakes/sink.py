"""A loopback HTTP server that records every request and answers from a script.

    with Sink(Reply(503), Reply(200)) as sink:       # then the default, 200 with no body
        ...send to sink.url...
        assert sink.requests[0].body == b"..."

`Reply(delay=5)` holds the answer back (a hanging endpoint); closing the sink releases it at
once. The server speaks HTTP/1.1 with keep-alive, as vendor APIs do.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | str = b""
    #: Seconds to wait before answering.
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Sink:
    def __init__(self, *replies: Reply, default: Reply | None = None) -> None:
        self._lock = threading.Condition()
        self._replies: deque[Reply] = deque(replies)
        self._default = default or Reply()
        self._received: list[Received] = []
        self._connections: set[socket.socket] = set()
        self._closing = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler, self)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    # -- scripting -------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with `replies`, in order (after any still queued)."""
        with self._lock:
            self._replies.extend(replies)

    def set_default(self, reply: Reply) -> None:
        """The answer once the script has run out."""
        with self._lock:
            self._default = reply

    # -- what arrived ----------------------------------------------------------------------

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The requests once at least `count` have arrived; AssertionError after `timeout`."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._received) >= count, timeout):
                raise AssertionError(f"expected {count} requests, got {len(self._received)}")
            return list(self._received)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Stop serving, release held answers and drop open connections; idempotent."""
        if self._closing.is_set():
            return
        self._closing.set()
        self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()  # joins the handler threads
        self._thread.join(5)

    def __enter__(self) -> Sink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- used by the handler ---------------------------------------------------------------

    def _record(self, received: Received) -> Reply:
        with self._lock:
            self._received.append(received)
            self._lock.notify_all()
            return self._replies.popleft() if self._replies else self._default

    def _track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if not open_:
                self._connections.discard(connection)
            elif self._closing.is_set():
                # Accepted just as the sink closed: drop it rather than wait on it.
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            else:
                self._connections.add(connection)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], sink: Sink) -> None:
        self.sink = sink
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timed out, closed) is expected here, not an error to print.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: An idle keep-alive connection is dropped after this many seconds, so that a client
    #: which never closes cannot keep a handler thread (and `close`) waiting forever.
    timeout = 60
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.sink._track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.sink._track(self.connection, open_=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        sink = self.server.sink
        body = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = sink._record(Received(self.command, self.path, headers, body))
        if reply.delay and sink._closing.wait(reply.delay):
            self.close_connection = True
            return
        content = reply.body.encode() if isinstance(reply.body, str) else reply.body
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status not in (204, 304) and not 100 <= reply.status < 200:
            self.send_header("Content-Length", str(len(content)))
        else:
            content = b""
        self.end_headers()
        self.wfile.write(content)
        self.wfile.flush()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle
