"""Recording and describing single HTTP requests against a real loopback server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from switchboard.integrations.base import OutcomeKind
from switchboard.integrations.http import (
    MAX_BODY_BYTES,
    REDACTED,
    ErrorKind,
    Sent,
    TransportFailure,
    describe,
    request,
)
from tests.fakes.sink import Reply, Sink


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink() as sink:
        yield sink


def post(client: httpx.Client, sink: Sink, *, timeout: float = 5.0) -> Sent:
    return request(client, "POST", f"{sink.url}/hook", content=b'{"a":1}', timeout=timeout)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- outcomes ----------------------------------------------------------------------------

DELIVERED = [200, 201, 202, 204]
#: Which of these retry is the policy's call (tests/jobs/test_retry.py); all are described alike.
OTHER = [301, 302, 400, 401, 403, 404, 408, 413, 422, 423, 429, 500, 501, 502, 503, 504]


@pytest.mark.parametrize("status", DELIVERED)
def test_2xx_is_delivered(client: httpx.Client, sink: Sink, status: int) -> None:
    sink.set_default(Reply(status))
    sent = post(client, sink)
    outcome = describe(sent.response, sent.failure)
    assert outcome.kind is OutcomeKind.DELIVERED
    assert (outcome.code, outcome.reason) == ("", "")
    assert sent.exchange.status == status


@pytest.mark.parametrize("status", OTHER)
def test_other_statuses_are_reported_with_the_status(
    client: httpx.Client, sink: Sink, status: int
) -> None:
    sink.set_default(Reply(status, {"Location": "https://elsewhere.example/"}, '{"error":"no"}'))
    sent = post(client, sink)
    outcome = describe(sent.response, sent.failure)
    assert (outcome.kind, outcome.status) == (OutcomeKind.HTTP, status)
    assert outcome.code == f"http_{status}"
    assert outcome.reason.startswith(f"HTTP {status} {httpx.codes.get_reason_phrase(status)}")
    assert outcome.reason.endswith(': {"error":"no"}')
    assert outcome.retry_after is None


def test_a_redirect_is_not_followed_and_says_where_it_pointed(
    client: httpx.Client, sink: Sink
) -> None:
    sink.set_default(Reply(301, {"Location": "https://new.example/hook"}))
    sent = post(client, sink)
    outcome = describe(sent.response, sent.failure)
    assert outcome.reason == (
        "HTTP 301 Moved Permanently (redirects are not followed; Location: https://new.example/hook)"
    )
    assert len(sink.requests) == 1


def test_reason_quotes_only_the_start_of_a_long_body_on_one_line(
    client: httpx.Client, sink: Sink
) -> None:
    sink.set_default(Reply(400, body="line one\n\n   line two " + "x" * 1000))
    sent = post(client, sink)
    reason = describe(sent.response, sent.failure).reason
    assert reason.startswith("HTTP 400 Bad Request: line one line two xxx")
    assert reason.endswith("…")
    assert len(reason) < 260


def test_retry_after_in_seconds(client: httpx.Client, sink: Sink) -> None:
    sink.set_default(Reply(429, {"Retry-After": "120"}))
    sent = post(client, sink)
    outcome = describe(sent.response, sent.failure)
    assert (outcome.kind, outcome.code, outcome.retry_after) == (OutcomeKind.HTTP, "http_429", 120)
    assert outcome.reason == "HTTP 429 Too Many Requests"


def test_retry_after_as_an_http_date(client: httpx.Client, sink: Sink) -> None:
    when = datetime.now(UTC) + timedelta(seconds=90)
    sink.set_default(Reply(503, {"Retry-After": format_datetime(when, usegmt=True)}))
    sent = post(client, sink)
    outcome = describe(sent.response, sent.failure)
    assert outcome.kind is OutcomeKind.HTTP
    assert outcome.retry_after is not None
    assert 80 <= outcome.retry_after <= 90


def test_an_unreadable_retry_after_is_ignored(client: httpx.Client, sink: Sink) -> None:
    sink.set_default(Reply(503, {"Retry-After": "soon"}))
    sent = post(client, sink)
    assert describe(sent.response, sent.failure).retry_after is None


def test_a_status_without_a_standard_name(client: httpx.Client, sink: Sink) -> None:
    sink.set_default(Reply(599))
    sent = post(client, sink)
    outcome = describe(sent.response, sent.failure)
    assert (outcome.kind, outcome.status, outcome.reason) == (OutcomeKind.HTTP, 599, "HTTP 599")


# -- no answer ---------------------------------------------------------------------------------


def test_a_hanging_server_times_out_without_raising(client: httpx.Client, sink: Sink) -> None:
    sink.set_default(Reply(delay=10))
    started = time.monotonic()
    sent = post(client, sink, timeout=0.3)
    assert time.monotonic() - started < 2
    assert sent.response is None
    assert sent.failure == TransportFailure(ErrorKind.TIMEOUT, "timed out after 0.3 s")
    assert sent.exchange.error == "timed out after 0.3 s"
    assert sent.exchange.status is None
    assert sent.exchange.response_body is None
    assert sent.exchange.request_body == '{"a":1}'
    assert 250 <= sent.exchange.duration_ms < 2000
    outcome = describe(sent.response, sent.failure)
    assert (outcome.kind, outcome.code, outcome.reason) == (
        OutcomeKind.TEMPORARY,
        "timeout",
        "timed out after 0.3 s",
    )


def test_a_refused_connection_is_temporary(client: httpx.Client) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    sent = request(client, "POST", url, content=b"{}", timeout=2.0)
    assert sent.response is None
    assert sent.exchange.error == "connection refused"
    assert sent.exchange.url == url
    outcome = describe(sent.response, sent.failure)
    assert (outcome.kind, outcome.code, outcome.reason) == (
        OutcomeKind.TEMPORARY,
        "connection_error",
        "connection refused",
    )


@pytest.mark.parametrize(
    ("url", "headers", "message"),
    [
        ("ftp://example.com/hook", {}, "unsupported protocol"),
        ("http://[::1/hook", {}, "Invalid port"),
        ("http://127.0.0.1:9/", {"X-Name": "naïve"}, "'ascii' codec can't encode"),
    ],
)
def test_a_request_that_cannot_be_sent_is_permanent(
    client: httpx.Client, url: str, headers: dict[str, str], message: str
) -> None:
    sent = request(client, "POST", url, headers=headers, content=b"{}", timeout=1.0)
    outcome = describe(sent.response, sent.failure)
    assert (outcome.kind, outcome.code) == (OutcomeKind.PERMANENT, "invalid_request")
    assert outcome.reason.startswith("the request could not be sent: ")
    assert message in outcome.reason
    assert sent.exchange.error == outcome.reason
    assert sent.exchange.url == url


def test_describe_needs_a_response_or_a_failure() -> None:
    with pytest.raises(ValueError, match="response or a failure"):
        describe(None, None)


# -- what is recorded ----------------------------------------------------------------------


def test_the_exchange_records_both_sides(client: httpx.Client, sink: Sink) -> None:
    sink.set_default(Reply(201, {"X-Request-Id": "r-1"}, '{"ok":true}'))
    before = time.time()
    sent = request(
        client,
        "PUT",
        f"{sink.url}/hook?a=1",
        headers={"Content-Type": "application/json", "X-Custom": "yes"},
        content=b'{"event":"Signed Up"}',
        timeout=5.0,
    )
    exchange = sent.exchange
    assert (exchange.method, exchange.url) == ("PUT", f"{sink.url}/hook?a=1")
    assert exchange.request_headers["content-type"] == "application/json"
    assert exchange.request_headers["x-custom"] == "yes"
    assert exchange.request_headers["content-length"] == "21"
    assert exchange.request_body == '{"event":"Signed Up"}'
    assert exchange.status == 201
    assert exchange.response_headers["x-request-id"] == "r-1"
    assert exchange.response_body == '{"ok":true}'
    assert exchange.error is None
    assert before <= exchange.started_at <= time.time()
    assert exchange.duration_ms > 0
    assert set(exchange.as_dict()) >= {"method", "url", "status", "duration_ms"}


def test_sensitive_headers_and_secret_values_are_redacted(client: httpx.Client, sink: Sink) -> None:
    secret = "s3cr3t-value"
    sink.set_default(
        Reply(
            401,
            {"Set-Cookie": "session=abc", "X-Echo": f"you sent {secret}"},
            f'{{"error":"bad key {secret}"}}',
        )
    )
    sent = request(
        client,
        "POST",
        f"http://user:pa55@127.0.0.1:{sink.port}/hook?api_key=k123&token=t&page=2&sig={secret}",
        headers={
            "Authorization": "Bearer abc",
            "X-Api-Key": "k123",
            "X-Auth-Token": "t",
            "Cookie": "a=b",
            "X-Client-Secret": "c",
            "X-Password": "p",
            "X-Signature": "abcdef",
            "X-Note": f"contains {secret}",
        },
        content=f'{{"secret":"{secret}"}}'.encode(),
        timeout=5.0,
        secrets=[secret, ""],
    )
    exchange = sent.exchange
    headers = exchange.request_headers
    for name in ("authorization", "x-api-key", "x-auth-token", "cookie", "x-client-secret"):
        assert headers[name] == REDACTED
    assert headers["x-password"] == REDACTED
    assert headers["x-signature"] == "abcdef"
    assert headers["x-note"] == f"contains {REDACTED}"
    assert exchange.request_body == f'{{"secret":"{REDACTED}"}}'
    assert exchange.response_headers["set-cookie"] == REDACTED
    assert exchange.response_headers["x-echo"] == f"you sent {REDACTED}"
    assert exchange.response_body == f'{{"error":"bad key {REDACTED}"}}'
    assert "pa55" not in exchange.url
    assert "k123" not in exchange.url
    assert secret not in exchange.url
    assert "page=2" in exchange.url
    assert secret not in str(exchange.as_dict())
    outcome = describe(sent.response, sent.failure, secrets=[secret])
    assert secret not in outcome.reason
    # Only the record is redacted: the destination got the real values.
    assert sink.requests[0].header("x-api-key") == "k123"
    assert sink.requests[0].body == f'{{"secret":"{secret}"}}'.encode()


def test_bodies_are_capped_and_say_how_big_they_were(client: httpx.Client, sink: Sink) -> None:
    sink.set_default(Reply(200, body="r" * 10_000))
    sent = request(client, "POST", sink.url, content=b"q" * 9_000, timeout=5.0)
    request_body = sent.exchange.request_body
    response_body = sent.exchange.response_body
    assert request_body == "q" * MAX_BODY_BYTES + "… [truncated: 9000 bytes in all]"
    assert response_body == "r" * MAX_BODY_BYTES + "… [truncated: 10000 bytes in all]"
    assert sink.requests[0].body == b"q" * 9_000


def test_a_secret_across_the_cap_is_still_hidden(client: httpx.Client, sink: Sink) -> None:
    secret = "ABCDEFGHIJ"
    body = b"x" * (MAX_BODY_BYTES - 5) + secret.encode() + b"y" * 100
    sent = request(client, "POST", sink.url, content=body, timeout=5.0, secrets=[secret])
    assert sent.exchange.request_body is not None
    assert "ABCDE" not in sent.exchange.request_body
    assert sent.exchange.request_body.startswith("x" * (MAX_BODY_BYTES - 5) + "[reda…")


def test_a_body_that_is_not_utf8_is_recorded_readably(client: httpx.Client, sink: Sink) -> None:
    sink.set_default(Reply(200, body=b"\xff\xfeok"))
    sent = request(client, "GET", sink.url, timeout=5.0)
    assert sent.exchange.request_body is None
    assert sent.exchange.response_body == "\ufffd\ufffdok"
