"""Engine and session factories. Nothing is connected until a caller asks."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """Accept the usual spellings of a Postgres URL and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine tuned for the dialect; SQLite gets WAL and fully synced commits.

    `synchronous=FULL` matters: an event is acknowledged only after its commit, and with
    NORMAL a power cut could lose commits that WAL had not yet synced.
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # orjson reads and writes JSON columns several times faster than the json module.
    kwargs.setdefault("json_deserializer", orjson.loads)
    kwargs.setdefault("json_serializer", _dumps)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def make_job_engine(url: str) -> Engine:
    """The engine of `switchboard worker`: on Postgres its commits do not wait for the WAL
    to reach disk (`synchronous_commit=off`).

    Safe for what a worker writes, and only for that: if Postgres crashes, the last fraction
    of a second of job commits may be lost, and each is redone. A lost route commit leaves
    its events in `route_queue` (the scheduler routes them again); a lost outcome leaves the
    delivery open (it is sent again: delivery is at least once). Acknowledged events are
    written by `serve`, whose commits stay synchronous. The WAL flush was a visible share of
    the database's time under load (bench/e2e: `IO:WALSync` in its activity samples).
    """
    url = normalize_url(url)
    if url.startswith("postgresql"):
        return make_engine(url, connect_args={"options": "-c synchronous_commit=off"})
    return make_engine(url)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
