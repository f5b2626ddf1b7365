"""One POST to Pendo: the body encoded, the credential it needs checked, the answer read.

Every action sends one request per event, since Pendo's answers cannot be traced back to the
records of a bulk request that partly failed.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.errors import InvalidAuthentication, PayloadInvalid
from switchboard.integrations.pendo.endpoints import AUTH_HEADER
from switchboard.integrations.pendo.responses import Credential, check_answer
from switchboard.integrations.pendo.settings import PendoSettings

#: The settings' titles, for the reason given when the one a call needs is not set.
_SETTING_TITLES: Final[dict[Credential, str]] = {
    "integration_key": "integration key",
    "track_event_secret": "Track Event Shared Secret",
}


def post(
    ctx: ActionContext,
    settings: PendoSettings,
    call: str,
    path: str,
    body: Any,
    credential: Credential,
) -> None:
    """POST `body` as JSON to `path` with `credential`, for a `call` ("identify") event.

    Returns when Pendo took it; raises `PayloadInvalid` (`invalid_json`) for a body JSON cannot
    carry, `InvalidAuthentication` (`missing_credential`) when the credential is not set, and
    what `check_answer` makes of Pendo's answer. Nothing is sent unless all is in place."""
    try:
        content = orjson.dumps(body)
    except orjson.JSONEncodeError as exc:
        raise PayloadInvalid(
            f"the event cannot be sent as JSON: {exc}", code="invalid_json"
        ) from None
    secret = getattr(settings, credential)
    if secret is None:
        raise InvalidAuthentication(
            f"{call} calls need the {_SETTING_TITLES[credential]} setting",
            code="missing_credential",
        )
    reply = ctx.request(
        "POST",
        settings.base_url + path,
        content=content,
        headers={"Content-Type": "application/json", AUTH_HEADER: secret.get_secret_value()},
        throw=False,
    )
    check_answer(reply, credential, ctx.secrets)
