"""A fake Salesforce Marketing Cloud on loopback: token endpoint, journey events, rowsets.

    with FakeSFMC(event_definitions={"APIEvent-1"}, data_extensions={"DE-1"}) as sfmc:
        ...point the destination's auth_base_url at sfmc.url...
        assert sfmc.journey_entries[0]["ContactKey"] == "u1"
        assert sfmc.token_calls == 1

What it does, unless scripted otherwise:

- `POST /v2/token` takes a JSON (or form) body with `grant_type: client_credentials` and the
  client id and secret (and `account_id`, which must match when the fake has one); else 401
  `{"error": "invalid_client", ...}`. It answers 200 with `access_token`, `token_type`,
  `expires_in`, `scope`, `soap_instance_url` and `rest_instance_url` (this fake's URL with a
  trailing slash, as Marketing Cloud writes it). `token_calls` counts these requests.
- Every other path needs `Authorization: Bearer <a token it issued and has not expired>`, else
  401 `{"message": "Not Authorized", "errorcode": 0}`. `expire_tokens()` expires them all.
- `POST /interaction/v1/events` takes `{ContactKey, EventDefinitionKey, Data?}`: 201
  `{"eventInstanceId": ...}`; 400 with Marketing Cloud's error JSON for an unknown definition
  key or a missing field.
- `POST /hub/v1/dataevents/key:{key}/rowset` takes `[{"keys": {...}, "values": {...}}]` and
  upserts the rows: 200 with the rows echoed; 400 for an unknown data extension key.
- Any other path is 404; any other method 405.

Marketing Cloud publishes no fixed rate; it throttles a tenant with 429 (errorcode 50100,
`Retry-After`). Given `rate_limit=(requests, seconds)` or `max_concurrent`, the fake answers
REST requests over them that way. `meter` counts REST requests in a rolling window (of the
`rate_limit` seconds, else 1 s) and in flight, whether limits are set or not; `latency` keeps
each REST request in flight that long.

`script(Reply(...))` answers the next REST requests (not token requests) with those replies
instead, in order: 429 with Retry-After, 5xx, 400 with error JSON, a 200 whose body reports
`operationStatus: "FAIL"`, malformed JSON. `script_token(...)` does the same for the token
endpoint. Requests are recorded either way.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from typing import Any, Final
from urllib.parse import parse_qsl, unquote

from tests.fakes.limits import Meter
from tests.fakes.sink import Received, Reply, Sink

CLIENT_ID: Final = "sfmc-client-id-4b7c"
CLIENT_SECRET: Final = "sfmc-client-secret-9e2f10"
ACCOUNT_ID: Final = "510001234"
EVENT_DEFINITION: Final = "APIEvent-3f1c-signup"
DATA_EXTENSION: Final = "Segment_Identify_DE"

_ROWSET_PREFIX: Final = "/hub/v1/dataevents/key:"
_JSON: Final = {"Content-Type": "application/json"}


def error_reply(status: int, message: str, errorcode: int, **extra: Any) -> Reply:
    """An answer in Marketing Cloud's error shape."""
    body = {"message": message, "errorcode": errorcode, "documentation": "", **extra}
    return Reply(status, _JSON, json.dumps(body))


class FakeSFMC(Sink):
    def __init__(
        self,
        *replies: Reply,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        account_id: str | None = None,
        event_definitions: frozenset[str] = frozenset({EVENT_DEFINITION}),
        data_extensions: frozenset[str] = frozenset({DATA_EXTENSION}),
        expires_in: int = 1079,
        rate_limit: tuple[int, float] | None = None,
        max_concurrent: int | None = None,
        latency: float = 0.0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.account_id = account_id
        self.event_definitions = event_definitions
        self.data_extensions = data_extensions
        self.expires_in = expires_in
        self._token_replies: deque[Reply] = deque()
        self._serial = itertools.count(1)
        self._valid_tokens: set[str] = set()
        self._issued: list[str] = []
        self._entries: list[dict[str, Any]] = []
        self._rows: dict[str, dict[str, dict[str, Any]]] = {}
        calls, window = rate_limit if rate_limit is not None else (None, 1.0)
        self.meter = Meter(calls, window, max_concurrent)
        self.latency = latency
        super().__init__(*replies)

    def __enter__(self) -> FakeSFMC:
        return self

    # -- scripting -------------------------------------------------------------------------

    def script_token(self, *replies: Reply) -> None:
        """Answer the next token requests with `replies`, in order."""
        with self._lock:
            self._token_replies.extend(replies)

    def expire_tokens(self) -> None:
        """Every token issued so far is now refused with 401."""
        with self._lock:
            self._valid_tokens.clear()

    # -- what Marketing Cloud now holds ----------------------------------------------------

    @property
    def token_calls(self) -> int:
        return sum(1 for r in self.requests if r.path.split("?")[0] == "/v2/token")

    @property
    def issued_tokens(self) -> list[str]:
        with self._lock:
            return list(self._issued)

    @property
    def api_requests(self) -> list[Received]:
        """The requests other than token requests."""
        return [r for r in self.requests if r.path.split("?")[0] != "/v2/token"]

    @property
    def journey_entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    @property
    def rows(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Rows by data extension key, then by their keys as JSON (sorted)."""
        with self._lock:
            return {key: dict(rows) for key, rows in self._rows.items()}

    # -- answering -------------------------------------------------------------------------

    def _record(self, received: Received) -> Reply:
        with self._lock:
            self._received.append(received)
            self._lock.notify_all()
            if received.path.split("?")[0] == "/v2/token":
                if self._token_replies:
                    return self._token_replies.popleft()
                return self._only_post(received) or self._token(received)
        over = self.meter.enter()
        try:
            if self.latency:
                time.sleep(self.latency)  # in flight: other requests may arrive meanwhile
            if over is not None:
                limited = error_reply(429, "Rate limit exceeded", 50100, retryAfter=1)
                return Reply(429, {**limited.headers, "Retry-After": "1"}, limited.body)
            with self._lock:
                if self._replies:
                    return self._replies.popleft()
                return self._answer(received)
        finally:
            self.meter.leave()

    def _answer(self, received: Received) -> Reply:
        path = received.path.split("?")[0]
        if path == "/interaction/v1/events":
            return self._only_post(received) or self._authorized(received) or self._event(received)
        if path.startswith(_ROWSET_PREFIX) and path.endswith("/rowset"):
            key = unquote(path[len(_ROWSET_PREFIX) : -len("/rowset")])
            return (
                self._only_post(received)
                or self._authorized(received)
                or self._rowset(received, key)
            )
        return Reply(404, {"Content-Type": "text/plain"}, "404 page not found")

    @staticmethod
    def _only_post(received: Received) -> Reply | None:
        if received.method == "POST":
            return None
        return Reply(405, {"Content-Type": "text/plain"}, "Method Not Allowed")

    def _token(self, received: Received) -> Reply:
        content_type = received.header("content-type") or ""
        body: Any
        if content_type.startswith("application/x-www-form-urlencoded"):
            body = dict(parse_qsl(received.body.decode()))
        else:
            try:
                body = json.loads(received.body)
            except ValueError:
                return Reply(400, _JSON, json.dumps({"error": "invalid_request"}))
        if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
            return Reply(400, _JSON, json.dumps({"error": "unsupported_grant_type"}))
        if (
            body.get("client_id") != self.client_id
            or body.get("client_secret") != self.client_secret
            or (self.account_id is not None and body.get("account_id") != self.account_id)
        ):
            refusal = {
                "error": "invalid_client",
                "error_description": "Client authentication failed.",
            }
            return Reply(401, _JSON, json.dumps(refusal))
        token = f"sfmc-token-{next(self._serial)}-a8d3f0c9e1"
        self._valid_tokens.add(token)
        self._issued.append(token)
        answer: dict[str, Any] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": "journeys_read data_extensions_write",
            "soap_instance_url": f"{self.url}/soap/",
            "rest_instance_url": f"{self.url}/",
        }
        return Reply(200, _JSON, json.dumps(answer))

    def _authorized(self, received: Received) -> Reply | None:
        header = received.header("authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token in self._valid_tokens:
            return None
        return error_reply(401, "Not Authorized", 0)

    def _event(self, received: Received) -> Reply:
        try:
            body: Any = json.loads(received.body)
        except ValueError:
            return error_reply(400, "Malformed JSON", 10004)
        if not isinstance(body, dict):
            return error_reply(400, "Expected a JSON object", 10004)
        for name in ("ContactKey", "EventDefinitionKey"):
            if not isinstance(body.get(name), str) or not body[name]:
                return error_reply(400, f"{name} is required", 10002)
        if body["EventDefinitionKey"] not in self.event_definitions:
            message = f"Event definition with key {body['EventDefinitionKey']} not found"
            return error_reply(400, message, 10000)
        if "Data" in body and not isinstance(body["Data"], dict):
            return error_reply(400, "Data must be an object", 10001)
        self._entries.append(body)
        instance = f"evt-{len(self._entries):04d}"
        return Reply(201, _JSON, json.dumps({"eventInstanceId": instance}))

    def _rowset(self, received: Received, key: str) -> Reply:
        if key not in self.data_extensions:
            return error_reply(
                400,
                "Unable to find the data extension",
                10000,
            )
        try:
            rows: Any = json.loads(received.body)
        except ValueError:
            return error_reply(400, "Malformed JSON", 10004)
        if not isinstance(rows, list) or not all(
            isinstance(row, dict)
            and isinstance(row.get("keys"), dict)
            and row["keys"]
            and isinstance(row.get("values", {}), dict)
            for row in rows
        ):
            return error_reply(400, "Expected an array of {keys, values} objects", 10001)
        store = self._rows.setdefault(key, {})
        for row in rows:
            primary = json.dumps(row["keys"], sort_keys=True)
            store.setdefault(primary, {}).update({**row.get("values", {}), **row["keys"]})
        return Reply(200, _JSON, json.dumps(rows))
