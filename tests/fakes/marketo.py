"""A fake Marketo on loopback: the identity, Sync Leads and custom activities APIs.

    with FakeMarketo(activity_types={100001: {"url"}}) as marketo:
        ...point the destination's base_url at marketo.url...
        assert marketo.leads_by("email")["ada@example.com"]["firstName"] == "Ada"

What it does, unless scripted otherwise:

- `POST /identity/oauth/token` takes `grant_type=client_credentials`, `client_id` and
  `client_secret` (form body or query). Wrong credentials: HTTP 401. Otherwise 200 with
  `{"access_token", "token_type": "bearer", "expires_in", "scope"}`; while a token lives, the
  same one is returned with its remaining life, as Marketo does. `token_calls` counts them;
  `expire_tokens()` ends every token's life at once.
- REST calls need `Authorization: Bearer <token>`: none is error 600, an unknown one 601, an
  expired one 602. Like every Marketo error, these are HTTP 200 with `success: false` and
  `errors: [{"code": "60x", "message": ...}]`.
- `POST /rest/v1/leads.json` (createOrUpdate by `lookupField`, ≤ 300 records) answers each
  record `created` or `updated` with its id, or `skipped` with `reasons`: 1003 without the
  lookup value, 1006 for a field not in `lead_fields`, or the code `skip_leads` gives its
  lookup value.
- `POST /rest/v1/activities/external.json` (≤ 300) answers each record `added`, or
  `skipped` with `errors`: 1004 for an unknown lead, 1013 for an activity type not in
  `activity_types`, 1006 for an attribute that type lacks.
- REST calls are held to Marketo's limits, as Marketo holds them: more than `rate_limit`
  (100 calls in the past 20 s) is error 606, more than `max_concurrent` (10) in flight is
  error 615. `meter` keeps the counts (the most calls seen in one window and in flight, and
  every refusal); `latency` keeps each REST call in flight that long, so that concurrency
  shows.
- `fail_next("606", ...)` makes the next REST calls (after the token check) answer with those
  call-level errors; `skip_once[value] = code` skips the lead with that lookup value once;
  `script(Reply(...))` answers the next requests of any kind (5xx, bodies that are not JSON,
  delays) instead. Requests are recorded either way.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from tests.fakes.limits import Meter
from tests.fakes.sink import Received, Reply, Sink

CLIENT_ID: Final = "mkto-client-3b9f"
CLIENT_SECRET: Final = "mkto-secret-9d2c71ae"

STANDARD_FIELDS: Final = frozenset(
    {"email", "firstName", "lastName", "phone", "company", "title", "website", "dateOfBirth"}
    | {"address", "city", "state", "postalCode", "country", "userId", "anonymousId"}
)

_MESSAGES: Final = {
    "600": "Access token not specified",
    "601": "Access token invalid",
    "602": "Access token expired",
    "606": "Max rate limit '100' exceeded with in '20' secs",
    "607": "Daily quota reached",
    "609": "Invalid JSON",
    "611": "System error",
    "615": "Concurrent access limit reached",
}


@dataclass
class _Token:
    value: str
    expires_at: float  # time.monotonic()


class FakeMarketo(Sink):
    def __init__(
        self,
        *replies: Reply,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        token_life: int = 3600,
        lead_fields: frozenset[str] = STANDARD_FIELDS,
        activity_types: dict[int, frozenset[str]] | None = None,
        rate_limit: tuple[int, float] = (100, 20.0),
        max_concurrent: int = 10,
        latency: float = 0.0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_life = token_life
        self.lead_fields = lead_fields
        self.activity_types = dict(activity_types or {})
        self.skip_leads: dict[str, str] = {}
        self.skip_once: dict[str, str] = {}
        self.meter = Meter(rate_limit[0], rate_limit[1], max_concurrent)
        self.latency = latency
        self._token: _Token | None = None
        self._issued: dict[str, _Token] = {}
        self._failures: deque[str] = deque()
        self._leads: dict[int, dict[str, Any]] = {}
        self._activities: list[dict[str, Any]] = []
        self._token_calls = 0
        super().__init__(*replies)

    def __enter__(self) -> FakeMarketo:
        return self

    # -- scripting and what Marketo now holds ----------------------------------------------

    def expire_tokens(self) -> None:
        """End the life of every token issued so far; the next token call gets a new one."""
        with self._lock:
            for token in self._issued.values():
                token.expires_at = 0.0
            self._token = None

    def fail_next(self, *codes: str) -> None:
        """Answer the next REST calls that pass the token check with these error codes."""
        with self._lock:
            self._failures.extend(codes)

    @property
    def token_calls(self) -> int:
        with self._lock:
            return self._token_calls

    @property
    def leads(self) -> dict[int, dict[str, Any]]:
        with self._lock:
            return {lead_id: dict(lead) for lead_id, lead in self._leads.items()}

    def leads_by(self, field_name: str) -> dict[Any, dict[str, Any]]:
        return {lead.get(field_name): lead for lead in self.leads.values()}

    @property
    def activities(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(activity) for activity in self._activities]

    @property
    def rest_requests(self) -> list[Received]:
        return [r for r in self.requests if r.path.startswith("/rest/")]

    # -- answering -------------------------------------------------------------------------

    def _record(self, received: Received) -> Reply:
        limited = urlsplit(received.path).path.startswith("/rest/")
        over = self.meter.enter() if limited else None
        try:
            with self._lock:
                self._received.append(received)
                self._lock.notify_all()
            if limited and self.latency:
                time.sleep(self.latency)  # in flight: other calls may arrive meanwhile
            with self._lock:
                if over == "rate":
                    return _error("606", _MESSAGES["606"])
                if over == "concurrency":
                    return _error("615", _MESSAGES["615"])
                if self._replies:
                    return self._replies.popleft()
                return self._answer(received)
        finally:
            if limited:
                self.meter.leave()

    def _answer(self, received: Received) -> Reply:
        path = urlsplit(received.path).path
        if path == "/identity/oauth/token":
            return self._issue_token(received)
        if path not in ("/rest/v1/leads.json", "/rest/v1/activities/external.json"):
            return _error("610", "Requested resource not found")
        if received.method != "POST":
            return _error("605", "Request method not supported")
        refused = self._check_token(received)
        if refused is not None:
            return refused
        if self._failures:
            code = self._failures.popleft()
            return _error(code, _MESSAGES.get(code, "Error"))
        try:
            body: Any = json.loads(received.body)
        except ValueError:
            return _error("609", "Invalid JSON")
        records = body.get("input") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records:
            return _error("701", "'input' cannot be blank")
        if len(records) > 300:
            return _error("1003", "Batch too large")
        if path == "/rest/v1/leads.json":
            return _ok([self._upsert(body.get("lookupField", "email"), r) for r in records])
        return _ok([self._add_activity(record) for record in records])

    def _issue_token(self, received: Received) -> Reply:
        self._token_calls += 1
        params = parse_qs(urlsplit(received.path).query)
        params.update(parse_qs(received.body.decode()))
        if (
            params.get("grant_type") != ["client_credentials"]
            or params.get("client_id") != [self.client_id]
            or params.get("client_secret") != [self.client_secret]
        ):
            body = {"error": "unauthorized", "error_description": "Bad client credentials"}
            return Reply(401, {"Content-Type": "application/json"}, json.dumps(body))
        now = time.monotonic()
        if self._token is None or self._token.expires_at <= now:
            self._token = _Token(f"tok-{secrets.token_hex(8)}:ab", now + self.token_life)
            self._issued[self._token.value] = self._token
        answer = {
            "access_token": self._token.value,
            "token_type": "bearer",
            "expires_in": max(0, int(self._token.expires_at - now)),
            "scope": "apiuser@example.com",
        }
        return Reply(200, {"Content-Type": "application/json"}, json.dumps(answer))

    def _check_token(self, received: Received) -> Reply | None:
        header = received.header("authorization") or ""
        if not header.startswith("Bearer ") or not header.removeprefix("Bearer ").strip():
            return _error("600", _MESSAGES["600"])
        token = self._issued.get(header.removeprefix("Bearer ").strip())
        if token is None:
            return _error("601", _MESSAGES["601"])
        if token.expires_at <= time.monotonic():
            return _error("602", _MESSAGES["602"])
        return None

    def _upsert(self, lookup_field: str, record: object) -> dict[str, Any]:
        if not isinstance(record, dict) or record.get(lookup_field) in (None, ""):
            return _skipped("reasons", "1003", f"Value for lookup field '{lookup_field}' missing")
        value = record[lookup_field]
        if str(value) in self.skip_leads:
            code = self.skip_leads[str(value)]
            return _skipped("reasons", code, "Skipped as scripted")
        if str(value) in self.skip_once:
            code = self.skip_once.pop(str(value))
            return _skipped("reasons", code, "Skipped once as scripted")
        unknown = sorted(set(record) - self.lead_fields)
        if unknown:
            return _skipped("reasons", "1006", f"Field '{unknown[0]}' not found")
        for lead_id, lead in self._leads.items():
            if lead.get(lookup_field) == value:
                lead.update(record)
                return {"id": lead_id, "status": "updated"}
        lead_id = len(self._leads) + 1001
        self._leads[lead_id] = {"id": lead_id, **record}
        return {"id": lead_id, "status": "created"}

    def _add_activity(self, record: object) -> dict[str, Any]:
        if not isinstance(record, dict):
            return _skipped("errors", "1003", "Invalid activity")
        for name in ("leadId", "activityDate", "activityTypeId", "primaryAttributeValue"):
            if record.get(name) in (None, ""):
                return _skipped("errors", "1003", f"Value for required field '{name}' missing")
        if record["leadId"] not in self._leads:
            return _skipped("errors", "1004", f"Lead '{record['leadId']}' not found")
        attributes = self.activity_types.get(record["activityTypeId"])
        if attributes is None:
            return _skipped("errors", "1013", "Activity type not found")
        for attribute in record.get("attributes", []):
            if attribute.get("apiName") not in attributes:
                return _skipped(
                    "errors", "1006", f"Attribute '{attribute.get('apiName')}' not found"
                )
        self._activities.append(record)
        number = len(self._activities)
        return {"id": number, "marketoGUID": str(number), "status": "added"}


def _ok(result: list[dict[str, Any]]) -> Reply:
    body = {"requestId": f"{secrets.token_hex(2)}#{secrets.token_hex(6)}", "success": True}
    return Reply(200, {"Content-Type": "application/json"}, json.dumps({**body, "result": result}))


def _error(code: str, message: str) -> Reply:
    body = {
        "requestId": f"{secrets.token_hex(2)}#{secrets.token_hex(6)}",
        "success": False,
        "errors": [{"code": code, "message": message}],
    }
    return Reply(200, {"Content-Type": "application/json"}, json.dumps(body))


def error_reply(code: str, message: str = "") -> Reply:
    """A scripted call-level error, as Marketo sends it: HTTP 200, `success: false`."""
    return _error(code, message or _MESSAGES.get(code, "Error"))


def _skipped(key: str, code: str, message: str) -> dict[str, Any]:
    return {"status": "skipped", key: [{"code": code, "message": message}]}
