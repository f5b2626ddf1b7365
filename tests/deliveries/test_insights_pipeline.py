"""Event delivery of real deliveries: events sent over HTTP, delivered to loopback sinks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from switchboard.deliveries.windows import WINDOWS
from tests.fakes.sink import Reply, Sink
from tests.pipeline.conftest import Pipeline, track


def _insights(
    pipeline: Pipeline,
    destination_id: int,
    ready: Callable[[dict[str, Any]], bool],
    window: str = "10m",
) -> dict[str, Any]:
    """The insights once `ready` holds for them (outcomes are recorded just after sending)."""
    deadline = time.monotonic() + 30
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = pipeline.admin.get(
            f"/api/v1/destinations/{destination_id}/insights", params={"window": window}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        if ready(body):
            return body
        time.sleep(0.1)
    raise AssertionError(f"insights never got ready: {body.get('summary')}")


def _examples(body: dict[str, Any]) -> int:
    return sum(len(issue["examples"]) for issue in body["issues"]["issues"])


def test_summary_trends_and_issues_show_what_happened(pipeline: Pipeline) -> None:
    with (
        Sink() as healthy,
        Sink(default=Reply(400, body='{"error": "bad email"}')) as refusing,
        Sink(default=Reply(503, body="down for maintenance")) as down,
    ):
        ok = pipeline.destination("ok", settings={"urls": [healthy.url]})
        bad = pipeline.destination("refusing", settings={"urls": [refusing.url]})
        later = pipeline.destination(
            "down",
            settings={"urls": [down.url]},
            retry={"base_delay": 3600, "max_delay": 3600},
        )
        sent = [track(i, properties={"email": f"user{i}@example.com"}) for i in range(5)]
        pipeline.send(*sent)
        message_ids = {e["messageId"] for e in sent}

        # The rollups are committed just before the deliveries' outcomes (a separate, shorter
        # transaction), so wait for both.
        good = _insights(pipeline, ok["id"], lambda b: b["summary"]["delivered"] == 5)
        refused = _insights(pipeline, bad["id"], lambda b: _examples(b) == 5)
        waiting = _insights(pipeline, later["id"], lambda b: b["summary"]["retrying"] == 5)

    summary = good["summary"]
    assert (summary["delivered"], summary["failed"], summary["retries"]) == (5, 0, 0)
    assert summary["success_rate"] == 1.0
    assert summary["latency"]["samples"] == 5
    p50, p95 = summary["latency"]["p50_ms"], summary["latency"]["p95_ms"]
    assert 0 < p50 <= p95 < 30_000
    trends = good["trends"]
    assert trends["bucket_seconds"] == 60
    assert len(trends["buckets"]) in (10, 11)
    assert sum(b["delivered"] for b in trends["buckets"]) == 5
    assert any(b["p50_ms"] is not None for b in trends["buckets"])
    assert good["issues"]["issues"] == []

    assert refused["summary"]["delivered"] == 0
    assert refused["summary"]["success_rate"] == 0.0
    [issue] = refused["issues"]["issues"]
    assert (issue["status"], issue["code"], issue["count"]) == ("failed", "http_400", 5)
    assert "400" in issue["reason"]
    assert len(issue["examples"]) == 5
    assert {x["event"]["messageId"] for x in issue["examples"]} == message_ids
    for example in issue["examples"]:
        [exchange] = example["exchanges"]
        assert exchange["url"].startswith(refusing.url)
        assert example["event"]["messageId"] in exchange["request_body"]
        assert exchange["status"] == 400
        assert "bad email" in exchange["response_body"]

    assert waiting["summary"]["retries"] >= 5
    assert waiting["summary"]["success_rate"] is None  # nothing finished yet
    [retrying] = waiting["issues"]["issues"]
    assert (retrying["status"], retrying["code"]) == ("retrying", "http_503")
    assert retrying["count"] >= 5
    assert len(retrying["examples"]) == 5
    assert retrying["examples"][0]["exchanges"][0]["response_body"] == "down for maintenance"

    # Each window answers, and the narrower routes agree with the combined one.
    base = f"/api/v1/destinations/{bad['id']}/insights"
    for window in WINDOWS:
        response = pipeline.admin.get(f"{base}/summary", params={"window": window})
        assert response.status_code == 200, response.text
        assert response.json()["failed"] == 5
    trends_24h = pipeline.admin.get(f"{base}/trends", params={"window": "24h"}).json()
    assert trends_24h["bucket_seconds"] == 3600
    assert sum(b["failed"] for b in trends_24h["buckets"]) == 5
    few = pipeline.admin.get(f"{base}/issues", params={"window": "1h", "examples": 2}).json()
    assert [len(i["examples"]) for i in few["issues"]] == [2]


def test_errors_name_the_problem(pipeline: Pipeline) -> None:
    with Sink() as sink:
        dest = pipeline.destination(settings={"urls": [sink.url]})
    base = f"/api/v1/destinations/{dest['id']}/insights"
    wrong = pipeline.admin.get(base, params={"window": "2h"})
    assert wrong.status_code == 400
    assert wrong.json()["detail"] == "window must be one of 10m, 1h, 24h, 7d, 14d"
    assert pipeline.admin.get(base, params={"examples": 21}).status_code == 422
    missing = pipeline.admin.get("/api/v1/destinations/999/insights/summary")
    assert missing.status_code == 404
    assert httpx.get(pipeline.server.url + base, timeout=10).status_code == 401
