"""The schema slice's writes: the one module that writes `schema_source_days`,
`schema_event_days` and `schema_property_days` (counted by `schema/rollups.py`).

Each table gets one `INSERT … SELECT … FROM x … ON CONFLICT DO UPDATE` per batch, its input
`x` filled by `db/bulk.py` (arrays on Postgres, one JSON document on SQLite, never a leading
`WITH` there: see `bulk.rows_statement`), in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection

from switchboard.db import bulk
from switchboard.events import store as events_store
from switchboard.schema.rollups import (
    MAX_EVENTS_PER_DAY,
    MAX_PATHS_PER_EVENT_DAY,
    RoutedEvent,
    SchemaBatch,
    aggregate,
)

# The WHERE clauses enforce the caps against the rows stored before the statement (SQLite
# also needs a WHERE to parse an upsert from a SELECT).
_SOURCE_DAYS = (
    "INSERT INTO schema_source_days AS t (source_id, day, calls) "
    "SELECT s, d, n FROM x WHERE true "
    "ON CONFLICT (source_id, day) DO UPDATE SET calls = t.calls + excluded.calls"
)
_SOURCE_DAYS_INPUT = (("s", "int"), ("d", "date"), ("n", "bigint"))
_EVENT_DAYS = (
    "INSERT INTO schema_event_days AS t (source_id, day, event_key, type, calls) "
    "SELECT s, d, k, c, n FROM x WHERE EXISTS (SELECT 1 FROM schema_event_days e "
    "WHERE e.source_id = x.s AND e.day = x.d AND e.event_key = x.k) "
    "OR (SELECT count(*) FROM schema_event_days e WHERE e.source_id = x.s AND e.day = x.d) "
    f"< {MAX_EVENTS_PER_DAY} "
    "ON CONFLICT (source_id, day, event_key) DO UPDATE SET calls = t.calls + excluded.calls"
)
_EVENT_DAYS_INPUT = (("s", "int"), ("d", "date"), ("k", "text"), ("c", "text"), ("n", "bigint"))
_PROPERTY_DAYS = (
    "INSERT INTO schema_property_days AS t (source_id, event_key, day, kind, path, calls) "
    "SELECT s, k, d, w, p, n FROM x WHERE EXISTS (SELECT 1 FROM schema_property_days q "
    "WHERE q.source_id = x.s AND q.event_key = x.k AND q.day = x.d AND q.kind = x.w "
    "AND q.path = x.p) "
    "OR (EXISTS (SELECT 1 FROM schema_event_days e "
    "WHERE e.source_id = x.s AND e.day = x.d AND e.event_key = x.k) "
    "AND (SELECT count(*) FROM schema_property_days q "
    f"WHERE q.source_id = x.s AND q.event_key = x.k AND q.day = x.d) < {MAX_PATHS_PER_EVENT_DAY}) "
    "ON CONFLICT (source_id, event_key, day, kind, path) "
    "DO UPDATE SET calls = t.calls + excluded.calls"
)
_PROPERTY_DAYS_INPUT = (
    ("s", "int"),
    ("k", "text"),
    ("d", "date"),
    ("w", "text"),
    ("p", "text"),
    ("n", "bigint"),
)


def _upsert(
    conn: Connection,
    template: str,
    columns: tuple[tuple[str, str], ...],
    rows: list[tuple[Any, ...]],
) -> None:
    bulk.run_rows(conn, bulk.rows_statement(template, columns), rows)


def write(conn: Connection, batch: SchemaBatch) -> None:
    """Add `batch` to the rollups: three statements at most, in the caller's transaction.

    Event rows go before property rows, because a new property is only kept for an event
    the same day's event rows kept.
    """
    sources = [(*k, n) for k, n in sorted(batch.source_days.items())]
    _upsert(conn, _SOURCE_DAYS, _SOURCE_DAYS_INPUT, sources)
    events = [(*k, n) for k, n in batch.capped_event_days()]
    _upsert(conn, _EVENT_DAYS, _EVENT_DAYS_INPUT, events)
    properties = [(*k, n) for k, n in batch.capped_property_days()]
    _upsert(conn, _PROPERTY_DAYS, _PROPERTY_DAYS_INPUT, properties)


def record_routed(conn: Connection, events: Collection[RoutedEvent]) -> None:
    """Count a route job's batch into the rollups, in the route job's transaction.

    Call it before the batch is deleted from `route_queue`: only events still queued are
    counted (their queue rows locked until the commit), so every event is counted once even
    when two jobs route it.
    """
    if not events:
        return
    counted = events_store.lock_queued(conn, [e.id for e in events])
    write(conn, aggregate(e for e in events if e.id in counted))
