"""Dashboard logins from the command line and on first start: `switchboard users ...`
prints a password that works, and an empty database gets one login, printed once."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from switchboard.bootstrap import first_user
from switchboard.cli import main
from switchboard.db.engine import make_engine, make_sessionmaker
from switchboard.db.migrate import upgrade
from switchboard.users.service import authenticate
from tests.dashboard.conftest import dashboard_settings, login_http
from tests.servers import running_server

#: The CLI as a subprocess and a live server.
pytestmark = pytest.mark.system


def test_users_create_prints_a_password_that_logs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'users.db'}"
    upgrade(url)
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", url)

    def cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = cli("users", "create", "Ada@Example.com", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["email"] == "ada@example.com"
    assert len(record["password"]) >= 20
    code, _, err = cli("users", "create", "ada@example.com")
    assert code == 1
    assert "already exists" in err
    code, _, err = cli("users", "create", "bob@example.com", "--password-stdin", stdin="short\n")
    assert code == 1
    assert "at least 10 characters" in err
    assert cli("users", "list")[1].split() == ["1", "ada@example.com"]

    with running_server(dashboard_settings(url)) as server:
        client = login_http(server.url, "ada@example.com", record["password"])
        assert client.http.get("/sources").status_code == 200
        # A new password ends the sessions that exist.
        code, out, err = cli("users", "set-password", "ada@example.com", "--json")
        assert code == 0, err
        assert client.http.get("/sources").status_code == 303
        client.http.close()
        fresh = login_http(server.url, "ada@example.com", json.loads(out)["password"])
        assert fresh.http.get("/sources").status_code == 200
        fresh.http.close()


def test_first_start_creates_one_login_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'first.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        login = first_user(sessions)
        assert login is not None
        assert first_user(sessions) is None  # printed once, never again
        session: Session
        with sessions() as session:
            assert authenticate(session, login.email, login.password).user is not None
            assert authenticate(session, login.email, "wrong password").user is None
    finally:
        engine.dispose()
