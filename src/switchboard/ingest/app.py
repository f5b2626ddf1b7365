"""The tracking API as a bare ASGI app: Segment's wire contract on the hot path.

It is not a FastAPI router on purpose: a pydantic body parameter costs about two thirds of
the request rate (architecture.md, measured facts), and the contract (parse JSON whatever the
Content-Type, never a 422, exactly `200 {"success": true}`) is easier to keep by hand.

Routes: POST /v1/{identify,track,page,screen,group,alias} and /v1/{i,t,p,s,g,a};
POST /v1/{batch,b,import}; POST /v1/m (client telemetry, ignored);
GET /v1/projects/{writeKey}/settings (and /projects/… for mobile `cdnHost` values);
OPTIONS anywhere under /v1 (CORS preflight, no auth).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from ipaddress import ip_address
from typing import Any, Final

import orjson
from starlette.types import Receive, Send

from switchboard.ingest.body import BODY_TIMEOUT_SECONDS, BodyError, read_body
from switchboard.ingest.cors import cors_headers, preflight_headers
from switchboard.ingest.keys import KeyInfo, WriteKeyResolver
from switchboard.ingest.normalize import MAX_EVENT_BYTES, Envelope, normalize, reject
from switchboard.ingest.rate import IngestRateLimiter
from switchboard.ingest.responses import SUCCESS_BODY, json_body, send_error, send_response
from switchboard.ingest.rows import EventRow, RejectedRow
from switchboard.ingest.settings_doc import analytics_js_settings
from switchboard.ingest.writer import IngestWriter
from switchboard.settings import Network
from switchboard.spec.calls import CALL_TYPES, SHORT_ROUTES

log = logging.getLogger(__name__)

#: Largest batch request body, decompressed. Segment documents 500 KB; SDKs cut at
#: 475,000 (Python), 480 KiB (Node) and 512,000 bytes (Ruby), so 512 KiB admits them all.
MAX_BATCH_BYTES: Final = 512 * 1024
MAX_BATCH_EVENTS: Final = 2500

_SINGLE_ROUTES: Final = {
    **{f"/v1/{name}": name for name in CALL_TYPES},
    **{f"/v1/{letter}": name for letter, name in SHORT_ROUTES.items()},
}
_BATCH_ROUTES: Final = frozenset({"/v1/batch", "/v1/b", "/v1/import"})
_METRICS_ROUTE: Final = "/v1/m"


class _AuthError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _RateLimited(Exception):
    def __init__(self, source_id: int, rate: float, retry_after: int) -> None:
        super().__init__(f"source {source_id} takes at most {rate:g} events per second")
        self.retry_after = retry_after
        self.message = f"{self}; retry after {retry_after} s"


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _basic_username(scope: dict[str, Any]) -> str | None:
    """The write key from `Authorization: Basic base64(key:)`; the colon is optional."""
    header = _header(scope, b"authorization")
    if header is None:
        return None
    scheme, _, credentials = header.partition(b" ")
    if scheme.lower() != b"basic":
        return None  # Bearer (OAuth) still carries the write key in the body
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _AuthError(
            401, "invalid_authorization", "Authorization header is not valid Basic credentials"
        ) from None
    return decoded.partition(":")[0] or None


def _body_key(document: dict[str, Any]) -> str | None:
    key = document.get("writeKey")
    if isinstance(key, str) and key:
        return key
    return None


class TrackingAPI:
    """ASGI app for everything under /v1 (and the mobile settings path)."""

    def __init__(
        self,
        *,
        resolver: WriteKeyResolver,
        writer: IngestWriter,
        trusted_proxies: Iterable[Network] = (),
        public_url: str | None = None,
        body_timeout: float = BODY_TIMEOUT_SECONDS,
    ) -> None:
        self._resolver = resolver
        self._body_timeout = body_timeout
        self._limiter = IngestRateLimiter()
        self._writer = writer
        self._trusted = tuple(trusted_proxies)
        self._public_url = public_url.rstrip("/") if public_url else None

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]  # never redirect a POST for a trailing slash
        method: str = scope["method"]
        if method == "OPTIONS":
            await send_response(send, 204, b"", preflight_headers(scope))
            return
        headers = cors_headers(scope)
        if path.endswith("/settings") and path.startswith(("/v1/projects/", "/projects/")):
            if method not in ("GET", "HEAD"):
                await send_error(send, 405, "method_not_allowed", "use GET", headers)
                return
            await self._settings(scope, send, path, headers)
            return
        single_type = _SINGLE_ROUTES.get(path)
        is_batch = path in _BATCH_ROUTES
        if single_type is None and not is_batch and path != _METRICS_ROUTE:
            await send_error(send, 404, "not_found", f"no tracking route at {path}", headers)
            return
        if method != "POST":
            await send_error(send, 405, "method_not_allowed", f"{path} takes POST", headers)
            return
        if path == _METRICS_ROUTE:
            # Thrown away, but read within the same size and time limits as events.
            with contextlib.suppress(BodyError):
                await read_body(scope, receive, MAX_BATCH_BYTES, self._body_timeout)
            await send_response(send, 200, SUCCESS_BODY, headers)
            return
        try:
            limit = MAX_BATCH_BYTES if is_batch else MAX_EVENT_BYTES
            body = await read_body(scope, receive, limit, self._body_timeout)
            document = self._parse(body)
            header_key = _basic_username(scope)
            envelope = Envelope(received_at=datetime.now(UTC), client_ip=self._client_ip(scope))
            if is_batch:
                status, code, message = await self._batch(document, header_key, envelope)
            else:
                assert single_type is not None
                status, code, message = await self._single(
                    document, single_type, header_key, envelope
                )
        except BodyError as exc:
            await send_error(send, exc.status, exc.code, exc.message, headers)
            return
        except _AuthError as exc:
            await send_error(send, exc.status, exc.code, exc.message, headers)
            return
        except _RateLimited as exc:
            retry = (b"retry-after", str(exc.retry_after).encode())
            await send_error(send, 429, "rate_limited", exc.message, [*headers, retry])
            return
        except Exception:
            log.exception("could not store events")
            await send_error(
                send,
                503,
                "unavailable",
                "events could not be stored right now; retry later",
                [*headers, (b"retry-after", b"5")],
            )
            return
        if status == 200:
            await send_response(send, 200, SUCCESS_BODY, headers)
        else:
            await send_error(send, status, code, message, headers)

    @staticmethod
    def _parse(body: bytes) -> dict[str, Any]:
        if not body.strip():
            raise BodyError(400, "invalid_json", "request body is empty; expected a JSON object")
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BodyError(400, "invalid_json", f"request body is not valid JSON: {exc}") from None
        if not isinstance(document, dict):
            raise BodyError(400, "invalid_json", "request body must be a JSON object")
        return document

    async def _source_for(self, key: str | None) -> KeyInfo:
        if key is None:
            raise _AuthError(
                401,
                "missing_write_key",
                "no write key: send it as writeKey in the body or as the Basic auth user name",
            )
        info = await self._resolver.resolve(key)
        if info is None:
            raise _AuthError(401, "invalid_write_key", "the write key is unknown or has expired")
        if not info.enabled:
            raise _AuthError(403, "source_disabled", "the source of this write key is disabled")
        return info

    async def _single(
        self, document: dict[str, Any], call_type: str, header_key: str | None, envelope: Envelope
    ) -> tuple[int, str, str]:
        source = await self._source_for(_body_key(document) or header_key)
        row = normalize(document, call_type, envelope, source.source_id)
        self._admit({source.source_id: source}, {source.source_id: 1})
        if isinstance(row, RejectedRow):
            await self._writer.write((), (row,))
            return 400, "invalid_event", row.reason
        await self._writer.write((row,))
        return 200, "", ""

    async def _batch(
        self, document: dict[str, Any], header_key: str | None, envelope: Envelope
    ) -> tuple[int, str, str]:
        items = document.get("batch")
        if not isinstance(items, list):
            raise BodyError(400, "invalid_batch", "batch must be a JSON array of events")
        if len(items) > MAX_BATCH_EVENTS:
            raise BodyError(
                413,
                "too_many_events",
                f"a batch holds at most {MAX_BATCH_EVENTS} events (got {len(items)})",
            )
        request_key = _body_key(document) or header_key
        request_source = await self._source_for(request_key) if request_key else None
        context = document.get("context")
        integrations = document.get("integrations")
        envelope.sent_at = document.get("sentAt")
        envelope.context = context if isinstance(context, dict) else None
        envelope.integrations = integrations if isinstance(integrations, dict) else None

        events: list[EventRow] = []
        rejected: list[RejectedRow] = []
        sources: dict[int, KeyInfo] = {}
        counts: dict[int, int] = {}
        for item in items:
            item_key = _body_key(item) if isinstance(item, dict) else None
            if item_key is None or item_key == request_key:
                source = request_source
            else:
                try:
                    source = await self._source_for(item_key)
                except _AuthError as exc:
                    rejected.append(reject(item, exc.message, envelope, None, None))
                    continue
            if source is not None:
                sources[source.source_id] = source
                counts[source.source_id] = counts.get(source.source_id, 0) + 1
            if source is None:
                rejected.append(reject(item, "no write key for this event", envelope, None, None))
                continue
            row = normalize(item, None, envelope, source.source_id)
            (events if isinstance(row, EventRow) else rejected).append(row)  # type: ignore[arg-type]
        if request_source is None and not events and items:
            raise _AuthError(
                401, "missing_write_key", "no event in the batch has a usable write key"
            )
        self._admit(sources, counts)
        await self._writer.write(events, rejected)
        return 200, "", ""

    def _admit(self, sources: dict[int, KeyInfo], counts: dict[int, int]) -> None:
        """Raise `_RateLimited` if a rate-limited source among `sources` is out of tokens;
        otherwise take one per message it sends (`counts`)."""
        demand = {
            source_id: (info.rate_limit, counts[source_id])
            for source_id, info in sources.items()
            if info.rate_limit is not None and counts.get(source_id)
        }
        if not demand:
            return
        refused = self._limiter.admit(demand)
        if refused is not None:
            source_id, wait = refused
            raise _RateLimited(source_id, demand[source_id][0], wait)

    def _client_ip(self, scope: dict[str, Any]) -> str | None:
        client = scope.get("client")
        peer: str | None = client[0] if client else None
        if peer is None or not self._trusted or not self._is_trusted(peer):
            return peer
        forwarded = _header(scope, b"x-forwarded-for")
        if not forwarded:
            return peer
        # Walk from the nearest hop back; the first address we do not trust is the client.
        hops = [h.strip() for h in forwarded.decode("latin-1").split(",") if h.strip()]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop
        return hops[0] if hops else peer

    def _is_trusted(self, address: str) -> bool:
        try:
            parsed = ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in self._trusted)

    def _scheme_and_host(self, scope: dict[str, Any]) -> tuple[str, str]:
        if self._public_url:
            scheme, _, host = self._public_url.partition("://")
            return scheme, host
        scheme = str(scope.get("scheme", "http"))
        client = scope.get("client")
        if client and self._trusted and self._is_trusted(client[0]):
            proto = _header(scope, b"x-forwarded-proto")
            if proto:
                scheme = proto.decode("latin-1").split(",")[0].strip()
        host_header = _header(scope, b"host")
        if host_header:
            host = host_header.decode("latin-1")
        else:
            server = scope.get("server") or ("127.0.0.1", 8000)
            host = f"{server[0]}:{server[1]}"
        return scheme, host

    async def _settings(
        self, scope: dict[str, Any], send: Send, path: str, headers: list[tuple[bytes, bytes]]
    ) -> None:
        parts = path.split("/")
        write_key = parts[-2] if len(parts) >= 3 else ""
        info = await self._resolver.resolve(write_key) if write_key else None
        if info is None:
            await send_error(send, 404, "not_found", "no source has this write key", headers)
            return
        scheme, host = self._scheme_and_host(scope)
        document = analytics_js_settings(write_key, api_host=f"{host}/v1", protocol=scheme)
        await send_response(
            send,
            200,
            json_body(document),
            [*headers, (b"cache-control", b"public, max-age=60")],
        )
