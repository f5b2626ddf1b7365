"""The `switchboard` command, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_migrate_then_manage_sources(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    migrated = run(db, "migrate")
    assert migrated.returncode == 0, migrated.stderr

    created = run(db, "sources", "create", "Backend", "--json")
    assert created.returncode == 0, created.stderr
    source = json.loads(created.stdout)
    assert source["name"] == "Backend"

    listed = json.loads(run(db, "sources", "list", "--json").stdout)
    assert [s["write_key"] for s in listed] == [source["write_key"]]
    plain = run(db, "sources", "list").stdout
    assert source["write_key"] in plain and "Backend" in plain

    rotated = run(db, "sources", "rotate-key", str(source["id"]), "--json")
    assert rotated.returncode == 0, rotated.stderr
    after = json.loads(rotated.stdout)
    assert after["write_key"] != source["write_key"]
    assert {k["key"] for k in after["write_keys"]} == {source["write_key"], after["write_key"]}

    missing = run(db, "sources", "rotate-key", "999")
    assert missing.returncode == 1
    assert "not found" in missing.stderr


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path / "x.db", "frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_first_start_prints_credentials_that_work(tmp_path: Path) -> None:
    import time

    import httpx

    db = tmp_path / "serve.db"
    assert run(db, "migrate").returncode == 0
    port = _free_port()
    env = {
        **os.environ,
        "SWITCHBOARD_DATABASE_URL": f"sqlite:///{db}",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SWITCHBOARD_ADMIN_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "switchboard.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        found: dict[str, str] = {}
        deadline = time.monotonic() + 30
        while len(found) < 2 and time.monotonic() < deadline:
            line = process.stdout.readline()
            if "Admin API token" in line:
                found["token"] = line.split()[-1]
            if "write key" in line:
                found["key"] = line.split()[-1]
        assert set(found) == {"token", "key"}
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # wait for the port, bounded
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        sent = httpx.post(
            base + "/v1/track", json={"userId": "u", "event": "Hi"}, auth=(found["key"], "")
        )
        assert sent.status_code == 200
        listed = httpx.get(
            base + "/api/v1/events", headers={"authorization": f"Bearer {found['token']}"}
        )
        assert [e["event"] for e in listed.json()["data"]] == ["Hi"]
    finally:
        process.terminate()
        process.wait(15)
        if process.stdout is not None:
            process.stdout.close()


def test_serve_on_an_unmigrated_database_says_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path / "empty.db", "serve", "--port", str(_free_port()))
    assert result.returncode == 1
    assert "switchboard migrate" in result.stderr
