"""One HTTP request, recorded; and the one place an HTTP answer becomes an `Outcome`.

`request` sends with the `httpx.Client` the caller lends and never raises for what the network
or the destination does. It returns the response (or None) and an `Exchange`: what was sent and
what came back, redacted and size-capped, ready to be stored and shown.

`describe` turns that into an `Outcome`: what happened, not whether to try again (the retry
policy, `jobs/retry.py`, judges that). The codes it gives are stable, so they can be grouped:

    delivered            2xx
    http                 http_<status>     any other status, with the `Retry-After` it sent; 3xx
                                           say redirects are not followed
    temporary            timeout           no answer within the timeout
                         connection_error  refused, reset, unreachable, DNS failure, closed early
    permanent            invalid_request   the request could not be built or sent (bad URL,
                                           illegal header): retrying will not help
                         private_address   the host is or resolves to a non-public address,
                                           refused at connection time (destinations/addresses.py)
"""

from __future__ import annotations

import contextlib
import errno
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Final
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import httpcore
import httpx

from switchboard.integrations.base import Exchange, Outcome

REDACTED: Final = "[redacted]"

#: A header, or query parameter, whose name contains one of these has its value hidden.
SENSITIVE_NAME_PARTS: Final = ("token", "secret", "key", "password", "auth", "cookie")

#: Each recorded body keeps this many bytes; an attempt row stays small whatever was sent.
MAX_BODY_BYTES: Final = 4096

#: How much of a response body an outcome's reason quotes.
REASON_EXCERPT_CHARS: Final = 200


class ErrorKind(StrEnum):
    """Why there is no response; the value is the outcome code."""

    TIMEOUT = "timeout"
    CONNECTION = "connection_error"
    INVALID_REQUEST = "invalid_request"
    PRIVATE_ADDRESS = "private_address"


class BlockedAddress(httpcore.ConnectError):
    """Raised by the connection guard: the host is, or resolves to, a non-public address."""


@dataclass(frozen=True, slots=True)
class TransportFailure:
    """The request got no HTTP answer: what kind of failure, and a readable message."""

    kind: ErrorKind
    message: str  # "timed out after 5.0 s", "connection refused"


@dataclass(frozen=True, slots=True)
class Sent:
    """What `request` returns: exactly one of `response` and `failure` is set."""

    response: httpx.Response | None
    exchange: Exchange
    failure: TransportFailure | None


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    timeout: float,
    secrets: Sequence[str] = (),
) -> Sent:
    """Send one request and record it; never raises for network or destination trouble.

    `timeout` bounds each phase (connect, send, each read) in seconds. Every value in `secrets`
    is replaced by "[redacted]" wherever it appears in the recorded URL, headers and bodies.
    """
    started_at = time.time()
    clock = time.perf_counter()
    sent_headers: Mapping[str, str] = headers or {}
    response: httpx.Response | None = None
    failure: TransportFailure | None = None
    try:
        built = client.build_request(
            method, url, headers=headers, content=content, timeout=httpx.Timeout(timeout)
        )
        sent_headers = built.headers
        response = client.send(built)
    except httpx.TimeoutException as exc:
        failure = TransportFailure(ErrorKind.TIMEOUT, _timeout_message(exc, timeout))
    except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
        if isinstance(exc.__cause__, BlockedAddress):
            failure = TransportFailure(ErrorKind.PRIVATE_ADDRESS, str(exc.__cause__))
        else:
            failure = TransportFailure(ErrorKind.CONNECTION, _connection_message(exc, url))
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeEncodeError) as exc:
        # UnicodeEncodeError: a header name or value that is not ASCII.
        message = f"the request could not be sent: {str(exc) or type(exc).__name__}"
        failure = TransportFailure(ErrorKind.INVALID_REQUEST, message)
    duration_ms = (time.perf_counter() - clock) * 1000

    secret_values = _usable([*secrets, *url_secrets(url)])
    if failure is not None:
        failure = TransportFailure(failure.kind, redact_text(failure.message, secret_values))
    exchange = Exchange(
        method=method,
        url=redact_url(url, secret_values),
        request_headers=redact_headers(sent_headers, secret_values),
        request_body=record_body(content, secret_values),
        status=response.status_code if response is not None else None,
        response_headers=(
            redact_headers(response.headers, secret_values) if response is not None else {}
        ),
        response_body=(
            record_body(response.content, secret_values) if response is not None else None
        ),
        error=failure.message if failure is not None else None,
        started_at=started_at,
        duration_ms=round(duration_ms, 3),
    )
    return Sent(response, exchange, failure)


def describe(
    response: httpx.Response | None,
    failure: TransportFailure | None,
    *,
    secrets: Sequence[str] = (),
) -> Outcome:
    """The outcome of one request, from its response or, when there is none, its failure.

    `secrets` are hidden from the body excerpt quoted in the reason.
    """
    if response is None:
        if failure is None:
            raise ValueError("describe needs a response or a failure")
        if failure.kind in (ErrorKind.INVALID_REQUEST, ErrorKind.PRIVATE_ADDRESS):
            return Outcome.permanent(failure.message, failure.kind.value)
        return Outcome.temporary(failure.message, failure.kind.value)

    status = response.status_code
    if 200 <= status < 300:
        return Outcome.delivered()
    # A destination may quote the URL back, with its credentials, in an error body.
    # (RuntimeError: a response built without a request, as in some tests.)
    with contextlib.suppress(RuntimeError):
        secrets = [*secrets, *url_secrets(str(response.request.url))]
    reason = status_line(status)
    if 300 <= status < 400:
        location = response.headers.get("location")
        reason += " (redirects are not followed"
        reason += f"; Location: {redact_url(location, _usable(secrets))})" if location else ")"
    excerpt = body_excerpt(response.content, secrets)
    if excerpt:
        reason = f"{reason}: {excerpt}"
    return Outcome.http(status, reason, parse_retry_after(response.headers.get("retry-after")))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: an integer, or an HTTP date. None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def status_line(status: int) -> str:
    """ "HTTP 503 Service Unavailable"; just "HTTP 599" for a status without a standard name."""
    phrase = httpx.codes.get_reason_phrase(status)
    return f"HTTP {status} {phrase}" if phrase else f"HTTP {status}"


def body_excerpt(body: bytes, secrets: Sequence[str] = ()) -> str:
    """The start of a body on one line, for a reason: whitespace collapsed, secrets hidden."""
    if not body:
        return ""
    head = body[: REASON_EXCERPT_CHARS * 4 + _longest(secrets)].decode("utf-8", "replace")
    text = " ".join(redact_text(head, _usable(secrets)).split())
    if len(text) > REASON_EXCERPT_CHARS:
        text = text[: REASON_EXCERPT_CHARS - 1] + "…"
    return text


def is_sensitive_name(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SENSITIVE_NAME_PARTS)


def redact_headers(headers: Mapping[str, str], secrets: Sequence[str] = ()) -> dict[str, str]:
    """Headers with sensitive names hidden and secret values replaced in the rest."""
    return {
        name: REDACTED if is_sensitive_name(name) else redact_text(value, secrets)
        for name, value in headers.items()
    }


def redact_url(url: str, secrets: Sequence[str] = ()) -> str:
    """The URL with its password, sensitive query parameters and secret values hidden."""
    return mask_url_credentials(redact_text(url, secrets), REDACTED)


def mask_url_credentials(url: str, placeholder: str) -> str:
    """`url` with its password and the values of query parameters with sensitive names
    (`is_sensitive_name`) replaced by `placeholder`; everything else exactly as written."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if at and colon and password:
        netloc = f"{user}:{placeholder}@{hostport}"
    query = "&".join(_mask_query_pair(pair, placeholder) for pair in parts.query.split("&"))
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _mask_query_pair(pair: str, placeholder: str) -> str:
    name, equals, value = pair.partition("=")
    if equals and value and is_sensitive_name(unquote_plus(name)):
        return f"{name}={placeholder}"
    return pair


#: Shorter query values are not hidden wherever they occur (`?key=1` would blank every "1").
_MIN_URL_SECRET = 4


def url_secrets(url: str) -> list[str]:
    """The password and the values of sensitive query parameters in `url`, as written and
    decoded: hidden everywhere like secret settings, since an answer may quote them."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    found = [password] if password else []
    for raw in parts.query.split("&"):
        name, _, value = raw.partition("=")
        if is_sensitive_name(unquote_plus(name)):
            found += [value, unquote_plus(value)]
    return [value for value in dict.fromkeys(found) if len(value) >= _MIN_URL_SECRET]


def redact_text(text: str, secrets: Sequence[str]) -> str:
    # Longest first, so a secret that contains another is hidden whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def record_body(body: bytes | None, secrets: Sequence[str] = ()) -> str | None:
    """A body as stored text: UTF-8 (invalid bytes replaced), secrets hidden, at most
    `MAX_BODY_BYTES` of it kept, then a note of the full size."""
    if body is None:
        return None
    if len(body) <= MAX_BODY_BYTES:
        return redact_text(body.decode("utf-8", "replace"), secrets)
    # Decode a little past the cut so a secret straddling it is still recognised and hidden.
    head = body[: MAX_BODY_BYTES + _longest(secrets)].decode("utf-8", "ignore")
    kept = redact_text(head, secrets).encode()[:MAX_BODY_BYTES].decode("utf-8", "ignore")
    return f"{kept}… [truncated: {len(body)} bytes in all]"


def _usable(secrets: Sequence[str]) -> list[str]:
    return [secret for secret in secrets if secret]


def _longest(secrets: Sequence[str]) -> int:
    return max((len(secret.encode()) for secret in secrets), default=0)


def _timeout_message(exc: httpx.TimeoutException, timeout: float) -> str:
    seconds = f"{timeout:.1f} s"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out after {seconds} while connecting"
    if isinstance(exc, httpx.PoolTimeout):
        return f"timed out after {seconds} waiting for a free connection"
    return f"timed out after {seconds}"


_ERRNO_MESSAGES: Final = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by peer",
    errno.ECONNABORTED: "connection aborted",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.EPIPE: "connection closed while sending",
}


def _connection_message(exc: httpx.HTTPError, url: str) -> str:
    """A short message for a failed connection, from the OS error underneath when there is one."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"could not resolve host {urlsplit(url).hostname}: {cause.strerror or cause}"
        if isinstance(cause, OSError) and cause.errno in _ERRNO_MESSAGES:
            return _ERRNO_MESSAGES[cause.errno]
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection closed without a complete response ({exc})"
    text = str(exc)
    lowered = text.lower()
    for message in _ERRNO_MESSAGES.values():
        if message in lowered:
            return message
    return f"connection error: {text}" if text else f"connection error ({type(exc).__name__})"
