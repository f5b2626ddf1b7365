"""The retry policy judging adapters' outcomes: statuses, overrides, Retry-After, give-up data."""

from __future__ import annotations

import random

import pytest

from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import Outcome
from switchboard.jobs.retry import DEFAULT_RETRY_STATUSES, RetryPolicy, Verdict

POLICY = RetryPolicy()

RETRIED = [408, 423, 429, 500, 502, 503, 504, 599]
FAILED = [301, 400, 401, 403, 404, 409, 413, 422, 501]


@pytest.mark.parametrize("status", RETRIED)
def test_temporary_statuses_retry(status: int) -> None:
    verdict = POLICY.judge(Outcome.http(status, f"HTTP {status}"))
    assert verdict == Verdict(AttemptOutcome.RETRY, f"HTTP {status}", f"http_{status}")


@pytest.mark.parametrize("status", FAILED)
def test_other_statuses_fail(status: int) -> None:
    verdict = POLICY.judge(Outcome.http(status, f"HTTP {status}", retry_after=30))
    assert verdict == Verdict(AttemptOutcome.FAILED, f"HTTP {status}", f"http_{status}")


def test_501_is_permanent_though_other_5xx_retry() -> None:
    assert 501 not in DEFAULT_RETRY_STATUSES
    assert POLICY.judge(Outcome.http(501, "HTTP 501 Not Implemented")).kind is AttemptOutcome.FAILED
    assert POLICY.judge(Outcome.http(500, "HTTP 500")).kind is AttemptOutcome.RETRY


def test_retry_after_is_kept_for_a_retry_and_is_a_floor_for_the_wait() -> None:
    verdict = POLICY.judge(Outcome.http(429, "HTTP 429 Too Many Requests", retry_after=120))
    assert (verdict.kind, verdict.retry_after) == (AttemptOutcome.RETRY, 120)
    policy = RetryPolicy(jitter=random.Random(1))
    assert policy.delay(1, verdict.retry_after) == 120
    assert policy.delay(1, 10 * 3600) == policy.max_retry_after


def test_a_destinations_retry_statuses_override_the_default() -> None:
    custom = POLICY.with_overrides({"retry_statuses": [409], "give_up_after": 60})
    assert custom.judge(Outcome.http(409, "HTTP 409 Conflict")).kind is AttemptOutcome.RETRY
    assert custom.judge(Outcome.http(503, "HTTP 503")).kind is AttemptOutcome.FAILED
    assert custom.give_up_after == 60
    assert POLICY.with_overrides(None) is POLICY
    assert POLICY.with_overrides({"unknown": 1, "max_delay": None}) == POLICY


def test_temporary_and_permanent_outcomes_do_not_depend_on_the_statuses() -> None:
    nothing_retries = RetryPolicy(retry_statuses=frozenset())
    throttled = Outcome.temporary("Marketo error 606", "marketo_606", 20.0)
    assert nothing_retries.judge(throttled) == Verdict(
        AttemptOutcome.RETRY, "Marketo error 606", "marketo_606", 20.0
    )
    rejected = Outcome.permanent("Marketing Cloud reported a failure", "rejected")
    assert POLICY.judge(rejected) == Verdict(
        AttemptOutcome.FAILED, "Marketing Cloud reported a failure", "rejected"
    )
    assert POLICY.judge(Outcome.delivered()) == Verdict(AttemptOutcome.DELIVERED)


def test_either_retries_when_any_part_does_with_the_longest_wait() -> None:
    parts = [
        Outcome.http(400, "HTTP 400"),
        Outcome.http(503, "HTTP 503", retry_after=30),
        Outcome.http(429, "HTTP 429", retry_after=120),
        Outcome.temporary("timed out after 5.0 s", "timeout"),
    ]
    verdict = POLICY.judge(Outcome.either("a: HTTP 400; b: ...", parts))
    assert verdict == Verdict(AttemptOutcome.RETRY, "a: HTTP 400; b: ...", "http_503", 120)


def test_either_fails_with_the_first_parts_code_when_none_retries() -> None:
    parts = [Outcome.http(404, "HTTP 404"), Outcome.http(503, "HTTP 503")]
    only_429 = RetryPolicy(retry_statuses=frozenset({429}))
    verdict = only_429.judge(Outcome.either("both refused", parts))
    assert verdict == Verdict(AttemptOutcome.FAILED, "both refused", "http_404")
