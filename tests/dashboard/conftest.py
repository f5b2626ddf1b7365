"""Fixtures for the dashboard: a server that may deliver to loopback, a user, a logged-in
browser page (1280x800) and plain HTTP sessions."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page
from sqlalchemy.orm import Session

from switchboard.db.engine import make_engine, make_sessionmaker
from switchboard.settings import Settings
from switchboard.users.service import create_user
from tests.conftest import ADMIN_TOKEN, PG_URL, empty_postgres
from tests.inprocess import InProcessApp, running_app
from tests.servers import RunningServer, running_server

EMAIL = "marketer@example.com"
PASSWORD = "correct horse battery"
#: The README's and docs' pictures. Refreshed only when asked (SWITCHBOARD_TEST_SCREENSHOTS=1),
#: so that a test run does not rewrite tracked files; otherwise they go to a temporary folder.
DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = (
    DOC_SCREENSHOTS
    if os.environ.get("SWITCHBOARD_TEST_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "switchboard-screenshots"
)
VIEWPORT = {"width": 1280, "height": 800}


def add_user(database_url: str, email: str = EMAIL, password: str = PASSWORD) -> None:
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            create_user(session, email, password)
            session.commit()
    finally:
        engine.dispose()


@pytest.fixture
def one_database(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """One migrated, empty database: Postgres when configured (the production shape), else
    SQLite. The browser tests run on one backend to stay fast; the HTTP tests run on both."""
    if PG_URL is None:
        path = tmp_path / "switchboard.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_migrated")
    empty_postgres(url)
    return url


def dashboard_settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        secret_key="test-secret-key-for-destination-settings",
        write_key_cache_seconds=0,
        allow_private_destinations=True,
        scheduler_tick_seconds=0.2,
    )


@pytest.fixture
def live(one_database: str) -> Iterator[RunningServer]:
    """The real app on loopback, with one dashboard user, for the browser tests."""
    add_user(one_database)
    with running_server(dashboard_settings(one_database)) as running:
        yield running


@pytest.fixture
def dash(one_database: str) -> Iterator[InProcessApp]:
    """The same app in-process, for the HTTP tests (the queries behind the pages are tested
    on both backends in test_feed.py)."""
    add_user(one_database)
    with running_app(dashboard_settings(one_database)) as running:
        yield running


@pytest.fixture
def db(live: RunningServer) -> Iterator[Session]:
    engine = make_engine(live.settings.database_url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def log_in(page: Page, base_url: str, email: str = EMAIL, password: str = PASSWORD) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/sources$"))


@pytest.fixture
def page(browser: Browser, live: RunningServer) -> Iterator[Page]:
    """A logged-in page at 1280x800; closed before the server stops (its event stream too)."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(5000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live.url)
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def screenshot(page: Page, name: str, focus: Locator | None = None) -> None:
    """Save what a visitor sees as <name>.png (1280x800) in `SCREENSHOTS`: the top of the
    page, or the part around `focus`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if focus is None:
        page.evaluate("window.scrollTo(0, 0)")
    else:
        focus.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@dataclass
class Browserless:
    """A logged-in HTTP client without a browser: the cookie jar and the CSRF token."""

    http: httpx.Client
    csrf: str


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def login_http(base_url: str, email: str = EMAIL, password: str = PASSWORD) -> Browserless:
    """Log in to the server at `base_url`."""
    http = httpx.Client(base_url=base_url, timeout=10, follow_redirects=False)
    return log_in_http(http, email, password)


def log_in_http(http: httpx.Client, email: str = EMAIL, password: str = PASSWORD) -> Browserless:
    """Log `http` in (it must not follow redirects)."""
    form = http.get("/login")
    match = CSRF_INPUT.search(form.text)
    assert match, form.text
    answer = http.post(
        "/login",
        data={"csrf_token": match.group(1), "email": email, "password": password, "next": "/"},
    )
    assert answer.status_code == 303, answer.text
    page = http.get("/sources")
    meta = CSRF_META.search(page.text)
    assert meta, page.text
    return Browserless(http, meta.group(1))


@pytest.fixture
def session_client(dash: InProcessApp) -> Iterator[Browserless]:
    client = log_in_http(dash.client(follow_redirects=False))
    yield client
    client.http.close()
