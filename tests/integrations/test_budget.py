"""A vendor's call budget on both shared limiters: a rolling window, calls in flight, waits."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from switchboard.integrations.base import CallLimiter, OutcomeKind
from switchboard.integrations.budget import Budget, Limits
from switchboard.jobs.limits import LocalLimiter, RedisLimiter
from tests.conftest import REDIS_URL, REQUIRE_SERVICES


@pytest.fixture(params=["local", "redis"])
def limiter(request: pytest.FixtureRequest) -> Iterator[CallLimiter]:
    if request.param == "local":
        yield LocalLimiter()
        return
    if REDIS_URL is None:
        if REQUIRE_SERVICES:
            pytest.fail("SWITCHBOARD_TEST_REDIS_URL is required in CI")
        pytest.skip("set SWITCHBOARD_TEST_REDIS_URL to test the Redis limiter")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        yield RedisLimiter(connection)
    finally:
        connection.close()


def budget(limiter: CallLimiter | None, limits: Limits, max_wait: float = 5.0) -> Budget:
    # A fresh key per test: the Redis limiter's slots outlive the test by a window.
    return Budget(limiter, uuid.uuid4().hex, limits, max_wait=max_wait, call_timeout=1.0)


def test_a_call_counts_until_a_window_after_its_answer(limiter: CallLimiter) -> None:
    calls = budget(limiter, Limits(2, 0.4, None, "Acme"))
    spans: list[tuple[float, float]] = []
    for _ in range(3):
        with calls.call() as limited:
            assert limited is None
            start = time.monotonic()
            time.sleep(0.05)  # the call in flight
            spans.append((start, time.monotonic()))

    (_, first_end), (second_start, _), (third_start, _) = spans
    assert second_start - first_end < 0.2  # room for two at once
    assert third_start - first_end >= 0.39  # the third waited for the first to age out


def test_no_more_calls_in_flight_than_the_cap(limiter: CallLimiter) -> None:
    calls = budget(limiter, Limits(None, 1.0, 2, "Acme"))
    lock = threading.Lock()
    in_flight, most = 0, 0

    def one_call() -> None:
        nonlocal in_flight, most
        with calls.call() as limited:
            assert limited is None
            with lock:
                in_flight += 1
                most = max(most, in_flight)
            time.sleep(0.1)
            with lock:
                in_flight -= 1

    threads = [threading.Thread(target=one_call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most == 2


def test_a_full_window_gives_a_retry_after_the_wait(limiter: CallLimiter) -> None:
    calls = budget(limiter, Limits(1, 30.0, 5, "Acme"), max_wait=0.1)
    with calls.call() as limited:
        assert limited is None
    started = time.monotonic()
    with calls.call() as limited:
        assert limited is not None
    assert 0.05 <= time.monotonic() - started < 1.0
    assert (limited.kind, limited.code, limited.retry_after) == (
        OutcomeKind.TEMPORARY,
        "rate_limited",
        30.0,
    )
    assert limited.reason == "this Acme instance's budget of 1 calls per 30 s is used up"


def test_no_free_slot_gives_a_retry_and_does_not_count_the_call(limiter: CallLimiter) -> None:
    calls = budget(limiter, Limits(2, 30.0, 1, "Acme"), max_wait=0.1)
    with calls.call() as outer:
        assert outer is None
        with calls.call() as inner:
            assert inner is not None
            assert (inner.code, inner.reason) == (
                "concurrency_limited",
                "1 calls to this Acme instance are in flight",
            )
    # The refused call gave its window slot back: one more call still fits in the window.
    with calls.call() as limited:
        assert limited is None


def test_without_a_limiter_there_is_always_room() -> None:
    calls = budget(None, Limits(1, 30.0, 1, "Acme"))
    for _ in range(3):
        with calls.call() as limited:
            assert limited is None
