"""OAuth client credentials: access tokens fetched once and shared until shortly before they
expire.

One cache per process serves every destination type. A token is keyed by the token
endpoint's base URL, the client id **and** a hash of the client secret (`token_key`), so a
destination whose secret was changed never reuses the token of the old one, and two
destinations on one vendor account share a token the vendor would give both anyway. One
thread fetches a given token at a time; the others wait and take it. A token the vendor
refused (401, Marketo's 601/602) is dropped with `invalidate`, unless another thread has
already replaced it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from switchboard.integrations.kit.errors import (
    HTTPFailure,
    InvalidAuthentication,
    UnexpectedResponse,
)

if TYPE_CHECKING:
    from switchboard.integrations.kit.context import ActionContext

#: A token is renewed this long before the vendor said it expires (seconds).
RENEW_MARGIN: Final = 60.0

#: The life (seconds) of a token whose answer does not say.
DEFAULT_LIFE: Final = 3600.0

TokenKey = tuple[str, ...]


def token_key(base_url: str, client_id: str, client_secret: str, *more: str) -> TokenKey:
    """What a token is cached by; the secret only as a hash, so it is not kept in memory twice
    under another name."""
    digest = hashlib.sha256(client_secret.encode()).hexdigest()
    return (base_url, client_id, digest, *more)


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    expires_at: float  # on the cache's clock
    extra: dict[str, Any] = field(default_factory=dict)  # what else the answer said


def lifetime(expires_in: object, margin: float = RENEW_MARGIN) -> float:
    """How long to keep a token the vendor said lives `expires_in` seconds: that, less the
    margin; half of a life too short for the margin; `DEFAULT_LIFE` when it said nothing."""
    seconds = DEFAULT_LIFE
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0:
        seconds = float(expires_in)
    if seconds > 2 * margin:
        return seconds - margin
    return seconds / 2


class TokenCache:
    """Tokens by `token_key`, safe to share between threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[TokenKey, Token] = {}
        self._fetching: dict[TokenKey, threading.Lock] = {}

    def peek(self, key: TokenKey) -> Token | None:
        """The cached token while it is good; never fetches."""
        with self._lock:
            return self._valid(key)

    def get(self, key: TokenKey, fetch: Callable[[], Token]) -> tuple[Token, bool]:
        """The cached token, or the one `fetch` returns (called by one thread at a time per
        key); and whether it was fetched now. `fetch` raises when there is no token."""
        with self._lock:
            cached = self._valid(key)
            if cached is not None:
                return cached, False
            fetching = self._fetching.setdefault(key, threading.Lock())
        with fetching:
            with self._lock:
                cached = self._valid(key)
            if cached is not None:
                return cached, False
            token = fetch()
            with self._lock:
                self._tokens[key] = token
            return token, True

    def put(self, key: TokenKey, token: Token) -> None:
        with self._lock:
            self._tokens[key] = token

    def invalidate(self, key: TokenKey, access_token: str) -> None:
        """Forget `access_token` (the vendor refused it); a newer token stays."""
        with self._lock:
            found = self._tokens.get(key)
            if found is not None and found.access_token == access_token:
                del self._tokens[key]

    def _valid(self, key: TokenKey) -> Token | None:
        token = self._tokens.get(key)
        if token is not None and token.expires_at > self.clock():
            return token
        return None


#: Statuses with which a token endpoint refuses the credentials themselves.
REFUSED: Final = frozenset({400, 401, 403})


def fetch_client_credentials(
    ctx: ActionContext,
    url: str,
    client_id: str,
    client_secret: str,
    *,
    send_as: str = "form",
    extra: dict[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Token:
    """Ask `url` for a client-credentials token, sending the credentials as a form body
    (RFC 6749), a JSON body (`send_as="json"`) or query parameters of a GET (`"query"`).

    Raises `InvalidAuthentication` when the endpoint refuses the credentials (400/401/403),
    `HTTPFailure` for any other failure, `UnexpectedResponse` for a 2xx without a token. The
    new token is hidden from every exchange the context records from now on."""
    ctx.add_secret(client_secret)
    fields = {"grant_type": "client_credentials", "client_id": client_id}
    fields["client_secret"] = client_secret
    fields.update(extra or {})
    if send_as == "query":
        reply = ctx.request("GET", url, params=fields, throw=False)
    elif send_as == "json":
        reply = ctx.request("POST", url, json=fields, throw=False)
    else:
        form = "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())
        reply = ctx.request(
            "POST",
            url,
            content=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            throw=False,
        )
    if not reply.ok:
        reason = f"token request failed: {reply.outcome.reason}"
        if reply.status in REFUSED:
            raise InvalidAuthentication(reason)
        raise HTTPFailure(replace(reply.outcome, reason=reason))
    answer = reply.json()
    access_token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(access_token, str) or not access_token:
        raise UnexpectedResponse("the token answer has no access_token")
    ctx.add_secret(access_token)
    assert isinstance(answer, dict)
    rest = {k: v for k, v in answer.items() if k != "access_token"}
    return Token(access_token, clock() + lifetime(answer.get("expires_in")), rest)
