"""Read a request body within a size limit, inflating gzip, without trusting the client.

The limit applies to the decompressed bytes (what the Spec's limits mean) and is enforced
while reading, so neither a huge upload nor a gzip bomb is ever held in memory. A time limit
bounds the whole body too, so a client that trickles bytes (slowloris) or never finishes a
chunked body cannot hold a request open for ever.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any, Final

from starlette.types import Receive

#: A compressed body may exceed the limit slightly (gzip framing on incompressible data).
_COMPRESSED_SLACK = 1024
#: Seconds a client gets to send a whole body: 512 KiB at ~20 KB/s, a poor mobile link.
BODY_TIMEOUT_SECONDS: Final = 30.0


class BodyError(Exception):
    """The body cannot be used; `status` and `code` say how to answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _too_large(limit: int) -> BodyError:
    return BodyError(413, "payload_too_large", f"request body is larger than {limit} bytes")


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def read_body(
    scope: dict[str, Any], receive: Receive, limit: int, timeout: float = BODY_TIMEOUT_SECONDS
) -> bytes:
    """Return the (inflated) body, or raise `BodyError` (413 too large, 400/415 bad encoding,
    408 not all sent within `timeout` seconds)."""
    encoding = (_header(scope, b"content-encoding") or b"identity").strip().lower()
    if encoding in (b"gzip", b"x-gzip"):
        inflater: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == b"deflate":
        inflater = zlib.decompressobj()
    elif encoding in (b"identity", b""):
        inflater = None
    else:
        raise BodyError(
            415, "unsupported_encoding", f"Content-Encoding {encoding.decode()!r} is not supported"
        )
    wire_limit = limit + _COMPRESSED_SLACK if inflater is not None else limit
    length = _header(scope, b"content-length")
    if length is not None:
        try:
            declared = int(length)
        except ValueError:
            raise BodyError(400, "bad_request", "Content-Length is not a number") from None
        if declared > wire_limit:
            raise _too_large(limit)

    try:
        async with asyncio.timeout(timeout):
            return await _read(receive, inflater, limit, wire_limit)
    except TimeoutError:
        raise BodyError(
            408, "request_timeout", f"the request body was not sent within {timeout:g} s"
        ) from None


async def _read(receive: Receive, inflater: Any, limit: int, wire_limit: int) -> bytes:
    chunks: list[bytes] = []
    received = 0
    inflated = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BodyError(400, "client_disconnected", "client went away mid-body")
        chunk = message.get("body", b"")
        if chunk:
            received += len(chunk)
            if received > wire_limit:
                raise _too_large(limit)
            if inflater is not None:
                try:
                    chunk = inflater.decompress(chunk, limit + 1 - inflated)
                except zlib.error as exc:
                    raise BodyError(
                        400, "invalid_encoding", f"body is not valid gzip: {exc}"
                    ) from None
                if inflater.unconsumed_tail:
                    raise _too_large(limit)
            inflated += len(chunk)
            if inflated > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if inflater is not None:
        try:
            tail = inflater.flush()
        except zlib.error as exc:
            raise BodyError(400, "invalid_encoding", f"body is not valid gzip: {exc}") from None
        if inflated + len(tail) > limit:
            raise _too_large(limit)
        if not inflater.eof:
            raise BodyError(400, "invalid_encoding", "gzip body is truncated")
        chunks.append(tail)
    return b"".join(chunks)
