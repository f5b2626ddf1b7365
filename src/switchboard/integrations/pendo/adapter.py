"""Pendo: identify → visitor metadata, group → account metadata, track → track events.

One request per event, since Pendo's answers cannot be traced back to the records of a
bulk request that partly failed. Pendo publishes no API rate limit; when the settings give
one (requests per second, requests in flight), each request first takes room in that
`budget.Budget`, shared by every worker. page, screen and alias have no server-side home in
Pendo, so they are recorded as unsupported and never reach `send`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import orjson
from pydantic import BaseModel

from switchboard import __version__
from switchboard.integrations.base import (
    Adapter,
    Message,
    Outcome,
    Result,
    SendContext,
)
from switchboard.integrations.budget import Budget, Limits
from switchboard.integrations.http import ErrorKind, request
from switchboard.integrations.pendo import group, identify, track
from switchboard.integrations.pendo.endpoints import AUTH_HEADER
from switchboard.integrations.pendo.mapping import Credential, PendoRequest, Unmappable
from switchboard.integrations.pendo.responses import outcome_of
from switchboard.integrations.pendo.settings import PendoSettings

USER_AGENT: Final = f"Switchboard/{__version__}"

#: After one of these, the rest of a send call is not sent: Pendo is down or asked us to slow
#: down, and every remaining event gets the same retry without costing a request.
_STOP_SENDING_CODES: Final = frozenset(
    {
        ErrorKind.TIMEOUT.value,
        ErrorKind.CONNECTION.value,
        "http_429",
        "rate_limited",
        "concurrency_limited",
    }
)

#: How long a request may wait, in all, for room under the configured limits before its event
#: gets a retry outcome instead (seconds).
MAX_LIMIT_WAIT: Final = 5.0

_SETTING_TITLES: Final[dict[Credential, str]] = {
    "integration_key": "integration key",
    "track_event_secret": "Track Event Shared Secret",
}


class PendoAdapter(Adapter):
    type = "pendo"
    display_name = "Pendo"
    supported_calls = frozenset({"identify", "group", "track"})
    settings_model = PendoSettings

    def send(
        self, settings: BaseModel, messages: Sequence[Message], context: SendContext
    ) -> list[Result]:
        if not isinstance(settings, PendoSettings):
            raise TypeError(f"expected PendoSettings, got {type(settings).__name__}")
        credentials: dict[Credential, str] = {}
        if settings.integration_key is not None:
            credentials["integration_key"] = settings.integration_key.get_secret_value()
        if settings.track_event_secret is not None:
            credentials["track_event_secret"] = settings.track_event_secret.get_secret_value()
        secrets = list(credentials.values())
        budget = Budget(
            context.limiter,
            f"pendo:{context.scope}",
            Limits(
                settings.max_requests_per_second, 1.0, settings.max_concurrent_requests, "Pendo"
            ),
            max_wait=MAX_LIMIT_WAIT,
            call_timeout=settings.timeout_seconds,
        )

        results: list[Result] = []
        stopped: Outcome | None = None
        for message in messages:
            try:
                built = _build(message, settings)
                content = _encode(built)
            except Unmappable as exc:
                results.append(Result(message.delivery_id, Outcome.permanent(exc.reason, exc.code)))
                continue
            credential = credentials.get(built.credential)
            if credential is None:
                title = _SETTING_TITLES[built.credential]
                reason = f"{message.event.get('type')} calls need the {title} setting"
                outcome = Outcome.permanent(reason, "missing_credential")
                results.append(Result(message.delivery_id, outcome))
                continue
            if stopped is not None:
                results.append(Result(message.delivery_id, stopped))
                continue
            with budget.call() as limited:
                if limited is not None:
                    stopped = limited
                    results.append(Result(message.delivery_id, limited))
                    continue
                sent = request(
                    context.http,
                    "POST",
                    settings.base_url + built.path,
                    headers={
                        "Content-Type": "application/json",
                        "User-Agent": USER_AGENT,
                        AUTH_HEADER: credential,
                    },
                    content=content,
                    timeout=settings.timeout_seconds,
                    secrets=secrets,
                )
            outcome = outcome_of(sent, built.credential, secrets)
            if outcome.code in _STOP_SENDING_CODES:
                stopped = outcome
            results.append(Result(message.delivery_id, outcome, [sent.exchange]))
        return results


def _build(message: Message, settings: PendoSettings) -> PendoRequest:
    """The request for one event; raises `Unmappable` when it lacks what Pendo requires."""
    call = message.event.get("type")
    if call == "identify":
        built = identify.build(message.event, settings.metadata_group)
    elif call == "group":
        built = group.build(message.event, settings.metadata_group)
    elif call == "track":
        built = track.build(message.event)
    else:
        raise Unmappable(f"Pendo does not support {call} calls", "unsupported_call")
    return built


def _encode(built: PendoRequest) -> bytes:
    try:
        return orjson.dumps(built.body)
    except orjson.JSONEncodeError as exc:
        raise Unmappable(f"the event cannot be sent as JSON: {exc}", "invalid_json") from None
