"""Structured logs: one JSON object a line, the request id, and never a secret or write key."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import httpx
import pytest
import redis

from switchboard.db.migrate import upgrade
from switchboard.observability.logging import (
    REDACTED,
    REQUEST_ID,
    JsonFormatter,
    TextFormatter,
    logging_config,
    secrets_of,
)
from switchboard.settings import Settings
from tests.conftest import ADMIN_TOKEN, empty_postgres, postgres_or_skip
from tests.ops.stack import (
    SECRET_KEY,
    Receiver,
    admin,
    environment,
    processes,
    redis_or_skip,
    start_serve,
    start_worker,
    wait_until,
)

WRITE_KEY = "wk_Zm9vYmFyYmF6cXV4MTIzNDU2"


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord(
        "switchboard.test", logging.ERROR, __file__, 1, message, args, exc_info
    )


def test_json_lines_carry_the_request_id_and_redact_secrets() -> None:
    settings = Settings(
        database_url="postgresql+psycopg://sb:dbpass-0123456@db:5432/sb",
        redis_url="redis://:redispass-0123456@redis:6379/0",
        admin_token=ADMIN_TOKEN,
        secret_key=SECRET_KEY,
    )
    formatter = JsonFormatter(secrets_of(settings))
    basic = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    try:
        raise RuntimeError(
            f'request failed: {{"writeKey": "{WRITE_KEY}", "token": "{ADMIN_TOKEN}"}}'
        )
    except RuntimeError as error:
        caught = error
    token = REQUEST_ID.set("req-1")
    try:
        lines = [
            formatter.format(_record("connecting to %s", settings.database_url)),
            formatter.format(_record("header Authorization: Basic %s", basic)),
            formatter.format(_record("header authorization=Bearer %s", ADMIN_TOKEN)),
            formatter.format(_record("GET /v1/projects/%s/settings 200", WRITE_KEY)),
            formatter.format(
                _record("POST https://u:pw-987654@api.example.com/x?api_key=k123456&a=1")
            ),
            formatter.format(_record("body %s", f"writeKey={WRITE_KEY}&x=1")),
            formatter.format(_record("send failed", exc=caught)),
            formatter.format(_record("key %s, redis %s", SECRET_KEY, settings.redis_url)),
        ]
    finally:
        REQUEST_ID.reset(token)
    for line in lines:
        document = json.loads(line)
        assert document["request_id"] == "req-1"
        assert document["level"] == "error" and document["logger"] == "switchboard.test"
        for secret in (WRITE_KEY, basic, ADMIN_TOKEN, SECRET_KEY, "dbpass-0123456", "pw-987654"):
            assert secret not in line, (secret, line)
        assert "redispass-0123456" not in line and "k123456" not in line
        assert REDACTED in line
    assert "RuntimeError" in json.loads(lines[6])["exception"]
    assert "a=1" in lines[4]  # what is not secret stays readable

    text = TextFormatter(secrets_of(settings)).format(_record("token %s", ADMIN_TOKEN))
    assert ADMIN_TOKEN not in text and REDACTED in text


def test_logging_config_routes_uvicorn_through_the_formatter() -> None:
    config = logging_config(Settings(admin_token=ADMIN_TOKEN, log_format="text"))
    assert config["formatters"]["switchboard"]["()"].endswith("TextFormatter")
    assert config["formatters"]["switchboard"]["secrets"] == [ADMIN_TOKEN]
    assert config["loggers"]["uvicorn"] == {"handlers": [], "propagate": True, "level": "INFO"}
    assert config["loggers"]["httpx"]["level"] == "WARNING"  # it logs every URL at INFO


@pytest.mark.system
def test_no_secret_reaches_the_logs_of_serve_or_worker(tmp_path: Path) -> None:
    """serve and worker at DEBUG with the access log on: every line JSON, request lines with
    their id, and none of the secrets used anywhere in the run."""
    database_url = postgres_or_skip()
    redis_url = redis_or_skip()
    redis.Redis.from_url(redis_url).flushdb()
    upgrade(database_url)
    empty_postgres(database_url)
    env = environment(
        database_url,
        redis_url,
        log_level="debug",
        access_log="true",
        unrouted_after_seconds=1,
        requeue_after_seconds=2,
        scheduler_tick_seconds=0.2,
    )
    receiver = Receiver()
    url_password, query_token, header_secret, shared = (
        "urlpass-5e3c1d",
        "querytoken-77ab",
        "headersecret-91f0",
        "sharedsecret-c0ffee",
    )
    with receiver.serving() as hook, processes() as running:
        serve = start_serve("serve", env, tmp_path)
        running.append(serve)
        worker = start_worker("worker", env, tmp_path)
        running.append(worker)
        host = hook.removeprefix("http://")
        with admin(serve.url) as api:
            source = api.post("/api/v1/sources", json={"name": "web"}).json()
            created = api.post(
                "/api/v1/destinations",
                json={
                    "name": "hook",
                    "type": "webhook",
                    "source_ids": [source["id"]],
                    "settings": {
                        "urls": [f"http://user:{url_password}@{host}?token={query_token}"],
                        "headers": {"X-Api-Key": header_secret},
                        "shared_secret": shared,
                    },
                },
            )
            assert created.status_code == 201, created.text
        write_key = source["write_key"]
        with httpx.Client(base_url=serve.url, timeout=30) as client:
            sent = [
                client.post("/v1/track", auth=(write_key, ""), json={"userId": "u", "event": "A"}),
                client.post(
                    "/v1/batch",
                    json={"writeKey": write_key, "batch": [{"type": "identify", "userId": "u"}]},
                ),
                client.get(f"/v1/projects/{write_key}/settings"),
                client.post("/v1/track", auth=("not-a-key-4242", ""), json={"event": "A"}),
            ]
        assert [r.status_code for r in sent] == [200, 200, 200, 401]
        wait_until(lambda: receiver.count() >= 2, 60, "both events delivered")
        serve.stop_gracefully()
        worker.stop_gracefully()

    demo_key = next(line.split()[-1] for line in serve.stdout().splitlines() if "write key" in line)
    secrets = [ADMIN_TOKEN, SECRET_KEY, write_key, demo_key, url_password, query_token]
    secrets += [header_secret, shared]
    for process in (serve, worker):
        lines = process.log_lines()
        assert len(lines) > 10, process.name
        for line in lines:
            document = json.loads(line)  # every line is one JSON object
            assert {"ts", "level", "logger", "message"} <= document.keys()
            for secret in secrets:
                assert secret not in line, f"{process.name} logged a secret: {line}"
    access = [json.loads(line) for line in serve.log_lines() if '"switchboard.access"' in line]
    assert {a["path"] for a in access} >= {"/v1/track", "/v1/projects/[redacted]/settings"}
    assert all(a["request_id"] for a in access)
    worker_lines = [json.loads(line) for line in worker.log_lines()]
    # At DEBUG, httpx names each request it sends: present, and without credentials.
    assert any(d["logger"] == "httpx" and "[redacted]" in d["message"] for d in worker_lines)
    assert any("job_id" in d for d in worker_lines)
