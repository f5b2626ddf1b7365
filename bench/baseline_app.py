"""The ceiling for the ingest hot path: a bare ASGI app that only parses JSON and answers 200.

It reads the whole body, parses it with orjson (as the tracking API does) and answers exactly
`200 {"success":true}`; no auth, no validation, no storage. `bench.ingest` serves it with the
same uvicorn settings as `switchboard serve` (one worker, uvloop, httptools, no access log).

    python -m bench.baseline_app --host 127.0.0.1 --port 8001
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, Final

import orjson
from starlette.types import Receive, Send

SUCCESS_BODY: Final = b'{"success":true}'
FAILURE_BODY: Final = b'{"success":false}'
_JSON: Final = (b"content-type", b"application/json")
#: Never buffer more than this per request (the tracking API's batch limit is 512 KiB).
MAX_BODY_BYTES: Final = 1024 * 1024


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    chunks: list[bytes] = []
    size = 0
    more = True
    while more and size <= MAX_BODY_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return  # the client went away
        chunk: bytes = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = bool(message.get("more_body", False))
    status, body = 200, SUCCESS_BODY
    try:
        orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError:
        status, body = 400, FAILURE_BODY
    headers = [_JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    # The same settings `switchboard serve` passes to uvicorn, so only the app differs.
    uvicorn.run(
        "bench.baseline_app:app",
        host=args.host,
        port=args.port,
        workers=1,
        log_level="info",
        access_log=False,
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
