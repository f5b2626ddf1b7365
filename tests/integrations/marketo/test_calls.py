"""Every Marketo call: tokens (reused, renewed on 601/602), call-level errors, answers that
cannot be read, the instance's limits and stopping the send after Marketo's own."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import SendContext
from switchboard.integrations.kit import context as kit_context
from switchboard.integrations.kit.errors import InvalidAuthentication
from switchboard.integrations.kit.oauth import TokenCache
from switchboard.jobs.limits import LocalLimiter
from tests.fakes.marketo import CLIENT_SECRET, FakeMarketo
from tests.fakes.sink import Reply
from tests.integrations.marketo.conftest import Keep
from tests.integrations.marketo.support import harness_for, identify, track
from tests.integrations.verdicts import judge

# -- tokens ------------------------------------------------------------------------------------


def test_the_token_is_fetched_once_and_reused_across_sends(
    keep: Keep, marketo: FakeMarketo
) -> None:
    harness = keep(harness_for(marketo))
    harness.send([identify()])
    harness.send([track()])

    assert marketo.token_calls == 1
    assert len({r.header("authorization") for r in marketo.rest_requests}) == 1


def test_an_expired_token_is_renewed_and_the_call_repeated_once(
    keep: Keep, marketo: FakeMarketo
) -> None:
    harness = keep(harness_for(marketo))
    harness.send([identify()])
    marketo.expire_tokens()
    (sent,) = harness.send([identify("bob@example.com")])

    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    assert marketo.token_calls == 2
    first, second = marketo.rest_requests[1:]
    assert first.header("authorization") != second.header("authorization")
    assert [e.url.rsplit("/", 1)[-1] for e in sent.result.exchanges] == [
        "leads.json",
        "token",
        "leads.json",
    ]


def test_a_token_refused_twice_is_retried_later(keep: Keep, marketo: FakeMarketo) -> None:
    marketo.fail_next("601", "601")
    (sent,) = keep(harness_for(marketo)).send([identify()])

    assert (judge(sent.outcome).kind, sent.outcome.code) == (AttemptOutcome.RETRY, "marketo_601")
    assert marketo.token_calls == 2
    assert len(marketo.rest_requests) == 2


def test_a_token_that_is_about_to_expire_is_renewed_first(keep: Keep) -> None:
    now = [1000.0]
    with FakeMarketo(token_life=100) as marketo:
        harness = keep(harness_for(marketo))
        harness.adapter.tokens = TokenCache(clock=lambda: now[0])
        harness.send([identify()])
        now[0] += 40  # a 100 s token is kept 50 s (the kit's margin is 60 s)
        harness.send([identify()])
        assert marketo.token_calls == 1
        now[0] += 11
        harness.send([identify()])
        assert marketo.token_calls == 2


def test_wrong_credentials_fail_with_a_hint_and_stop_the_send(
    keep: Keep, marketo: FakeMarketo
) -> None:
    sent = keep(harness_for(marketo, client_secret="wrong")).send([identify(), track()])

    assert [s.outcome.code for s in sent] == ["http_401", "http_401"]
    assert sent[0].outcome.reason.startswith("could not get a Marketo access token: HTTP 401")
    assert sent[0].outcome.reason.endswith("(check the client id and client secret)")
    assert judge(sent[0].outcome).kind is AttemptOutcome.FAILED
    assert marketo.rest_requests == []
    assert marketo.token_calls == 1


def test_the_connection_test_fetches_a_token(keep: Keep, marketo: FakeMarketo) -> None:
    harness = keep(harness_for(marketo))
    harness.test_connection()
    harness.test_connection()
    assert marketo.token_calls == 2  # a fresh token each time, not the cached one

    with pytest.raises(InvalidAuthentication) as caught:
        keep(harness_for(marketo, client_secret="wrong")).test_connection()
    assert caught.value.outcome.code == "http_401"


def test_secrets_and_the_token_are_redacted_from_the_record(
    keep: Keep, marketo: FakeMarketo
) -> None:
    harness = keep(harness_for(marketo))
    harness.send([identify()])
    (sent,) = harness.send([track()])  # the token is the cached one now

    token = (marketo.rest_requests[0].header("authorization") or "").removeprefix("Bearer ")
    again = harness.send([identify("bob@example.com")])[0].result.exchanges
    for exchanges in (sent.result.exchanges, again):
        recorded = json.dumps([exchange.as_dict() for exchange in exchanges])
        assert CLIENT_SECRET not in recorded
        assert token not in recorded
    assert marketo.requests[0].body.decode().count(CLIENT_SECRET) == 1


def test_the_token_answer_is_redacted(keep: Keep, marketo: FakeMarketo) -> None:
    (sent,) = keep(harness_for(marketo)).send([identify()])

    token_exchange = sent.result.exchanges[0]
    assert token_exchange.url.endswith("/identity/oauth/token")
    token = (marketo.rest_requests[0].header("authorization") or "").removeprefix("Bearer ")
    assert token not in (token_exchange.response_body or "")
    assert CLIENT_SECRET not in (token_exchange.request_body or "")


# -- call-level errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "retry_after"),
    [
        ("606", AttemptOutcome.RETRY, 20.0),
        ("615", AttemptOutcome.RETRY, 5.0),
        ("611", AttemptOutcome.RETRY, None),
        ("799", AttemptOutcome.RETRY, None),
        ("603", AttemptOutcome.FAILED, None),
        ("609", AttemptOutcome.FAILED, None),
    ],
)
def test_call_level_errors_are_classified_by_code(
    keep: Keep,
    marketo: FakeMarketo,
    code: str,
    kind: AttemptOutcome,
    retry_after: float | None,
) -> None:
    marketo.fail_next(code)
    sent = keep(harness_for(marketo)).send([identify(), identify("bob@example.com")])

    assert [judge(s.outcome).kind for s in sent] == [kind, kind]
    assert {s.outcome.code for s in sent} == {f"marketo_{code}"}
    assert sent[0].outcome.retry_after == retry_after
    assert sent[0].outcome.reason.startswith(f"Marketo error {code}")


def test_the_hints_go_with_the_reason(keep: Keep, marketo: FakeMarketo) -> None:
    marketo.fail_next("603")
    (sent,) = keep(harness_for(marketo)).send([identify()])
    assert sent.outcome.reason == (
        "Marketo error 603: Error (the API user's role lacks permission, or its IP is not allowed)"
    )


@pytest.mark.parametrize("code", ["606", "607", "615"])
def test_marketos_limits_stop_the_rest_of_the_send(
    keep: Keep, marketo: FakeMarketo, code: str
) -> None:
    marketo.fail_next(code)
    sent = keep(harness_for(marketo)).send([identify(), track(email="bob@example.com")])

    assert {s.outcome.code for s in sent} == {f"marketo_{code}"}
    assert len(marketo.rest_requests) == 1
    assert sent[1].result.exchanges == []


def test_other_call_errors_do_not_stop_the_send(keep: Keep, marketo: FakeMarketo) -> None:
    marketo.fail_next("611")
    sent = keep(harness_for(marketo)).send([identify(), track(email="bob@example.com")])

    assert [s.outcome.code for s in sent] == ["marketo_611", ""]
    assert len(marketo.rest_requests) == 3


def test_a_server_error_retries(keep: Keep, marketo: FakeMarketo) -> None:
    marketo.script(Reply(503, body="<html>down</html>"))
    (sent,) = keep(harness_for(marketo)).send([identify()])

    assert (judge(sent.outcome).kind, sent.outcome.code) == (AttemptOutcome.RETRY, "http_503")
    assert "could not get a Marketo access token" in sent.outcome.reason


def test_a_token_answer_without_a_token_retries(keep: Keep, marketo: FakeMarketo) -> None:
    marketo.script(Reply(200, body='{"error": "nope"}'))
    (sent,) = keep(harness_for(marketo)).send([identify()])

    assert (judge(sent.outcome).kind, sent.outcome.code) == (
        AttemptOutcome.RETRY,
        "invalid_token_response",
    )


def test_a_malformed_answer_retries(keep: Keep, marketo: FakeMarketo) -> None:
    harness = keep(harness_for(marketo))
    harness.send([identify()])
    marketo.script(Reply(200, body="{not json"))
    (sent,) = harness.send([identify()])

    assert (judge(sent.outcome).kind, sent.outcome.code) == (
        AttemptOutcome.RETRY,
        "invalid_response",
    )
    assert "not Marketo's JSON answer: {not json" in sent.outcome.reason


@pytest.mark.parametrize(
    "body",
    [
        '{"success": true, "result": []}',
        '{"success": true, "result": ["updated"]}',
        '{"success": true, "result": [{"id": "7", "status": "updated"}]}',
    ],
)
def test_answers_that_do_not_fit_the_records_retry(
    keep: Keep, marketo: FakeMarketo, body: str
) -> None:
    harness = keep(harness_for(marketo))
    harness.send([identify()])
    marketo.script(Reply(200, body=body))
    (sent,) = harness.send([identify()])

    assert (judge(sent.outcome).kind, sent.outcome.code) == (
        AttemptOutcome.RETRY,
        "invalid_response",
    )


def test_settings_of_another_destination_are_a_bug(keep: Keep, marketo: FakeMarketo) -> None:
    class Other(BaseModel):
        pass

    harness = keep(harness_for(marketo))
    with httpx.Client() as client, pytest.raises(TypeError):
        harness.adapter.send(Other(), [], SendContext(http=client))


# -- limits ------------------------------------------------------------------------------------


class RecordingLimiter(LocalLimiter):
    def __init__(self) -> None:
        super().__init__()
        self.acquired: list[tuple[int | str, int]] = []
        self.renewed: list[tuple[int | str, float]] = []

    def acquire_slot(self, destination_id: int | str, cap: int, ttl: float) -> str | None:
        self.acquired.append((destination_id, cap))
        return super().acquire_slot(destination_id, cap, ttl)

    def renew_slot(self, destination_id: int | str, token: str, ttl: float) -> None:
        self.renewed.append((destination_id, ttl))
        super().renew_slot(destination_id, token, ttl)


def keys(marketo: FakeMarketo) -> tuple[str, str]:
    return f"marketo:{marketo.url}:window", f"marketo:{marketo.url}:concurrent"


def test_every_call_is_counted_in_the_instance_window_and_holds_a_slot(
    keep: Keep, marketo: FakeMarketo
) -> None:
    limiter = RecordingLimiter()
    harness = keep(harness_for(marketo, limiter=limiter))
    sent = harness.send([identify(), track(email="b@example.com")], scope="7")

    assert {judge(s.outcome).kind for s in sent} == {AttemptOutcome.DELIVERED}
    assert len(marketo.requests) == 4  # token, lead, lead, activity
    window, concurrent = keys(marketo)
    assert limiter.acquired == [(window, 100), (concurrent, 10)] * 4
    # Each call stays counted for a whole window after its answer; its slot is given back.
    assert limiter.renewed == [(window, 20.0)] * 4
    assert len(limiter._slots[window]) == 4
    assert limiter._slots[concurrent] == {}


def test_the_limits_are_settings(keep: Keep, marketo: FakeMarketo) -> None:
    limiter = RecordingLimiter()
    limits: dict[str, Any] = {
        "calls_per_window": 40,
        "window_seconds": 5,
        "max_concurrent_calls": 3,
    }
    keep(harness_for(marketo, limiter=limiter, **limits)).send([identify()], scope="7")

    window, concurrent = keys(marketo)
    assert limiter.acquired == [(window, 40), (concurrent, 3)] * 2
    assert limiter.renewed == [(window, 5.0)] * 2


def test_no_free_slot_retries_without_a_call(
    keep: Keep, marketo: FakeMarketo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit_context, "MAX_LIMIT_WAIT", 0.1)
    limiter = LocalLimiter()
    window, concurrent = keys(marketo)
    for _ in range(10):
        assert limiter.acquire_slot(concurrent, 10, 60) is not None
    sent = keep(harness_for(marketo, limiter=limiter)).send([identify(), track()], scope="7")

    assert {s.outcome.code for s in sent} == {"concurrency_limited"}
    assert judge(sent[0].outcome).kind is AttemptOutcome.RETRY
    assert "10 calls to this Marketo instance are in flight" in sent[0].outcome.reason
    assert marketo.requests == []
    assert limiter._slots[window] == {}  # nothing sent, not counted


def test_a_used_up_window_retries_without_a_call(
    keep: Keep, marketo: FakeMarketo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit_context, "MAX_LIMIT_WAIT", 0.0)
    limiter = LocalLimiter()
    window, _ = keys(marketo)
    for _ in range(100):
        assert limiter.acquire_slot(window, 100, 20) is not None
    (sent,) = keep(harness_for(marketo, limiter=limiter)).send([identify()], scope="7")

    assert (judge(sent.outcome).kind, sent.outcome.code) == (
        AttemptOutcome.RETRY,
        "rate_limited",
    )
    assert sent.outcome.retry_after == 20.0
    assert "budget of 100 calls per 20 s is used up" in sent.outcome.reason
    assert marketo.requests == []


def test_the_fake_refuses_calls_over_marketos_limits_as_marketo_does(keep: Keep) -> None:
    """Without a limiter (as in the event tester), the fake's own limits answer 606."""
    with FakeMarketo(rate_limit=(2, 60.0)) as marketo:
        harness = keep(harness_for(marketo))
        outcomes = [harness.send([identify()])[0].outcome for _ in range(3)]
        assert marketo.meter.refusals == ["rate"]
    assert [o.code for o in outcomes] == ["", "", "marketo_606"]
    assert outcomes[2].retry_after == 20.0
