"""Create users, check passwords (with a per-account throttle) and manage login sessions.

The rows are written by `users/store.py`. Callers own the session and the commit.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from switchboard.users import store
from switchboard.users.models import User, UserSession
from switchboard.users.passwords import hash_password, random_password, verify_password

#: How long a login lasts. A week: marketers open the dashboard now and then, and an
#: explicit logout (or deleting the user) ends a session at once anyway.
SESSION_LIFETIME: Final = timedelta(days=7)
#: Wrong passwords in a row that cost nothing; after them each try waits longer.
FREE_FAILURES: Final = 5
#: The wait after FREE_FAILURES doubles with each further failure, up to LOCKOUT_MAX.
LOCKOUT_BASE: Final = timedelta(seconds=30)
LOCKOUT_MAX: Final = timedelta(minutes=15)
FIRST_USER_EMAIL: Final = "admin@switchboard.local"


class UserError(ValueError):
    """Bad input for a user (taken address, malformed address, short password)."""


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: User | None  # set when the password was right and the account not throttled
    retry_after: float = 0.0  # seconds to wait, when the account is throttled


@functools.cache
def _dummy() -> str:
    """A real hash to check when the address is unknown, so that answer takes as long."""
    return hash_password(secrets.token_urlsafe(16))


def normalize_email(email: str) -> str:
    """The address as stored: trimmed and lower-cased; UserError when it is not an address."""
    cleaned = email.strip().lower()
    local, at, domain = cleaned.partition("@")
    if not at or not local or not domain or any(c.isspace() for c in cleaned):
        raise UserError(f"{email!r} is not an e-mail address (name@example.com)")
    if len(cleaned) > 254:
        raise UserError("an e-mail address has at most 254 characters")
    return cleaned


def create_user(session: Session, email: str, password: str) -> User:
    """A new user; UserError when the address is taken or the password too short."""
    address = normalize_email(email)
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise UserError(f"a user with the address {address} already exists")
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return store.add_user(session, address, hashed)


def set_password(session: Session, user: User, password: str) -> None:
    """Change the password and end every session of the user."""
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    store.change_password(session, user, hashed)


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def lockout_remaining(user: User, now: datetime) -> float:
    """Seconds the account must still wait before another password is checked."""
    if user.failed_logins < FREE_FAILURES or user.last_failed_at is None:
        return 0.0
    wait = min(LOCKOUT_MAX, LOCKOUT_BASE * 2 ** (user.failed_logins - FREE_FAILURES))
    remaining: float = (user.last_failed_at + wait - now).total_seconds()
    return max(0.0, remaining)


def authenticate(session: Session, email: str, password: str) -> LoginResult:
    """Check a login. While the account is throttled even the right password is refused,
    so guessing cannot go on; a wrong password counts against the account."""
    now = datetime.now(UTC)
    user = find_user(session, email)
    if user is None:
        verify_password(password, _dummy())
        return LoginResult(None)
    wait = lockout_remaining(user, now)
    if wait > 0:
        return LoginResult(None, retry_after=wait)
    if not verify_password(password, user.password_hash):
        store.record_failed_login(session, user, now)
        return LoginResult(None, retry_after=lockout_remaining(user, now))
    store.record_login(session, user, now)
    return LoginResult(user)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> tuple[str, UserSession]:
    """A new login session for `user`; returns the token for the cookie (never stored)."""
    now = datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    row = store.add_session(
        session, user, _digest(token), secrets.token_urlsafe(32), now, now + SESSION_LIFETIME
    )
    return token, row


def find_session(session: Session, token: str) -> tuple[UserSession, User] | None:
    """The live session with this token and its user, or None (unknown or expired)."""
    found = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_sha256 == _digest(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.expires_at <= datetime.now(UTC):
        return None
    return row, user


def end_session(session: Session, token: str) -> None:
    store.delete_session(session, _digest(token))


def ensure_first_user(session: Session) -> tuple[str, str] | None:
    """With no user at all, create one with a random password and return (email, password)
    to print once; otherwise change nothing and return None."""
    if count_users(session):
        return None
    password = random_password()
    create_user(session, FIRST_USER_EMAIL, password)
    return FIRST_USER_EMAIL, password
