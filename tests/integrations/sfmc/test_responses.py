"""Marketing Cloud's answers and what they become: retries, failures, its error JSON, FAIL in
a 200, stopping the send, the tenant's budget, and what is recorded."""

from __future__ import annotations

import json

import pytest

from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import Result
from switchboard.integrations.budget import Limits
from switchboard.integrations.http import REDACTED
from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.kit.testing import Sent
from switchboard.integrations.sfmc import DESTINATION
from switchboard.jobs.limits import LocalLimiter
from tests.fakes.sfmc import CLIENT_SECRET, DATA_EXTENSION, FakeSFMC, error_reply
from tests.fakes.sink import Reply
from tests.integrations.sfmc.events import (
    IDENTIFY_JOURNEY,
    IDENTIFY_ROW,
    Harness,
    identify,
    track,
)
from tests.integrations.verdicts import judge, kinds


def results(sent: list[Sent]) -> list[Result]:
    return [s.result for s in sent]


def test_a_429_retries_after_its_retry_after_and_stops_the_send(
    harness: Harness, sfmc: FakeSFMC
) -> None:
    sfmc.script(Reply(201), error_reply(429, "Rate limit exceeded", 50100, retryAfter=60))
    sent = harness().send([track(1), track(2), identify(), track(4)])

    by_event = sorted(sent, key=lambda s: s.event_index)
    assert kinds(results(by_event)) == [AttemptOutcome.DELIVERED] + [AttemptOutcome.RETRY] * 3
    assert {(s.outcome.code, s.outcome.retry_after) for s in by_event[1:]} == {("http_429", 60)}
    assert by_event[1].outcome.reason == (
        "HTTP 429 Too Many Requests: Rate limit exceeded (errorcode 50100)"
    )
    assert len(sfmc.api_requests) == 2
    assert [len(s.result.exchanges) for s in by_event] == [2, 1, 0, 0]


def test_the_retry_after_header_wins_over_the_body(harness: Harness, sfmc: FakeSFMC) -> None:
    sfmc.script(Reply(429, {"Retry-After": "7"}, '{"retryAfter": 60}'))
    (sent,) = harness().send([track()])
    assert sent.outcome.retry_after == 7


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_retry_without_stopping_the_send(
    harness: Harness, sfmc: FakeSFMC, status: int
) -> None:
    sfmc.script(Reply(status, body="<html>\n  oops </html>"))
    sent = harness().send([track(1), track(2)])
    assert kinds(results(sent)) == [AttemptOutcome.RETRY, AttemptOutcome.DELIVERED]
    assert sent[0].outcome.code == f"http_{status}"
    assert sent[0].outcome.reason.endswith(": <html> oops </html>")


def test_a_400_fails_with_sfmc_s_message(harness: Harness) -> None:
    mapping = {**IDENTIFY_JOURNEY.mapping, "event_definition_key": "nope"}
    spec = MappingSpec("journey", "send_event_to_journey", 'type = "identify"', mapping)
    (sent,) = harness([spec]).send([identify()])

    assert (judge(sent.outcome).kind, sent.outcome.code) == (AttemptOutcome.FAILED, "http_400")
    assert sent.outcome.reason == (
        "HTTP 400 Bad Request: Event definition with key nope not found (errorcode 10000)"
    )


def test_a_400_lists_the_additional_errors(harness: Harness, sfmc: FakeSFMC) -> None:
    extra = [{"message": "No column Plann", "errorcode": 10000}]
    sfmc.script(error_reply(400, "Aggregate error", 10006, additionalErrors=extra))
    (sent,) = harness().send([identify()])
    assert judge(sent.outcome).kind is AttemptOutcome.FAILED
    assert sent.outcome.reason == (
        "HTTP 400 Bad Request: Aggregate error (errorcode 10006): No column Plann (10000)"
    )


def test_rows_that_could_not_be_saved_without_details_retry(
    harness: Harness, sfmc: FakeSFMC
) -> None:
    message = "Unable to save rows for data extension ID 1a2b"
    sfmc.script(error_reply(400, message, 10006))
    (sent,) = harness([IDENTIFY_ROW]).send([identify()])
    assert (judge(sent.outcome).kind, sent.outcome.code) == (AttemptOutcome.RETRY, "http_400")
    assert sent.outcome.reason == f"HTTP 400 Bad Request: {message} (errorcode 10006)"
    assert sfmc.rows == {}


def test_an_unknown_data_extension_fails(harness: Harness) -> None:
    mapping = {**IDENTIFY_ROW.mapping, "key": "Nope"}
    spec = MappingSpec("row", "upsert_data_extension_row", 'type = "identify"', mapping)
    (sent,) = harness([spec]).send([identify()])
    assert sent.outcome.reason == (
        "HTTP 400 Bad Request: Unable to find the data extension (errorcode 10000)"
    )
    assert judge(sent.outcome).kind is AttemptOutcome.FAILED


def test_a_200_that_reports_a_fail_is_a_failure(harness: Harness, sfmc: FakeSFMC) -> None:
    body = {
        "operationStatus": "FAIL",
        "requestServiceMessageID": "x",
        "resultMessages": [{"resultCode": "InvalidContactKey", "message": "Bad key"}],
    }
    sfmc.script(Reply(200, {"Content-Type": "application/json"}, json.dumps(body)))
    (sent,) = harness().send([track()])
    assert (judge(sent.outcome).kind, sent.outcome.code, sent.outcome.reason) == (
        AttemptOutcome.FAILED,
        "rejected",
        "Message Rejected: Marketing Cloud reported a failure: Bad key (InvalidContactKey)",
    )


@pytest.mark.parametrize("body", ["{not json", "", "<html>ok</html>", '{"operationStatus": "OK"}'])
def test_a_2xx_with_any_other_body_is_delivered(
    harness: Harness, sfmc: FakeSFMC, body: str
) -> None:
    sfmc.script(Reply(201, body=body))
    (sent,) = harness().send([track()])
    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED


def test_a_403_fails_with_a_permissions_hint(harness: Harness, sfmc: FakeSFMC) -> None:
    sfmc.script(error_reply(403, "Insufficient privileges", 20002))
    (sent,) = harness().send([track()])
    assert sent.outcome.code == "http_403"
    assert "check the installed package's permissions" in sent.outcome.reason


def test_a_hanging_sfmc_costs_one_timeout_per_send(harness: Harness, sfmc: FakeSFMC) -> None:
    sfmc.script(Reply(delay=10))
    sent = harness(timeout_seconds=0.3).send([track(1), track(2)])
    assert kinds(results(sent)) == [AttemptOutcome.RETRY] * 2
    assert {s.outcome.code for s in sent} == {"timeout"}
    assert len(sfmc.api_requests) == 1


def test_a_refused_connection_retries(harness: Harness) -> None:
    closed = FakeSFMC()
    closed.close()
    sent = harness(fake=closed).send([identify(), track()])
    assert kinds(results(sent)) == [AttemptOutcome.RETRY] * 2
    assert sent[0].outcome.code == "connection_error"
    assert [len(s.result.exchanges) for s in sent] == [1, 0]


# -- the tenant's budget -----------------------------------------------------------------------


class RecordingLimiter(LocalLimiter):
    def __init__(self) -> None:
        super().__init__()
        self.acquired: list[tuple[int | str, int]] = []

    def acquire_slot(self, destination_id: int | str, cap: int, ttl: float) -> str | None:
        self.acquired.append((destination_id, cap))
        return super().acquire_slot(destination_id, cap, ttl)


def test_every_request_token_included_takes_room_in_the_tenant_s_budget(
    harness: Harness, sfmc: FakeSFMC
) -> None:
    h = harness(max_requests_per_second=7, max_concurrent_requests=3)
    h.limiter = RecordingLimiter()
    sent = h.send([identify(), track()])

    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 2
    window, concurrent = f"sfmc:{sfmc.url}:window", f"sfmc:{sfmc.url}:concurrent"
    assert h.limiter.acquired == [(window, 7), (concurrent, 3)] * 3  # token, entry, entry
    settings = h.parsed_settings
    assert DESTINATION.limits is not None and DESTINATION.limit_key is not None
    assert DESTINATION.limits(settings) == Limits(7, 1.0, 3, "Marketing Cloud")
    assert DESTINATION.limit_key(settings) == f"sfmc:{sfmc.url}"


# -- secrets -----------------------------------------------------------------------------------


def test_the_secret_and_tokens_are_redacted_from_the_record(
    harness: Harness, sfmc: FakeSFMC
) -> None:
    h = harness()
    h.send([track(1)])
    sfmc.expire_tokens()
    sent = h.send([identify(note=f"pasted {CLIENT_SECRET}")])
    sfmc.script(Reply(400, {"X-Echo": sfmc.issued_tokens[1]}, f"bad {sfmc.issued_tokens[1]}"))
    sent += h.send([track(2)])

    recorded = json.dumps([e.as_dict() for s in sent for e in s.result.exchanges])
    reasons = " ".join(s.outcome.reason for s in sent)
    for secret in (CLIENT_SECRET, *sfmc.issued_tokens):
        assert secret not in recorded
        assert secret not in reasons
    refused, token, resent = sent[0].result.exchanges
    assert (refused.status, resent.status) == (401, 201)
    assert refused.request_headers["authorization"] == REDACTED
    assert json.loads(token.request_body or "")["client_secret"] == REDACTED
    assert json.loads(token.response_body or "")["access_token"] == REDACTED
    assert sent[1].outcome.reason == f"HTTP 400 Bad Request: bad {REDACTED}"
    # Only the record is redacted: Marketing Cloud received the real values.
    assert sfmc.requests[3].path == "/v2/token"
    assert json.loads(sfmc.requests[3].body)["client_secret"] == CLIENT_SECRET
    assert DATA_EXTENSION not in recorded  # nothing of the row mapping ran
