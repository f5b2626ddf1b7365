"""Access tokens: fetched with the client credentials, cached until shortly before they expire.

Marketing Cloud asks for about one token request per 20 minutes per client, so a token is
shared by every send of an adapter instance (one per process) with the same auth host, client
id and account id. Only one thread fetches a given token at a time; the others wait for it.

A token answer is described like any other, except that the token endpoint refusing the
credentials (400, 401, 403) is permanent with the code `auth_failed`, and a 2xx without a usable
`access_token` temporary with the code `invalid_token_response`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
import orjson

from switchboard import __version__
from switchboard.integrations.base import Exchange, Outcome, OutcomeKind
from switchboard.integrations.http import body_excerpt, describe, redact_text, request
from switchboard.integrations.sfmc.endpoints import (
    AUTH_HOST_PART,
    DEFAULT_TOKEN_SECONDS,
    REST_HOST_PART,
    TOKEN_PATH,
    TOKEN_SAFETY_MARGIN_SECONDS,
)
from switchboard.integrations.sfmc.settings import SFMCSettings

USER_AGENT: Final = f"Switchboard/{__version__}"

#: Statuses with which the token endpoint refuses the credentials themselves.
_REFUSED: Final = frozenset({400, 401, 403})

CacheKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    rest_base: str  # without a trailing slash
    expires_at: float  # on the cache's clock


@dataclass(frozen=True, slots=True)
class Fetched:
    """A token, or the outcome that stands for not having one; and the token request's
    exchange when one was made (None when the cache answered)."""

    token: Token | None
    outcome: Outcome | None
    exchange: Exchange | None


def cache_key(settings: SFMCSettings) -> CacheKey:
    return (settings.auth_base_url, settings.client_id, settings.account_id or "")


class TokenCache:
    """Tokens by (auth base URL, client id, account id); safe to share between threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[CacheKey, Token] = {}
        self._fetching: dict[CacheKey, threading.Lock] = {}

    def get(self, settings: SFMCSettings, http: httpx.Client) -> Fetched:
        """The cached token when it is still good, else a new one from the token endpoint."""
        key = cache_key(settings)
        with self._lock:
            cached = self._valid(key)
            if cached is not None:
                return Fetched(cached, None, None)
            fetching = self._fetching.setdefault(key, threading.Lock())
        with fetching:
            with self._lock:
                cached = self._valid(key)
            if cached is not None:
                return Fetched(cached, None, None)
            fetched = fetch_token(settings, http, self._clock())
            if fetched.token is not None:
                with self._lock:
                    self._tokens[key] = fetched.token
            return fetched

    def peek(self, settings: SFMCSettings) -> Token | None:
        """The cached token when it is still good; never fetches."""
        with self._lock:
            return self._valid(cache_key(settings))

    def invalidate(self, settings: SFMCSettings, token: Token) -> None:
        """Forget `token` (refused by the REST API); a newer one another thread got stays."""
        key = cache_key(settings)
        with self._lock:
            if self._tokens.get(key) == token:
                del self._tokens[key]

    def _valid(self, key: CacheKey) -> Token | None:
        token = self._tokens.get(key)
        if token is not None and token.expires_at > self._clock():
            return token
        return None


def fetch_token(settings: SFMCSettings, http: httpx.Client, now: float) -> Fetched:
    """Ask the token endpoint for a token; never raises for what the network or it does."""
    secret = settings.client_secret.get_secret_value()
    body: dict[str, str] = {
        "grant_type": "client_credentials",
        "client_id": settings.client_id,
        "client_secret": secret,
    }
    if settings.account_id:
        body["account_id"] = settings.account_id
    sent = request(
        http,
        "POST",
        settings.auth_base_url + TOKEN_PATH,
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        content=orjson.dumps(body),
        timeout=settings.timeout_seconds,
        secrets=[secret],
    )
    exchange = sent.exchange
    outcome = describe(sent.response, sent.failure, secrets=[secret])
    if outcome.kind is not OutcomeKind.DELIVERED or sent.response is None:
        reason = f"token request failed: {outcome.reason}"
        if sent.response is not None and sent.response.status_code in _REFUSED:
            reason += " (check the client id, client secret and account id)"
            return Fetched(None, Outcome.permanent(reason, "auth_failed"), exchange)
        return Fetched(None, replace(outcome, reason=reason), exchange)

    try:
        answer: Any = orjson.loads(sent.response.content)
    except orjson.JSONDecodeError:
        answer = None
    access_token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(access_token, str) or not access_token:
        excerpt = body_excerpt(sent.response.content, [secret]) or "an empty body"
        reason = f"the token answer has no access_token: {excerpt}"
        return Fetched(None, Outcome.temporary(reason, "invalid_token_response"), exchange)
    exchange = _hide(exchange, access_token)
    assert isinstance(answer, dict)
    rest_base = _rest_base(answer.get("rest_instance_url"), settings.auth_base_url)
    if rest_base is None:
        reason = "the token answer names no usable rest_instance_url"
        return Fetched(None, Outcome.permanent(reason, "invalid_token_response"), exchange)
    lifetime = _lifetime(answer.get("expires_in"))
    return Fetched(Token(access_token, rest_base, now + lifetime), None, exchange)


def _hide(exchange: Exchange, token: str) -> Exchange:
    """The exchange with the new access token hidden from the recorded answer."""
    return replace(
        exchange,
        response_body=(
            redact_text(exchange.response_body, [token])
            if exchange.response_body is not None
            else None
        ),
        response_headers={
            name: redact_text(value, [token]) for name, value in exchange.response_headers.items()
        },
    )


def _rest_base(value: object, auth_base_url: str) -> str | None:
    """`rest_instance_url` when it is an http(s) URL; else the REST host that goes with a
    standard auth host; else None."""
    if isinstance(value, str) and value.strip():
        parts = urlsplit(value.strip())
        if parts.scheme in ("http", "https") and parts.hostname:
            return value.strip().rstrip("/")
        return None
    if AUTH_HOST_PART in auth_base_url:
        return auth_base_url.replace(AUTH_HOST_PART, REST_HOST_PART)
    return None


def _lifetime(expires_in: object) -> float:
    """How long to keep the token: `expires_in` less the safety margin; half of a lifetime too
    short for the margin."""
    seconds = DEFAULT_TOKEN_SECONDS
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0:
        seconds = float(expires_in)
    if seconds > 2 * TOKEN_SAFETY_MARGIN_SECONDS:
        return seconds - TOKEN_SAFETY_MARGIN_SECONDS
    return seconds / 2
