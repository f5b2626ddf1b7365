"""The fake sink itself: it records what arrives, follows its script and closes promptly."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fakes.sink import Reply, Sink


def test_records_requests_and_answers_from_the_script_then_the_default() -> None:
    with (
        Sink(Reply(503, {"Retry-After": "3"}, "busy"), default=Reply(202, body="ok")) as sink,
        httpx.Client() as client,
    ):
        first = client.post(f"{sink.url}/hook?x=1", content=b"one", headers={"X-Test": "a"})
        second = client.put(f"{sink.url}/other", content=b"two")
        third = client.patch(sink.url, content=b"three")

    assert (first.status_code, first.headers["retry-after"], first.text) == (503, "3", "busy")
    assert (second.status_code, second.text) == (202, "ok")
    assert third.status_code == 202
    received = sink.requests
    assert [(r.method, r.path, r.body) for r in received] == [
        ("POST", "/hook?x=1", b"one"),
        ("PUT", "/other", b"two"),
        ("PATCH", "/", b"three"),
    ]
    assert received[0].header("X-TEST") == "a"


def test_close_releases_a_held_answer_and_open_connections_at_once() -> None:
    sink = Sink(Reply(200), default=Reply(delay=30))
    with httpx.Client() as idle, httpx.Client() as hung:
        # `idle` keeps its connection open after its answer, as keep-alive clients do.
        assert idle.get(sink.url).status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            hung.post(sink.url, content=b"x", timeout=0.2)
        sink.wait_for(2)
        started = time.monotonic()
        sink.close()
        sink.close()
        assert time.monotonic() - started < 2
