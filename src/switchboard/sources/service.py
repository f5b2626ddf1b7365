"""Create, change and rotate sources. Callers own the session and the commit."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from switchboard.sources.models import Source, WriteKey

#: How long a rotated-out key keeps working unless the caller says otherwise.
DEFAULT_ROTATION_GRACE = timedelta(hours=24)


def new_write_key() -> str:
    """A random, URL-safe write key (32 characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def create_source(session: Session, name: str, *, enabled: bool = True) -> Source:
    source = Source(name=name, enabled=enabled)
    source.keys.append(WriteKey(key=new_write_key()))
    session.add(source)
    session.flush()
    return source


def list_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.id)))


def get_source(session: Session, source_id: int) -> Source | None:
    return session.get(Source, source_id)


def current_key(source: Source) -> WriteKey:
    """The key a new client should use: the newest one that does not expire."""
    live = [k for k in source.keys if k.expires_at is None]
    return max(live or source.keys, key=lambda k: k.id)


def active_keys(source: Source, now: datetime | None = None) -> list[WriteKey]:
    now = now or datetime.now(UTC)
    return [k for k in source.keys if k.expires_at is None or k.expires_at > now]


def rotate_key(
    session: Session, source: Source, grace: timedelta = DEFAULT_ROTATION_GRACE
) -> WriteKey:
    """Give `source` a new key; its other keys stop working after `grace` (0: at once)."""
    ends = datetime.now(UTC) + grace
    for key in source.keys:
        if key.expires_at is None or key.expires_at > ends:
            key.expires_at = ends
    fresh = WriteKey(key=new_write_key())
    source.keys.append(fresh)
    session.flush()
    return fresh
