"""Pendo's answers, and what they become: refused credentials, client and server errors,
409, metadata answers that count failed records, throttles and timeouts that stop the rest of
a send, limits, and secrets kept out of every record."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.budget import Limits
from switchboard.integrations.http import REDACTED
from switchboard.integrations.pendo import DESTINATION, PendoSettings
from switchboard.jobs.limits import LocalLimiter
from switchboard.jobs.retry import RetryPolicy
from tests.fakes.pendo import INTEGRATION_KEY, TRACK_SECRET, FakePendo
from tests.fakes.sink import Reply
from tests.integrations.pendo.events import Send, group, identify, results, track
from tests.integrations.verdicts import judge, kinds


def test_a_wrong_integration_key_fails_with_a_hint(send: Send, pendo: FakePendo) -> None:
    sent = send(pendo, [identify(), track()], integration_key="wrong-key-1234")

    assert kinds(results(sent)) == [AttemptOutcome.FAILED, AttemptOutcome.DELIVERED]
    outcome = sent[0].outcome
    assert outcome.code == "http_401"
    assert outcome.reason == (
        "HTTP 401 Unauthorized: Unauthorized: invalid integration key "
        "(check the integration key and that it has write access)"
    )
    assert pendo.visitors == {}


def test_a_wrong_track_secret_fails_and_the_integration_key_is_not_accepted_for_track(
    send: Send, pendo: FakePendo
) -> None:
    (sent,) = send(pendo, [track()], track_event_secret=INTEGRATION_KEY)

    assert (judge(sent.outcome).kind, sent.outcome.code) == (AttemptOutcome.FAILED, "http_401")
    assert sent.outcome.reason.endswith(
        "(check the Track Event Shared Secret (it is not the integration key))"
    )
    assert pendo.events == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_fail_at_once(send: Send, pendo: FakePendo, status: int) -> None:
    pendo.script(Reply(status, body='{"message":"visitorId is required"}'))
    (sent,) = send(pendo, [track()])

    assert (judge(sent.outcome).kind, sent.outcome.code) == (
        AttemptOutcome.FAILED,
        f"http_{status}",
    )
    assert '{"message":"visitorId is required"}' in sent.outcome.reason
    assert len(pendo.requests) == 1


@pytest.mark.parametrize("status", [409, 429, 500, 502, 503, 504])
def test_conflicts_rate_limits_and_server_errors_retry(
    send: Send, pendo: FakePendo, status: int
) -> None:
    pendo.script(Reply(status, {"Retry-After": "7"}, "try later"))
    (sent,) = send(pendo, [group()])

    outcome = sent.outcome
    assert (judge(outcome).kind, outcome.code, outcome.retry_after) == (
        AttemptOutcome.RETRY,
        f"http_{status}",
        7,
    )
    assert outcome.reason.endswith(": try later")
    assert pendo.accounts == {}


def test_409_retries_even_when_the_policy_would_not(send: Send, pendo: FakePendo) -> None:
    pendo.script(Reply(409, body="operation in progress"))
    (sent,) = send(pendo, [identify()])
    only_503 = RetryPolicy(retry_statuses=frozenset({503}))
    assert (judge(sent.outcome, only_503).kind, sent.outcome.reason) == (
        AttemptOutcome.RETRY,
        "HTTP 409 Conflict: operation in progress",
    )


def test_a_400_from_pendo_itself_names_the_problem(send: Send, pendo: FakePendo) -> None:
    event = track()
    event["timestamp"] = "2024-05-01T12:00:00Z"
    (sent,) = send(pendo, [event])
    # The documented body passes the fake.
    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED

    pendo.script(Reply(400, body=json.dumps({"message": 'type must be "track"'})))
    (sent,) = send(pendo, [track()])
    assert sent.outcome.reason == 'HTTP 400 Bad Request: {"message": "type must be \\"track\\""}'


@pytest.mark.parametrize("body", ["<html>ok</html>", "", "[1, 2", '{"failed": "x"}'])
def test_a_2xx_with_an_unexpected_body_is_delivered(
    send: Send, pendo: FakePendo, body: str
) -> None:
    pendo.script(Reply(200, body=body), Reply(200, body=body))
    sent = send(pendo, [identify(), track()])
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 2


def test_a_5xx_with_a_malformed_body_retries_with_its_excerpt(send: Send, pendo: FakePendo) -> None:
    pendo.script(Reply(500, body="<html>\n  <h1>Internal   error</h1>\n</html>"))
    (sent,) = send(pendo, [identify()])
    assert judge(sent.outcome).kind is AttemptOutcome.RETRY
    assert sent.outcome.reason == (
        "HTTP 500 Internal Server Error: <html> <h1>Internal error</h1> </html>"
    )


def test_a_metadata_answer_with_failed_records_fails(send: Send, pendo: FakePendo) -> None:
    pendo.script(Reply(200, body='{"total": 1, "updated": 0, "failed": 1}'))
    (sent,) = send(pendo, [group()])
    assert (judge(sent.outcome).kind, sent.outcome.code, sent.outcome.reason) == (
        AttemptOutcome.FAILED,
        "rejected",
        "Message Rejected: Pendo did not update the record: 1 failed",
    )


def test_a_track_answer_is_not_read_as_a_metadata_answer(send: Send, pendo: FakePendo) -> None:
    pendo.script(Reply(200, body='{"total": 1, "updated": 0, "failed": 1}'))
    (sent,) = send(pendo, [track()])
    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED


def test_a_500_does_not_stop_the_rest(send: Send, pendo: FakePendo) -> None:
    pendo.script(Reply(500))
    sent = send(pendo, [track(1), track(2)])
    assert kinds(results(sent)) == [AttemptOutcome.RETRY, AttemptOutcome.DELIVERED]
    assert len(pendo.requests) == 2


def test_a_429_stops_the_rest_of_the_send(send: Send, pendo: FakePendo) -> None:
    pendo.script(Reply(200), Reply(429, {"Retry-After": "60"}))
    sent = send(pendo, [track(1), track(2), identify(), group()])

    assert len(pendo.requests) == 2
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] + [AttemptOutcome.RETRY] * 3
    assert {s.outcome.retry_after for s in sent[1:]} == {60}
    assert {s.outcome.code for s in sent[1:]} == {"http_429"}
    assert [len(s.result.exchanges) for s in sent] == [1, 1, 0, 0]


def test_a_hanging_pendo_costs_one_timeout_per_send(send: Send) -> None:
    with FakePendo(Reply(delay=10)) as pendo:
        started = time.monotonic()
        sent = send(pendo, [track(1), track(2), identify()], timeout_seconds=0.3)
        elapsed = time.monotonic() - started
        assert len(pendo.requests) == 1
    assert elapsed < 2
    assert kinds(results(sent)) == [AttemptOutcome.RETRY] * 3
    assert {(s.outcome.code, s.outcome.reason) for s in sent} == {
        ("timeout", "timed out after 0.3 s")
    }


def test_a_refused_connection_retries(send: Send) -> None:
    closed = FakePendo()
    closed.close()
    sent = send(closed, [identify(), group()])
    assert kinds(results(sent)) == [AttemptOutcome.RETRY] * 2
    assert {(s.outcome.code, s.outcome.reason) for s in sent} == {
        ("connection_error", "connection refused")
    }
    assert [len(s.result.exchanges) for s in sent] == [1, 0]


# -- limits ------------------------------------------------------------------------------------


def limits_of(**settings: Any) -> Limits | None:
    assert DESTINATION.limits is not None
    return DESTINATION.limits(PendoSettings.model_validate({"integration_key": "k", **settings}))


def test_limits_are_the_configured_ones_and_none_by_default() -> None:
    assert limits_of() is None
    assert limits_of(max_requests_per_second=4) == Limits(4, 1.0, None, "Pendo")
    assert limits_of(max_requests_per_second=4, max_concurrent_requests=1) == Limits(
        4, 1.0, 1, "Pendo"
    )


def test_requests_wait_for_room_under_the_configured_rate(send: Send) -> None:
    with FakePendo(rate_limit=(2, 1.0)) as pendo:
        started = time.monotonic()
        sent = send(
            pendo, [track(1), track(2), track(3)], limiter=LocalLimiter(), max_requests_per_second=2
        )
        elapsed = time.monotonic() - started
        assert pendo.meter.refusals == []
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 3
    assert elapsed >= 0.9  # the third waited for the first to leave the window


# -- secrets -----------------------------------------------------------------------------------


def test_secrets_are_redacted_from_the_record_even_when_echoed(
    send: Send, pendo: FakePendo
) -> None:
    pendo.script(
        Reply(401, {"X-Echo": TRACK_SECRET}, f"key {INTEGRATION_KEY} is not valid here"),
        Reply(403, body=f"secret {TRACK_SECRET} rejected"),
    )
    sent = send(pendo, [identify(), group(), track()])

    recorded = json.dumps([e.as_dict() for s in sent for e in s.result.exchanges])
    reasons = " ".join(s.outcome.reason for s in sent)
    for secret in (INTEGRATION_KEY, TRACK_SECRET):
        assert secret not in recorded
        assert secret not in reasons
    first, second, third = (s.result.exchanges[0] for s in sent)
    assert first.request_headers["x-pendo-integration-key"] == REDACTED
    assert first.response_headers["x-echo"] == REDACTED
    assert first.response_body == f"key {REDACTED} is not valid here"
    assert second.response_body == f"secret {REDACTED} rejected"
    assert third.request_headers["x-pendo-integration-key"] == REDACTED
    assert sent[1].outcome.reason.startswith(f"HTTP 403 Forbidden: secret {REDACTED} rejected")
    # Only the record is redacted: Pendo received the real keys.
    assert [r.header("x-pendo-integration-key") for r in pendo.requests] == [
        INTEGRATION_KEY,
        INTEGRATION_KEY,
        TRACK_SECRET,
    ]


def test_a_secret_in_a_trait_is_redacted_from_the_record(send: Send, pendo: FakePendo) -> None:
    (sent,) = send(pendo, [identify(note=f"pasted {INTEGRATION_KEY}")])
    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    assert INTEGRATION_KEY not in json.dumps(sent.result.exchanges[0].as_dict())
