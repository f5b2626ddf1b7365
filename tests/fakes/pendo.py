"""A fake Pendo on loopback: the metadata and Track Events APIs as Pendo documents them.

    with FakePendo() as pendo:                      # keys: INTEGRATION_KEY, TRACK_SECRET
        ...point the destination's api_base_url at pendo.url...
        assert pendo.visitors["u1"] == {"plan": "pro"}

What it does, unless scripted otherwise:

- `POST /api/v1/metadata/{visitor|account}/{agent|custom}/value[?create=true]` needs the
  integration key in `x-pendo-integration-key` (else 401). The body is a JSON array of
  `{"visitorId"|"accountId": id, "values": {...}}` (else 400). It answers 200 with counts:
  `{"total", "updated", "failed", "missing", "errors", "kind"}`. Without `create=true` a record
  it has not seen is counted missing; a `custom` field not in `custom_fields` fails the record.
- `POST /data/track` needs the Track Event Shared Secret in the same header (else 401) and a
  body with `type: "track"`, `event`, `visitorId`, an integer `timestamp` and a `context`
  object (else 400). It answers 200 with an empty body.
- Any other path is 404; any other method 405.

Pendo publishes no API rate limit, so by default the fake refuses nothing for load; given
`rate_limit=(requests, seconds)` or `max_concurrent` it answers requests over them with 429.
`meter` counts requests in a rolling window (of the `rate_limit` seconds, else 1 s) and in
flight either way; `latency` keeps each request in flight that long.

`script(Reply(...))` answers the next requests with those replies instead (429, 5xx, 400,
bodies that are not JSON, delays), in order; the requests are recorded either way.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from tests.fakes.limits import Meter
from tests.fakes.sink import Received, Reply, Sink

INTEGRATION_KEY: Final = "pendo-int-key-7f3a9c"
TRACK_SECRET: Final = "pendo-track-secret-d41e"

_ID_FIELDS: Final = {"visitor": "visitorId", "account": "accountId"}


@dataclass
class _Store:
    visitors: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)


class FakePendo(Sink):
    def __init__(
        self,
        *replies: Reply,
        integration_key: str = INTEGRATION_KEY,
        track_secret: str = TRACK_SECRET,
        custom_fields: frozenset[str] = frozenset(),
        rate_limit: tuple[int, float] | None = None,
        max_concurrent: int | None = None,
        latency: float = 0.0,
    ) -> None:
        self.integration_key = integration_key
        self.track_secret = track_secret
        self.custom_fields = custom_fields
        self._store = _Store()
        calls, window = rate_limit if rate_limit is not None else (None, 1.0)
        self.meter = Meter(calls, window, max_concurrent)
        self.latency = latency
        super().__init__(*replies)

    def __enter__(self) -> FakePendo:
        return self

    # -- what Pendo now holds --------------------------------------------------------------

    @property
    def visitors(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {key: dict(values) for key, values in self._store.visitors.items()}

    @property
    def accounts(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {key: dict(values) for key, values in self._store.accounts.items()}

    @property
    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._store.events)

    # -- answering -------------------------------------------------------------------------

    def _record(self, received: Received) -> Reply:
        over = self.meter.enter()
        try:
            with self._lock:
                self._received.append(received)
                self._lock.notify_all()
            if self.latency:
                time.sleep(self.latency)  # in flight: other requests may arrive meanwhile
            if over is not None:
                return Reply(429, {"Retry-After": "1"}, "Too Many Requests")
            with self._lock:
                if self._replies:
                    return self._replies.popleft()
                return self._answer(received)
        finally:
            self.meter.leave()

    def _answer(self, received: Received) -> Reply:
        parts = urlsplit(received.path)
        segments = parts.path.strip("/").split("/")
        if parts.path == "/data/track":
            return self._only_post(received) or self._track_event(received)
        if (
            len(segments) == 6
            and segments[:3] == ["api", "v1", "metadata"]
            and segments[3] in _ID_FIELDS
            and segments[4] in ("agent", "custom")
            and segments[5] == "value"
        ):
            create = parse_qs(parts.query).get("create") == ["true"]
            return self._only_post(received) or self._metadata(
                received, segments[3], segments[4], create
            )
        return Reply(404, {"Content-Type": "text/plain"}, "404 page not found")

    @staticmethod
    def _only_post(received: Received) -> Reply | None:
        if received.method == "POST":
            return None
        return Reply(405, {"Content-Type": "text/plain"}, "Method Not Allowed")

    def _metadata(self, received: Received, kind: str, group: str, create: bool) -> Reply:
        if received.header("x-pendo-integration-key") != self.integration_key:
            return _unauthorized()
        try:
            records: Any = json.loads(received.body)
        except ValueError:
            return _bad_request("body is not valid JSON")
        id_field = _ID_FIELDS[kind]
        if not isinstance(records, list) or not all(
            isinstance(record, dict)
            and isinstance(record.get(id_field), str)
            and record[id_field]
            and isinstance(record.get("values", {}), dict)
            for record in records
        ):
            return _bad_request(f"expected a JSON array of {{{id_field}, values}} objects")
        store = self._store.visitors if kind == "visitor" else self._store.accounts
        updated, missing, errors = 0, [], []
        for record in records:
            record_id: str = record[id_field]
            values: dict[str, Any] = record.get("values", {})
            if record_id not in store and not create:
                missing.append(record_id)
                continue
            unknown = sorted(set(values) - self.custom_fields) if group == "custom" else []
            if unknown:
                errors.append(f"{kind} {record_id}: unknown custom field {unknown[0]!r}")
                continue
            store.setdefault(record_id, {}).update(values)
            updated += 1
        answer = {
            "total": len(records),
            "updated": updated,
            "failed": len(errors),
            "missing": missing,
            "errors": errors,
            "kind": kind,
        }
        return Reply(200, {"Content-Type": "application/json"}, json.dumps(answer))

    def _track_event(self, received: Received) -> Reply:
        if received.header("x-pendo-integration-key") != self.track_secret:
            return _unauthorized()
        try:
            body: Any = json.loads(received.body)
        except ValueError:
            return _bad_request("body is not valid JSON")
        if not isinstance(body, dict):
            return _bad_request("expected a JSON object")
        if body.get("type") != "track":
            return _bad_request('type must be "track"')
        for name in ("event", "visitorId"):
            if not isinstance(body.get(name), str) or not body[name]:
                return _bad_request(f"{name} is required")
        timestamp = body.get("timestamp")
        if not isinstance(timestamp, int) or isinstance(timestamp, bool):
            return _bad_request("timestamp must be an integer (milliseconds since the epoch)")
        if not isinstance(body.get("context"), dict):
            return _bad_request("context is required")
        self._store.events.append(body)
        return Reply(200)


def _unauthorized() -> Reply:
    return Reply(401, {"Content-Type": "text/plain"}, "Unauthorized: invalid integration key")


def _bad_request(message: str) -> Reply:
    return Reply(400, {"Content-Type": "application/json"}, json.dumps({"message": message}))
