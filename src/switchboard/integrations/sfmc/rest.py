"""The one way an action calls Marketing Cloud's REST API: with the token, refreshed once.

Every request carries the bearer token (`auth.access`). When the REST API answers 401 the
token is dropped, a new one fetched and the request sent once more, at most once per send:
credentials the REST API keeps refusing cost one token request per send, not one per event.
What the answer means is `responses.check`'s.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from switchboard.integrations.base import Outcome
from switchboard.integrations.kit.context import ActionContext, Reply
from switchboard.integrations.kit.errors import HTTPFailure, PayloadInvalid
from switchboard.integrations.sfmc import auth
from switchboard.integrations.sfmc.responses import check
from switchboard.integrations.sfmc.settings import SFMCSettings

UNAUTHORIZED: Final = 401

#: The stop key of REST requests. The context stops a key after a 429 or a timeout with the
#: outcome `http.describe` gave; the kit then stops the whole send ("") with the outcome
#: raised here, which has Marketing Cloud's reason and its `retryAfter`, and that is the one
#: the rest of the send gets.
_REST: Final = "sfmc:rest"

#: Marks, under a stop key no request uses, that this send's one token refresh is spent.
#: The context lives exactly one send, so the mark does too.
_REFRESHED: Final = "sfmc:token-refreshed"


def encode(body: Any) -> bytes:
    """`body` as the JSON Marketing Cloud receives; `PayloadInvalid` (code `invalid_json`)
    when the event holds what JSON cannot carry, before anything is sent."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError as exc:
        raise PayloadInvalid(
            f"the event cannot be sent as JSON: {exc}", code="invalid_json"
        ) from None


def call(ctx: ActionContext, settings: SFMCSettings, method: str, path: str, body: Any) -> Reply:
    """Send `body` to `path` under the REST base; the reply when Marketing Cloud took it.

    Raises the kit error the answer means (`responses.check`), or the one that stands for
    having no token (`auth.access`)."""
    content = encode(body)
    stopped = ctx.stopped()
    if stopped is not None:
        raise HTTPFailure(stopped)
    token = auth.access(ctx, settings)
    reply = _send(ctx, method, auth.rest_base(token) + path, content, token.access_token)
    if reply.status == UNAUTHORIZED and ctx.stopped(_REFRESHED) is None:
        ctx.stop(Outcome.delivered(), _REFRESHED)
        ctx.tokens.invalidate(auth.key_of(settings), token.access_token)
        token = auth.access(ctx, settings)
        reply = _send(ctx, method, auth.rest_base(token) + path, content, token.access_token)
    check(reply, ctx.secrets)
    return reply


def _send(ctx: ActionContext, method: str, url: str, content: bytes, access_token: str) -> Reply:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Authorization": f"Bearer {access_token}",
    }
    return ctx.request(method, url, content=content, headers=headers, throw=False, stop_key=_REST)
