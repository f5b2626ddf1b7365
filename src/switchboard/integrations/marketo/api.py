"""One send's REST calls to Marketo: each under the instance's limits, with a token.

`Calls.post` fetches or reuses the token and posts, each HTTP call first taking room in the
instance's `budget.Budget` (calls per rolling window, calls in flight; Marketo's 100 per 20 s
and 10 by default) when the caller lends a limiter. A token fetch is a call like any other.
On 601/602 it renews the token and repeats the call once. After a rate limit, a timeout, a
refused connection or a failed token fetch it sends nothing more in this send: the remaining
calls get the same outcome without costing Marketo's quota.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from switchboard import __version__
from switchboard.integrations.base import Exchange, Outcome, SendContext
from switchboard.integrations.budget import Budget, Limits
from switchboard.integrations.http import ErrorKind, request
from switchboard.integrations.marketo.auth import TokenCache
from switchboard.integrations.marketo.endpoints import MAX_LIMIT_WAIT
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
        self._budget = Budget(
            context.limiter,
            limit_key(settings),
            Limits(
                settings.calls_per_window,
                settings.window_seconds,
                settings.max_concurrent_calls,
                "Marketo",
            ),
            max_wait=MAX_LIMIT_WAIT,
            call_timeout=settings.timeout_seconds,
        )

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
        if outcome.code in STOP_SENDING_CODES:
            self._stopped = outcome
        return call

    def _post_once(self, path: str, body: dict[str, Any], exchanges: list[Exchange]) -> Answer:
        key = (self._settings.base_url, self._settings.client_id)
        token = self._tokens.get(key)
        if token is None:
            with self._budget.call() as limited:
                if limited is not None:
                    return Answer(limited)
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
        with self._budget.call() as limited:
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
        answer = read_answer(sent, self._secrets)
        if answer.error_code in TOKEN_CODES:
            self._tokens.drop(key, token)
        return answer


def limit_key(settings: MarketoSettings) -> str:
    """Marketo's limits are per instance, whichever destination or integration calls it."""
    return f"marketo:{settings.base_url}"
