"""Webhooks: each event, as stored, POSTed as JSON to up to five URLs, optionally signed.

Segment's classic semantics: an event is delivered when any URL answers 2xx, and the other URLs
are not retried. Otherwise it is retried when any URL's answer is temporary, else it fails (an
`either` outcome: the retry policy judges each URL's answer).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Final

import orjson
from pydantic import BaseModel

from switchboard import __version__
from switchboard.integrations.base import (
    Adapter,
    Exchange,
    Message,
    Outcome,
    OutcomeKind,
    Result,
    SendContext,
)
from switchboard.integrations.http import (
    ErrorKind,
    describe,
    is_sensitive_name,
    redact_url,
    request,
)
from switchboard.integrations.webhook.settings import WebhookSettings
from switchboard.spec.calls import CALL_TYPES

USER_AGENT: Final = f"Switchboard/{__version__}"
SIGNATURE_HEADER: Final = "X-Signature"

#: After one of these, the rest of a send call does not go to that URL again: a hanging or
#: refusing endpoint costs one timeout per send, and one that asks us to slow down gets the rest.
_STOP_SENDING_CODES: Final = frozenset(
    {ErrorKind.TIMEOUT.value, ErrorKind.CONNECTION.value, "http_429"}
)


def sign(secret: str, body: bytes) -> str:
    """The X-Signature value: hex HMAC-SHA1 of the exact body bytes, keyed with the secret."""
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


class WebhookAdapter(Adapter):
    type = "webhook"
    display_name = "Webhooks"
    supported_calls = frozenset(CALL_TYPES)
    settings_model = WebhookSettings

    def send(
        self, settings: BaseModel, messages: Sequence[Message], context: SendContext
    ) -> list[Result]:
        if not isinstance(settings, WebhookSettings):
            raise TypeError(f"expected WebhookSettings, got {type(settings).__name__}")
        secret = settings.shared_secret.get_secret_value() if settings.shared_secret else None
        secrets = [secret] if secret else []
        secrets += [value for name, value in settings.headers.items() if is_sensitive_name(name)]
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        headers.update(settings.headers)

        results: dict[int, Result] = {}
        encoded: list[tuple[int, bytes]] = []
        for index, message in enumerate(messages):
            try:
                encoded.append((index, orjson.dumps(message.event)))
            except orjson.JSONEncodeError as exc:
                outcome = Outcome.permanent(
                    f"the event cannot be sent as JSON: {exc}", "invalid_json"
                )
                results[index] = Result(message.delivery_id, outcome)

        # A URL that timed out, refused or rate-limited us: the outcome every later request
        # to it in this call gets, without being sent.
        stopped: dict[str, Outcome] = {}
        size = settings.batch_size
        for start in range(0, len(encoded), size):
            chunk = encoded[start : start + size]
            parts = [body for _, body in chunk]
            body = parts[0] if size == 1 else b"[" + b",".join(parts) + b"]"
            request_headers = dict(headers)
            if secret:
                request_headers[SIGNATURE_HEADER] = sign(secret, body)

            exchanges: list[Exchange] = []
            outcomes: list[tuple[str, Outcome]] = []
            for url in settings.urls:
                if url in stopped:
                    outcomes.append((url, stopped[url]))
                    continue
                sent = request(
                    context.http,
                    settings.method,
                    url,
                    headers=request_headers,
                    content=body,
                    timeout=settings.timeout_seconds,
                    secrets=secrets,
                )
                exchanges.append(sent.exchange)
                outcome = describe(sent.response, sent.failure, secrets=secrets)
                if outcome.code in _STOP_SENDING_CODES:
                    stopped[url] = outcome
                outcomes.append((url, outcome))

            combined = _combine(outcomes, secrets)
            for index, _ in chunk:
                results[index] = Result(messages[index].delivery_id, combined, list(exchanges))
        return [results[index] for index in range(len(messages))]


def _combine(outcomes: list[tuple[str, Outcome]], secrets: Sequence[str]) -> Outcome:
    """One outcome from every URL's: delivered if any was, else each URL's answer (`either`:
    retried when any of them will be, else failed).

    With several URLs the reason names each URL and what it answered.
    """
    if len(outcomes) == 1:
        return outcomes[0][1]
    if any(outcome.kind is OutcomeKind.DELIVERED for _, outcome in outcomes):
        return Outcome.delivered()
    reason = "; ".join(f"{redact_url(url, secrets)}: {outcome.reason}" for url, outcome in outcomes)
    return Outcome.either(reason, [outcome for _, outcome in outcomes])
