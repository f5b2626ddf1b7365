"""Access tokens: fetched with the client credentials, shared through the kit's token cache.

Marketo's tokens belong to the LaunchPoint service (its client id), live an hour, and are the
same for every caller until then, so one cache per process serves every send
(`ctx.tokens`, keyed by `kit.oauth.token_key` of the endpoint, the client id and the secret).
A token Marketo calls invalid or expired (601, 602) is dropped with `forget`, and the next
call fetches a new one. The fetch is Marketo's own rather than the kit's
`fetch_client_credentials` only so that its failures keep the reasons and codes they have
always had (`http_401` "… (check the client id and client secret)").
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final
from urllib.parse import urlencode

from switchboard.integrations.http import body_excerpt, status_line
from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.errors import (
    HTTPFailure,
    InvalidAuthentication,
    KitError,
    UnexpectedResponse,
)
from switchboard.integrations.kit.oauth import REFUSED, Token, TokenKey, lifetime, token_key
from switchboard.integrations.marketo.endpoints import OAUTH_PATH
from switchboard.integrations.marketo.settings import MarketoSettings

_PREFIX: Final = "could not get a Marketo access token"


class CredentialsRefused(InvalidAuthentication):
    """The identity endpoint refused the client id and secret (400, 401, 403)."""

    hint = "check the client id and client secret"


def key_of(settings: MarketoSettings) -> TokenKey:
    """What the instance's token is cached by."""
    return token_key(
        settings.base_url, settings.client_id, settings.client_secret.get_secret_value()
    )


def access_token(ctx: ActionContext, settings: MarketoSettings) -> str:
    """A usable token: the cached one, or one fetched now (once for all waiting threads).

    Raises the fetch's `KitError`; after one, nothing more of this send is sent, since no
    call could succeed without a token."""
    try:
        token, _ = ctx.tokens.get(key_of(settings), lambda: fetch(ctx, settings))
    except KitError as exc:
        ctx.stop(exc.outcome)
        raise
    # A token cached by an earlier send is hidden from this send's exchanges too.
    ctx.add_secret(token.access_token)
    return token.access_token


def forget(ctx: ActionContext, settings: MarketoSettings, access: str) -> None:
    """Drop `access` (Marketo refused it), unless another thread has already replaced it."""
    ctx.tokens.invalidate(key_of(settings), access)


def fetch(ctx: ActionContext, settings: MarketoSettings) -> Token:
    """Ask the identity endpoint for a token (client-credentials grant, form-encoded)."""
    form = urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret.get_secret_value(),
        }
    )
    reply = ctx.request(
        "POST",
        settings.base_url + OAUTH_PATH,
        content=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        throw=False,
    )
    response = reply.response
    if response is None or not reply.ok:
        if reply.exchange is None:
            # Nothing was sent (the budget is used up, or the send was stopped): not a failure
            # of the token endpoint.
            raise HTTPFailure(reply.outcome)
        reason = f"{_PREFIX}: {reply.outcome.reason}"
        if reply.status in REFUSED:
            raise CredentialsRefused(reason, code=reply.outcome.code)
        raise HTTPFailure(replace(reply.outcome, reason=reason))
    answer = reply.json()
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        excerpt = body_excerpt(response.content, ctx.secrets)
        reason = f"{status_line(response.status_code)} from the token endpoint without a token"
        raise UnexpectedResponse(
            f"{reason}: {excerpt}" if excerpt else reason, code="invalid_token_response"
        )
    # Hidden from the exchange that carried it, and from every later one.
    ctx.add_secret(token)
    assert isinstance(answer, dict)
    return Token(token, ctx.tokens.clock() + lifetime(answer.get("expires_in")))
