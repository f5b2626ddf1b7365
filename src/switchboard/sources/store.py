"""The writes to `sources` and `write_keys`: the one module that adds, changes or deletes
their rows. Callers own the session and the commit; each write is flushed (ids are set)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from switchboard.db.changes import KEEP, Kept, apply
from switchboard.sources.models import Source, WriteKey


def add_source(
    session: Session, name: str, key: str, *, enabled: bool, rate_limit_per_second: float | None
) -> Source:
    """A new source with its first write key."""
    source = Source(name=name, enabled=enabled, rate_limit_per_second=rate_limit_per_second)
    source.keys.append(WriteKey(key=key))
    session.add(source)
    session.flush()
    return source


def change_source(
    session: Session,
    source: Source,
    *,
    name: Kept[str] = KEEP,
    enabled: Kept[bool] = KEEP,
    rate_limit_per_second: Kept[float | None] = KEEP,
) -> None:
    """Set the columns given; the others keep their values."""
    apply(source, name=name, enabled=enabled, rate_limit_per_second=rate_limit_per_second)
    session.flush()


def add_key(session: Session, source: Source, key: str, *, others_end_by: datetime) -> WriteKey:
    """A new write key for `source`; each of its other keys stops working by `others_end_by`
    (a key that already ends sooner keeps its end)."""
    for old in source.keys:
        if old.expires_at is None or old.expires_at > others_end_by:
            old.expires_at = others_end_by
    fresh = WriteKey(key=key)
    source.keys.append(fresh)
    session.flush()
    return fresh


def delete_source(session: Session, source: Source) -> None:
    """Delete `source`; its keys, connections and events go with it (ON DELETE CASCADE)."""
    session.delete(source)
    session.flush()
