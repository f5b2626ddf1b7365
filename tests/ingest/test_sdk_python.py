"""Segment's own Python SDK (segment-analytics-python), unmodified, against a live server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from segment.analytics import Client
from sqlalchemy import Engine

from tests.conftest import SourceRef
from tests.ingest.stored import stored_events, stored_rejections
from tests.servers import RunningServer


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
def test_every_call_is_stored_once_with_its_fields(
    server: RunningServer, engine: Engine, source: SourceRef, gzip: bool
) -> None:
    errors: list[Any] = []
    client = Client(
        source.write_key,
        host=server.url,
        gzip=gzip,
        on_error=lambda error, batch: errors.append(error),
        max_retries=0,
    )
    when = datetime(2026, 4, 1, 8, 30, tzinfo=UTC)
    client.identify("user-1", {"email": "ada@example.com", "plan": "pro"}, message_id="m-identify")
    client.track(
        "user-1",
        "Order Completed",
        {"order_id": "o1", "revenue": 42.5, "products": [{"sku": "s1"}]},
        timestamp=when,
        message_id="m-track",
    )
    client.page("user-1", category=None, name="Pricing", message_id="m-page")
    client.screen("user-1", name="Home", message_id="m-screen")
    client.group("user-1", "group-9", {"name": "Acme"}, message_id="m-group")
    client.alias("user-1", "user-2", message_id="m-alias")  # previous_id, user_id
    for i in range(250):  # more than one upload of 100
        client.track(anonymous_id=f"anon-{i}", event="Scrolled", message_id=f"bulk-{i}")
    client.flush()
    client.join()

    assert errors == []
    assert stored_rejections(engine) == []
    events = {e["message_id"]: e for e in stored_events(engine)}
    assert len(events) == 256
    track = events["m-track"]
    assert track["type"] == "track"
    assert track["event_name"] == "Order Completed"
    assert track["user_id"] == "user-1"
    assert track["original_timestamp"] == when
    assert track["payload"]["properties"]["revenue"] == 42.5
    assert track["payload"]["context"]["library"]["name"] == "analytics-python"
    # sentAt came on the envelope; the event's timestamp was corrected with it.
    assert track["sent_at"] is not None
    assert "writeKey" not in track["payload"]
    assert events["m-identify"]["payload"]["traits"]["email"] == "ada@example.com"
    assert events["m-page"]["event_name"] == "Pricing"
    assert events["m-group"]["payload"]["groupId"] == "group-9"
    assert events["m-alias"]["payload"]["previousId"] == "user-1"
    assert events["bulk-7"]["anonymous_id"] == "anon-7"
    assert events["bulk-7"]["user_id"] is None


def test_resending_the_same_messages_stores_them_once(
    server: RunningServer, engine: Engine, source: SourceRef
) -> None:
    for _ in range(2):
        client = Client(source.write_key, host=server.url, max_retries=0)
        for i in range(10):
            client.track("u", "Clicked", message_id=f"dup-{i}")
        client.flush()
        client.join()
    assert len(stored_events(engine)) == 10


def test_the_sdk_logs_no_error_for_a_bad_event_in_its_batch(
    server: RunningServer, engine: Engine, source: SourceRef
) -> None:
    # A 400 would make the SDK drop the whole batch; one bad event must not do that.
    errors: list[Any] = []
    client = Client(
        source.write_key,
        host=server.url,
        max_retries=0,
        on_error=lambda error, batch: errors.append(error),
    )
    client.track("u", "Fine", message_id="fine")
    client.group("u", "", message_id="no-group")  # empty groupId breaks the Spec
    client.flush()
    client.join()
    assert errors == []
    assert [e["message_id"] for e in stored_events(engine)] == ["fine"]
    assert [r["message_id"] for r in stored_rejections(engine)] == ["no-group"]
