"""The access token: fetched once, shared, renewed, refreshed after a 401, refused."""

from __future__ import annotations

import json

import pytest

from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import Result
from switchboard.integrations.kit.testing import Sent
from switchboard.integrations.sfmc.auth import CredentialsRefused, _rest_base
from tests.fakes.sfmc import ACCOUNT_ID, FakeSFMC, error_reply
from tests.fakes.sink import Reply
from tests.integrations.sfmc.events import Clock, Harness, identify, track
from tests.integrations.verdicts import judge, kinds


def results(sent: list[Sent]) -> list[Result]:
    return [s.result for s in sent]


def test_one_token_serves_many_events_and_sends(harness: Harness, sfmc: FakeSFMC) -> None:
    h = harness()
    first = h.send([track(1), identify(), track(2)])
    second = h.send([track(3)])

    assert kinds(results(first + second)) == [AttemptOutcome.DELIVERED] * 4
    assert sfmc.token_calls == 1
    assert [len(s.result.exchanges) for s in first + second] == [2, 1, 1, 1]


def test_the_account_id_is_sent_and_keys_the_cache(harness: Harness) -> None:
    with FakeSFMC() as sfmc:
        harness(fake=sfmc, account_id=ACCOUNT_ID).send([identify()])
        harness(fake=sfmc, account_id=ACCOUNT_ID).send([identify()])
        harness(fake=sfmc).send([identify()])
        assert sfmc.token_calls == 2
        assert json.loads(sfmc.requests[0].body)["account_id"] == ACCOUNT_ID
        assert "account_id" not in json.loads(sfmc.requests[-2].body)


def test_a_changed_secret_never_reuses_the_old_token(harness: Harness, sfmc: FakeSFMC) -> None:
    harness().send([identify()])
    (sent,) = harness(client_secret="rotated-secret").send([identify()])
    assert sfmc.token_calls == 2
    assert sent.outcome.code == "auth_failed"  # the fake knows only the first secret


def test_a_token_is_renewed_shortly_before_it_expires(
    harness: Harness, sfmc: FakeSFMC, clock: Clock
) -> None:
    h = harness()
    h.send([track(1)])
    clock.now += 1079 - 61
    h.send([track(2)])
    assert sfmc.token_calls == 1
    clock.now += 2
    h.send([track(3)])
    assert sfmc.token_calls == 2
    tokens = sfmc.issued_tokens
    assert [r.header("authorization") for r in sfmc.api_requests] == [
        f"Bearer {tokens[0]}",
        f"Bearer {tokens[0]}",
        f"Bearer {tokens[1]}",
    ]


def test_a_401_refreshes_the_token_once_and_resends(harness: Harness, sfmc: FakeSFMC) -> None:
    h = harness()
    h.send([track(1)])
    sfmc.expire_tokens()
    sent = h.send([track(2), track(3)])

    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 2
    assert sfmc.token_calls == 2
    assert [e.status for e in sent[0].result.exchanges] == [401, 200, 201]
    assert [e.url.rsplit("/", 1)[-1] for e in sent[0].result.exchanges] == [
        "events",
        "token",
        "events",
    ]
    assert len(sfmc.journey_entries) == 3


def test_a_401_after_the_refresh_fails_with_a_hint(harness: Harness, sfmc: FakeSFMC) -> None:
    sfmc.script(*[error_reply(401, "Not Authorized", 0)] * 3)
    sent = harness().send([track(1), track(2)])

    assert kinds(results(sent)) == [AttemptOutcome.FAILED] * 2
    assert sfmc.token_calls == 2  # one refresh per send, not one per event
    outcome = sent[0].outcome
    assert outcome.code == "http_401"
    assert outcome.reason.startswith("HTTP 401 Unauthorized: Not Authorized (errorcode 0) (")
    assert "refresh" in outcome.reason
    assert [e.status for e in sent[1].result.exchanges] == [401]


def test_the_next_send_may_refresh_again(harness: Harness, sfmc: FakeSFMC) -> None:
    sfmc.script(*[error_reply(401, "Not Authorized", 0)] * 2)
    h = harness()
    h.send([track(1)])
    sfmc.expire_tokens()
    (sent,) = h.send([track(2)])
    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    assert sfmc.token_calls == 3


def test_refused_credentials_fail_every_event_with_one_token_request(
    harness: Harness, sfmc: FakeSFMC
) -> None:
    sent = harness(client_secret="wrong-one").send([track(1), identify()])

    assert kinds(results(sent)) == [AttemptOutcome.FAILED] * 2
    assert sfmc.token_calls == 1
    assert sfmc.api_requests == []
    outcome = sent[0].outcome
    assert outcome.code == "auth_failed"
    assert outcome.reason.startswith("token request failed: HTTP 401 Unauthorized: ")
    assert outcome.reason.endswith("(check the client id, client secret and account id)")
    assert sent[1].outcome == outcome
    assert [len(s.result.exchanges) for s in sent] == [1, 0]


def test_a_token_endpoint_5xx_retries_the_whole_send(harness: Harness, sfmc: FakeSFMC) -> None:
    sfmc.script_token(Reply(503, {"Retry-After": "30"}, "down"))
    h = harness()
    sent = h.send([track(1), track(2)])

    assert kinds(results(sent)) == [AttemptOutcome.RETRY] * 2
    assert {(s.outcome.code, s.outcome.retry_after) for s in sent} == {("http_503", 30)}
    assert sent[0].outcome.reason == "token request failed: HTTP 503 Service Unavailable: down"
    assert sfmc.token_calls == 1
    # The next send gets a token and delivers.
    assert kinds(results(h.send([track(3)]))) == [AttemptOutcome.DELIVERED]


@pytest.mark.parametrize("body", ["{not json", '{"token_type": "Bearer"}', ""])
def test_a_token_answer_without_a_token_retries(
    harness: Harness, sfmc: FakeSFMC, body: str
) -> None:
    sfmc.script_token(Reply(200, {"Content-Type": "application/json"}, body))
    (sent,) = harness().send([track()])
    assert (judge(sent.outcome).kind, sent.outcome.code) == (
        AttemptOutcome.RETRY,
        "invalid_token_response",
    )
    assert sent.outcome.reason.startswith("the token answer has no access_token: ")


def test_a_token_answer_without_a_usable_rest_base_fails(harness: Harness, sfmc: FakeSFMC) -> None:
    answer = {"access_token": "t-1", "expires_in": 1079, "rest_instance_url": "not a url"}
    sfmc.script_token(Reply(200, {"Content-Type": "application/json"}, json.dumps(answer)))
    (sent,) = harness().send([track()])
    assert (judge(sent.outcome).kind, sent.outcome.code) == (
        AttemptOutcome.FAILED,
        "invalid_token_response",
    )
    assert sent.outcome.reason == (
        "the token answer names no usable rest_instance_url (check the authentication base URI)"
    )
    assert sfmc.api_requests == []


def test_without_rest_instance_url_the_standard_rest_host_is_derived() -> None:
    auth = "https://mc123.auth.marketingcloudapis.com"
    assert _rest_base(None, auth) == "https://mc123.rest.marketingcloudapis.com"
    assert _rest_base("https://x.rest.example/", auth) == "https://x.rest.example"
    assert _rest_base(None, "http://127.0.0.1:9") is None
    assert _rest_base("not a url", auth) is None


def test_the_connection_test_asks_for_a_token(harness: Harness, sfmc: FakeSFMC) -> None:
    harness().test_connection()
    assert sfmc.token_calls == 1
    with pytest.raises(CredentialsRefused) as refused:
        harness(client_secret="wrong-one").test_connection()
    assert refused.value.outcome.code == "auth_failed"
