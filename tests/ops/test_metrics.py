"""/metrics, /readyz and request ids, on the real app over loopback (SQLite and Postgres)."""

from __future__ import annotations

import re

import httpx
import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from switchboard.observability.metrics import REQUEST_BUCKETS, RequestLatency
from switchboard.settings import Settings
from tests.conftest import ADMIN_TOKEN, SourceRef
from tests.fakes.sink import Sink
from tests.servers import running_server


def changed(settings: Settings, **values: object) -> Settings:
    """`settings` with some values changed, validated like the environment would be."""
    return Settings.model_validate({**settings.model_dump(), **values})


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in exposition text (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        metric, _, value = line.rpartition(" ")
        base, _, label_text = metric.partition("{")
        if base != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', label_text))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return 0.0


def test_batched_latencies_expose_exactly_what_observe_would() -> None:
    """The request histogram is fed in bulk (no lock per request); what it exposes must be
    what prometheus-client's own `observe` gives for the same durations."""
    durations = [0.0004, 0.001, 0.0031, 0.02, 0.02, 0.7, 3.0, 42.0]
    expected_registry, bulk_registry = CollectorRegistry(), CollectorRegistry()
    expected = Histogram(
        "t_seconds", "t", ["handler", "status"], buckets=REQUEST_BUCKETS, registry=expected_registry
    )
    bulk = Histogram(
        "t_seconds", "t", ["handler", "status"], buckets=REQUEST_BUCKETS, registry=bulk_registry
    )
    latency = RequestLatency(bulk, REQUEST_BUCKETS)
    for seconds in durations:
        expected.labels("batch", "200").observe(seconds)
        latency.observe("batch", 200, seconds)
    expected.labels("admin", "401").observe(0.002)
    latency.observe("admin", 401, 0.002)
    assert b"t_seconds_count" not in generate_latest(bulk_registry)  # nothing until the flush
    latency.flush()

    def lines(registry: CollectorRegistry) -> list[str]:
        # _created holds each registry's own creation time; everything else must match.
        return [
            line
            for line in generate_latest(registry).decode().splitlines()
            if "_created" not in line
        ]

    assert lines(bulk_registry) == lines(expected_registry)
    latency.flush()  # a second flush adds nothing
    assert lines(bulk_registry) == lines(expected_registry)


def test_metrics_count_events_requests_and_commits(client: httpx.Client, source: SourceRef) -> None:
    auth = (source.write_key, "")
    assert (
        client.post("/v1/track", auth=auth, json={"userId": "u", "event": "A"}).status_code == 200
    )
    batch = {
        "batch": [
            {"type": "track", "userId": "u", "event": "B"},
            {"type": "identify", "userId": "u"},
            {"type": "track", "userId": "u"},  # no event name: rejected
        ]
    }
    assert client.post("/v1/batch", auth=auth, json=batch).status_code == 200
    assert client.post("/v1/track", auth=("nope", ""), json={"event": "A"}).status_code == 401

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    sid = str(source.id)
    assert sample(text, "switchboard_events_accepted_total", source_id=sid, type="track") == 2
    assert sample(text, "switchboard_events_accepted_total", source_id=sid, type="identify") == 1
    assert sample(text, "switchboard_events_rejected_total", source_id=sid, type="track") == 1
    # Two commits (a single event, then the batch with its rejected row): 1 + 3 rows.
    assert sample(text, "switchboard_ingest_commit_rows_count") == 2
    assert sample(text, "switchboard_ingest_commit_rows_sum") == 4
    requests = "switchboard_http_request_duration_seconds_count"
    assert sample(text, requests, handler="tracking", status="200") == 1
    assert sample(text, requests, handler="batch", status="200") == 1
    assert sample(text, requests, handler="tracking", status="401") == 1
    # Shared state, read from the database at scrape time (the in-process router may
    # already have taken some of the three events).
    assert sample(text, "switchboard_state_up") == 1
    assert "\nswitchboard_events_unrouted " in text
    assert 0 <= sample(text, "switchboard_events_unrouted") <= 3
    assert sample(text, "switchboard_deliveries_open", status="pending") == 0
    assert "switchboard_deliveries_open_oldest_age_seconds" in text


def test_request_ids_are_echoed_or_made(client: httpx.Client, source: SourceRef) -> None:
    chosen = client.get("/healthz", headers={"x-request-id": "lb-7f3a:42"})
    assert chosen.headers["x-request-id"] == "lb-7f3a:42"
    made = [client.get("/healthz").headers["x-request-id"] for _ in range(2)]
    assert made[0] != made[1]
    # Something that could forge or break a log line is replaced, not echoed.
    odd = client.get("/healthz", headers={"x-request-id": "a b\tBearer x"})
    assert odd.headers["x-request-id"] not in ("a b\tBearer x", "")
    tracked = client.post("/v1/track", auth=(source.write_key, ""), json={"event": "A"})
    assert tracked.status_code == 400 and tracked.headers["x-request-id"]


def test_readyz_checks_the_database(client: httpx.Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"writer": "ok", "database": "ok"}}
    assert client.post("/readyz").status_code == 405


@pytest.fixture
def unreachable_redis_settings(settings: Settings) -> Settings:
    # A port nobody listens on: Redis is configured but down.
    with Sink() as closed:
        port = closed.port
    return changed(settings, redis_url=f"redis://:hunter2pass@127.0.0.1:{port}/0")


def test_readyz_names_an_unreachable_redis(unreachable_redis_settings: Settings) -> None:
    with running_server(unreachable_redis_settings) as server:
        response = httpx.get(server.url + "/readyz", timeout=10)
        assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
        scrape = httpx.get(server.url + "/metrics", timeout=10)
    assert response.status_code == 503
    document = response.json()
    assert document["status"] == "unavailable"
    assert document["checks"]["database"] == "ok"
    assert document["checks"]["redis"].startswith("unreachable")
    assert "hunter2pass" not in response.text
    # The scrape still answers, and says the shared state could not be read.
    assert scrape.status_code == 200
    assert sample(scrape.text, "switchboard_state_up") == 0


def test_metrics_token_is_required_when_set(settings: Settings) -> None:
    guarded = changed(settings, metrics_token="scrape-token-0123456789")
    with running_server(guarded) as server:
        missing = httpx.get(server.url + "/metrics", timeout=10)
        wrong = httpx.get(
            server.url + "/metrics", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        right = httpx.get(
            server.url + "/metrics", headers={"authorization": "Bearer scrape-token-0123456789"}
        )
    assert missing.status_code == 401 and "SWITCHBOARD_METRICS_TOKEN" in missing.text
    assert wrong.status_code == 401
    assert right.status_code == 200 and "switchboard_state_up" in right.text
