"""The bulk-write helper on both backends, against a probe table of every column type."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    select,
)

from switchboard.db import bulk
from switchboard.db.base import BigId, JsonDoc, UTCDateTime
from switchboard.events.models import Event

AT = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)


@dataclass
class Probe:
    probe: Table
    sink: Table


@pytest.fixture
def probe(engine: Engine) -> Iterator[Probe]:
    """Two scratch tables, made for the test and dropped after it."""
    metadata = MetaData()
    probe = Table(
        "bulk_probe",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("name", String(20), nullable=False),
        Column("count", Integer, nullable=True),
        Column("amount", Float, nullable=True),
        Column("flag", Boolean, nullable=True),
        Column("at", UTCDateTime, nullable=True),
        Column("day", Date, nullable=True),
        Column("note", Text, nullable=True),
        Column("doc", JsonDoc, nullable=True),
        UniqueConstraint("name"),
    )
    sink = Table(
        "bulk_probe_sink",
        metadata,
        Column("probe_id", BigInteger, primary_key=True, autoincrement=False),
        Column("name", String(20)),
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield Probe(probe, sink)
    metadata.drop_all(engine)


def _row(name: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": name,
        "count": None,
        "amount": None,
        "flag": None,
        "at": None,
        "day": None,
        "note": None,
        "doc": None,
    }
    return row | values


def _stored(conn: Connection, table: Table) -> list[dict[str, Any]]:
    rows = conn.execute(select(table).order_by(table.c[next(iter(table.c.keys()))]))
    return [dict(row._mapping) for row in rows]


def test_the_statement_takes_the_tables_columns_in_order(probe: Probe) -> None:
    statement = bulk.insert_statement(probe.probe)
    names = [c.name for c in statement.columns]
    assert names == ["name", "count", "amount", "flag", "at", "day", "note", "doc"]
    assert statement.postgres == (
        "INSERT INTO bulk_probe (name, count, amount, flag, at, day, note, doc) "
        "SELECT c0, c1, c2, c3, c4, c5, c6, c7::jsonb FROM unnest(%b::text[], %b::int[], "
        "%b::float8[], %b::boolean[], %b::timestamptz[], %b::date[], %b::text[], %b::text[]) "
        "AS x(c0, c1, c2, c3, c4, c5, c6, c7)"
    )
    # Built once per table and options: the hot paths never compile SQL per call.
    assert bulk.insert_statement(probe.probe) is statement
    assert bulk.insert_statement(probe.probe, returning=("id",)) is not statement


def test_a_model_column_joins_the_events_insert_without_edits() -> None:
    statement = bulk.insert_statement(bulk.table(Event))
    assert [c.name for c in statement.columns] == [
        c.name for c in bulk.table(Event).columns if c.name != "id"
    ]


def test_a_column_without_an_array_type_is_refused() -> None:
    odd = Table(
        "odd", MetaData(), Column("id", Integer, primary_key=True), Column("b", LargeBinary)
    )
    with pytest.raises(TypeError, match=r"odd\.b"):
        bulk.insert_statement(odd)
    with pytest.raises(KeyError, match="nope"):
        bulk.insert_statement(odd, columns=("nope",))


def test_rows_keep_their_values_nulls_and_documents(engine: Engine, probe: Probe) -> None:
    @dataclass
    class Item:
        name: str
        count: int | None
        amount: float | None
        flag: bool | None
        at: datetime | None
        day: date | None
        note: str | None
        doc: Any

    rows = [
        Item("full", 3, 1.5, True, AT, date(2026, 11, 22), 'it\'s "quoted"', {"a": [1, 2]}),
        Item("empty", None, None, None, None, None, None, None),
        # A str is JSON text already serialized (the ingest path's payloads).
        Item("text", 0, 2, False, AT, None, "", '{"b": "\\u00e9"}'),
    ]
    with engine.begin() as conn:
        assert bulk.insert(conn, bulk.insert_statement(probe.probe), rows) == []
        stored = _stored(conn, probe.probe)
        nulls = conn.scalar(select(probe.probe.c.name).where(probe.probe.c.doc.is_(None)))
    assert [{k: v for k, v in row.items() if k != "id"} for row in stored] == [
        _row(
            "full",
            count=3,
            amount=1.5,
            flag=True,
            at=AT,
            day=date(2026, 11, 22),
            note='it\'s "quoted"',
            doc={"a": [1, 2]},
        ),
        _row("empty"),
        _row("text", count=0, amount=2.0, flag=False, at=AT, note="", doc={"b": "é"}),
    ]
    assert nulls == "empty"  # None is SQL NULL, not the JSON document `null`


def test_duplicates_are_skipped_and_new_rows_returned(engine: Engine, probe: Probe) -> None:
    statement = bulk.insert_statement(
        probe.probe,
        columns=("name", "count"),
        on_conflict_do_nothing=("name",),
        returning=("name",),
    )
    with engine.begin() as conn:
        first = bulk.insert(conn, statement, [{"name": "a", "count": 1}, {"name": "b", "count": 2}])
        second = bulk.insert(
            conn, statement, [{"name": "b", "count": 9}, {"name": "c", "count": 3}]
        )
        stored = _stored(conn, probe.probe)
    assert sorted(first) == [("a",), ("b",)]
    assert second == [("c",)]
    assert [(r["name"], r["count"]) for r in stored] == [("a", 1), ("b", 2), ("c", 3)]


def test_inserted_rows_feed_a_second_table(engine: Engine, probe: Probe) -> None:
    statement = bulk.insert_statement(
        probe.probe,
        columns=("name",),
        on_conflict_do_nothing=("name",),
        returning=("name",),
        then=(probe.sink, (("probe_id", "id"), ("name", "name"))),
    )
    with engine.begin() as conn:
        first = bulk.insert(conn, statement, [{"name": "a"}, {"name": "b"}])
        again = bulk.insert(conn, statement, [{"name": "a"}])
        ids = {r["name"]: r["id"] for r in _stored(conn, probe.probe)}
        sink = _stored(conn, probe.sink)
    assert sorted(first) == [("a",), ("b",)]  # what `returning` asked, not the copied `id`
    assert again == []  # a duplicate never reaches the second table
    assert sink == [{"probe_id": ids["a"], "name": "a"}, {"probe_id": ids["b"], "name": "b"}]
    with pytest.raises(ValueError, match="returning"):
        bulk.insert_statement(probe.probe, then=(probe.sink, (("probe_id", "id"),)))


def test_shared_columns_take_one_value_for_all_rows(engine: Engine, probe: Probe) -> None:
    statement = bulk.insert_statement(probe.probe, shared=("at", "amount", "doc"))
    assert [c.name for c in statement.columns] == ["name", "count", "flag", "day", "note"]
    with engine.begin() as conn:
        bulk.insert(
            conn,
            statement,
            [{"name": "a", "count": 1, "flag": None, "day": None, "note": None}] * 1
            + [{"name": "b", "count": 2, "flag": True, "day": None, "note": "n"}],
            {"at": AT, "amount": 3, "doc": {"same": True}},
        )
        stored = [
            (r["name"], r["count"], r["at"], r["amount"], r["doc"])
            for r in _stored(conn, probe.probe)
        ]
    assert stored == [
        ("a", 1, AT, 3.0, {"same": True}),
        ("b", 2, AT, 3.0, {"same": True}),
    ]


def test_empty_input_sends_nothing(engine: Engine, probe: Probe) -> None:
    with engine.begin() as conn:
        assert bulk.insert(conn, bulk.insert_statement(probe.probe, returning=("id",)), []) == []
        bulk.update(conn, probe.probe, [], key="id", columns=("count",))
        bulk.update_ids(conn, probe.probe, [], {"count": 1})
        bulk.delete_ids(conn, probe.probe, [])
        assert bulk.select_ids(conn, "unused", _names(probe), []) == []
        bulk.run_rows(conn, bulk.rows_statement("SELECT 1 FROM x WHERE true", (("a", "int"),)), [])


def _names(probe: Probe) -> Any:
    def statement() -> Any:
        table = probe.probe
        return select(table.c.name).where(table.c.id.in_(bindparam("ids", expanding=True)))

    return statement


def test_updates_by_key_and_by_ids(engine: Engine, probe: Probe) -> None:
    with engine.begin() as conn:
        bulk.insert(
            conn,
            bulk.insert_statement(probe.probe),
            [_row("a", note="keep", count=1), _row("b", note="keep"), _row("c")],
        )
        ids = {r["name"]: r["id"] for r in _stored(conn, probe.probe)}
        bulk.update(
            conn,
            probe.probe,
            [
                {"id": ids["a"], "count": 10, "doc": {"x": 1}},
                {"id": ids["b"], "count": None, "doc": None},
            ],
            key="id",
            columns=("count", "doc"),
        )
        bulk.update_ids(
            conn,
            probe.probe,
            [ids["a"], ids["c"]],
            {"at": AT, "note": None},
            keep_if_null=("note",),
        )
        bulk.update_ids(conn, probe.probe, [ids["b"]], {"note": None})
        bulk.update_ids(conn, probe.probe, [ids["c"]], {"doc": {"y": 2}, "amount": 4})
        stored = {r["name"]: r for r in _stored(conn, probe.probe)}
    assert (stored["a"]["count"], stored["a"]["doc"], stored["a"]["at"]) == (10, {"x": 1}, AT)
    assert stored["a"]["note"] == "keep"  # kept: None in a keep-if-null column
    assert (stored["b"]["count"], stored["b"]["doc"], stored["b"]["note"]) == (None, None, None)
    assert (stored["c"]["at"], stored["c"]["note"]) == (AT, None)
    assert (stored["c"]["doc"], stored["c"]["amount"]) == ({"y": 2}, 4.0)


def test_reads_and_deletes_by_ids(engine: Engine, probe: Probe) -> None:
    with engine.begin() as conn:
        bulk.insert(conn, bulk.insert_statement(probe.probe), [_row(n) for n in "abcd"])
        ids = {r["name"]: r["id"] for r in _stored(conn, probe.probe)}
        found = bulk.select_ids(
            conn,
            "SELECT name FROM bulk_probe WHERE id = ANY(%b::bigint[]) ORDER BY name",
            _names(probe),
            [ids["b"], ids["d"], 10**12],
        )
        bulk.delete_ids(conn, probe.probe, [ids["a"], ids["c"]])
        left = [r["name"] for r in _stored(conn, probe.probe)]
    assert sorted(found) == [("b",), ("d",)]
    assert left == ["b", "d"]


_UPSERT = (
    "INSERT INTO bulk_probe AS t (name, count, day) SELECT n, c, d FROM x WHERE true "
    "ON CONFLICT (name) DO UPDATE SET count = t.count + excluded.count"
)
_UPSERT_INPUT = (("n", "text"), ("c", "int"), ("d", "date"))


def test_a_statement_reads_its_rows_from_x(engine: Engine, probe: Probe) -> None:
    statement = bulk.rows_statement(_UPSERT, _UPSERT_INPUT)
    assert not statement.sqlite.startswith("WITH")  # see the autocommit test below
    with engine.begin() as conn:
        bulk.run_rows(conn, statement, [("a", 1, date(2026, 11, 22)), ("b", 2, None)])
        bulk.run_rows(conn, statement, [("a", 5, None)])
        stored = [(r["name"], r["count"], r["day"]) for r in _stored(conn, probe.probe)]
    assert stored == [("a", 6, date(2026, 11, 22)), ("b", 2, None)]
    with pytest.raises(ValueError, match="FROM x"):
        bulk.rows_statement("SELECT 1", _UPSERT_INPUT)


class _Abandon(Exception):
    pass


def test_writes_belong_to_the_callers_transaction(engine: Engine, probe: Probe) -> None:
    # Python's sqlite3 ran a statement that does not start with INSERT/UPDATE/DELETE in
    # autocommit, outside the transaction: a rolled-back caller must leave nothing behind.
    def write_then_fail() -> None:
        with engine.begin() as conn:
            bulk.run_rows(conn, bulk.rows_statement(_UPSERT, _UPSERT_INPUT), [("a", 1, None)])
            statement = bulk.insert_statement(probe.probe, columns=("name",))
            bulk.insert(conn, statement, [{"name": "b"}])
            raise _Abandon

    with pytest.raises(_Abandon):
        write_then_fail()
    with engine.connect() as conn:
        assert _stored(conn, probe.probe) == []


def test_the_async_insert_on_postgres(engine: Engine, probe: Probe) -> None:
    if not bulk.is_postgres(engine):
        pytest.skip("the async path is the Postgres ingest writer's")
    statement = bulk.insert_statement(
        probe.probe,
        columns=("name", "doc"),
        on_conflict_do_nothing=("name",),
        returning=("name",),
    )
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def write() -> list[list[tuple[Any, ...]]]:
        async with await psycopg.AsyncConnection.connect(dsn) as conn:
            results = []
            async with conn.transaction(), conn.cursor() as cursor:
                for rows in ([{"name": "a", "doc": '{"k": 1}'}], [{"name": "a", "doc": None}], []):
                    results.append(await bulk.insert_async(cursor, statement, rows))
            return results

    assert asyncio.run(write()) == [[("a",)], [], []]
    with engine.connect() as conn:
        assert [(r["name"], r["doc"]) for r in _stored(conn, probe.probe)] == [("a", {"k": 1})]
