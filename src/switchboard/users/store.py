"""The writes to `users` and `user_sessions`: the one module that adds, changes or deletes
their rows. Callers own the session and the commit; each write is flushed (ids are set)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from switchboard.users.models import User, UserSession


def add_user(session: Session, email: str, password_hash: str) -> User:
    user = User(email=email, password_hash=password_hash)
    session.add(user)
    session.flush()
    return user


def change_password(session: Session, user: User, password_hash: str) -> None:
    """The new hash, the failure count reset, and every session of the user ended."""
    user.password_hash = password_hash
    user.failed_logins = 0
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.flush()


def record_failed_login(session: Session, user: User, now: datetime) -> None:
    user.failed_logins += 1
    user.last_failed_at = now
    session.flush()


def record_login(session: Session, user: User, now: datetime) -> None:
    user.failed_logins = 0
    user.last_login_at = now
    session.flush()


def add_session(
    session: Session, user: User, token_sha256: str, csrf_token: str, now: datetime, ends: datetime
) -> UserSession:
    """A new login session; expired sessions (anyone's) are deleted on the way."""
    session.execute(delete(UserSession).where(UserSession.expires_at < now))
    row = UserSession(
        user_id=user.id,
        token_sha256=token_sha256,
        csrf_token=csrf_token,
        created_at=now,
        expires_at=ends,
    )
    session.add(row)
    session.flush()
    return row


def delete_session(session: Session, token_sha256: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_sha256 == token_sha256))
