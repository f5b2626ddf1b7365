"""A fresh Postgres database per bench run, and the counts that prove what was stored."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Final

import psycopg
from sqlalchemy.engine import make_url

DEFAULT_BASE_URL: Final = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BASE_URL_VARIABLE: Final = "SWITCHBOARD_BENCH_DATABASE_URL"


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as a libpq connection string (psycopg's own)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _scalar(row: tuple[object, ...] | None) -> int:
    value = row[0] if row else 0
    if not isinstance(value, int):
        raise TypeError(f"expected an integer from Postgres, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class BenchDatabase:
    """A database made for this run; `url` is what the server gets."""

    name: str
    url: str  # SQLAlchemy form, for SWITCHBOARD_DATABASE_URL
    maintenance_url: str  # where CREATE/DROP DATABASE run

    @property
    def dsn(self) -> str:
        return _libpq(self.url)

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.dsn, autocommit=True)


def base_url() -> str:
    """The server URL base: $SWITCHBOARD_BENCH_DATABASE_URL or local postgres as postgres."""
    return os.environ.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL


def create(base: str) -> BenchDatabase:
    """CREATE DATABASE switchboard_bench_<pid>_<time> next to the database in `base`."""
    parsed = make_url(base)
    if not parsed.drivername.startswith("postgresql"):
        raise ValueError(f"{BASE_URL_VARIABLE} must be a postgresql URL, got {parsed.drivername}")
    name = f"switchboard_bench_{os.getpid()}_{int(time.time())}"
    maintenance = parsed.set(database=parsed.database or "postgres")
    database = BenchDatabase(
        name=name,
        url=parsed.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        ),
        maintenance_url=maintenance.render_as_string(hide_password=False),
    )
    with psycopg.connect(_libpq(database.maintenance_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database


def drop(database: BenchDatabase) -> None:
    """DROP DATABASE … WITH (FORCE): also ends connections a crashed server left behind."""
    with psycopg.connect(_libpq(database.maintenance_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


def count_stored(
    conn: psycopg.Connection[tuple[object, ...]],
    *,
    source_id: int,
    prefix: str,
    requests: int,
    batch_size: int | None,
) -> int:
    """How many of the messageIds ingest.lua generated for `requests` requests are stored.

    Track: `<prefix><n>` for n in 1..requests; batch: `<prefix><n>-<k>` for k in 1..batch_size.
    Each lookup is one probe of the (source_id, message_id) unique index.
    """
    if requests <= 0:
        return 0
    if batch_size is None:
        sql = (
            "SELECT count(*) FROM generate_series(1, %(n)s) AS n WHERE EXISTS ("
            "SELECT 1 FROM events WHERE source_id = %(s)s AND message_id = %(p)s || n)"
        )
        params: dict[str, object] = {"n": requests, "s": source_id, "p": prefix}
    else:
        sql = (
            "SELECT count(*) FROM generate_series(1, %(n)s) AS n "
            "CROSS JOIN generate_series(1, %(k)s) AS k WHERE EXISTS ("
            "SELECT 1 FROM events WHERE source_id = %(s)s "
            "AND message_id = %(p)s || n || '-' || k)"
        )
        params = {"n": requests, "k": batch_size, "s": source_id, "p": prefix}
    return _scalar(conn.execute(sql, params).fetchone())


def settle_stored(
    conn: psycopg.Connection[tuple[object, ...]],
    *,
    source_id: int,
    prefix: str,
    requests: int,
    batch_size: int | None,
    deadline_s: float = 30.0,
) -> int:
    """Count again until two counts 0.5 s apart agree: requests in flight when wrk stopped
    are still being committed for a moment."""
    deadline = time.monotonic() + deadline_s
    last = count_stored(
        conn, source_id=source_id, prefix=prefix, requests=requests, batch_size=batch_size
    )
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = count_stored(
            conn, source_id=source_id, prefix=prefix, requests=requests, batch_size=batch_size
        )
        if now == last:
            return now
        last = now
    return last


@dataclass(frozen=True, slots=True)
class TableCounts:
    rows: int
    distinct_message_ids: int


def event_counts(conn: psycopg.Connection[tuple[object, ...]]) -> TableCounts:
    row = conn.execute(
        "SELECT count(*), count(DISTINCT (source_id, message_id)) FROM events"
    ).fetchone()
    if row is None:
        return TableCounts(0, 0)
    return TableCounts(_scalar(row[:1]), _scalar(row[1:]))
