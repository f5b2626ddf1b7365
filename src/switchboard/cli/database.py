"""The database for a command that needs nothing else (commands that need the services, such
as destinations and replay, build the whole runtime instead)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from switchboard.settings import Settings


@contextmanager
def session_of(settings: Settings) -> Iterator[Session]:
    """A session on an engine of its own, disposed of when the block ends."""
    from switchboard.db.engine import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()
