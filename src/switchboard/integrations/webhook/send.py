"""The "Send" action: the mapped `data` as JSON to the mapping's URL or to every URL of the
settings, with the settings' secret headers and the mapping's own, signed when a shared secret
is set; a JSON array of up to `batch_size` of them per request when that is above 1.

With the settings' URLs, Segment's classic semantics hold: an event is delivered when any URL
answers 2xx, and the other URLs are not retried. Otherwise it is retried when any URL's answer
is temporary, else it fails (an `either` outcome: the retry policy judges each URL's answer).
A URL that times out, refuses or answers 429 gets nothing more in this send (`stop_key`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

import orjson

from switchboard.integrations.base import Exchange, Outcome, OutcomeKind
from switchboard.integrations.http import redact_url
from switchboard.integrations.kit.context import USER_AGENT, ActionContext
from switchboard.integrations.kit.definition import Action, ItemResult
from switchboard.integrations.kit.errors import HTTPFailure, PayloadInvalid
from switchboard.integrations.kit.fields import Field
from switchboard.integrations.webhook.settings import (
    MAX_URL_LENGTH,
    WebhookSettings,
    check_headers,
    check_url,
)
from switchboard.integrations.webhook.signature import SIGNATURE_HEADER, sign

#: Every call type: the webhook takes whatever it is given.
EVERY_CALL: Final = (
    'type = "track" or type = "identify" or type = "page" or type = "screen" '
    'or type = "group" or type = "alias"'
)
METHODS: Final = ("POST", "PUT", "PATCH")
DEFAULT_METHOD: Final = "POST"
MAX_BATCH_SIZE: Final = 1000


@dataclass(frozen=True, slots=True)
class Target:
    """Where one payload goes and how: payloads with the same target may share a request."""

    urls: tuple[str, ...]
    method: str
    headers: tuple[tuple[str, str], ...]  # the mapping's, in its order


class Send(Action[WebhookSettings]):
    id = "send"
    title = "Send"
    description = (
        "Send each event, or what the mapping makes of it, as JSON to a URL; signed with "
        "X-Signature when the settings have a shared secret."
    )
    default_trigger = EVERY_CALL
    max_batch = MAX_BATCH_SIZE
    fields: ClassVar[dict[str, Field]] = {
        "url": Field(
            "URL",
            "string",
            description=(
                "Where to send, an http(s) URL. Empty: every Webhook URL of the settings, and "
                "the event counts as delivered when any of them takes it."
            ),
        ),
        "method": Field(
            "Method", "string", description="HTTP method to use.", choices=METHODS, default="POST"
        ),
        "headers": Field(
            "Headers",
            "object",
            description=(
                "HTTP headers to send with each request, added to the settings' custom headers "
                "(which win when both name the same header). Only ASCII characters."
            ),
        ),
        "data": Field(
            "Data",
            "object",
            description="What to send, as JSON. By default the whole event, as it was stored.",
            required=True,
            default={"@path": "$."},
        ),
        "batch_size": Field(
            "Batch size",
            "integer",
            description=(
                "1 sends each event as its own JSON object. A larger number sends a JSON array "
                f"of up to that many per request (at most {MAX_BATCH_SIZE})."
            ),
            minimum=1,
            maximum=MAX_BATCH_SIZE,
            default=1,
        ),
    }

    def batch_size(self, settings: WebhookSettings, payload: Mapping[str, Any]) -> int:
        """1 when each event goes alone; else as many as the kit will give at once: the
        action packs them into requests of `batch_size` itself, after leaving out those that
        cannot be sent, so one such event does not make its request one event shorter."""
        return 1 if _size(payload) == 1 else self.max_batch

    def perform(
        self, ctx: ActionContext, settings: WebhookSettings, payload: dict[str, Any]
    ) -> None:
        target = target_of(settings, payload)
        outcome, _ = deliver(ctx, settings, target, encode(payload["data"]))
        if outcome.kind is not OutcomeKind.DELIVERED:
            raise HTTPFailure(outcome)

    def perform_batch(
        self, ctx: ActionContext, settings: WebhookSettings, payloads: list[dict[str, Any]]
    ) -> list[ItemResult]:
        """The payloads that can be sent, grouped by target (Segment's batch keys: url,
        method, headers) and batch size, in order; each group in requests of up to its batch
        size, a JSON array of their data (the object alone for a batch size of 1). A payload
        that cannot be sent fails alone."""
        results: dict[int, ItemResult] = {}
        groups: dict[tuple[Target, int], list[tuple[int, bytes]]] = {}
        for index, payload in enumerate(payloads):
            try:
                target = target_of(settings, payload)
                body = encode(payload["data"])
            except PayloadInvalid as exc:
                results[index] = ItemResult(exc.outcome, [])
                continue
            groups.setdefault((target, _size(payload)), []).append((index, body))
        for (target, size), items in groups.items():
            for start in range(0, len(items), size):
                chunk = items[start : start + size]
                parts = [part for _, part in chunk]
                body = parts[0] if size == 1 else b"[" + b",".join(parts) + b"]"
                outcome, exchanges = deliver(ctx, settings, target, body)
                for index, _ in chunk:
                    results[index] = ItemResult(outcome, list(exchanges))
        return [results[index] for index in range(len(payloads))]


def _size(payload: Mapping[str, Any]) -> int:
    """The payload's batch size (checked by its field: 1 to `MAX_BATCH_SIZE`)."""
    return int(payload.get("batch_size") or 1)


def encode(data: Any) -> bytes:
    """`data` as JSON bytes, exactly as stored events have always been sent; `PayloadInvalid`
    (code `invalid_json`) when JSON cannot hold it (an integer beyond 64 bits)."""
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError as exc:
        raise PayloadInvalid(
            f"the event cannot be sent as JSON: {exc}", field="data", code="invalid_json"
        ) from None


def target_of(settings: WebhookSettings, payload: Mapping[str, Any]) -> Target:
    """Where and how `payload` is sent; `PayloadInvalid` naming `url` or `headers` when the
    mapping gave one that cannot be used, or there is no URL at all."""
    url = str(payload.get("url") or "").strip()
    if url:
        if len(url) > MAX_URL_LENGTH:
            raise PayloadInvalid(f"url: at most {MAX_URL_LENGTH} characters", field="url")
        try:
            check_url(url)
        except ValueError as exc:
            raise PayloadInvalid(f"url: {exc}", field="url") from None
        urls: tuple[str, ...] = (url,)
    elif settings.urls:
        urls = tuple(settings.urls)
    else:
        raise PayloadInvalid(
            "url: the mapping gives no URL and the settings have no Webhook URLs", field="url"
        )
    method = str(payload.get("method") or DEFAULT_METHOD)
    return Target(urls, method, tuple(_mapped_headers(payload.get("headers")).items()))


def _mapped_headers(value: Any) -> dict[str, str]:
    if not value:
        return {}
    headers: dict[str, str] = {}
    for name, item in dict(value).items():
        if item is None:
            continue  # a header mapped from a field the event does not have
        if isinstance(item, bool):
            headers[name] = "true" if item else "false"
        elif isinstance(item, int | float):
            headers[name] = str(int(item)) if float(item).is_integer() else str(item)
        elif isinstance(item, str):
            headers[name] = item
        else:
            raise PayloadInvalid(
                f"headers: the value of header {name!r} must be text", field=f"headers.{name}"
            )
    try:
        check_headers(headers)
    except ValueError as exc:
        raise PayloadInvalid(f"headers: {exc}", field="headers") from None
    return headers


def request_headers(settings: WebhookSettings, target: Target, body: bytes) -> dict[str, str]:
    """The headers of one request: JSON and our User-Agent, then the mapping's headers, then the
    settings' (a mapping, perhaps fed from event data, cannot replace a configured credential),
    then the signature of `body`. Names ignore case; the first spelling of a name is kept."""
    merged: dict[str, tuple[str, str]] = {}
    defaults = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    for source in (defaults, dict(target.headers), settings.headers):
        for name, value in source.items():
            spelled = merged.get(name.lower(), (name, ""))[0]
            merged[name.lower()] = (spelled, value)
    headers = dict(merged.values())
    if settings.shared_secret is not None:
        secret = settings.shared_secret.get_secret_value()
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, body)
    return headers


def deliver(
    ctx: ActionContext, settings: WebhookSettings, target: Target, body: bytes
) -> tuple[Outcome, list[Exchange]]:
    """`body` to every URL of `target`: one outcome for them all (`combine`) and the exchanges
    of the requests that were sent (none to a URL stopped earlier in this send)."""
    headers = request_headers(settings, target, body)
    outcomes: list[tuple[str, Outcome]] = []
    exchanges: list[Exchange] = []
    for url in target.urls:
        reply = ctx.request(
            target.method, url, content=body, headers=headers, throw=False, stop_key=url
        )
        if reply.exchange is not None:
            exchanges.append(reply.exchange)
        outcomes.append((url, reply.outcome))
    return combine(outcomes, ctx.secrets), exchanges


def combine(outcomes: Sequence[tuple[str, Outcome]], secrets: Sequence[str]) -> Outcome:
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
