"""Clock skew over the wire: sentAt corrects timestamp; one receivedAt per request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine

from switchboard.spec.timestamps import format_timestamp
from tests.conftest import SourceRef
from tests.ingest.stored import stored_events


def test_a_device_clock_an_hour_fast_is_corrected(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    device_now = datetime.now(UTC) + timedelta(hours=1)
    happened = device_now - timedelta(seconds=30)
    batch = [
        {"type": "track", "userId": "u", "event": "E", "timestamp": format_timestamp(happened)},
        {"type": "track", "userId": "u", "event": "F"},
        {
            "type": "track",
            "userId": "u",
            "event": "G",
            "timestamp": "2026-01-01T00:00:00.000Z",
            "sentAt": "2026-01-01T00:00:00.000Z",
        },
    ]
    body = {"writeKey": source.write_key, "sentAt": format_timestamp(device_now), "batch": batch}
    before = datetime.now(UTC)
    assert client.post("/v1/batch", json=body).status_code == 200
    after = datetime.now(UTC)
    first, second, third = stored_events(engine)
    received = first["received_at"]
    assert before - timedelta(seconds=1) <= received <= after
    assert second["received_at"] == third["received_at"] == received
    # timestamp = receivedAt - (sentAt - originalTimestamp) = receivedAt - 30 s
    assert first["timestamp"] == received - timedelta(seconds=30)
    assert first["original_timestamp"] == happened.replace(
        microsecond=happened.microsecond // 1000 * 1000
    )
    # no client timestamp: the server's time
    assert second["timestamp"] == received
    # the event's own sentAt wins over the envelope's
    assert third["timestamp"] == received
    assert third["payload"]["originalTimestamp"] == "2026-01-01T00:00:00.000Z"


def test_without_sent_at_there_is_no_correction(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    body = {"userId": "u", "event": "E", "timestamp": "2020-02-02T02:02:02.123456+00:00"}
    assert client.post("/v1/track", json=body, auth=(source.write_key, "")).status_code == 200
    [event] = stored_events(engine)
    assert event["timestamp"] == datetime(2020, 2, 2, 2, 2, 2, 123456, tzinfo=UTC)
    assert event["payload"]["timestamp"] == "2020-02-02T02:02:02.123Z"
