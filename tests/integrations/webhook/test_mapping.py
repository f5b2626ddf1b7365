"""Mappings of "send" other than the preset: a URL, data and headers of their own, and what a
mapping may not do."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from switchboard.deliveries.status import AttemptOutcome
from switchboard.destinations.addresses import guarded_transport
from switchboard.integrations.http import REDACTED
from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.webhook import sign
from tests.fakes.sink import Sink
from tests.integrations.verdicts import kinds
from tests.integrations.webhook.conftest import Webhooks, event, events, results


def user_event(user: str, n: int = 0) -> dict[str, Any]:
    return {**event(n), "userId": user, "traits": {"plan": "pro", "seats": 3}}


def test_a_mapped_url_data_and_headers(hooks: Webhooks, sink: Sink) -> None:
    with Sink() as settings_url:
        mapping = {
            "url": {"@template": sink.url + "/users/{{userId}}?src=sb"},
            "method": "PUT",
            "headers": {
                "X-User": {"@path": "$.userId"},
                "X-Seats": {"@path": "$.traits.seats"},
                "X-Missing": {"@path": "$.traits.nothing"},
                "Authorization": "from the mapping",
            },
            "data": {"id": {"@path": "$.userId"}, "plan": {"@path": "$.traits.plan"}},
        }
        (sent,) = hooks.send(
            [user_event("u-7")],
            mapping,
            urls=[settings_url.url],
            headers={"authorization": "Bearer settings-1"},
            shared_secret="whsec-1",
        )
        assert settings_url.requests == []
    assert kinds([sent.result]) == [AttemptOutcome.DELIVERED]
    (received,) = sink.requests
    assert (received.method, received.path) == ("PUT", "/users/u-7?src=sb")
    assert received.body == b'{"id":"u-7","plan":"pro"}'
    assert received.header("x-signature") == sign("whsec-1", received.body)
    assert (received.header("x-user"), received.header("x-seats")) == ("u-7", "3")
    assert received.header("x-missing") is None
    # The settings' header is the destination's credential: a mapping cannot replace it.
    assert received.header("authorization") == "Bearer settings-1"
    assert received.header("content-type") == "application/json"


def test_a_mapping_may_set_the_content_type_and_user_agent(hooks: Webhooks, sink: Sink) -> None:
    mapping = {"headers": {"content-type": "application/x-ndjson", "user-agent": "Mine/2"}}
    hooks.send(events(1), mapping, urls=[sink.url])
    (received,) = sink.requests
    assert received.header("content-type") == "application/x-ndjson"
    assert received.header("user-agent") == "Mine/2"


def test_a_mapped_url_is_the_only_one_sent_to(hooks: Webhooks) -> None:
    with Sink() as mapped, Sink() as first, Sink() as second:
        sent = hooks.send(events(2), {"url": mapped.url + "/x"}, urls=[first.url, second.url])
        assert (len(mapped.requests), len(first.requests), len(second.requests)) == (2, 0, 0)
    assert [len(s.result.exchanges) for s in sent] == [1, 1]


def test_an_empty_mapped_url_means_the_settings_urls(hooks: Webhooks, sink: Sink) -> None:
    sent = hooks.send(events(1), {"url": {"@path": "$.properties.nowhere"}}, urls=[sink.url])
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED]
    sent = hooks.send(events(1), {"url": "  "}, urls=[sink.url])
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED]
    assert len(sink.requests) == 2


def test_batches_go_one_request_per_mapped_url_in_event_order(hooks: Webhooks, sink: Sink) -> None:
    mapping = {
        "url": {"@template": sink.url + "/{{userId}}"},
        "data": {"n": {"@path": "$.properties.n"}},
        "batch_size": 10,
    }
    batch = [user_event(user, n) for n, user in enumerate(["a", "b", "a", "c", "b"])]
    sent = hooks.send(batch, mapping)

    assert [(r.path, r.body) for r in sink.requests] == [
        ("/a", b'[{"n":0},{"n":2}]'),
        ("/b", b'[{"n":1},{"n":4}]'),
        ("/c", b'[{"n":3}]'),
    ]
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 5
    # Each event keeps the exchange of the request it went in, and only that one.
    assert [s.result.exchanges[0].url.rsplit("/", 1)[1] for s in sent] == list("abacb")
    assert {len(s.result.exchanges) for s in sent} == {1}


def test_events_with_other_headers_are_not_batched_together(hooks: Webhooks, sink: Sink) -> None:
    mapping = {"headers": {"X-User": {"@path": "$.userId"}}, "batch_size": 10}
    hooks.send([user_event("a"), user_event("b"), user_event("a")], mapping, urls=[sink.url])
    assert [(r.header("x-user"), len(orjson.loads(r.body))) for r in sink.requests] == [
        ("a", 2),
        ("b", 1),
    ]


def test_a_mapped_url_secret_is_redacted_from_the_record(hooks: Webhooks, sink: Sink) -> None:
    (sent,) = hooks.send(events(1), {"url": sink.url + "/h?token=tok-secret-42"})
    assert sink.requests[0].path == "/h?token=tok-secret-42"
    (exchange,) = sent.result.exchanges
    assert exchange.url == f"{sink.url}/h?token={REDACTED}"
    assert "tok-secret-42" not in json.dumps(exchange.as_dict())


@pytest.mark.parametrize(
    ("mapping", "reason", "where"),
    [
        ({"url": "ftp://example.com/x"}, "url: must start with http:// or https://", "url"),
        ({"url": "example.com/x"}, "url: must start with http:// or https://", "url"),
        ({"url": "https:///path-only"}, "url: must include a host name", "url"),
        ({"url": "https://exa mple.com/"}, "url: must not contain spaces", "url"),
        ({"url": "http://[::1/"}, "url: not a valid URL", "url"),
        ({"url": "https://e.com/" + "x" * 2048}, "url: at most 2048 characters", "url"),
        ({"headers": {"X Bad": "v"}}, "may only hold ASCII letters", "headers"),
        ({"headers": {"X-Ok": "naïve"}}, "must be printable ASCII", "headers"),
        ({"headers": {"X-Ok": "a\r\nX-Injected: 1"}}, "must be printable ASCII", "headers"),
        ({"headers": {"X-Signature": "forged"}}, "set by Switchboard", "headers"),
        ({"headers": {"Host": "other"}}, "set by Switchboard", "headers"),
        ({"headers": {"X-Obj": {"@path": "$.context"}}}, "must be text", "headers"),
        ({"headers": "nope"}, "/headers must be an object", "headers"),
        ({"method": "GET"}, "/method must be one of: POST, PUT, PATCH", "method"),
        ({"batch_size": 0}, "/batch_size must be >= 1", "batch_size"),
        ({"batch_size": 1001}, "/batch_size must be <= 1000", "batch_size"),
        ({"data": {"@path": "$.traits"}}, "missing the required field 'data'", "data"),
        ({"data": {"@path": "$.event"}}, "/data must be an object", "data"),
    ],
)
def test_a_mapping_that_cannot_be_sent_rejects_the_event_naming_the_field(
    hooks: Webhooks, sink: Sink, mapping: dict[str, Any], reason: str, where: str
) -> None:
    for batch_size in (1, 5):
        sent = hooks.send([event(0)], {"batch_size": batch_size, **mapping}, urls=[sink.url])
        (only,) = sent
        assert (only.outcome.code, only.result.exchanges) == ("payload_invalid", [])
        assert only.outcome.reason.startswith("Message Rejected: ")
        assert reason in only.outcome.reason
        assert where in only.outcome.reason
    assert sink.requests == []


def test_a_rejected_event_in_a_batch_fails_alone(hooks: Webhooks, sink: Sink) -> None:
    mapping = {"url": {"@path": "$.properties.url"}, "batch_size": 10}
    batch = events(3)
    batch[1]["properties"]["url"] = "mailto:someone@example.com"
    sent = hooks.send(batch, mapping, urls=[sink.url])
    assert [s.outcome.code or "delivered" for s in sent] == [
        "delivered",
        "payload_invalid",
        "delivered",
    ]
    (received,) = sink.requests
    assert [e["messageId"] for e in orjson.loads(received.body)] == ["m-0", "m-2"]


def test_no_url_anywhere_rejects_the_event(hooks: Webhooks) -> None:
    (sent,) = hooks.send(events(1))
    assert sent.outcome.code == "payload_invalid"
    assert sent.outcome.reason == (
        "Message Rejected: url: the mapping gives no URL and the settings have no Webhook URLs"
    )


@pytest.mark.parametrize("where", ["mapping", "settings"])
def test_private_addresses_are_refused_by_the_guarded_client(
    hooks: Webhooks, sink: Sink, where: str
) -> None:
    target = f"{sink.url}/internal"
    settings: dict[str, Any] = {"urls": [target]} if where == "settings" else {}
    mappings = None
    if where == "mapping":
        mappings = [
            MappingSpec(
                "to the mapped URL",
                "send",
                'type = "track"',
                {"url": target, "data": {"@path": "$."}},
            )
        ]
    harness = hooks.harness(settings, mappings=mappings, transport=guarded_transport())
    (sent,) = harness.send(events(1))
    assert sent.outcome.code == "private_address"
    assert kinds([sent.result]) == [AttemptOutcome.FAILED]
    assert sink.requests == []
