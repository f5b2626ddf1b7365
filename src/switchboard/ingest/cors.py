"""CORS for browser SDKs: reflect the origin, answer preflight without auth.

analytics-next ≥ 1.84 sends `Authorization` and `X-Retry-Count`, which makes every event
path preflighted; `credentials: 'include'` needs the exact origin echoed, never `*`.
"""

from __future__ import annotations

from typing import Any

_ALWAYS_ALLOWED = ("authorization", "content-type", "content-encoding", "x-retry-count")


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def cors_headers(scope: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """Headers every tracking-API response carries for a cross-origin caller."""
    origin = _header(scope, b"origin")
    if origin is None:
        return [(b"access-control-allow-origin", b"*")]
    return [
        (b"access-control-allow-origin", origin),
        (b"access-control-allow-credentials", b"true"),
        (b"vary", b"Origin"),
    ]


def preflight_headers(scope: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    requested = _header(scope, b"access-control-request-headers") or b""
    # Echo what the browser asks for (custom headers from deliveryStrategy.config.headers).
    names = list(_ALWAYS_ALLOWED)
    for name in requested.decode("latin-1").lower().split(","):
        name = name.strip()
        if name and name not in names:
            names.append(name)
    allowed = ", ".join(names).encode("latin-1")
    return [
        *cors_headers(scope),
        (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
        (b"access-control-allow-headers", allowed),
        (b"access-control-max-age", b"86400"),
    ]
