"""Salesforce Marketing Cloud: identify → data-extension row and/or journey entry, track →
journey entry for mapped events.

One request per event (two for an identify that does both), since a journey entry has no bulk
form that reports per contact. Every request carries a bearer token from `auth.TokenCache`;
when the REST API answers 401 the token is dropped, a new one fetched and the request sent
once more, at most once per send. Every request, token requests included, first takes room
in the tenant's budget (`budget.Budget`: requests per second and in flight, from the
settings), shared by every worker. page, screen, group and alias have no home here, so they
are recorded as unsupported and never reach `send`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

import orjson
from pydantic import BaseModel

from switchboard.integrations.base import (
    Adapter,
    Exchange,
    Message,
    Outcome,
    OutcomeKind,
    Result,
    SendContext,
)
from switchboard.integrations.budget import Budget, Limits
from switchboard.integrations.http import ErrorKind, Sent, request
from switchboard.integrations.sfmc import identify, track
from switchboard.integrations.sfmc.auth import USER_AGENT, Token, TokenCache
from switchboard.integrations.sfmc.endpoints import MAX_LIMIT_WAIT
from switchboard.integrations.sfmc.mapping import SFMCRequest, Unmappable
from switchboard.integrations.sfmc.responses import outcome_of
from switchboard.integrations.sfmc.settings import SFMCSettings

UNAUTHORIZED: Final = 401

#: After one of these, the rest of a send call is not sent: Marketing Cloud is down or asked
#: us to slow down, or the tenant's budget is full, and every remaining event gets the same
#: retry without costing a request.
_STOP_SENDING_CODES: Final = frozenset(
    {
        ErrorKind.TIMEOUT.value,
        ErrorKind.CONNECTION.value,
        "http_429",
        "rate_limited",
        "concurrency_limited",
    }
)


class SFMCAdapter(Adapter):
    type = "sfmc"
    display_name = "Salesforce Marketing Cloud"
    supported_calls = frozenset({"identify", "track"})
    settings_model = SFMCSettings

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.tokens = TokenCache(clock)

    def send(
        self, settings: BaseModel, messages: Sequence[Message], context: SendContext
    ) -> list[Result]:
        if not isinstance(settings, SFMCSettings):
            raise TypeError(f"expected SFMCSettings, got {type(settings).__name__}")
        session = _Session(self.tokens, settings, context)
        results: list[Result] = []
        stopped: Outcome | None = None
        for message in messages:
            try:
                built = _build(message, settings)
                contents = [_encode(part) for part in built]
            except Unmappable as exc:
                results.append(Result(message.delivery_id, Outcome.permanent(exc.reason, exc.code)))
                continue
            if stopped is not None:
                results.append(Result(message.delivery_id, stopped))
                continue
            exchanges: list[Exchange] = []
            outcome = Outcome.delivered()
            for part, content in zip(built, contents, strict=True):
                outcome, token_failed = session.post(part.path, content, exchanges)
                if token_failed:
                    stopped = outcome
                if outcome.kind is not OutcomeKind.DELIVERED:
                    break
            if outcome.code in _STOP_SENDING_CODES:
                stopped = outcome
            results.append(Result(message.delivery_id, outcome, exchanges))
        return results


@dataclass
class _Session:
    """One send's use of the token cache and of the tenant's limits: every request, token
    requests included, first takes room in the budget; a refused token is refreshed at most
    once."""

    tokens: TokenCache
    settings: SFMCSettings
    context: SendContext
    budget: Budget = field(init=False)
    refreshed: bool = False

    def __post_init__(self) -> None:
        limits = Limits(
            self.settings.max_requests_per_second,
            1.0,
            self.settings.max_concurrent_requests,
            "Marketing Cloud",
        )
        self.budget = Budget(
            self.context.limiter,
            limit_key(self.settings),
            limits,
            max_wait=MAX_LIMIT_WAIT,
            call_timeout=self.settings.timeout_seconds,
        )

    def post(self, path: str, content: bytes, exchanges: list[Exchange]) -> tuple[Outcome, bool]:
        """POST to the REST base; the outcome, and whether it stands for a missing token."""
        secret = self.settings.client_secret.get_secret_value()
        token, refusal = self._token(exchanges)
        if token is None:
            assert refusal is not None
            return refusal, True
        sent = self._request(token.rest_base + path, content, token.access_token, secret)
        if isinstance(sent, Outcome):
            return sent, False
        exchanges.append(sent.exchange)
        if (
            sent.response is not None
            and sent.response.status_code == UNAUTHORIZED
            and not self.refreshed
        ):
            self.refreshed = True
            self.tokens.invalidate(self.settings, token)
            token, refusal = self._token(exchanges)
            if token is None:
                assert refusal is not None
                return refusal, True
            sent = self._request(token.rest_base + path, content, token.access_token, secret)
            if isinstance(sent, Outcome):
                return sent, False
            exchanges.append(sent.exchange)
        secrets = [secret, token.access_token]
        return outcome_of(sent, secrets), False

    def _token(self, exchanges: list[Exchange]) -> tuple[Token | None, Outcome | None]:
        """The cached token, or a new one fetched within the budget; or why there is none."""
        cached = self.tokens.peek(self.settings)
        if cached is not None:
            return cached, None
        with self.budget.call() as limited:
            if limited is not None:
                return None, limited
            fetched = self.tokens.get(self.settings, self.context.http)
        if fetched.exchange is not None:
            exchanges.append(fetched.exchange)
        return fetched.token, fetched.outcome

    def _request(self, url: str, content: bytes, access_token: str, secret: str) -> Sent | Outcome:
        """The request sent, or the temporary outcome when the budget had no room for it."""
        with self.budget.call() as limited:
            if limited is not None:
                return limited
            return request(
                self.context.http,
                "POST",
                url,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": USER_AGENT,
                    "Authorization": f"Bearer {access_token}",
                },
                content=content,
                timeout=self.settings.timeout_seconds,
                secrets=[secret, access_token],
            )


def limit_key(settings: SFMCSettings) -> str:
    """Marketing Cloud throttles per tenant, whichever destination calls it."""
    return f"sfmc:{settings.auth_base_url}"


def _build(message: Message, settings: SFMCSettings) -> list[SFMCRequest]:
    """The requests for one event; raises `Unmappable` when it lacks what SFMC requires."""
    call = message.event.get("type")
    if call == "identify":
        return identify.build(message.event, settings)
    if call == "track":
        return track.build(message.event, settings)
    raise Unmappable(
        f"Salesforce Marketing Cloud does not support {call} calls", "unsupported_call"
    )


def _encode(part: SFMCRequest) -> bytes:
    try:
        return orjson.dumps(part.body)
    except orjson.JSONEncodeError as exc:
        raise Unmappable(f"the event cannot be sent as JSON: {exc}", "invalid_json") from None
