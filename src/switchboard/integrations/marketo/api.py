"""One send's REST calls to Marketo: each under the instance's limits, with a token.

`Calls.post` waits for the shared call budget (100 per 20 s) and a concurrency slot (10 per
instance) when the caller lends a limiter, fetches or reuses the token, posts, and reads the
answer. On 601/602 it renews the token and repeats the call once. After a rate limit, a
timeout, a refused connection or a failed token fetch it sends nothing more in this send:
the remaining calls get the same outcome without costing Marketo's quota.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from switchboard import __version__
from switchboard.integrations.base import Exchange, Outcome, OutcomeKind, SendContext
from switchboard.integrations.http import ErrorKind, request
from switchboard.integrations.marketo.auth import TokenCache
from switchboard.integrations.marketo.endpoints import (
    CALLS_PER_SECOND,
    MAX_CONCURRENT_CALLS,
    MAX_LIMIT_WAIT,
)
from switchboard.integrations.marketo.responses import TOKEN_CODES, Answer, read_answer
from switchboard.integrations.marketo.settings import MarketoSettings

USER_AGENT: Final = f"Switchboard/{__version__}"

#: Outcome codes after which the rest of a send is not sent.
STOP_SENDING_CODES: Final = frozenset(
    {
        ErrorKind.TIMEOUT.value,
        ErrorKind.CONNECTION.value,
        "http_429",
        "marketo_606",
        "marketo_607",
        "marketo_615",
        "rate_limited",
        "concurrency_limited",
    }
)

#: How often to look for a free concurrency slot while waiting (seconds).
_SLOT_POLL: Final = 0.05


@dataclass(slots=True)
class Call:
    """A finished call: its answer and every exchange it took (token fetches included)."""

    answer: Answer
    exchanges: list[Exchange] = field(default_factory=list)


class Calls:
    def __init__(self, settings: MarketoSettings, context: SendContext, tokens: TokenCache):
        self._settings = settings
        self._context = context
        self._tokens = tokens
        self._secrets = [settings.client_secret.get_secret_value()]
        self._stopped: Outcome | None = None

    def post(self, path: str, body: dict[str, Any]) -> Call:
        """POST `body` as JSON to `path`; never raises for what Marketo or the network does."""
        if self._stopped is not None:
            return Call(Answer(self._stopped))
        call = Call(Answer(Outcome.delivered()))
        for attempt in (1, 2):
            call.answer = self._post_once(path, body, call.exchanges)
            renew = call.answer.error_code in TOKEN_CODES
            if not renew or attempt == 2:
                break
        outcome = call.answer.outcome
        if outcome.kind is OutcomeKind.RETRY and outcome.code in STOP_SENDING_CODES:
            self._stopped = outcome
        return call

    def _post_once(self, path: str, body: dict[str, Any], exchanges: list[Exchange]) -> Answer:
        limited, slot = self._hold()
        if limited is not None:
            return Answer(limited)
        try:
            fetched = self._tokens.token(self._settings, self._context, self._secrets)
            if fetched.exchange is not None:
                exchanges.append(fetched.exchange)
            if fetched.token is None:
                # Without a token no call can succeed: the rest of the send shares this outcome.
                self._stopped = fetched.outcome
                return Answer(fetched.outcome)
            token = fetched.token
            if token not in self._secrets:
                self._secrets.append(token)
            if fetched.exchange is not None:
                # The token fetch took this call's budget; the call itself needs another.
                limited = self._take_budget()
                if limited is not None:
                    return Answer(limited)
            sent = request(
                self._context.http,
                "POST",
                self._settings.base_url + path,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                },
                content=orjson.dumps(body),
                timeout=self._settings.timeout_seconds,
                secrets=self._secrets,
            )
            exchanges.append(sent.exchange)
            answer = read_answer(sent, self._context.policy, self._secrets)
            if answer.error_code in TOKEN_CODES:
                self._tokens.drop((self._settings.base_url, self._settings.client_id), token)
            return answer
        finally:
            if slot is not None and self._context.limiter is not None:
                self._context.limiter.release_slot(self._limit_key, slot)

    @property
    def _limit_key(self) -> str:
        return f"{self._context.scope}:marketo"

    def _hold(self) -> tuple[Outcome | None, str | None]:
        """Take one call from the shared budget and a concurrency slot; or, when neither comes
        within `MAX_LIMIT_WAIT`, the retry outcome that says which limit held us back."""
        limiter = self._context.limiter
        if limiter is None:
            return None, None
        limited = self._take_budget()
        if limited is not None:
            return limited, None
        deadline = time.monotonic() + MAX_LIMIT_WAIT
        ttl = self._settings.timeout_seconds * 2 + MAX_LIMIT_WAIT
        while True:
            slot = limiter.acquire_slot(self._limit_key, MAX_CONCURRENT_CALLS, ttl)
            if slot is not None:
                return None, slot
            if time.monotonic() >= deadline:
                reason = f"{MAX_CONCURRENT_CALLS} calls to this Marketo instance are in flight"
                return Outcome.retry(reason, "concurrency_limited", 1.0), None
            time.sleep(_SLOT_POLL)

    def _take_budget(self) -> Outcome | None:
        limiter = self._context.limiter
        if limiter is None:
            return None
        deadline = time.monotonic() + MAX_LIMIT_WAIT
        while True:
            wait = limiter.take(self._limit_key, CALLS_PER_SECOND, 1)
            if wait <= 0:
                return None
            if time.monotonic() + wait > deadline:
                reason = "this Marketo instance's budget of 100 calls per 20 s is used up"
                return Outcome.retry(reason, "rate_limited", wait)
            time.sleep(wait)
