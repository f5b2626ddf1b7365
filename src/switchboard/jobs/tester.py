"""The event tester: one pasted event through a destination's real adapter, nothing stored.

The event is normalized as the tracking API would (messageId, timestamps), the destination's
integrations-object choice and supported calls are applied as routing would, and then the
same adapter code the workers run sends it. The answer is the outcome, judged by the
destination's retry policy as a deliver job would, and every exchange.

For a destination on the kit, routing runs its real mappings: the answer lists, before the
exchanges, every enabled mapping with whether its trigger matched and, for those that did,
the payload it produced (or why it could not) and its own outcome and exchanges. The top
outcome is the first that did not deliver, else delivered.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel

from switchboard.deliveries.status import Status
from switchboard.ingest.normalize import Envelope, normalize
from switchboard.ingest.rows import RejectedRow
from switchboard.integrations.base import Adapter, MappingRef, Message, SendContext
from switchboard.integrations.kit.adapter import KitAdapter, payload_for
from switchboard.integrations.kit.errors import PayloadInvalid
from switchboard.integrations.kit.triggers import TriggerSyntaxError, parse_trigger
from switchboard.jobs.retry import RetryPolicy
from switchboard.routing.plan import MappingTarget, Target, plan


def run_test(
    adapter: Adapter,
    settings: BaseModel,
    destination_name: str,
    event: dict[str, Any],
    context: SendContext,
    policy: RetryPolicy,
    mappings: list[MappingRef] | None = None,
    triggers: dict[int, str] | None = None,
) -> dict[str, Any]:
    """The outcome, as `policy` (the destination's) judges it, and every exchange.

    `mappings` (enabled, in order) and their `triggers` by id: a kit destination's."""
    row = normalize(dict(event), None, Envelope(received_at=datetime.now(UTC), client_ip=None), 0)
    if isinstance(row, RejectedRow):
        return {
            "outcome": {"kind": "rejected", "code": "invalid_event", "reason": row.reason},
            "exchanges": [],
        }
    payload: dict[str, Any] = orjson.loads(row.payload)
    if isinstance(adapter, KitAdapter):
        return _run_mappings(
            adapter,
            settings,
            destination_name,
            payload,
            context,
            policy,
            mappings or [],
            triggers or {},
        )
    target = Target(0, destination_name, adapter.display_name, adapter.supported_calls)
    [decision] = plan(payload, [target])
    if decision.status != Status.PENDING:
        return {
            "outcome": {
                "kind": decision.status,
                "code": decision.status,
                "reason": decision.reason,
            },
            "exchanges": [],
            "event": payload,
        }
    [result] = adapter.send(settings, [Message(0, payload, decision.options or {})], context)
    verdict = policy.judge(result.outcome)
    return {
        "outcome": {
            "kind": verdict.kind.value,
            "code": verdict.code or None,
            "reason": verdict.reason or None,
            "retry_after": verdict.retry_after,
        },
        "exchanges": [e.as_dict() for e in result.exchanges],
        "event": payload,
    }


def _verdict(policy: RetryPolicy, outcome: Any) -> dict[str, Any]:
    verdict = policy.judge(outcome)
    return {
        "kind": verdict.kind.value,
        "code": verdict.code or None,
        "reason": verdict.reason or None,
        "retry_after": verdict.retry_after,
    }


def _run_mappings(
    adapter: KitAdapter,
    settings: BaseModel,
    destination_name: str,
    payload: dict[str, Any],
    context: SendContext,
    policy: RetryPolicy,
    mappings: list[MappingRef],
    triggers: dict[int, str],
) -> dict[str, Any]:
    parsed = []
    for mapping in mappings:
        try:
            parsed.append(
                MappingTarget(mapping.id, mapping.name, parse_trigger(triggers[mapping.id]))
            )
        except (TriggerSyntaxError, KeyError):
            continue
    target = Target(
        0, destination_name, adapter.display_name, adapter.supported_calls, mappings=tuple(parsed)
    )
    decisions = plan(payload, [target])
    matched = {d.mapping_id: d for d in decisions if d.status == Status.PENDING}
    if not matched:
        [decision] = decisions
        return {
            "outcome": {
                "kind": decision.status,
                "code": decision.status,
                "reason": decision.reason,
            },
            "mappings": [_unmatched(m, triggers) for m in mappings],
            "exchanges": [],
            "event": payload,
        }
    shown: list[dict[str, Any]] = []
    exchanges: list[dict[str, Any]] = []
    top: dict[str, Any] | None = None
    for mapping in mappings:
        if mapping.id not in matched:
            shown.append(_unmatched(mapping, triggers))
            continue
        entry: dict[str, Any] = {
            "id": mapping.id,
            "name": mapping.name,
            "action": mapping.action,
            "trigger": triggers.get(mapping.id),
            "matched": True,
        }
        action = adapter.destination.action(mapping.action)
        if action is not None:
            try:
                entry["payload"] = payload_for(action, mapping.mapping, payload)
            except PayloadInvalid as exc:
                entry["payload_error"] = str(exc)
        message = Message(0, payload, matched[mapping.id].options or {}, mapping)
        [result] = adapter.send(settings, [message], context)
        entry["outcome"] = _verdict(policy, result.outcome)
        entry["exchanges"] = [e.as_dict() for e in result.exchanges]
        exchanges += entry["exchanges"]
        if top is None and entry["outcome"]["kind"] != "delivered":
            top = entry["outcome"]
        shown.append(entry)
    first = next(e for e in shown if e.get("matched"))
    return {
        "outcome": top or first["outcome"],
        "mappings": shown,
        "exchanges": exchanges,
        "event": payload,
    }


def _unmatched(mapping: MappingRef, triggers: dict[int, str]) -> dict[str, Any]:
    return {
        "id": mapping.id,
        "name": mapping.name,
        "action": mapping.action,
        "trigger": triggers.get(mapping.id),
        "matched": False,
    }
