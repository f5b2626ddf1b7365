"""The event tester: one pasted event through a destination's real adapter, nothing stored.

The event is normalized as the tracking API would (messageId, timestamps), the destination's
integrations-object choice and supported calls are applied as routing would, and then the
same adapter code the workers run sends it. The answer is the outcome, judged by the
destination's retry policy as a deliver job would, and every exchange.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel

from switchboard.deliveries.status import Status
from switchboard.ingest.normalize import Envelope, normalize
from switchboard.ingest.rows import RejectedRow
from switchboard.integrations.base import Adapter, Message, SendContext
from switchboard.jobs.retry import RetryPolicy
from switchboard.routing.plan import Target, plan


def run_test(
    adapter: Adapter,
    settings: BaseModel,
    destination_name: str,
    event: dict[str, Any],
    context: SendContext,
    policy: RetryPolicy,
) -> dict[str, Any]:
    """The outcome, as `policy` (the destination's) judges it, and every exchange."""
    row = normalize(dict(event), None, Envelope(received_at=datetime.now(UTC), client_ip=None), 0)
    if isinstance(row, RejectedRow):
        return {
            "outcome": {"kind": "rejected", "code": "invalid_event", "reason": row.reason},
            "exchanges": [],
        }
    payload: dict[str, Any] = orjson.loads(row.payload)
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
