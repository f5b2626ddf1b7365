"""The login cookie, and who a request belongs to: the dashboard's pages and the admin API
(which the pages' scripts call with the cookie) both ask here.

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
from typing import Final

from fastapi import HTTPException
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection, Request

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
    token = unsign(session_key_of(connection), raw)
    if token is None:
        return None
    found: tuple[UserSession, User] | None = find_session(db, token)
    if found is None:
        return None
    row, user = found
    return Viewer(user_id=user.id, email=user.email, csrf_token=row.csrf_token, token=token)


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def session_key_of(connection: HTTPConnection) -> bytes:
    """The key this app signs session cookies with (`install_web` made it)."""
    key: bytes = connection.app.state.session_key
    return key


_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


def api_viewer(request: Request, db: Session) -> Viewer | None:
    """The dashboard login behind an API call from the pages' scripts, or None.

    A call that changes something must also carry the session's CSRF token in X-CSRF-Token,
    else it is refused with 403 (a page of another site could send the cookie, not the
    token)."""
    viewer = viewer_of(request, db)
    if viewer is None:
        return None
    if request.method not in _SAFE_METHODS and not csrf_matches(
        viewer.csrf_token, request.headers.get(CSRF_HEADER)
    ):
        raise HTTPException(status_code=403, detail="a dashboard session must send X-CSRF-Token")
    return viewer
