"""Play the SDK scenario with an official Python SDK, unmodified; print a JSON report.

Usage: `python python_sdk.py < plan.json`. The plan's `sdk` is `segment`
(segment-analytics-python, whichever version is first on sys.path: the test puts 2.3.x there
with PYTHONPATH) or `rudder` (rudder-sdk-python). A standalone program, not a test module, so
two versions of one package never meet in the test process.

The SDK is only observed: a `requests` response hook on its own session records each request
it made (headers, body, status), `on_error` and the SDK's logger record what it reports.
"""

from __future__ import annotations

import gzip
import importlib
import json
import logging
import sys
from datetime import datetime
from typing import Any


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


def main() -> None:
    plan: dict[str, Any] = json.load(sys.stdin)
    # Configured through the module, as the README shows and most applications do.
    package = "segment" if plan["sdk"] == "segment" else "rudderstack"
    analytics: Any = importlib.import_module(f"{package}.analytics")
    transport: Any = importlib.import_module(f"{package}.analytics.request")
    if package == "segment":
        analytics.host = plan["host"]
    else:
        analytics.dataPlaneUrl = plan["host"]
    analytics.write_key = plan["writeKey"]

    requests: list[dict[str, Any]] = []
    errors: list[str] = []
    logs = _Collect()
    logging.getLogger(package).addHandler(logs)

    def record(response: Any, *args: Any, **kwargs: Any) -> None:
        sent = response.request
        body = sent.body if isinstance(sent.body, bytes) else sent.body.encode()
        if sent.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        document = json.loads(body)
        requests.append(
            {
                "url": sent.url,
                "status": response.status_code,
                "headers": dict(sent.headers),
                "bytes": len(body),
                "messageIds": [m["messageId"] for m in document["batch"]],
                "bodyWriteKey": document.get("writeKey"),
            }
        )

    transport._session.hooks["response"].append(record)
    analytics.gzip = plan["gzip"]
    # One retry at most, so a failure shows up as a retry in seconds, not minutes.
    analytics.max_retries = 1
    analytics.on_error = lambda error, batch: errors.append(repr(error))
    prefix = plan["messageIdPrefix"]

    def mid(name: str) -> str | None:
        return f"{prefix}-{name}" if prefix else None

    user, anon = plan["userId"], plan["anonymousId"]
    analytics.identify(user_id=user, traits=plan["identify"]["traits"], message_id=mid("identify"))
    order = plan["order"]
    analytics.track(
        user_id=user,
        event=order["event"],
        properties=order["properties"],
        timestamp=datetime.fromisoformat(order["timestamp"].replace("Z", "+00:00")),
        message_id=mid("order"),
    )
    page = plan["page"]
    analytics.page(
        user_id=user,
        category=page["category"],
        name=page["name"],
        properties=page["properties"],
        message_id=mid("page"),
    )
    screen = plan["screen"]
    analytics.screen(
        user_id=user,
        name=screen["name"],
        properties=screen["properties"],
        message_id=mid("screen"),
    )
    analytics.group(
        user_id=user,
        group_id=plan["groupId"],
        traits=plan["group"]["traits"],
        message_id=mid("group"),
    )
    analytics.alias(previous_id=user, user_id=plan["newUserId"], message_id=mid("alias"))
    burst = plan["burst"]
    for seq in range(burst["count"]):
        analytics.track(
            anonymous_id=anon,
            event=burst["event"],
            properties={"seq": seq},
            message_id=mid(f"burst-{seq}"),
        )
    large = plan["large"]
    for seq in range(large["count"]):
        analytics.track(
            anonymous_id=anon,
            event=large["event"],
            properties={"seq": seq, "padding": "x" * large["bytes"]},
            message_id=mid(f"large-{seq}"),
        )
    analytics.shutdown()  # flush, then wait for the upload thread
    report = {
        "library": {"name": "analytics-python", "version": analytics.__version__},
        "requests": requests,
        "errors": errors,
        "logs": logs.lines,
    }
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
