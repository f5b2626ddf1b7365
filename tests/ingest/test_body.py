"""Bodies: JSON whatever the Content-Type, gzip, size limits on the inflated bytes."""

from __future__ import annotations

import gzip
import json
import socket
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import SourceRef
from tests.ingest.stored import stored_events


def event(i: int = 0, **extra: Any) -> dict[str, Any]:
    return {"type": "track", "userId": f"u{i}", "event": "Viewed", "messageId": f"m-{i}", **extra}


def batch_body(source: SourceRef, events: list[dict[str, Any]]) -> bytes:
    return json.dumps({"writeKey": source.write_key, "batch": events}).encode()


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "text/plain;charset=UTF-8",
        None,
        "application/x-www-form-urlencoded",
    ],
)
@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
def test_json_is_parsed_whatever_the_content_type(
    client: httpx.Client,
    engine: Engine,
    source: SourceRef,
    content_type: str | None,
    gzipped: bool,
) -> None:
    body = batch_body(source, [event(1), event(2)])
    headers = {}
    if content_type is not None:
        headers["content-type"] = content_type
    if gzipped:
        body = gzip.compress(body)
        headers["content-encoding"] = "gzip"
    request = client.build_request("POST", "/v1/batch", content=body, headers=headers)
    if content_type is None:
        assert "content-type" not in request.headers
    response = client.send(request)
    assert response.status_code == 200, response.text
    assert [e["message_id"] for e in stored_events(engine)] == ["m-1", "m-2"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'"text"', "invalid_json"),
        (b'{"batch": {"type": "track"}}', "invalid_batch"),
    ],
)
def test_bad_bodies_are_400_with_code_and_message(
    client: httpx.Client, engine: Engine, source: SourceRef, body: bytes, code: str
) -> None:
    response = client.post(
        "/v1/batch",
        content=body,
        auth=(source.write_key, ""),
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 400
    document = response.json()
    assert document["success"] is False
    assert document["code"] == code
    assert document["message"] and document["error"]
    assert stored_events(engine) == []


def test_broken_gzip_is_400(client: httpx.Client, source: SourceRef) -> None:
    response = client.post(
        "/v1/batch",
        content=b"\x1f\x8b\x08\x00garbage",
        auth=(source.write_key, ""),
        headers={"content-encoding": "gzip"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_encoding"


def test_single_event_over_32_kb_is_413(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    fits = {"userId": "u", "event": "E", "properties": {"blob": "x" * 32_000}}
    assert client.post("/v1/track", json=fits, auth=(source.write_key, "")).status_code == 200
    too_big = {"userId": "u", "event": "E", "properties": {"blob": "x" * 33_000}}
    response = client.post("/v1/track", json=too_big, auth=(source.write_key, ""))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert len(stored_events(engine)) == 1


def test_oversize_event_inside_a_batch_is_rejected_alone(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    big = event(1, properties={"blob": "x" * 40_000})
    body = batch_body(source, [big, event(2)])
    assert client.post("/v1/batch", content=body).status_code == 200
    assert [e["message_id"] for e in stored_events(engine)] == ["m-2"]


def test_batch_of_512000_bytes_is_accepted(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    # analytics-ruby cuts batches at 512,000 bytes; Segment documents 500 KB.
    events = [event(i, properties={"pad": "x" * 4_900}) for i in range(100)]
    body = batch_body(source, events)
    pad = 512_000 - len(body)
    assert pad > 0
    events[0]["properties"]["pad"] += "y" * pad
    body = batch_body(source, events)
    assert len(body) == 512_000
    response = client.post("/v1/batch", content=body)
    assert response.status_code == 200, response.text
    assert len(stored_events(engine)) == 100


def test_batch_over_the_limit_is_413(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    events = [event(i, properties={"pad": "x" * 6_000}) for i in range(100)]
    response = client.post("/v1/batch", content=batch_body(source, events))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert stored_events(engine) == []


def test_gzip_bomb_is_refused_by_its_inflated_size(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    # ~50 MB of JSON that compresses to ~50 KB: the limit is on what it inflates to.
    events = [event(i, properties={"pad": " " * 1_000_000}) for i in range(50)]
    body = gzip.compress(batch_body(source, events), compresslevel=9)
    assert len(body) < 512 * 1024
    response = client.post("/v1/batch", content=body, headers={"content-encoding": "gzip"})
    assert response.status_code == 413
    assert stored_events(engine) == []


def test_declared_length_over_the_limit_is_refused_before_reading(
    server_url: str, source: SourceRef
) -> None:
    # Claim 100 MB and send nothing more: the answer must come without the body.
    host, port = server_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(
            b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\n\r\n{"
        )
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")


def test_batch_of_2500_events_is_accepted_and_2501_refused(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    small = [
        {"type": "track", "userId": "u", "event": "E", "messageId": str(uuid.uuid4())}
        for _ in range(2501)
    ]
    too_many = client.post("/v1/batch", content=batch_body(source, small))
    assert too_many.status_code == 413
    assert too_many.json()["code"] == "too_many_events"
    ok = client.post("/v1/batch", content=batch_body(source, small[:2500]))
    assert ok.status_code == 200
    assert len(stored_events(engine)) == 2500


def test_unsupported_content_encoding_is_415(client: httpx.Client, source: SourceRef) -> None:
    response = client.post(
        "/v1/batch",
        content=batch_body(source, [event()]),
        headers={"content-encoding": "br"},
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_encoding"
