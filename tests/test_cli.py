"""The `switchboard` command, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: The CLI as users run it: `switchboard` subprocesses.
pytestmark = pytest.mark.system


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_env(db, {}, *args)


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


def test_destinations_types_create_list_and_replay(tmp_path: Path) -> None:
    db = tmp_path / "dest.db"
    assert run(db, "migrate").returncode == 0
    source = json.loads(run(db, "sources", "create", "web", "--json").stdout)
    types = json.loads(run(db, "destinations", "types", "--json").stdout)
    assert "webhook" in {t["type"] for t in types}

    env_key = {"SWITCHBOARD_SECRET_KEY": "cli-test-secret"}
    settings = json.dumps({"urls": ["https://hooks.example.com/x"], "shared_secret": "hush-123"})
    created = run_env(
        db,
        env_key,
        "destinations",
        "create",
        "--type",
        "webhook",
        "--name",
        "hook",
        "--source",
        str(source["id"]),
        "--settings",
        settings,
        "--json",
    )
    assert created.returncode == 0, created.stderr
    dest = json.loads(created.stdout)
    assert dest["settings"]["shared_secret"] == "**********"
    assert dest["source_ids"] == [source["id"]]
    listed = json.loads(run_env(db, env_key, "destinations", "list", "--json").stdout)
    assert [d["name"] for d in listed] == ["hook"]
    assert "hush-123" not in run_env(db, env_key, "destinations", "list").stdout

    bad = run_env(
        db,
        env_key,
        "destinations",
        "create",
        "--type",
        "webhook",
        "--name",
        "x",
        "--settings",
        "{not json",
    )
    assert bad.returncode == 2
    assert "not valid JSON" in bad.stderr
    private = run_env(
        db,
        env_key,
        "destinations",
        "create",
        "--type",
        "webhook",
        "--name",
        "p",
        "--settings",
        json.dumps({"urls": ["http://127.0.0.1:1/"]}),
    )
    assert private.returncode == 1
    assert "SWITCHBOARD_ALLOW_PRIVATE_DESTINATIONS" in private.stderr

    replayed = run_env(db, env_key, "replay", "--destination", str(dest["id"]), "--json")
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout) == {"queued": 0}
    missing = run_env(db, env_key, "replay", "--destination", "999")
    assert missing.returncode == 1


def test_worker_needs_redis(tmp_path: Path) -> None:
    result = run(tmp_path / "w.db", "worker")
    assert result.returncode == 1
    assert "SWITCHBOARD_REDIS_URL" in result.stderr


def run_env(db: Path, extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": f"sqlite:///{db}", **extra}
    env.pop("SWITCHBOARD_REDIS_URL", None)  # the embedded mode, whatever the caller's shell
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_mappings_list_create_update_and_delete(tmp_path: Path) -> None:
    from tests.integrations.test_plugins import install_plugin

    install_plugin()  # the echo destination, on the kit
    db = tmp_path / "mappings.db"
    key = {"SWITCHBOARD_SECRET_KEY": "cli-test-secret"}
    assert run(db, "migrate").returncode == 0
    created = run_env(
        db,
        key,
        *("destinations", "create", "--type", "echo", "--name", "e", "--json"),
        *("--settings", json.dumps({"url": "https://echo.example.com/in"})),
    )
    assert created.returncode == 0, created.stderr
    dest = str(json.loads(created.stdout)["id"])

    listed = run_env(db, key, "mappings", "list", dest)
    assert listed.returncode == 0, listed.stderr
    assert [line.split("\t")[3] for line in listed.stdout.splitlines()] == [
        "Track calls",
        "Identify calls",
    ]

    refused = run_env(
        db, key, "mappings", "create", dest, "--name", "x", "--action", "post",
        "--trigger", 'type = "track',
    )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.strip() == "trigger: unterminated string at position 7"
    unmapped = run_env(
        db, key, "mappings", "create", dest, "--name", "x", "--action", "post",
        "--mapping", "{}",
    )  # fmt: skip
    assert unmapped.returncode == 1
    assert "the required field 'body' of Post is not mapped" in unmapped.stderr

    made = run_env(
        db, key, "mappings", "create", dest, "--name", "Orders", "--action", "post",
        "--trigger", 'event = "Order Completed"',
        "--mapping", json.dumps({"body": {"id": {"@path": "$.properties.order_id"}}}),
        "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    mapping = json.loads(made.stdout)
    assert (mapping["trigger"], mapping["enabled"], mapping["position"]) == (
        'event = "Order Completed"',
        True,
        2,
    )
    off = run_env(db, key, "mappings", "update", dest, str(mapping["id"]), "--disable", "--json")
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout)["enabled"] is False
    gone = run_env(db, key, "mappings", "delete", dest, str(mapping["id"]))
    assert gone.returncode == 0, gone.stderr
    shown = run_env(db, key, "mappings", "show", dest, str(mapping["id"]))
    assert shown.returncode == 1
    assert "not found" in shown.stderr
