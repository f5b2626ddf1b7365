"""Hostile input to the tracking API, generated: never a 5xx, never a half-written request.

The app under test is the real `TrackingAPI` with the real write-key resolver and the real
group-commit writer of each backend, called in-process with raw bytes (`asgi.call`), so that
about ten thousand requests fit in CI's time. After every request the rows it stored are read
back and held to the contract (docs/api.md, Responses):

- no answer is a 5xx; an error is JSON with a known `code` and a `message`;
- a refused request stores nothing, except `invalid_event`, which records exactly that event
  as rejected, with the answer's message as its reason;
- a 200 on a single route stores exactly one event; a 200 batch stores each of its items
  exactly once, as an event or as rejected; a batch of valid events stores them all;
- a request broken in one known way gets the answer that names it (`Plan.expect`).

Shrunk failures print a reproduction blob (`@reproduce_failure`).
"""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine, text

from switchboard.db.engine import make_engine, make_sessionmaker
from switchboard.ingest.app import MAX_BATCH_BYTES, TrackingAPI
from switchboard.ingest.keys import WriteKeyResolver
from switchboard.ingest.normalize import MAX_EVENT_BYTES
from switchboard.ingest.pg_writer import AsyncPostgresWriter, conninfo
from switchboard.ingest.writer import GroupCommitWriter, IngestWriter
from switchboard.sources.service import create_source, current_key
from tests.conftest import empty_postgres
from tests.hardening.asgi import Answer, call
from tests.hardening.processes import report
from tests.hardening.strategies import (
    BATCH_PATHS,
    KNOWN_CODES,
    Plan,
    Request,
    batch_plans,
    build,
    odd_plans,
    plans,
    single_plans,
    variants,
)

#: About ten thousand generated requests: a long run, in the full suite.
pytestmark = pytest.mark.system


@dataclass
class Harness:
    """The tracking API on one database, driven from one event loop for the whole module."""

    runner: asyncio.Runner
    app: TrackingAPI
    engine: Engine
    source_id: int
    write_key: str
    disabled_key: str
    last_event: int = 0
    last_rejected: int = 0
    cases: int = 0
    tests: set[str] = field(default_factory=set)

    async def send(self, request: Request) -> Answer:
        return await asyncio.wait_for(
            call(
                self.app,
                request.method,
                request.path,
                headers=request.headers,
                chunks=request.chunks,
            ),
            timeout=30,
        )

    def new_rows(self) -> tuple[list[Any], list[Any]]:
        """The events and rejections stored since the last call."""
        with self.engine.connect() as conn:
            events = conn.execute(
                text("SELECT id, source_id, message_id FROM events WHERE id > :i ORDER BY id"),
                {"i": self.last_event},
            ).all()
            rejected = conn.execute(
                text("SELECT id, source_id, reason FROM rejected_events WHERE id > :i ORDER BY id"),
                {"i": self.last_rejected},
            ).all()
        if events:
            self.last_event = events[-1].id
        if rejected:
            self.last_rejected = rejected[-1].id
        return list(events), list(rejected)


def _harness(database_url: str) -> Iterator[Harness]:
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        source = create_source(session, "fuzzed")
        disabled = create_source(session, "off", enabled=False)
        session.commit()
        source_id, write_key = source.id, current_key(source).key
        disabled_key = current_key(disabled).key
    runner = asyncio.Runner()
    writer: IngestWriter
    if engine.dialect.name == "postgresql":
        writer = AsyncPostgresWriter(conninfo(engine.url), writers=2)
    else:
        writer = GroupCommitWriter(engine, writers=1)
    runner.run(writer.start())
    # A cache, as in production: the database then sees one key lookup per key per TTL.
    app = TrackingAPI(resolver=WriteKeyResolver(engine, ttl=60), writer=writer)
    try:
        yield Harness(runner, app, engine, source_id, write_key, disabled_key)
    finally:
        runner.run(writer.stop())
        runner.close()
        engine.dispose()


@pytest.fixture(scope="module")
def sqlite_harness(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Harness]:
    # Commits are fully synced (make_engine); on tmpfs an fsync is free, which is what lets
    # ten thousand commits fit in CI's time. The code under test is the same.
    shm = Path("/dev/shm")  # noqa: S108 - a private directory is made inside it
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as directory:
        path = Path(directory) / "fuzz.db"
        shutil.copy(sqlite_template, path)
        yield from _harness(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def postgres_harness(postgres_migrated: str) -> Iterator[Harness]:
    empty_postgres(postgres_migrated)
    yield from _harness(postgres_migrated)


def _wire_document(request: Request) -> Any:
    """What the server read, parsed the same way; raises if the body was not a JSON object."""
    body = b"".join(request.chunks)
    encoding = dict(request.headers).get(b"content-encoding", b"").lower()
    if encoding in (b"gzip", b"x-gzip"):
        body = gzip.decompress(body)
    elif encoding == b"deflate":
        body = zlib.decompress(body)
    return orjson.loads(body)


class _Where:
    """The failure message: the plan and the answer, rendered only if an assertion fails."""

    def __init__(self, plan: Plan, answer: Answer) -> None:
        self.plan, self.answer = plan, answer

    def __str__(self) -> str:
        answer = self.answer
        return f"{self.plan!r}\n-> {answer.status} {answer.body[:300]!r}"


def check(harness: Harness, drawn: Plan) -> None:
    """Send `drawn` and each of its variants; hold every answer and the rows to the contract."""

    async def all_variants() -> None:
        for plan in variants(drawn):
            await check_one(harness, plan)

    harness.runner.run(all_variants())


async def check_one(harness: Harness, plan: Plan) -> None:
    """Send `plan` and hold the answer and the stored rows to the contract."""
    request = build(plan, harness.write_key, harness.disabled_key)
    answer = await harness.send(request)
    harness.cases += 1
    harness.tests.add(os.environ.get("PYTEST_CURRENT_TEST", "").partition(" ")[0])
    events, rejected = harness.new_rows()
    where = _Where(plan, answer)
    assert answer.status < 500, where
    code = None
    if answer.status != 200:
        document = answer.json()
        code = document["code"]
        assert document["success"] is False, where
        assert code in KNOWN_CODES, where
        assert isinstance(document["message"], str), where
        assert document["message"].strip(), where
        assert document["error"] == document["message"], where
        assert not events, f"a refused request stored events: {where}"
        if code == "invalid_event":
            assert len(rejected) == 1, where
            assert rejected[0].reason == document["message"], where
        else:
            assert not rejected, f"a refused request stored rejections: {where}"
    else:
        assert answer.body == b'{"success":true}', where
        if plan.kind == "single":
            assert len(events) == 1, where
            assert not rejected, where
            assert events[0].source_id == harness.source_id, where
            sent = request.sent
            sent_id = sent.get("messageId") if isinstance(sent, dict) else None
            if isinstance(sent_id, str) and sent_id and "\x00" not in sent_id:
                assert events[0].message_id == sent_id, where
        elif plan.kind == "batch":
            items = _wire_document(request)["batch"]
            assert len(events) + len(rejected) == len(items), (
                f"{len(items)} items became {len(events)} events and {len(rejected)} "
                f"rejections: {where}"
            )
            if plan.valid:
                reasons = [r.reason for r in rejected]
                assert not rejected, f"valid events were rejected: {reasons}"
            assert all(e.source_id == harness.source_id for e in events), where
        else:
            assert not events, where
            assert not rejected, where
    expected = {plan.expect} if plan.expect is not None else set()
    limit = MAX_BATCH_BYTES if plan.path in BATCH_PATHS else MAX_EVENT_BYTES
    if expected and request.plain_size > limit and plan.path != "/v1/m":
        # Too large wins over what is wrong inside the body; the encoding and the
        # Content-Length are judged before the body is read, and a broken gzip stream may
        # show before the limit is reached.
        early = {"unsupported_encoding", "bad_request", "payload_too_large", "invalid_encoding"}
        if plan.expect is not None and plan.expect[1] in early:
            expected.add((413, "payload_too_large"))
        else:
            expected = {(413, "payload_too_large")}
    if expected:
        assert (answer.status, code) in expected, f"expected {expected}: {where}"


_FUZZ = settings(
    deadline=None,
    database=None,  # no example database in the work tree; failures print a blob instead
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Each drawn plan is sent up to 8 ways (strategies.variants): over 10,000 requests on SQLite
# and about 1,700 on Postgres in all; see docs/reliability.md.


@settings(_FUZZ, max_examples=520)
@given(plan=single_plans())
def test_single_calls_on_sqlite(sqlite_harness: Harness, plan: Plan) -> None:
    check(sqlite_harness, plan)


@settings(_FUZZ, max_examples=520)
@given(plan=batch_plans())
def test_batches_on_sqlite(sqlite_harness: Harness, plan: Plan) -> None:
    check(sqlite_harness, plan)


@settings(_FUZZ, max_examples=2000)
@given(plan=odd_plans())
def test_odd_requests_on_sqlite(sqlite_harness: Harness, plan: Plan) -> None:
    check(sqlite_harness, plan)


def test_ten_thousand_requests_were_checked_on_sqlite(sqlite_harness: Harness) -> None:
    """The run above is as large as promised (when it ran whole, not a -k selection)."""
    if len(sqlite_harness.tests) < 3:
        pytest.skip("only part of the SQLite fuzzing ran")
    assert sqlite_harness.cases >= 10_000
    report("fuzzed tracking API on sqlite", requests=sqlite_harness.cases, server_errors=0)


@settings(_FUZZ, max_examples=300)
@given(plan=plans)
def test_everything_on_postgres(postgres_harness: Harness, plan: Plan) -> None:
    check(postgres_harness, plan)


def test_report_postgres(postgres_harness: Harness) -> None:
    if not postgres_harness.tests:
        pytest.skip("the Postgres fuzzing did not run")
    assert postgres_harness.cases >= 1000
    report("fuzzed tracking API on postgres", requests=postgres_harness.cases, server_errors=0)
