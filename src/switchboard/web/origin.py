"""Where a request came from: over https or not, the public base URL, the browser's address.

Behind a proxy listed in SWITCHBOARD_TRUSTED_PROXIES, its X-Forwarded-Proto and
X-Forwarded-For are believed; from anyone else they are ignored.
"""

from __future__ import annotations

from ipaddress import ip_address

from starlette.requests import HTTPConnection

from switchboard.settings import Settings


def is_https(connection: HTTPConnection, settings: Settings) -> bool:
    """Whether the browser reached us over https (directly, via the public URL, or through a
    trusted proxy that says so): then cookies are marked Secure."""
    if settings.public_url and settings.public_url.startswith("https://"):
        return True
    if connection.url.scheme == "https":
        return True
    client = connection.client
    if client is None or not settings.trusted_proxies:
        return False
    try:
        peer = ip_address(client.host)
    except ValueError:
        return False
    if not any(peer in network for network in settings.trusted_proxies):
        return False
    proto = connection.headers.get("x-forwarded-proto", "")
    return proto.split(",")[0].strip().lower() == "https"


def public_base_url(connection: HTTPConnection, settings: Settings) -> str:
    """How SDKs reach this server: SWITCHBOARD_PUBLIC_URL, else this request's origin."""
    if settings.public_url:
        return settings.public_url
    scheme = "https" if is_https(connection, settings) else "http"
    host = connection.headers.get("host") or f"{connection.url.hostname}:{connection.url.port}"
    return f"{scheme}://{host}"


def client_address(connection: HTTPConnection, settings: Settings) -> str:
    """The browser's address: the peer, or, behind a trusted proxy, the nearest hop in
    X-Forwarded-For that is not itself a trusted proxy."""
    peer = connection.client.host if connection.client else "unknown"

    def trusted(address: str) -> bool:
        try:
            parsed = ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in settings.trusted_proxies)

    if not settings.trusted_proxies or not trusted(peer):
        return peer
    hops = [h.strip() for h in connection.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not trusted(hop):
            return hop
    return peer
