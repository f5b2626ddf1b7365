"""Access tokens: fetched with the client credentials, shared through the kit's token cache.

Marketing Cloud asks for about one token request per 20 minutes per client, so a token is
cached (`ctx.tokens`, one cache per process) under the auth host, the client id, a hash of the
secret and the account id: destinations with the same credentials share it. The answer's
`rest_instance_url` is the REST base every other request goes to; it is kept with the token.

The token request goes through the send's context like any other (recorded, redacted, within
the tenant's budget). When there is no token, the rest of the send is not sent:

    400, 401, 403                permanent  auth_failed             the credentials were refused
    2xx without `access_token`   temporary  invalid_token_response
    2xx without a usable REST    permanent  invalid_token_response  a non-standard auth host
    base                                                            and no rest_instance_url
    anything else                as `http.describe` says, the reason prefixed "token request
                                 failed: "
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from switchboard.integrations.http import body_excerpt
from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.errors import (
    HTTPFailure,
    InvalidAuthentication,
    KitError,
    UnexpectedResponse,
)
from switchboard.integrations.kit.oauth import REFUSED, Token, TokenKey, lifetime, token_key
from switchboard.integrations.sfmc.endpoints import (
    AUTH_HOST_PART,
    DEFAULT_TOKEN_SECONDS,
    REST_HOST_PART,
    TOKEN_PATH,
)
from switchboard.integrations.sfmc.settings import SFMCSettings

#: Where a token's REST base is kept in `Token.extra` (without a trailing slash).
REST_BASE = "rest_instance_url"


class CredentialsRefused(InvalidAuthentication):
    """The token endpoint refused the client id, client secret or account id."""

    hint = "check the client id, client secret and account id"


class NoRestBase(InvalidAuthentication):
    """The token answer names no REST base, and none follows from the auth host."""

    hint = "check the authentication base URI"


def key_of(settings: SFMCSettings) -> TokenKey:
    """What the token of `settings` is cached by."""
    return token_key(
        settings.auth_base_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        settings.account_id or "",
    )


def access(ctx: ActionContext, settings: SFMCSettings) -> Token:
    """The token for `settings`, cached or fetched now; hidden from every exchange of the send.

    Raises the error that stands for having no token, and then the rest of the send is not
    sent: every later request gets the same outcome without a request."""
    token, _ = ctx.tokens.get(key_of(settings), lambda: _fetch(ctx, settings))
    ctx.add_secret(token.access_token)
    return token


def rest_base(token: Token) -> str:
    base = token.extra.get(REST_BASE)
    assert isinstance(base, str), "tokens are cached with their REST base"
    return base


def _fetch(ctx: ActionContext, settings: SFMCSettings) -> Token:
    try:
        return _request_token(ctx, settings)
    except KitError as exc:
        ctx.stop(exc.outcome)
        raise


def _request_token(ctx: ActionContext, settings: SFMCSettings) -> Token:
    body = {
        "grant_type": "client_credentials",
        "client_id": settings.client_id,
        "client_secret": settings.client_secret.get_secret_value(),
    }
    if settings.account_id:
        body["account_id"] = settings.account_id
    reply = ctx.request("POST", settings.auth_base_url + TOKEN_PATH, json=body, throw=False)
    if reply.exchange is None:
        # Not sent: the send was already stopped, or the budget had no room.
        raise HTTPFailure(reply.outcome)
    if not reply.ok or reply.response is None:
        reason = f"token request failed: {reply.outcome.reason}"
        if reply.status in REFUSED:
            raise CredentialsRefused(reason, code="auth_failed")
        raise HTTPFailure(replace(reply.outcome, reason=reason))

    answer: Any = reply.json()
    access_token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(access_token, str) or not access_token:
        excerpt = body_excerpt(reply.response.content, ctx.secrets) or "an empty body"
        raise UnexpectedResponse(
            f"the token answer has no access_token: {excerpt}", code="invalid_token_response"
        )
    ctx.add_secret(access_token)
    assert isinstance(answer, dict)
    base = _rest_base(answer.get("rest_instance_url"), settings.auth_base_url)
    if base is None:
        raise NoRestBase(
            "the token answer names no usable rest_instance_url", code="invalid_token_response"
        )
    expires_in = answer.get("expires_in")
    if not _positive(expires_in):
        expires_in = DEFAULT_TOKEN_SECONDS
    extra = {k: v for k, v in answer.items() if k != "access_token"}
    extra[REST_BASE] = base
    return Token(access_token, ctx.tokens.clock() + lifetime(expires_in), extra)


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


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0
