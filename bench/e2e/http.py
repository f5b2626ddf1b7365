"""A small HTTP/1.1 client on asyncio streams: keep-alive, Content-Length bodies, a pool.

The load generator sends a few dozen large requests a second and must stay cheap and on time,
so it speaks just enough HTTP for uvicorn and the sink (both answer with Content-Length) and
timestamps the moment each request is written.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Final

_MAX_HEAD: Final = 64 * 1024
#: uvicorn closes a keep-alive connection idle for 5 s; reuse only fresher ones.
_MAX_IDLE_S: Final = 2.0


class HttpError(RuntimeError):
    """The peer answered something this client does not understand."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    sent_ns: int  # time.monotonic_ns() when the request was written to the socket
    answered_ns: int  # … when the whole answer was read


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, request: bytes) -> tuple[Response, bool]:
        """Write one request, read one answer; also whether the connection may be reused."""
        sent_ns = time.monotonic_ns()
        self.writer.write(request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        if len(head) > _MAX_HEAD:
            raise HttpError("response head too large")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0]!r}")
        length = -1
        keep_alive = True
        for line in lines[1:]:
            name, _, value = line.partition(":")
            lowered = name.strip().lower()
            if lowered == "content-length":
                length = int(value.strip())
            elif lowered == "connection" and value.strip().lower() == "close":
                keep_alive = False
            elif lowered == "transfer-encoding":
                raise HttpError("chunked answers are not supported")
        if length < 0:
            raise HttpError("answer without Content-Length")
        body = await self.reader.readexactly(length)
        return Response(int(parts[1]), body, sent_ns, time.monotonic_ns()), keep_alive


class Pool:
    """Up to `limit` keep-alive connections to one host; requests beyond that wait a turn."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host = host
        self.port = port
        self._idle: list[tuple[_Connection, float]] = []
        self._slots = asyncio.Semaphore(limit)
        self._open: set[_Connection] = set()

    def build(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def send(self, request: bytes, timeout_s: float) -> Response:
        """One exchange within `timeout_s` (waiting for a free connection included)."""
        async with asyncio.timeout(timeout_s), self._slots:
            connection = self._take_idle()
            if connection is None:
                reader, writer = await asyncio.open_connection(self.host, self.port)
                connection = _Connection(reader, writer)
                self._open.add(connection)
            try:
                response, keep_alive = await connection.exchange(request)
            except BaseException:
                self._discard(connection)
                raise
            if keep_alive:
                self._idle.append((connection, time.monotonic()))
            else:
                self._discard(connection)
            return response

    async def get(self, path: str, timeout_s: float = 30.0) -> Response:
        return await self.send(self.build("GET", path), timeout_s)

    def _take_idle(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:  # bounded: each turn removes one
            connection, since = self._idle.pop()
            if now - since < _MAX_IDLE_S:
                return connection
            self._discard(connection)
        return None

    def _discard(self, connection: _Connection) -> None:
        self._open.discard(connection)
        connection.close()

    def close(self) -> None:
        for connection in list(self._open):
            self._discard(connection)
        self._idle.clear()
