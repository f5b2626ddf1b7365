"""Create, change, rotate and delete sources; the rows are written by `sources/store.py`.
Callers own the session and the commit."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from switchboard.db.changes import KEEP, Kept
from switchboard.sources import store
from switchboard.sources.models import Source, WriteKey

#: How long a rotated-out key keeps working unless the caller says otherwise.
DEFAULT_ROTATION_GRACE = timedelta(hours=24)


def new_write_key() -> str:
    """A random, URL-safe write key (32 characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def create_source(
    session: Session, name: str, *, enabled: bool = True, rate_limit_per_second: float | None = None
) -> Source:
    """A new source with a fresh write key."""
    return store.add_source(
        session, name, new_write_key(), enabled=enabled, rate_limit_per_second=rate_limit_per_second
    )


def update_source(
    session: Session,
    source: Source,
    *,
    name: Kept[str] = KEEP,
    enabled: Kept[bool] = KEEP,
    rate_limit_per_second: Kept[float | None] = KEEP,
) -> None:
    """Change what is given (`rate_limit_per_second=None` removes the limit)."""
    store.change_source(
        session, source, name=name, enabled=enabled, rate_limit_per_second=rate_limit_per_second
    )


def delete_source(session: Session, source: Source) -> None:
    """Delete the source with its keys, connections and events."""
    store.delete_source(session, source)


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
    return store.add_key(session, source, new_write_key(), others_end_by=datetime.now(UTC) + grace)
