"""The writes of the `api_tokens` table (admin/models.py). Callers own the session and commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from switchboard.admin.models import ApiToken


def add_token(session: Session, name: str, token_sha256: str) -> ApiToken:
    """Add a token row holding only the token's hash; flushed, so it has its id."""
    token = ApiToken(name=name, token_sha256=token_sha256)
    session.add(token)
    session.flush()
    return token
