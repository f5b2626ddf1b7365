"""The tracking API's answers: exactly `200 {"success": true}`, or a JSON error.

Error bodies carry `code` and `message` (analytics-python 2.3 reads both; without them it
retries errors it should drop) and `error` (analytics-ruby reads that one).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import Send

SUCCESS_BODY = b'{"success":true}'
JSON = (b"content-type", b"application/json")


def error_body(code: str, message: str) -> bytes:
    return orjson.dumps({"success": False, "code": code, "message": message, "error": message})


async def send_response(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    content_type: tuple[bytes, bytes] = JSON,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [content_type, (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_error(
    send: Send, status: int, code: str, message: str, headers: list[tuple[bytes, bytes]]
) -> None:
    await send_response(send, status, error_body(code, message), headers)


def json_body(document: Any) -> bytes:
    return orjson.dumps(document)
