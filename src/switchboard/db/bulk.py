"""Batch writes in one statement per batch: the one place where the SQL differs by backend.

On Postgres every statement here binds whole columns as arrays, in binary (`%b`), and reads
them back with `unnest` (or `= ANY(…)` for id lists): one statement text whatever the number
of rows, so nothing is compiled or parsed per call (a multi-row `VALUES` built per call cost
most of a worker's CPU in bench/e2e), and nothing is escaped in Python (as text, psycopg
escaped every quote of every JSON payload: ~80 µs an event, docs/benchmarks.md). On SQLite
the same writes go through SQLAlchemy Core as `executemany` (a multi-row `INSERT`, with
`RETURNING` when asked).

Statements are built from a `Table`'s columns (their names, and their types as the Postgres
array casts) and cached per table and options, so a new column of a table written here is a
model change and a migration. A JSON column takes a document (dict, list, None), or its JSON
text already serialized, as the ingest path has it from orjson: a `str` is always taken as
JSON text. It is bound as text, cast to `jsonb` on Postgres.

- `insert_statement` / `insert` / `insert_async`: `INSERT … SELECT … FROM unnest(…)`,
  optionally with columns bound once for all rows, `ON CONFLICT (…) DO NOTHING`,
  `RETURNING …`, and a second table fed the inserted rows in the same statement (an event
  and its `route_queue` row).
- `update`: `UPDATE … FROM unnest(…)`, one row per key.
- `update_ids`, `delete_ids`, `select_ids`: statements over a list of ids.
- `rows_statement` / `run_rows`: a hand-written statement that reads its input rows from a
  relation named `x` (the rollup upserts).
- `postgres_rows`: a Postgres-only statement with binary parameters (the claim's row locks).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

import orjson
import psycopg
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Executable,
    MetaData,
    Table,
    Text,
    bindparam,
    delete,
)
from sqlalchemy import insert as core_insert
from sqlalchemy import update as core_update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

#: Postgres type names (as SQLAlchemy compiles a column's type, length dropped) → the element
#: type of the array a column is bound as. JSON goes as text, cast to jsonb in the SELECT.
_ARRAY_ELEMENT = {
    "BIGINT": "bigint",
    "INTEGER": "int",
    "SMALLINT": "smallint",
    "VARCHAR": "text",
    "TEXT": "text",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "TIMESTAMP WITHOUT TIME ZONE": "timestamp",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
    "FLOAT": "float8",
    "DOUBLE PRECISION": "float8",
    "BOOLEAN": "boolean",
    "JSONB": "text",
    "JSON": "text",
}


def table(model: type[DeclarativeBase]) -> Table:
    """The `Table` of a mapped class."""
    found = model.__table__
    if not isinstance(found, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return found


def is_postgres(bind: Connection | Engine) -> bool:
    """Whether `bind` talks to Postgres (every other backend is SQLite here)."""
    return bind.dialect.name == "postgresql"


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    quoted: str
    element: str  # the Postgres array's element type
    json: bool

    @property
    def cast(self) -> str:
        return f"%b::{self.element}[]"

    def select(self, alias: str) -> str:
        """How the statement reads this column from the unnest alias."""
        return f"{alias}::jsonb" if self.json else alias


@functools.cache
def _postgres_dialect() -> Dialect:
    return postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]


def _column(column: Column[Any]) -> _Column:
    dialect = _postgres_dialect()
    compiled = column.type.compile(dialect=dialect)
    element = _ARRAY_ELEMENT.get(re.sub(r"\(.*\)", "", compiled).strip())
    if element is None:
        raise TypeError(f"{column.table.name}.{column.name}: no array type for {compiled}")
    return _Column(
        name=column.name,
        quoted=dialect.identifier_preparer.quote(column.name),
        element=element,
        json=isinstance(column.type, JSON),
    )


def _columns(source: Table, names: Sequence[str] | None) -> tuple[_Column, ...]:
    if names is None:
        # Every column but an auto-incremented key, in the table's order.
        return tuple(_column(c) for c in source.columns if c is not source.autoincrement_column)
    missing = [n for n in names if n not in source.columns]
    if missing:
        raise KeyError(f"{source.name} has no column {', '.join(missing)}")
    return tuple(_column(source.columns[n]) for n in names)


def _quoted(name: str) -> str:
    quoted: str = _postgres_dialect().identifier_preparer.quote(name)
    return quoted


@functools.cache
def _sqlite_view(source: Table) -> Table:
    """`source` as SQLite's writes see it: JSON columns bound as the JSON text given."""
    return Table(
        source.name,
        MetaData(),
        *(
            Column(
                c.name,
                Text() if isinstance(c.type, JSON) else c.type,
                primary_key=c.primary_key,
                autoincrement=c is source.autoincrement_column,
            )
            for c in source.columns
        ),
    )


def _getter(rows: Sequence[Any]) -> Callable[[str], Callable[[Any], Any]]:
    """How to read a column of `rows`: mappings, or objects with an attribute per column."""
    return itemgetter if isinstance(rows[0], Mapping) else attrgetter


def _values(rows: Sequence[Any], column: _Column, getter: Callable[[str], Any]) -> list[Any]:
    """One column of `rows` as a list, as the column is bound."""
    values = list(map(getter(column.name), rows))
    if column.json:
        values = [v if v is None or isinstance(v, str) else _json_text(v) for v in values]
    elif column.element == "float8":
        # psycopg dumps a list by its first element's type: an int among floats fails.
        values = [None if v is None else float(v) for v in values]
    return values


def _json_text(document: Any) -> str:
    return orjson.dumps(document).decode()


def _bound(column: _Column, value: Any) -> Any:
    """One value as `_values` binds it."""
    if column.json and value is not None and not isinstance(value, str):
        return _json_text(value)
    if column.element == "float8" and value is not None:
        return float(value)
    return value


def _records(rows: Sequence[Any], columns: Sequence[_Column]) -> list[dict[str, Any]]:
    getter = _getter(rows)
    names = [c.name for c in columns]
    arrays = [_values(rows, c, getter) for c in columns]
    return [dict(zip(names, values, strict=True)) for values in zip(*arrays, strict=True)]


@dataclass(frozen=True, slots=True)
class BulkInsert:
    """One insert of many rows, built once per table and options (`insert_statement`)."""

    table: Table
    #: The columns read from each row, then those bound once for all rows.
    columns: tuple[_Column, ...]
    shared: tuple[_Column, ...]
    on_conflict: tuple[str, ...]
    returning: tuple[str, ...]
    #: What the first insert returns: `returning`, then the columns `then` copies.
    inserted: tuple[str, ...]
    #: The table fed each inserted row, as (its column, the first table's column) pairs.
    then: tuple[Table, tuple[tuple[str, str], ...]] | None
    #: The Postgres text: the shared values, then one array per column.
    postgres: str

    def parameters(self, rows: Sequence[Any], shared: Mapping[str, Any]) -> list[Any]:
        """The Postgres parameters for `rows` and the `shared` values."""
        getter = _getter(rows)
        return [_bound(c, shared[c.name]) for c in self.shared] + [
            _values(rows, c, getter) for c in self.columns
        ]


@functools.cache
def insert_statement(
    into: Table,
    *,
    columns: tuple[str, ...] | None = None,
    shared: tuple[str, ...] = (),
    on_conflict_do_nothing: tuple[str, ...] = (),
    returning: tuple[str, ...] = (),
    then: tuple[Table, tuple[tuple[str, str], ...]] | None = None,
) -> BulkInsert:
    """The insert of `columns` (default: every column but an auto-incremented key and the
    `shared` ones) into `into`; `shared` columns take one value for all rows.

    `on_conflict_do_nothing` names the unique columns whose duplicates are skipped;
    `returning` the columns returned of each inserted row. With `then`, each inserted row
    is also inserted into `then`'s table, as (its column, `into`'s column) pairs, in the
    same statement on Postgres (a duplicate, skipped, never is).
    """
    if columns is None:
        columns = tuple(
            c.name
            for c in into.columns
            if c is not into.autoincrement_column and c.name not in shared
        )
    if then is not None and not returning:
        raise ValueError("`then` needs `returning`: the statement returns the inserted rows")
    chosen = _columns(into, columns)
    fixed = _columns(into, shared)
    copied = () if then is None else tuple(source for _, source in then[1])
    inserted = returning + tuple(n for n in copied if n not in returning)
    aliases = [f"c{i}" for i in range(len(chosen))]
    picks = [c.select(a) for c, a in zip(chosen, aliases, strict=True)]
    picks += [c.select(f"%b::{c.element}") for c in fixed]
    sql = (
        f"INSERT INTO {_quoted(into.name)} "
        f"({', '.join(c.quoted for c in (*chosen, *fixed))}) SELECT {', '.join(picks)} "
        f"FROM unnest({', '.join(c.cast for c in chosen)}) AS x({', '.join(aliases)})"
    )
    if on_conflict_do_nothing:
        sql += f" ON CONFLICT ({', '.join(map(_quoted, on_conflict_do_nothing))}) DO NOTHING"
    if inserted:
        sql += f" RETURNING {', '.join(map(_quoted, inserted))}"
    if then is not None:
        target, pairs = then
        # A data-modifying WITH runs to completion whether or not the query reads it.
        sql = (
            f"WITH inserted AS ({sql}), copied AS ("
            f"INSERT INTO {_quoted(target.name)} ({', '.join(_quoted(t) for t, _ in pairs)}) "
            f"SELECT {', '.join(_quoted(s) for _, s in pairs)} FROM inserted) "
            f"SELECT {', '.join(map(_quoted, returning))} FROM inserted"
        )
    # The shared values' placeholders come before the arrays' in the text, as in `parameters`.
    return BulkInsert(into, chosen, fixed, on_conflict_do_nothing, returning, inserted, then, sql)


@functools.cache
def _sqlite_insert(statement: BulkInsert) -> Executable:
    view = _sqlite_view(statement.table)
    returned = [view.c[n] for n in statement.inserted]
    if statement.on_conflict:
        built = sqlite_insert(view).on_conflict_do_nothing(
            index_elements=list(statement.on_conflict)
        )
        return built.returning(*returned) if returned else built
    plain = core_insert(view)
    return plain.returning(*returned) if returned else plain


def insert(
    conn: Connection,
    statement: BulkInsert,
    rows: Sequence[Any],
    shared: Mapping[str, Any] | None = None,
) -> list[tuple[Any, ...]]:
    """Insert `rows` (mappings, or objects with an attribute per column), with the
    statement's `shared` columns set from `shared`, in `conn`'s transaction; return the
    `returning` columns of the rows inserted (none if not asked)."""
    if not rows:
        return []
    if is_postgres(conn):
        return postgres_rows(conn, statement.postgres, statement.parameters(rows, shared or {}))
    records = _records(rows, statement.columns)
    if statement.shared:
        same = {c.name: _bound(c, (shared or {})[c.name]) for c in statement.shared}
        records = [record | same for record in records]
    result = conn.execute(_sqlite_insert(statement), records)
    if not statement.inserted:
        return []
    inserted = [tuple(row) for row in result]
    if statement.then is not None and inserted:
        target, pairs = statement.then
        position = {name: i for i, name in enumerate(statement.inserted)}
        conn.execute(
            core_insert(_sqlite_view(target)),
            [{t: row[position[s]] for t, s in pairs} for row in inserted],
        )
    width = len(statement.returning)
    return [row[:width] for row in inserted] if width else []


async def insert_async(
    cursor: psycopg.AsyncCursor[Any],
    statement: BulkInsert,
    rows: Sequence[Any],
    shared: Mapping[str, Any] | None = None,
) -> list[tuple[Any, ...]]:
    """`insert` on an async psycopg cursor (Postgres only), in its connection's transaction."""
    if not rows:
        return []
    await cursor.execute(statement.postgres, statement.parameters(rows, shared or {}))
    return await cursor.fetchall() if statement.returning else []


@dataclass(frozen=True, slots=True)
class _BulkUpdate:
    table: Table
    key: _Column
    columns: tuple[_Column, ...]
    postgres: str


@functools.cache
def _update_statement(target: Table, key: str, columns: tuple[str, ...]) -> _BulkUpdate:
    key_column = _columns(target, (key,))[0]
    chosen = _columns(target, columns)
    every = (key_column, *chosen)
    aliases = [f"c{i}" for i in range(len(every))]
    sets = ", ".join(
        f"{c.quoted} = {c.select('x.' + a)}" for c, a in zip(chosen, aliases[1:], strict=True)
    )
    sql = (
        f"UPDATE {_quoted(target.name)} AS t SET {sets} "
        f"FROM unnest({', '.join(c.cast for c in every)}) AS x({', '.join(aliases)}) "
        f"WHERE t.{key_column.quoted} = x.c0"
    )
    return _BulkUpdate(target, key_column, chosen, sql)


@functools.cache
def _sqlite_update(statement: _BulkUpdate) -> Executable:
    view = _sqlite_view(statement.table)
    return (
        core_update(view)
        .where(view.c[statement.key.name] == bindparam("b_key"))
        .values({c.name: bindparam(f"b_{c.name}") for c in statement.columns})
    )


def update(
    conn: Connection, target: Table, rows: Sequence[Any], *, key: str, columns: tuple[str, ...]
) -> None:
    """Set `columns` of each row of `target` whose `key` a row of `rows` names, to that
    row's values, in one statement on Postgres."""
    if not rows:
        return
    statement = _update_statement(target, key, columns)
    if is_postgres(conn):
        postgres_rows(
            conn,
            statement.postgres,
            [_values(rows, c, _getter(rows)) for c in (statement.key, *statement.columns)],
        )
        return
    records = _records(rows, (statement.key, *statement.columns))
    conn.execute(
        _sqlite_update(statement),
        [
            {
                "b_key": r[statement.key.name],
                **{f"b_{c.name}": r[c.name] for c in statement.columns},
            }
            for r in records
        ],
    )


@functools.cache
def _update_ids_statement(
    target: Table, key: str, names: tuple[str, ...], keep_if_null: tuple[str, ...]
) -> tuple[tuple[_Column, ...], str]:
    """The columns set, and the Postgres text (named parameters, the ids as `ids`)."""
    key_column = _columns(target, (key,))[0]
    chosen = _columns(target, names)
    sets = ", ".join(
        f"{c.quoted} = coalesce({c.select(f'%({c.name})b')}, {c.quoted})"
        if c.name in keep_if_null
        else f"{c.quoted} = {c.select(f'%({c.name})b')}"
        for c in chosen
    )
    sql = (
        f"UPDATE {_quoted(target.name)} SET {sets} "
        f"WHERE {key_column.quoted} = ANY(%(ids)b::{key_column.element}[])"
    )
    return chosen, sql


def update_ids(
    conn: Connection,
    target: Table,
    ids: Sequence[int],
    values: Mapping[str, Any],
    *,
    key: str = "id",
    keep_if_null: tuple[str, ...] = (),
) -> None:
    """Set `values` on the rows of `target` whose `key` is among `ids`; a column named in
    `keep_if_null` keeps its value when the new one is None."""
    if not ids:
        return
    chosen, sql = _update_ids_statement(target, key, tuple(values), keep_if_null)
    bound = {c.name: _bound(c, values[c.name]) for c in chosen}
    if is_postgres(conn):
        postgres_rows(conn, sql, {**bound, "ids": list(ids)})
        return
    kept = {n: v for n, v in bound.items() if not (n in keep_if_null and v is None)}
    view = _sqlite_view(target)
    conn.execute(core_update(view).where(view.c[key].in_(list(ids))).values(kept))


@functools.cache
def _delete_ids_postgres(target: Table, key: str) -> str:
    key_column = _columns(target, (key,))[0]
    return (
        f"DELETE FROM {_quoted(target.name)} "
        f"WHERE {key_column.quoted} = ANY(%b::{key_column.element}[])"
    )


def delete_ids(conn: Connection, target: Table, ids: Sequence[int], *, key: str = "id") -> None:
    """Delete the rows of `target` whose `key` is among `ids`."""
    if not ids:
        return
    if is_postgres(conn):
        postgres_rows(conn, _delete_ids_postgres(target, key), (list(ids),))
        return
    conn.execute(delete(target).where(target.c[key].in_(list(ids))))


def select_ids(
    conn: Connection,
    postgres: str,
    portable: Callable[[], Executable],
    ids: Sequence[int],
) -> list[tuple[Any, ...]]:
    """Run a read over a list of ids, spelled twice: `postgres` binds the list as its one
    parameter (`= ANY(%b::bigint[])`); `portable()` (cache it) is the SQLAlchemy statement
    for SQLite, with an expanding `bindparam("ids")`."""
    if not ids:
        return []
    if is_postgres(conn):
        return postgres_rows(conn, postgres, (list(ids),))
    return [tuple(row) for row in conn.execute(portable(), {"ids": list(ids)})]


@dataclass(frozen=True, slots=True)
class RowsStatement:
    """A statement that reads its input rows from a relation named `x` (`rows_statement`)."""

    postgres: str
    sqlite: str


@functools.cache
def rows_statement(template: str, columns: tuple[tuple[str, str], ...]) -> RowsStatement:
    """`template` (SQL reading `… FROM x …`), with `x` given the `columns` (name, Postgres
    element type): an array per column on Postgres, one JSON document of rows on SQLite.

    SQLite gets `x` as a subquery, not a leading `WITH`: Python's sqlite3 (before 3.12) opens
    its implicit transaction only before a statement that starts with INSERT, UPDATE, DELETE
    or REPLACE, so a `WITH … INSERT` ran in autocommit, outside the caller's transaction (a
    reader could see a rollup counted and its events not yet; a failed job's counts stayed).
    """
    if " FROM x " not in template:
        raise ValueError("the statement must read its rows with ` FROM x `")
    names = ", ".join(name for name, _ in columns)
    arrays = ", ".join(f"%b::{kind}[]" for _, kind in columns)
    picks = ", ".join(f"value ->> {i} AS {name}" for i, (name, _) in enumerate(columns))
    return RowsStatement(
        postgres=f"WITH x({names}) AS (SELECT * FROM unnest({arrays})) {template}",
        sqlite=template.replace(" FROM x ", f" FROM (SELECT {picks} FROM json_each(?)) AS x ", 1),
    )


def run_rows(conn: Connection, statement: RowsStatement, rows: Sequence[Sequence[Any]]) -> None:
    """Run `statement` over `rows` (tuples in its columns' order) in `conn`'s transaction."""
    if not rows:
        return
    if is_postgres(conn):
        postgres_rows(
            conn, statement.postgres, [list(column) for column in zip(*rows, strict=True)]
        )
        return
    # orjson writes dates as ISO text, which is what SQLAlchemy's SQLite Date reads back.
    conn.exec_driver_sql(statement.sqlite, (orjson.dumps(rows).decode(),))


def postgres_rows(
    conn: Connection, sql: str, params: Sequence[Any] | Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """Run a Postgres statement with binary parameters on `conn`'s psycopg connection, in its
    transaction; return the rows it returns (none if it returns none)."""
    raw = conn.connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    with raw.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
