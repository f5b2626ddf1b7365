"""What a deliver job makes of an adapter's outcomes: the retry policy's verdicts.

Adapters report what happened; whether it is delivered, retried or failed is the policy's
call (`jobs/retry.py`), so the adapter tests judge outcomes the way a deliver job does.
"""

from __future__ import annotations

from collections.abc import Sequence

from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import Outcome, Result
from switchboard.jobs.retry import RetryPolicy, Verdict

#: The policy every destination has unless it overrides it.
DEFAULT_POLICY = RetryPolicy()


def judge(outcome: Outcome, policy: RetryPolicy = DEFAULT_POLICY) -> Verdict:
    return policy.judge(outcome)


def kinds(results: Sequence[Result], policy: RetryPolicy = DEFAULT_POLICY) -> list[AttemptOutcome]:
    return [policy.judge(result.outcome).kind for result in results]
