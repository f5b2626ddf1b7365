"""One REST call to Marketo, with a token, as one result that never raises.

`post` fetches or reuses the token and posts through `ActionContext.request` (recorded,
redacted, counted against the instance's budget, a token fetch like any other call). On
601/602 it renews the token and repeats the call once. After Marketo's own limits (606, 607,
615), a timeout, a refused connection or a failed token fetch it stops the send: later calls
get the same outcome without costing Marketo's quota.

A `Call` keeps the exchanges it took, so each event records the calls that were its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from switchboard.integrations.base import Exchange, Outcome, OutcomeKind
from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.errors import KitError, UnexpectedResponse
from switchboard.integrations.marketo import auth
from switchboard.integrations.marketo.responses import TOKEN_CODES, read_answer, record_outcome
from switchboard.integrations.marketo.settings import MarketoSettings


@dataclass(slots=True)
class Call:
    """A finished call: what Marketo answered per record, or why it did not; and every
    exchange it took (token fetches included)."""

    outcome: Outcome
    records: list[Any] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.outcome.kind is OutcomeKind.DELIVERED


def post(ctx: ActionContext, settings: MarketoSettings, path: str, body: dict[str, Any]) -> Call:
    """POST `body` as JSON to `path`; never raises for what Marketo or the network does."""
    stopped = ctx.stopped()
    if stopped is not None:
        return Call(stopped)
    try:
        call = Call(Outcome.delivered(), _post(ctx, settings, path, body))
    except KitError as exc:
        call = Call(exc.outcome)
        if ctx.is_stop_code(exc.code):
            ctx.stop(exc.outcome)
    call.exchanges = ctx.take_exchanges()
    return call


def _post(ctx: ActionContext, settings: MarketoSettings, path: str, body: dict[str, Any]) -> Any:
    try:
        return _post_once(ctx, settings, path, body)
    except KitError as exc:
        if exc.code not in TOKEN_CODES:
            raise
    # The token was refused, and dropped: once more, with a new one.
    return _post_once(ctx, settings, path, body)


def _post_once(
    ctx: ActionContext, settings: MarketoSettings, path: str, body: dict[str, Any]
) -> Any:
    token = auth.access_token(ctx, settings)
    reply = ctx.request(
        "POST",
        settings.base_url + path,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        throw=False,
    )
    try:
        return read_answer(reply, ctx.secrets)
    except KitError as exc:
        if exc.code in TOKEN_CODES:
            auth.forget(ctx, settings, token)
        raise


def record_outcomes(call: Call, count: int) -> list[Outcome]:
    """One outcome per record sent: the call's, unless Marketo accepted it; then each record's."""
    if not call.accepted:
        return [call.outcome] * count
    if len(call.records) != count:
        reason = f"Marketo answered {len(call.records)} results for {count} records"
        return [UnexpectedResponse(reason, code="invalid_response").outcome] * count
    return [record_outcome(record) for record in call.records]


def record_bodies(call: Call, count: int) -> list[dict[str, Any]]:
    """Each record's answer as an object ({} where there is none to read)."""
    if len(call.records) != count:
        return [{}] * count
    return [record if isinstance(record, dict) else {} for record in call.records]
