"""Access tokens: fetched with the client credentials, cached until they expire.

Marketo's tokens belong to the LaunchPoint service (its client id), live an hour, and are the
same for every caller until then, so one cache per process serves every send. A token Marketo
calls invalid or expired (601, 602) is dropped and the next call fetches a new one.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

import orjson

from switchboard.integrations.base import Exchange, Outcome, OutcomeKind, SendContext
from switchboard.integrations.http import (
    body_excerpt,
    describe,
    redact_text,
    request,
    status_line,
)
from switchboard.integrations.marketo.endpoints import OAUTH_PATH, TOKEN_RENEW_MARGIN
from switchboard.integrations.marketo.settings import MarketoSettings

#: Which service a token belongs to: (base URL, client id).
TokenKey = tuple[str, str]

_CREDENTIALS_HINT: Final = "check the client id and client secret"

#: A new token's life (seconds) when the answer does not say: Marketo's tokens live an hour.
DEFAULT_TOKEN_LIFE: Final = 3600.0


@dataclass(frozen=True, slots=True)
class Fetched:
    """A token, or the outcome that kept us from one; and the exchange it took, if any."""

    token: str | None
    outcome: Outcome
    exchange: Exchange | None = None
    expires_in: float = 0.0  # seconds the token has left, as the identity endpoint said


class TokenCache:
    """Tokens by service, shared by the threads of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fetching = threading.Lock()
        self._tokens: dict[TokenKey, tuple[str, float]] = {}  # token, monotonic expiry

    def get(self, key: TokenKey) -> str | None:
        """The cached token if it has more than `TOKEN_RENEW_MARGIN` seconds to live."""
        with self._lock:
            found = self._tokens.get(key)
        if found is None or found[1] - TOKEN_RENEW_MARGIN <= time.monotonic():
            return None
        return found[0]

    def put(self, key: TokenKey, token: str, expires_in: float) -> None:
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + expires_in)

    def drop(self, key: TokenKey, token: str) -> None:
        """Forget `token` (Marketo refused it), unless another thread has already replaced it."""
        with self._lock:
            if self._tokens.get(key, ("", 0.0))[0] == token:
                del self._tokens[key]

    def token(
        self, settings: MarketoSettings, context: SendContext, secrets: Sequence[str]
    ) -> Fetched:
        """A usable token: the cached one, or a new one fetched once for all waiting threads."""
        key = (settings.base_url, settings.client_id)
        cached = self.get(key)
        if cached is not None:
            return Fetched(cached, Outcome.delivered())
        with self._fetching:
            cached = self.get(key)
            if cached is not None:
                return Fetched(cached, Outcome.delivered())
            fetched = fetch(settings, context, secrets)
            if fetched.token is not None:
                self.put(key, fetched.token, fetched.expires_in)
            return fetched


def fetch(settings: MarketoSettings, context: SendContext, secrets: Sequence[str]) -> Fetched:
    """Ask the identity endpoint for a token (client-credentials grant, form-encoded)."""
    form = urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret.get_secret_value(),
        }
    )
    sent = request(
        context.http,
        "POST",
        settings.base_url + OAUTH_PATH,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        content=form.encode(),
        timeout=settings.timeout_seconds,
        secrets=secrets,
    )
    outcome = describe(sent.response, sent.failure, secrets=secrets)
    response = sent.response
    if response is None or outcome.kind is not OutcomeKind.DELIVERED:
        if response is not None and response.status_code in (400, 401, 403):
            outcome = Outcome.permanent(
                f"could not get a Marketo access token: {outcome.reason} ({_CREDENTIALS_HINT})",
                outcome.code,
            )
        else:
            outcome = dataclasses.replace(
                outcome, reason=f"could not get a Marketo access token: {outcome.reason}"
            )
        return Fetched(None, outcome, sent.exchange)
    try:
        body: Any = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        excerpt = body_excerpt(response.content, secrets)
        reason = f"{status_line(response.status_code)} from the token endpoint without a token"
        reason = f"{reason}: {excerpt}" if excerpt else reason
        return Fetched(None, Outcome.temporary(reason, "invalid_token_response"), sent.exchange)
    # The token was not known when the exchange was recorded: hide it in the record now.
    exchange = dataclasses.replace(
        sent.exchange,
        response_body=(
            redact_text(sent.exchange.response_body, [token])
            if sent.exchange.response_body is not None
            else None
        ),
    )
    expires_in = body.get("expires_in") if isinstance(body, dict) else None
    seconds = (
        float(expires_in)
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
        else DEFAULT_TOKEN_LIFE
    )
    return Fetched(token, Outcome.delivered(), exchange, seconds)
