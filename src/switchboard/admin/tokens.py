"""Admin API tokens: the static one from settings, and hashed ones stored in the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from switchboard.admin import store
from switchboard.admin.models import ApiToken


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, name: str) -> str:
    """Store a new token's hash and return the token itself (shown once, never stored)."""
    token = "sb_" + secrets.token_urlsafe(30)
    store.add_token(session, name, _digest(token))
    return token


def token_is_valid(session: Session, token: str, static_token: str | None) -> bool:
    if static_token is not None and hmac.compare_digest(token.encode(), static_token.encode()):
        return True
    found = session.scalar(select(ApiToken.id).where(ApiToken.token_sha256 == _digest(token)))
    return found is not None
