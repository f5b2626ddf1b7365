"""A fake Google Analytics 4 Measurement Protocol on loopback, as Google documents it.

    with FakeGa4() as ga4:                     # stream MEASUREMENT_ID, secret API_SECRET
        ...point the destination's base_url at ga4.url...
        assert ga4.events[0]["name"] == "page_view"

What it does, unless scripted otherwise:

- `POST /mp/collect?measurement_id=…&api_secret=…` answers 204 with an empty body, whatever
  it is sent: Google "does not return an error code if the payload data was malformed". It
  keeps the events of a request only when the request is valid (below) for a stream it knows,
  with that stream's secret; the rest are dropped without a word, as Google drops them.
- `POST /debug/mp/collect` (the validation server) takes the same request and answers 200
  `{"validationMessages": [...]}`, each `{"fieldPath", "description", "validationCode"}`, for
  what is wrong: a missing or unknown measurement ID or API secret, a body that is not a JSON
  object, no client_id, no events or more than 25, event, parameter or user property names
  that are too long, start with something other than a letter, hold other characters or a
  reserved prefix; more than 25 parameters or user properties; values that are too long;
  a body of 130 kB or more. An empty list means the request is valid.
- Any other path is 404; any other method 405.

`script(Reply(...))` answers the next requests with those replies instead (5xx, 429, a
validation server answering HTML); the requests are recorded either way.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from tests.fakes.sink import Received, Reply, Sink

MEASUREMENT_ID: Final = "G-FAKE4TEST"
API_SECRET: Final = "ga4-secret-Zq81xR"

_NAME: Final = re.compile(r"[^\W\d_]\w*")
_PREFIXES: Final = ("ga_", "google_", "firebase_")
_LONG_VALUES: Final = {"page_title": 300, "page_referrer": 420, "page_location": 1000}


def _message(path: str, description: str, code: str) -> dict[str, str]:
    return {"fieldPath": path, "description": description, "validationCode": code}


def _name_problems(name: Any, path: str, max_length: int) -> list[dict[str, str]]:
    if not isinstance(name, str) or not name:
        return [_message(path, "Name is required.", "VALUE_REQUIRED")]
    if len(name) > max_length:
        return [
            _message(
                path,
                f"Name [{name}] exceeds max length of [{max_length}].",
                "VALUE_OUT_OF_BOUNDS",
            )
        ]
    if not _NAME.fullmatch(name):
        return [
            _message(
                path,
                f"Name [{name}] must start with an alphabetic character and contain only "
                "alpha-numeric characters and underscores.",
                "NAME_INVALID",
            )
        ]
    if name.lower().startswith(_PREFIXES):
        return [_message(path, f"Name [{name}] uses a reserved prefix.", "NAME_RESERVED")]
    return []


def _value_problems(value: Any, path: str, max_length: int) -> list[dict[str, str]]:
    if isinstance(value, str) and len(value) > max_length:
        return [
            _message(path, f"Value exceeds max length of [{max_length}].", "VALUE_OUT_OF_BOUNDS")
        ]
    return []


class FakeGa4(Sink):
    def __init__(
        self,
        *replies: Reply,
        streams: dict[str, str] | None = None,
    ) -> None:
        #: measurement ID → its API secret
        self.streams = dict(streams or {MEASUREMENT_ID: API_SECRET})
        self._events: list[dict[str, Any]] = []
        super().__init__(*replies)

    def __enter__(self) -> FakeGa4:
        return self

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event kept, with its request's client_id, user_id and user_properties."""
        with self._lock:
            return list(self._events)

    def bodies(self) -> list[Any]:
        """The JSON body of every request received, in order."""
        return [json.loads(received.body) for received in self.requests]

    # -- answering -------------------------------------------------------------------------

    def _record(self, received: Received) -> Reply:
        with self._lock:
            self._received.append(received)
            self._lock.notify_all()
            if self._replies:
                return self._replies.popleft()
            return self._answer(received)

    def _answer(self, received: Received) -> Reply:
        parts = urlsplit(received.path)
        if parts.path not in ("/mp/collect", "/debug/mp/collect"):
            return Reply(404, {"Content-Type": "text/plain"}, "Not Found")
        if received.method != "POST":
            return Reply(405, {"Content-Type": "text/plain"}, "Method Not Allowed")
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        problems, body = self.validate(query, received.body)
        if parts.path == "/debug/mp/collect":
            answer = json.dumps({"validationMessages": problems})
            return Reply(200, {"Content-Type": "application/json"}, answer)
        if not problems:
            # An event's own timestamp_micros wins over the request's, as in Google's order.
            shared_keys = ("client_id", "user_id", "user_properties", "timestamp_micros")
            shared = {key: body[key] for key in shared_keys if key in body}
            self._events.extend({**shared, **event} for event in body["events"])
        return Reply(204)

    def validate(self, query: dict[str, str], raw: bytes) -> tuple[list[dict[str, str]], Any]:
        """What the validation server would say of a request, and its body."""
        problems: list[dict[str, str]] = []
        measurement_id = query.get("measurement_id")
        secret = query.get("api_secret")
        if not measurement_id:
            problems.append(
                _message(
                    "measurement_id",
                    "Unable to find non-empty parameter [measurement_id] value in request.",
                    "VALUE_REQUIRED",
                )
            )
        elif measurement_id not in self.streams:
            problems.append(
                _message(
                    "measurement_id",
                    f"Measurement ID [{measurement_id}] is not a known web stream.",
                    "VALUE_INVALID",
                )
            )
        elif self.streams[measurement_id] != secret:
            problems.append(
                _message(
                    "api_secret",
                    "The api_secret is not a Measurement Protocol API secret of this stream.",
                    "VALUE_INVALID",
                )
            )
        if len(raw) >= 130_000:
            problems.append(
                _message("", "Post body exceeds max size of [130kB].", "VALUE_OUT_OF_BOUNDS")
            )
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return [*problems, _message("", "Unable to parse the body.", "VALUE_INVALID")], body
        if not isinstance(body.get("client_id"), str) or not body["client_id"]:
            problems.append(_message("client_id", "client_id is required.", "VALUE_REQUIRED"))
        events = body.get("events")
        if not isinstance(events, list) or not events:
            problems.append(_message("events", "events is required.", "VALUE_REQUIRED"))
            events = []
        elif len(events) > 25:
            problems.append(
                _message("events", "Too many events: at most [25].", "EXCEEDED_MAX_ENTITIES")
            )
        for index, event in enumerate(events):
            problems += self._event_problems(event, f"events[{index}]")
        props = body.get("user_properties", {})
        if not isinstance(props, dict) or len(props) > 25:
            problems.append(
                _message(
                    "user_properties",
                    "At most [25] user properties.",
                    "EXCEEDED_MAX_ENTITIES",
                )
            )
        else:
            for name, prop in props.items():
                path = f"user_properties.{name}"
                problems += _name_problems(name, path, 24)
                value = prop.get("value") if isinstance(prop, dict) else prop
                problems += _value_problems(value, path, 36)
        return problems, body

    @staticmethod
    def _event_problems(event: Any, path: str) -> list[dict[str, str]]:
        if not isinstance(event, dict):
            return [_message(path, "An event must be an object.", "VALUE_INVALID")]
        problems = _name_problems(event.get("name"), f"{path}.name", 40)
        params = event.get("params", {})
        if not isinstance(params, dict):
            return [
                *problems,
                _message(f"{path}.params", "Params must be an object.", "VALUE_INVALID"),
            ]
        if len(params) > 25:
            problems.append(
                _message(f"{path}.params", "At most [25] params.", "EXCEEDED_MAX_ENTITIES")
            )
        for name, value in params.items():
            where = f"{path}.params.{name}"
            problems += _name_problems(name, where, 40)
            if name == "items" and isinstance(value, list):
                for index, item in enumerate(value):
                    for key, item_value in item.items() if isinstance(item, dict) else []:
                        problems += _name_problems(key, f"{where}[{index}].{key}", 40)
                        problems += _value_problems(item_value, f"{where}[{index}].{key}", 100)
                continue
            problems += _value_problems(value, where, _LONG_VALUES.get(name, 100))
        return problems
