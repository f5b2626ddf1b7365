"""The webhook sink: `python -m bench.e2e.sink --port P`, run by the bench as a subprocess.

A bare asyncio protocol on uvloop (no framework): it answers every POST with 200 at once and
records, for each event in the body (a JSON array when the destination batches, else one
object), its messageId and the time the whole request had arrived (`time.monotonic_ns()`,
the same system-wide clock the load generator stamps its sends with).

    POST <any path>            record the events, answer 200 {}
    GET  /__stats              {"requests", "events", "unique", "malformed"}
    GET  /__records?from=N     {"ids": [...], "t_ns": [...]}: records N.. in arrival order

It runs in its own process so that parsing webhook bodies never takes the GIL from the load
generator.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from collections.abc import Sequence
from typing import Any, Final, cast

import orjson

_MAX_HEAD: Final = 64 * 1024
_OK: Final = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class Recorder:
    """Every event that arrived, in order; duplicates are kept (and counted)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.t_ns: list[int] = []
        self.seen: set[str] = set()
        self.requests = 0
        self.malformed = 0

    def record(self, body: bytes, arrived_ns: int) -> None:
        self.requests += 1
        try:
            document: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            self.malformed += 1
            return
        events = document if isinstance(document, list) else [document]
        for event in events:
            message_id = event.get("messageId") if isinstance(event, dict) else None
            if not isinstance(message_id, str):
                self.malformed += 1
                continue
            self.ids.append(message_id)
            self.t_ns.append(arrived_ns)
            self.seen.add(message_id)

    def stats(self) -> bytes:
        return orjson.dumps(
            {
                "requests": self.requests,
                "events": len(self.ids),
                "unique": len(self.seen),
                "malformed": self.malformed,
            }
        )

    def records(self, start: int) -> bytes:
        return orjson.dumps({"ids": self.ids[start:], "t_ns": self.t_ns[start:]})


def _answer(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


class SinkProtocol(asyncio.Protocol):
    """HTTP/1.1 with Content-Length bodies and keep-alive (what httpx sends)."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.need = -1  # body bytes still expected for the current request; -1: reading a head
        self.method = ""
        self.target = ""
        self.close_after = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:  # bounded: each turn consumes a head or a body
            if self.need < 0 and not self._read_head():
                return
            if len(self.buffer) < self.need:
                return
            body = bytes(self.buffer[: self.need])
            del self.buffer[: self.need]
            self.need = -1
            self._respond(body, time.monotonic_ns())

    def _read_head(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > _MAX_HEAD:
                self._fail("431 Request Header Fields Too Large")
            return False
        lines = self.buffer[:end].decode("latin-1").split("\r\n")
        del self.buffer[: end + 4]
        request_line = lines[0].split(" ")
        if len(request_line) != 3:
            self._fail("400 Bad Request")
            return False
        self.method, self.target = request_line[0], request_line[1]
        self.need = 0
        self.close_after = request_line[2] == "HTTP/1.0"
        for line in lines[1:]:
            name, _, value = line.partition(":")
            lowered = name.strip().lower()
            if lowered == "content-length":
                self.need = int(value.strip())
            elif lowered == "transfer-encoding":
                self._fail("411 Length Required")
                return False
            elif lowered == "connection":
                self.close_after = value.strip().lower() == "close"
        return True

    def _respond(self, body: bytes, arrived_ns: int) -> None:
        assert self.transport is not None
        path, _, query = self.target.partition("?")
        if self.method == "GET" and path == "/__stats":
            reply = _answer("200 OK", self.recorder.stats())
        elif self.method == "GET" and path == "/__records":
            start = 0
            for pair in query.split("&"):
                key, _, value = pair.partition("=")
                if key == "from" and value.isdigit():
                    start = int(value)
            reply = _answer("200 OK", self.recorder.records(start))
        elif self.method in ("POST", "PUT", "PATCH"):
            if not path.startswith("/__"):
                self.recorder.record(body, arrived_ns)
            reply = _OK
        else:
            reply = _answer("404 Not Found", b"{}")
        self.transport.write(reply)
        if self.close_after:
            self.transport.close()
            self.transport = None

    def _fail(self, status: str) -> None:
        assert self.transport is not None
        self.transport.write(_answer(status, b"{}"))
        self.transport.close()
        self.transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(host: str, port: int) -> None:
    recorder = Recorder()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = await loop.create_server(lambda: SinkProtocol(recorder), host, port, backlog=1024)
    async with server:
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e.sink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        asyncio.run(serve(args.host, args.port))
    else:
        uvloop.run(serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
