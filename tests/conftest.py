"""Shared fixtures: a migrated database per backend, the app in-process or on a live server,
a source to send to.

Every database test runs on SQLite; with SWITCHBOARD_TEST_DATABASE_URL set it runs on
Postgres too. With SWITCHBOARD_TEST_REQUIRE_SERVICES=1 (CI) an unreachable service fails
the run instead of skipping.

Two tiers: tests marked `system` start real servers, processes, browsers or SDKs; the rest
(`pytest -m "not system"`, `make test-fast`) call the code in-process. The marks are given
here, by fixture and by folder (`pytest_collection_modifyitems`), so a new test that uses a
live server or a browser is a system test without a mark of its own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from switchboard.db.engine import make_engine, make_sessionmaker
from switchboard.db.migrate import upgrade
from switchboard.db.models import Base
from switchboard.settings import Settings
from switchboard.sources.service import create_source, current_key
from tests.browser import launch
from tests.inprocess import InProcessApp, running_app
from tests.servers import RunningServer, running_server

PG_URL = os.environ.get("SWITCHBOARD_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("SWITCHBOARD_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("SWITCHBOARD_TEST_REQUIRE_SERVICES") == "1"
BACKENDS = ["sqlite", "postgres"]
ADMIN_TOKEN = "test-admin-token-0123456789"


#: Fixtures that start something real: a uvicorn server, Chromium, a whole pipeline with
#: worker processes, private Postgres or Redis servers.
SYSTEM_FIXTURES = frozenset(
    {
        "server",
        "server_url",
        "browser",
        "live",
        "page",
        "pipeline",
        "private_postgres",
        "private_redis",
    }
)
#: Folders and files whose every test is a system test (SDKs, docker-compose, kill -9).
SYSTEM_PATHS = ("sdk/", "ops/", "hardening/test_fault_")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the system tests (see the module docstring)."""
    root = Path(__file__).parent
    for item in items:
        where = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & SYSTEM_FIXTURES or where.startswith(SYSTEM_PATHS):
            item.add_marker(pytest.mark.system)


def _tables() -> list[str]:
    """Every table in the metadata, so a new model is emptied between tests without edits."""
    return [table.name for table in Base.metadata.sorted_tables]


def postgres_or_skip() -> str:
    if PG_URL is None:
        if REQUIRE_SERVICES:
            pytest.fail("SWITCHBOARD_TEST_DATABASE_URL is required in CI")
        pytest.skip("set SWITCHBOARD_TEST_DATABASE_URL to run against Postgres")
    return PG_URL


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    url = postgres_or_skip()
    upgrade(url)
    return url


@pytest.fixture(scope="module", params=BACKENDS)
def module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> str:
    """One migrated database per test module and backend (a copy of the template on SQLite);
    `database_url` empties it before each test."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "switchboard.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_migrated")
    return url


@pytest.fixture
def database_url(module_database: str) -> str:
    """A migrated, empty database on each backend, for tests whose code opens connections
    of its own (a server, a job, a writer)."""
    empty_database(module_database)
    return module_database


def _admin_engine(url: str) -> Engine:
    """One engine per URL for the whole run, for emptying and for `tx_session`."""
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


_ENGINES: dict[str, Engine] = {}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for engine in _ENGINES.values():
        engine.dispose()


def empty_database(url: str) -> None:
    """Empty every table of the metadata and restart its ids, as `TRUNCATE … RESTART
    IDENTITY` would. With DELETE: on tables of a few rows Postgres's TRUNCATE, which swaps
    each table's files, is about twenty times slower, and this runs before most tests."""
    tables = Base.metadata.sorted_tables
    engine = _admin_engine(url)
    with engine.begin() as conn:
        for table in reversed(tables):  # children first: no foreign key is left dangling
            conn.execute(table.delete())
        if engine.dialect.name == "sqlite":
            # Ids restart by themselves (no AUTOINCREMENT), unless a table asks for it.
            found = text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
            if conn.execute(found).first() is not None:
                conn.execute(text("DELETE FROM sqlite_sequence"))
            return
        serial = [
            (t.name, t.autoincrement_column.name)
            for t in tables
            if t.autoincrement_column is not None
        ]
        conn.execute(
            text(
                "SELECT setval(s, 1, false) FROM (SELECT pg_get_serial_sequence(t, c) AS s "
                "FROM unnest(CAST(:tables AS text[]), CAST(:columns AS text[])) AS x(t, c)) "
                "AS q WHERE s IS NOT NULL"
            ),
            {"tables": [t for t, _ in serial], "columns": [c for _, c in serial]},
        )


def empty_postgres(url: str) -> None:
    """`empty_database` for the tests that hold a Postgres URL of their own."""
    empty_database(url)


def _holds_rows(engine: Engine) -> bool:
    """Whether any table of the metadata has a row (one query)."""
    probes = " OR ".join(f"EXISTS (SELECT 1 FROM {t.name})" for t in Base.metadata.sorted_tables)
    with engine.connect() as conn:
        return bool(conn.execute(text(f"SELECT {probes}")).scalar_one())


@pytest.fixture(params=BACKENDS)
def tx_session(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Session]:
    """A Session on an empty database whose every write is undone after the test, for
    tests whose code works through this one Session (it may commit).

    On Postgres, one connection's outer transaction, rolled back at the end; the Session
    joins it with a SAVEPOINT, so its commits and rollbacks end that SAVEPOINT. On SQLite,
    a copy of the template (pysqlite's own transaction handling gets SAVEPOINTs wrong unless
    the driver is reconfigured, which the code under test would then not run on).
    """
    if request.param == "sqlite":
        path = tmp_path / "switchboard.db"
        shutil.copy(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        with make_sessionmaker(engine)() as session:
            yield session
        engine.dispose()
        return
    url = request.getfixturevalue("postgres_migrated")
    engine = _admin_engine(url)
    if _holds_rows(engine):  # left by a test of the other kind
        empty_postgres(url)
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_sessionmaker(engine)() as session:
        yield session


@dataclass
class SourceRef:
    id: int
    write_key: str


@pytest.fixture
def source(session: Session) -> SourceRef:
    created = create_source(session, "Website")
    session.commit()
    return SourceRef(created.id, current_key(created).key)


@pytest.fixture
def tx_source(tx_session: Session) -> SourceRef:
    """`source` in the `tx_session`."""
    created = create_source(tx_session, "Website")
    tx_session.commit()
    return SourceRef(created.id, current_key(created).key)


def app_settings(database_url: str) -> Settings:
    """The app's settings in these tests: the admin token, a secret key, no key cache."""
    return Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        secret_key="test-secret-key-for-destination-settings",
        write_key_cache_seconds=0,
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    return app_settings(database_url)


@pytest.fixture
def server(settings: Settings) -> Iterator[RunningServer]:
    with running_server(settings) as running:
        yield running


@pytest.fixture(scope="module")
def asgi_app(module_database: str) -> Iterator[InProcessApp]:
    """The app started in this process (no server, no socket: see tests/inprocess.py), one
    per test module and backend: building an app costs more than most tests (its routers,
    its TLS contexts). Reach it through `client` or `admin`, which empty the database before
    each test. What the app keeps in memory (per-source rate limits, counters) outlives a
    test: a test that depends on it starts an app of its own with `running_app`."""
    with running_app(app_settings(module_database)) as running:
        yield running


def _app_client(request: pytest.FixtureRequest, headers: dict[str, str]) -> httpx.Client:
    """A client of the live server when the test has one (so that both talk to one app),
    else of the in-process app."""
    if "server" in request.fixturenames:
        server: RunningServer = request.getfixturevalue("server")
        return httpx.Client(base_url=server.url, timeout=10, headers=headers)
    app: InProcessApp = request.getfixturevalue("asgi_app")
    return app.client(headers=headers)


@pytest.fixture
def client(request: pytest.FixtureRequest, settings: Settings) -> Iterator[httpx.Client]:
    """An HTTP client of the app, for the tracking API. (`settings`, asked for here, puts the
    backends' parameters on the test at collection.)"""
    with _app_client(request, {}) as http:
        yield http


@pytest.fixture
def admin(request: pytest.FixtureRequest, settings: Settings) -> Iterator[httpx.Client]:
    """An HTTP client of the app with the admin token."""
    with _app_client(request, {"Authorization": f"Bearer {ADMIN_TOKEN}"}) as http:
        yield http


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium for one test module (skipped, or failed in CI, when missing).

    Not one per session: Playwright's sync API runs an event loop on the main thread while
    it is open, and `asyncio.run` in any later test would then refuse to start."""
    with launch() as chromium:
        yield chromium


@pytest.fixture
def server_url(server: RunningServer) -> str:
    return server.url
