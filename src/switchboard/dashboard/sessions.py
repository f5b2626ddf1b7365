"""The login cookie, and who a request belongs to.

The cookie carries a random session token followed by an HMAC-SHA256 signature made with a key
derived from SWITCHBOARD_SECRET_KEY. The server keeps only the token's SHA-256 (users/models.py),
so logout and expiry end a session at once; the signature lets a forged or tampered cookie be
refused before any database lookup. Without a secret key, each process signs with a random key
of its own, and logins end when the server restarts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Final

from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from switchboard.settings import Settings
from switchboard.users.models import User, UserSession
from switchboard.users.service import find_session

COOKIE: Final = "sb_session"
#: The double-submit token of the login form, before there is a session to hold one.
LOGIN_CSRF_COOKIE: Final = "sb_login_csrf"
CSRF_HEADER: Final = "x-csrf-token"
CSRF_FIELD: Final = "csrf_token"


def signing_key(settings: Settings) -> bytes:
    """The key session cookies are signed with: derived from the secret key, else random."""
    if settings.secret_key is None:
        return secrets.token_bytes(32)
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, b"switchboard dashboard session cookie", hashlib.sha256).digest()


def _signature(key: bytes, token: str) -> str:
    digest = hmac.new(key, token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(key: bytes, token: str) -> str:
    return f"{token}.{_signature(key, token)}"


def unsign(key: bytes, value: str) -> str | None:
    """The token inside a signed cookie value, or None when the signature does not match."""
    token, dot, signature = value.rpartition(".")
    if not dot or not token:
        return None
    if not hmac.compare_digest(signature.encode(), _signature(key, token).encode()):
        return None
    return token


@dataclass(frozen=True, slots=True)
class Viewer:
    """The logged-in user of a request, with the session's CSRF token."""

    user_id: int
    email: str
    csrf_token: str
    token: str


def viewer_of(connection: HTTPConnection, db: Session) -> Viewer | None:
    """The user whose valid session cookie this request carries, or None."""
    raw = connection.cookies.get(COOKIE)
    if not raw:
        return None
    token = unsign(connection.app.state.session_key, raw)
    if token is None:
        return None
    found: tuple[UserSession, User] | None = find_session(db, token)
    if found is None:
        return None
    row, user = found
    return Viewer(user_id=user.id, email=user.email, csrf_token=row.csrf_token, token=token)


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


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
