"""The normalization rules, on the pure function (the wire tests cover them end to end)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from switchboard.ingest.normalize import Envelope, normalize
from switchboard.ingest.rows import EventRow, RejectedRow

RECEIVED = datetime(2026, 5, 1, 10, 0, 0, tzinfo=UTC)


def accepted(message: Any, call_type: str | None = "track", **envelope: Any) -> EventRow:
    env = Envelope(received_at=RECEIVED, client_ip=envelope.pop("client_ip", "203.0.113.9"))
    for key, value in envelope.items():
        setattr(env, key, value)
    row = normalize(message, call_type, env, source_id=1)
    assert isinstance(row, EventRow), row
    return row


def payload(row: EventRow) -> dict[str, Any]:
    result: dict[str, Any] = orjson.loads(row.payload)
    return result


def test_clock_skew_is_corrected_with_sent_at() -> None:
    # The device clock runs one hour fast: it stamped the event 10 s before sending.
    row = accepted(
        {
            "userId": "u",
            "event": "E",
            "timestamp": "2026-05-01T11:00:00.000Z",
            "sentAt": "2026-05-01T11:00:10.000Z",
        }
    )
    assert row.timestamp == RECEIVED - timedelta(seconds=10)
    body = payload(row)
    assert body["timestamp"] == "2026-05-01T09:59:50.000Z"
    assert body["originalTimestamp"] == "2026-05-01T11:00:00.000Z"
    assert body["receivedAt"] == "2026-05-01T10:00:00.000Z"
    assert body["sentAt"] == "2026-05-01T11:00:10.000Z"


def test_segment_docs_worked_example() -> None:
    received = datetime(2015, 12, 12, 19, 11, 1, 266000, tzinfo=UTC)
    env = Envelope(received_at=received, client_ip=None, sent_at="2015-12-12T19:11:01.169Z")
    row = normalize(
        {"userId": "u", "event": "E", "timestamp": "2015-12-12T19:11:01.152Z"}, "track", env, 1
    )
    assert isinstance(row, EventRow)
    assert payload(row)["timestamp"] == "2015-12-12T19:11:01.249Z"


def test_without_sent_at_the_client_timestamp_stands() -> None:
    row = accepted({"userId": "u", "event": "E", "timestamp": "2026-01-01T00:00:00+02:00"})
    assert row.timestamp == datetime(2025, 12, 31, 22, tzinfo=UTC)
    assert payload(row)["originalTimestamp"] == "2026-01-01T00:00:00+02:00"


def test_without_timestamp_the_server_time_is_used() -> None:
    row = accepted({"userId": "u", "event": "E", "sentAt": "2030-01-01T00:00:00Z"})
    assert row.timestamp == RECEIVED
    assert payload(row)["originalTimestamp"] == "2026-05-01T10:00:00.000Z"


def test_original_timestamp_alone_counts_as_the_client_timestamp() -> None:
    # RudderStack's Node SDK sends originalTimestamp and no timestamp.
    row = accepted(
        {
            "userId": "u",
            "event": "E",
            "originalTimestamp": "2026-05-01T09:00:00Z",
            "sentAt": "2026-05-01T09:00:05Z",
        }
    )
    assert row.timestamp == RECEIVED - timedelta(seconds=5)
    assert row.original_timestamp == datetime(2026, 5, 1, 9, tzinfo=UTC)


def test_batch_sent_at_applies_when_the_event_has_none() -> None:
    row = accepted(
        {"userId": "u", "event": "E", "timestamp": "2026-05-01T09:00:00Z"},
        sent_at="2026-05-01T09:00:01Z",
    )
    assert row.timestamp == RECEIVED - timedelta(seconds=1)


def test_message_id_is_assigned_when_missing_and_kept_when_given() -> None:
    assigned = accepted({"userId": "u", "event": "E"})
    assert len(assigned.message_id) == 36
    assert payload(assigned)["messageId"] == assigned.message_id
    kept = accepted({"userId": "u", "event": "E", "messageId": "ajs-next-1-abc"})
    assert kept.message_id == "ajs-next-1-abc"


def test_message_id_longer_than_100_is_rejected() -> None:
    env = Envelope(received_at=RECEIVED, client_ip=None)
    row = normalize({"userId": "u", "event": "E", "messageId": "x" * 101}, "track", env, 1)
    assert isinstance(row, RejectedRow)
    assert "messageId" in row.reason


def test_context_ip_filled_from_client_but_not_overwritten() -> None:
    assert payload(accepted({"userId": "u", "event": "E"}))["context"]["ip"] == "203.0.113.9"
    given = accepted({"userId": "u", "event": "E", "context": {"ip": "198.51.100.1"}})
    assert payload(given)["context"]["ip"] == "198.51.100.1"


def test_write_key_is_stripped() -> None:
    row = accepted({"userId": "u", "event": "E", "writeKey": "secret-ish"})
    assert "writeKey" not in payload(row)
    assert b"secret-ish" not in row.payload.encode()


def test_identify_traits_found_in_context_traits() -> None:
    row = accepted(
        {"userId": "u", "context": {"traits": {"email": "a@example.com"}}}, call_type="identify"
    )
    assert payload(row)["traits"] == {"email": "a@example.com"}
    own = accepted(
        {"userId": "u", "traits": {"plan": "pro"}, "context": {"traits": {"email": "x"}}},
        call_type="identify",
    )
    assert payload(own)["traits"] == {"plan": "pro"}


def test_batch_context_and_integrations_merge_and_the_event_wins() -> None:
    row = accepted(
        {"userId": "u", "event": "E", "context": {"locale": "fr"}, "integrations": {"X": False}},
        context={"locale": "en", "app": {"name": "A"}},
        integrations={"All": False, "X": True},
    )
    body = payload(row)
    assert body["context"]["locale"] == "fr"
    assert body["context"]["app"] == {"name": "A"}
    assert body["integrations"] == {"All": False, "X": False}


def test_extra_keys_and_nulls_are_kept_and_numbers_become_strings() -> None:
    row = accepted(
        {
            "userId": 42,
            "anonymousId": None,
            "event": "E",
            "_metadata": {"a": 1},
            "channel": "server",
        }
    )
    body = payload(row)
    assert row.user_id == "42"
    assert row.anonymous_id is None
    assert body["_metadata"] == {"a": 1}
    assert body["channel"] == "server"


@pytest.mark.parametrize(
    ("message", "call_type", "field"),
    [
        ({"event": "E"}, "track", "userId or anonymousId"),
        ({"userId": None, "anonymousId": None, "event": "E"}, "track", "userId or anonymousId"),
        ({"userId": "u"}, "track", "event"),
        ({"userId": "u", "event": ""}, "track", "event"),
        ({"userId": "u"}, "group", "groupId"),
        ({"userId": "u"}, "alias", "previousId"),
        ({"userId": "u", "event": "E", "properties": [1]}, "track", "properties"),
        ({"userId": "u", "timestamp": "not a time"}, "page", "timestamp"),
        ({"userId": {"id": 1}}, "identify", "userId"),
        ({"type": "purchase", "userId": "u"}, None, "type"),
    ],
)
def test_spec_violations_are_rejected_naming_the_field(
    message: dict[str, Any], call_type: str | None, field: str
) -> None:
    env = Envelope(received_at=RECEIVED, client_ip=None)
    row = normalize(message, call_type, env, 1)
    assert isinstance(row, RejectedRow)
    assert field in row.reason


def test_nul_characters_are_dropped_so_postgres_can_store_them() -> None:
    row = accepted({"userId": "u\x00v", "event": "E\x00", "properties": {"a\x00": "b\x00"}})
    assert row.user_id == "uv"
    assert "\\u0000" not in row.payload
    assert payload(row)["properties"] == {"a": "b"}
