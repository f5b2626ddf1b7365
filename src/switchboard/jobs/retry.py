"""The retry policy, in one place and as data.

Which answers are temporary (retry) and which are permanent (fail at once), how long to wait
between tries (exponential backoff with full jitter, honouring `Retry-After`), and when to
give up. A destination may override any field (`destinations.retry`).

Adapters report what happened (`integrations.base.Outcome`); `RetryPolicy.judge` is the one
place that turns it into what the attempt came to:

    delivered   DELIVERED
    retry       TEMPORARY (timeouts, refused connections, a vendor's throttle or transient
                error), HTTP with a status in `retry_statuses` (`Retry-After` honoured)
    failed      PERMANENT, HTTP with any other status (3xx, most 4xx, 501)
    EITHER      delivered when any part is, else retry when any part retries (the longest
                `Retry-After` of those), else failed
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import Outcome, OutcomeKind

#: Segment's documented list: request timeout, locked, rate limited, and server errors
#: except 501 Not Implemented (which will not start working by itself).
DEFAULT_RETRY_STATUSES = frozenset({408, 423, 429}) | (frozenset(range(500, 600)) - {501})


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one outcome came to under a policy. `retry_after` is set only for a retry."""

    kind: AttemptOutcome
    reason: str = ""
    code: str = ""
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    #: First backoff ceiling; each try doubles it up to `max_delay`.
    base_delay: float = 1.0
    max_delay: float = 600.0
    #: After this long since the event arrived, a delivery that still fails is given up.
    give_up_after: float = 4 * 3600.0
    #: The longest `Retry-After` we honour (a destination asking for days is capped).
    max_retry_after: float = 3600.0
    jitter: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def with_overrides(self, overrides: dict[str, Any] | None) -> RetryPolicy:
        """This policy with a destination's overrides applied (unknown keys ignored)."""
        if not overrides:
            return self
        changes: dict[str, Any] = {}
        for key in ("base_delay", "max_delay", "give_up_after", "max_retry_after"):
            if key in overrides and overrides[key] is not None:
                changes[key] = float(overrides[key])
        if overrides.get("retry_statuses") is not None:
            changes["retry_statuses"] = frozenset(int(s) for s in overrides["retry_statuses"])
        return replace(self, **changes)

    def is_retryable(self, status: int) -> bool:
        return status in self.retry_statuses

    def judge(self, outcome: Outcome) -> Verdict:
        """Delivered, retry or failed, for what an adapter reported (see the module's table)."""
        kind = outcome.kind
        if kind is OutcomeKind.DELIVERED:
            return Verdict(AttemptOutcome.DELIVERED, outcome.reason, outcome.code)
        if kind is OutcomeKind.EITHER:
            return self._judge_parts(outcome)
        if kind is OutcomeKind.TEMPORARY or (
            kind is OutcomeKind.HTTP
            and outcome.status is not None
            and self.is_retryable(outcome.status)
        ):
            return Verdict(AttemptOutcome.RETRY, outcome.reason, outcome.code, outcome.retry_after)
        return Verdict(AttemptOutcome.FAILED, outcome.reason, outcome.code)

    def _judge_parts(self, outcome: Outcome) -> Verdict:
        judged = [self.judge(part) for part in outcome.parts]
        if any(verdict.kind is AttemptOutcome.DELIVERED for verdict in judged):
            return Verdict(AttemptOutcome.DELIVERED)
        retries = [verdict for verdict in judged if verdict.kind is AttemptOutcome.RETRY]
        if retries:
            waits = [verdict.retry_after for verdict in retries if verdict.retry_after is not None]
            wait = max(waits) if waits else None
            return Verdict(AttemptOutcome.RETRY, outcome.reason, retries[0].code, wait)
        return Verdict(AttemptOutcome.FAILED, outcome.reason, outcome.code)

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the `attempts`-th failed try.

        Full jitter: uniform between 0 and min(max_delay, base_delay * 2**(attempts-1)),
        so retries from many events spread out instead of arriving together. A
        `Retry-After` from the destination is a floor.
        """
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(0, attempts - 1)))
        wait = self.jitter.uniform(0, ceiling)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_retry_after))
        return wait
