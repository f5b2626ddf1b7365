"""A destination endpoint that misbehaves on demand, at the socket level.

`tests/fakes/sink.py` answers like a web server; the faults here need a raw socket: a
connection reset in the middle of a request, bytes that are not HTTP at all, or an accepted
connection that never answers. The mode can change while the test runs, so the same URL
can fail and then recover.

    ok       read the request, answer 200, record each messageId in its JSON body
    hang     read the request, answer nothing until the mode changes or the endpoint closes
    reset    read the request, then close with RST (SO_LINGER 0)
    garbage  read the request, write bytes that are not an HTTP response, close
    echo     answer 500 with the whole request (head and body) as the response body
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from types import TracebackType
from typing import IO


class Endpoint:
    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.received: list[str] = []  # messageIds accepted in "ok" mode, in order
        self.requests = 0  # requests read, whatever the mode
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._closed = False
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port: int = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def set_mode(self, mode: str) -> None:
        with self._changed:
            self.mode = mode
            self._changed.notify_all()

    def ids(self) -> set[str]:
        with self._lock:
            return set(self.received)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            connections = list(self._connections)
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        with contextlib.suppress(OSError):
            self._server.close()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.close()
        self._thread.join(5)

    def __enter__(self) -> Endpoint:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    connection.close()
                    return
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        try:
            while True:
                head: list[bytes] = []
                body = _read_request(reader, head)
                if body is None:
                    return
                with self._lock:
                    self.requests += 1
                    mode = self.mode
                if mode == "hang":
                    with self._changed:
                        self._changed.wait_for(lambda: self._closed or self.mode != "hang")
                    return  # the client gave up long ago; start afresh on a new connection
                if mode == "reset":
                    connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    return
                if mode == "echo":
                    echoed = b"".join(head) + body
                    connection.sendall(
                        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: "
                        + str(len(echoed)).encode()
                        + b"\r\n\r\n"
                        + echoed
                    )
                    continue
                if mode == "garbage":
                    connection.sendall(b"\x00\xffSURELY NOT HTTP\r\n\r\n{{{" * 20)
                    return
                with self._lock:
                    self.received.extend(_message_ids(body))
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json"
                    b"\r\n\r\n{}"
                )
        except OSError:
            return
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
            with contextlib.suppress(OSError):
                reader.close()
                connection.close()


def _read_request(reader: IO[bytes], head: list[bytes] | None = None) -> bytes | None:
    """The body of the next request on the connection, or None once it is closed; the
    request line and headers are appended to `head` when given."""
    length = 0
    line = reader.readline()
    if not line:
        return None
    lines = [line]
    while True:
        header = reader.readline()
        lines.append(header)
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body: bytes = reader.read(length) if length else b""
    if head is not None:
        head.extend(lines)
    return body


def _message_ids(body: bytes) -> list[str]:
    try:
        document = json.loads(body)
    except ValueError:
        return []
    items = document if isinstance(document, list) else [document]
    if isinstance(document, dict) and isinstance(document.get("batch"), list):
        items = document["batch"]
    return [str(item["messageId"]) for item in items if isinstance(item, dict)]
