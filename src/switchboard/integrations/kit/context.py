"""What an action works with during one send: requests that are recorded, redacted, timed
out, counted against the vendor's budget and stopped after a throttle; tokens; a cache.

`ActionContext.request` is the only way an action talks to its vendor:

- every request is recorded as an `Exchange` (what was sent, what came back), with every
  secret of the settings, and every value given to `add_secret`, hidden;
- it waits at most the destination's timeout for each phase;
- when the destination declares limits, it first takes room in the shared budget
  (`integrations/budget.py`), so every worker together stays within the vendor's quota;
- after a timeout, a refused connection, a 429, a throttle or a full budget, the rest of the
  send does not go to that endpoint (`stop_key`; by default the whole destination): later
  requests fail at once with the same outcome instead of costing a timeout or quota each.

A non-2xx answer, or none, raises `HTTPFailure` unless `throw=False`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Final, Generic, TypeVar

import httpx
import orjson
from pydantic import BaseModel

from switchboard import __version__
from switchboard.integrations.base import CallLimiter, Exchange, Outcome, OutcomeKind
from switchboard.integrations.budget import Budget, Limits
from switchboard.integrations.http import ErrorKind, describe, redact_text
from switchboard.integrations.http import request as http_request
from switchboard.integrations.kit.errors import HTTPFailure
from switchboard.integrations.kit.oauth import TokenCache
from switchboard.integrations.kit.secrets import secret_values

USER_AGENT: Final = f"Switchboard/{__version__}"

#: After an outcome with one of these codes the rest of a send does not go to that endpoint.
STOP_SENDING_CODES: Final = frozenset(
    {
        ErrorKind.TIMEOUT.value,
        ErrorKind.CONNECTION.value,
        "http_429",
        "throttled",
        "rate_limited",
        "concurrency_limited",
    }
)

#: How long a request may wait, in all, for room in the budget before its event is retried.
MAX_LIMIT_WAIT: Final = 5.0

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Reply:
    """One answered (or unanswered) request: the response, its outcome, its exchange."""

    response: httpx.Response | None
    outcome: Outcome
    exchange: Exchange | None

    @property
    def ok(self) -> bool:
        return self.outcome.kind is OutcomeKind.DELIVERED

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    def json(self) -> Any:
        """The body as JSON; None when there is no body or it is not JSON."""
        if self.response is None or not self.response.content:
            return None
        try:
            return orjson.loads(self.response.content)
        except orjson.JSONDecodeError:
            return None


class TTLCache(Generic[K, V]):
    """A small, thread-safe cache whose entries expire; the oldest go first when full."""

    def __init__(self, max_entries: int = 10_000, clock: Any = time.monotonic) -> None:
        self._entries: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[1] <= self._clock():
                del self._entries[key]
                return None
            return found[0]

    def put(self, key: K, value: V, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (value, self._clock() + ttl)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def drop(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


def _hide(exchange: Exchange, value: str) -> Exchange:
    def text(found: str | None) -> str | None:
        return redact_text(found, [value]) if found is not None else None

    return replace(
        exchange,
        url=redact_text(exchange.url, [value]),
        request_body=text(exchange.request_body),
        response_body=text(exchange.response_body),
        request_headers={k: redact_text(v, [value]) for k, v in exchange.request_headers.items()},
        response_headers={k: redact_text(v, [value]) for k, v in exchange.response_headers.items()},
    )


class ActionContext:
    """One send's requests to one destination. Not shared between threads."""

    def __init__(
        self,
        http: httpx.Client,
        settings: BaseModel,
        *,
        timeout: float,
        limiter: CallLimiter | None = None,
        scope: str = "",
        limits: Limits | None = None,
        limit_key: str = "",
        stop_codes: frozenset[str] = frozenset(),
        cache: TTLCache[Any, Any] | None = None,
        tokens: TokenCache | None = None,
    ) -> None:
        self.http = http
        self.settings = settings
        self.timeout = timeout
        self.scope = scope
        #: Shared by every send of this destination type in the process (lead ids, …).
        self.cache: TTLCache[Any, Any] = cache if cache is not None else TTLCache()
        #: OAuth tokens, shared like the cache (`kit/oauth.py`).
        self.tokens = tokens if tokens is not None else TokenCache()
        self._secrets = secret_values(settings)
        self._stop_codes = STOP_SENDING_CODES | stop_codes
        self._stopped: dict[str, Outcome] = {}
        self._exchanges: list[Exchange] = []
        self._budget = (
            Budget(
                limiter,
                limit_key or f"{scope}:budget",
                limits,
                max_wait=MAX_LIMIT_WAIT,
                call_timeout=timeout,
            )
            if limits is not None
            else None
        )

    # -- what an action sees ---------------------------------------------------------------

    @property
    def secrets(self) -> list[str]:
        return list(self._secrets)

    def add_secret(self, value: str) -> None:
        """Hide `value` (a token just fetched) from every exchange recorded from now on, and
        from those recorded and not yet taken (the answer that carried it)."""
        if not value or value in self._secrets:
            return
        self._secrets.append(value)
        self._exchanges = [_hide(exchange, value) for exchange in self._exchanges]

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        throw: bool = True,
        stop_key: str = "",
        budget: bool = True,
    ) -> Reply:
        """Send one request (see the module's docstring). `json` is encoded with orjson."""
        stopped = self._stopped.get(stop_key)
        if stopped is not None:
            return self._reply(Reply(None, stopped, None), throw)
        sent_headers = {"User-Agent": USER_AGENT}
        if json is not None:
            content = orjson.dumps(json)
            sent_headers["Content-Type"] = "application/json"
        sent_headers.update(headers or {})
        if params:
            url = str(httpx.URL(url, params=dict(params)))
        with self._room(budget) as limited:
            if limited is not None:
                self._stopped[stop_key] = limited
                return self._reply(Reply(None, limited, None), throw)
            sent = http_request(
                self.http,
                method,
                url,
                headers=sent_headers,
                content=content,
                timeout=self.timeout,
                secrets=self._secrets,
            )
        self._exchanges.append(sent.exchange)
        outcome = describe(sent.response, sent.failure, secrets=self._secrets)
        if outcome.code in self._stop_codes:
            self._stopped[stop_key] = outcome
        return self._reply(Reply(sent.response, outcome, sent.exchange), throw)

    def raise_for(self, reply: Reply) -> None:
        """Raise `HTTPFailure` for a reply that did not deliver (after reading it with
        `throw=False`); return for one that did."""
        if not reply.ok:
            raise HTTPFailure(reply.outcome)

    def stop(self, outcome: Outcome, stop_key: str = "") -> None:
        """Send nothing more to `stop_key` in this send: later requests get `outcome`."""
        self._stopped.setdefault(stop_key, outcome)

    def stopped(self, stop_key: str = "") -> Outcome | None:
        return self._stopped.get(stop_key)

    def is_stop_code(self, code: str) -> bool:
        return code in self._stop_codes

    # -- what the kit uses -----------------------------------------------------------------

    def take_exchanges(self) -> list[Exchange]:
        """The exchanges recorded since the last call."""
        taken, self._exchanges = self._exchanges, []
        return taken

    @contextmanager
    def _room(self, use_budget: bool) -> Iterator[Outcome | None]:
        if self._budget is None or not use_budget:
            yield None
            return
        with self._budget.call() as limited:
            yield limited

    @staticmethod
    def _reply(reply: Reply, throw: bool) -> Reply:
        if throw and not reply.ok:
            raise HTTPFailure(reply.outcome)
        return reply
