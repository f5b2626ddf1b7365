"""The storage ceiling: ~1 KB JSONB rows inserted straight into Postgres, no HTTP, no Python
per-event work beyond building the arrays.

One writer connection; each statement inserts `rows_per_commit` rows with
`INSERT … SELECT … FROM unnest(arrays) ON CONFLICT DO NOTHING` and commits, as the
group-commit writer does. Three variants:

- `raw_plain`: bigserial id, unique message_id, JSONB payload — the bare minimum;
- `raw_events`: `LIKE events INCLUDING ALL` — the same columns, unique constraint and
  five secondary indexes the tracking API's table has, so the difference to Switchboard's
  batch figure is the server's own cost;
- `raw_events_text_params`: `raw_events` again with the arrays bound in text format, as the
  writer bound them before it switched to binary (`%b`); a reference for that cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import orjson
import psycopg

_PLAIN_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS raw_plain ("
    "id bigserial PRIMARY KEY, message_id text NOT NULL UNIQUE, payload jsonb NOT NULL)"
)
_EVENTS_DDL: Final = "CREATE TABLE IF NOT EXISTS raw_events (LIKE events INCLUDING ALL)"
# %b: the arrays travel in binary, so nothing is escaped on either side (see VARIANTS).
_PLAIN_INSERT: Final = (
    "INSERT INTO raw_plain (message_id, payload) "
    "SELECT m, p::jsonb FROM unnest(%b::text[], %b::text[]) AS x(m, p) "
    "ON CONFLICT DO NOTHING"
)
_EVENTS_INSERT: Final = (
    "INSERT INTO raw_events (source_id, type, event_name, user_id, anonymous_id, message_id, "
    "original_timestamp, timestamp, sent_at, received_at, payload) "
    "SELECT %s, 'track', 'Bench Event', u, NULL, m, %s, %s, NULL, %s, p::jsonb "
    "FROM unnest({0}::text[], {0}::text[], {0}::text[]) AS x(u, m, p) "
    "ON CONFLICT (source_id, message_id) DO NOTHING"
)
#: name -> (table, placeholder for the arrays). `%s` (text format) is how the group-commit
#: writer bound its arrays before it switched to `%b`: psycopg then quotes every element of a
#: text[] with a Python-level `re.sub` callback per escaped character, which for JSON (all
#: those `"`) costs ~80 us of client CPU per 1 KB row. The text variant keeps that cost on
#: record beside the binary one.
VARIANTS: Final = {
    "raw_plain": ("raw_plain", "%b"),
    "raw_events": ("raw_events", "%b"),
    "raw_events_text_params": ("raw_events", "%s"),
}


def payload(message_id: str, n: int) -> str:
    """A ~1 KB event document shaped like what the tracking API stores."""
    return orjson.dumps(
        {
            "type": "track",
            "event": "Bench Event",
            "userId": f"user-{n % 1000}",
            "messageId": message_id,
            "properties": {
                "plan": "enterprise",
                "revenue": 129.99,
                "currency": "USD",
                "sku": "SKU-0001-XL",
                "category": "Benchmarks",
                "label": "switchboard ingest benchmark",
                "coupon": "WINTER-2026",
                "quantity": 3,
                "referrer": "https://example.com/pricing?utm_source=bench&utm_medium=cpc",
                "note": "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod",
            },
            "context": {
                "library": {"name": "bench.ingest", "version": "1.0.0"},
                "locale": "en-US",
                "ip": "127.0.0.1",
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
                "Gecko) Chrome/131.0.0.0 Safari/537.36",
            },
            "originalTimestamp": "2026-11-22T10:00:00.000Z",
            "timestamp": "2026-11-22T10:00:00.000Z",
            "receivedAt": "2026-11-22T10:00:00.123Z",
            "sentAt": "2026-11-22T10:00:00.100Z",
            "integrations": {"All": True},
            "channel": "server",
            "version": 2,
        }
    ).decode()


@dataclass(frozen=True, slots=True)
class RawResult:
    table: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def prepare(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    conn.execute(_PLAIN_DDL)
    conn.execute(_EVENTS_DDL)


def drop(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Drop the raw tables so the HTTP runs have the disk and the caches to themselves."""
    conn.execute("DROP TABLE IF EXISTS raw_plain, raw_events")


def run(
    conn: psycopg.Connection[tuple[object, ...]],
    *,
    variant: str,
    source_id: int,
    prefix: str,
    duration_s: float,
    rows_per_commit: int = 500,
    max_commits: int = 100_000,
) -> RawResult:
    """Insert `rows_per_commit` fresh rows per commit until `duration_s` has passed."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown raw insert variant {variant!r}")
    table, placeholder = VARIANTS[variant]
    events_insert = _EVENTS_INSERT.format(placeholder)
    now = datetime.now(UTC)
    rows = 0
    start = time.perf_counter()
    deadline = start + duration_s
    for commit in range(max_commits):
        if time.perf_counter() >= deadline:
            break
        ids = [f"{prefix}{commit}-{k}" for k in range(rows_per_commit)]
        documents = [payload(message_id, k) for k, message_id in enumerate(ids)]
        with conn.transaction():
            if table == "raw_plain":
                conn.execute(_PLAIN_INSERT, (ids, documents))
            else:
                users = [f"user-{k % 1000}" for k in range(rows_per_commit)]
                conn.execute(events_insert, (source_id, now, now, now, users, ids, documents))
        rows += rows_per_commit
    return RawResult(table=variant, rows=rows, seconds=time.perf_counter() - start)
