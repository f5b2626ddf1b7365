"""The whole pipeline, ingest → route → deliver, on both backends.

- `inline`: SQLite and the in-process executor inside the server (the embedded mode);
- `rq`: Postgres, Redis and real `switchboard worker` processes (the production shape).

Recovery timings are shortened (a few seconds instead of minutes) so that kill -9 and
FLUSHALL recoveries fit in a test; the code paths are the same.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import Engine, select

from switchboard.db.engine import make_engine
from switchboard.deliveries.models import Attempt, Delivery
from switchboard.settings import Settings
from tests.conftest import ADMIN_TOKEN, REDIS_URL, REQUIRE_SERVICES, empty_postgres
from tests.servers import RunningServer, running_server

SECRET = "pipeline-test-secret-key"
FAST = {
    "delivery_lease_seconds": 3.0,
    "requeue_after_seconds": 2.0,
    "unrouted_after_seconds": 1.0,
    "scheduler_tick_seconds": 0.2,
}


@dataclass
class Pipeline:
    kind: str
    server: RunningServer
    engine: Engine
    admin: httpx.Client
    write_key: str
    source_id: int
    env: dict[str, str]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    redis: redis.Redis | None = None

    def start_worker(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "switchboard.cli", "worker"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.workers.append(process)
        return process

    def destination(self, name: str = "hook", **body: Any) -> dict[str, Any]:
        body.setdefault("type", "webhook")
        body.setdefault("source_ids", [self.source_id])
        response = self.admin.post("/api/v1/destinations", json={"name": name, **body})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def send(self, *events: dict[str, Any]) -> None:
        response = httpx.post(
            self.server.url + "/v1/batch",
            json={"writeKey": self.write_key, "batch": list(events)},
            timeout=10,
        )
        assert response.status_code == 200, response.text

    def deliveries(self, destination_id: int | None = None) -> list[Delivery]:
        statement = select(Delivery).order_by(Delivery.id)
        if destination_id is not None:
            statement = statement.where(Delivery.destination_id == destination_id)
        with self.engine.connect() as conn:
            return [Delivery(**dict(r._mapping)) for r in conn.execute(statement)]

    def attempts(self, delivery_id: int) -> list[Attempt]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Attempt).where(Attempt.delivery_id == delivery_id).order_by(Attempt.id)
            )
            return [Attempt(**dict(r._mapping)) for r in rows]

    def wait_until(
        self, check: Callable[[], bool], timeout: float = 20.0, what: str = "condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def wait_statuses(
        self, expected: dict[str, int], destination_id: int | None = None, timeout: float = 20.0
    ) -> list[Delivery]:
        found: list[Delivery] = []

        def check() -> bool:
            nonlocal found
            found = self.deliveries(destination_id)
            counts: dict[str, int] = {}
            for d in found:
                counts[d.status] = counts.get(d.status, 0) + 1
            return counts == expected

        try:
            self.wait_until(check, timeout, f"deliveries {expected}")
        except AssertionError:
            counts: dict[str, int] = {}
            for d in found:
                counts[d.status] = counts.get(d.status, 0) + 1
            raise AssertionError(f"wanted {expected}, have {counts}") from None
        return found


@pytest.fixture(params=["inline", "rq"])
def pipeline(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Pipeline]:
    kind: str = request.param
    redis_client = None
    if kind == "inline":
        path = tmp_path / "pipeline.db"
        shutil.copy(sqlite_template, path)
        database_url = f"sqlite:///{path}"
        redis_url = None
    else:
        if REDIS_URL is None:
            if REQUIRE_SERVICES:
                pytest.fail("SWITCHBOARD_TEST_REDIS_URL is required in CI")
            pytest.skip("set SWITCHBOARD_TEST_REDIS_URL (and the database URL) for RQ tests")
        database_url = request.getfixturevalue("postgres_migrated")
        empty_postgres(database_url)
        redis_url = REDIS_URL
        redis_client = redis.Redis.from_url(redis_url)
        redis_client.flushdb()
    settings = Settings.model_validate(
        {
            "database_url": database_url,
            "redis_url": redis_url,
            "admin_token": ADMIN_TOKEN,
            "secret_key": SECRET,
            "allow_private_destinations": True,
            "write_key_cache_seconds": 0,
            **FAST,
        }
    )
    env = {
        **os.environ,
        "SWITCHBOARD_DATABASE_URL": database_url,
        "SWITCHBOARD_SECRET_KEY": SECRET,
        "SWITCHBOARD_ALLOW_PRIVATE_DESTINATIONS": "true",
        **{f"SWITCHBOARD_{k.upper()}": str(v) for k, v in FAST.items()},
    }
    if redis_url:
        env["SWITCHBOARD_REDIS_URL"] = redis_url
    with running_server(settings) as server:
        admin = httpx.Client(
            base_url=server.url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10
        )
        source = admin.post("/api/v1/sources", json={"name": "app"}).json()
        engine = make_engine(database_url)
        running = Pipeline(
            kind=kind,
            server=server,
            engine=engine,
            admin=admin,
            write_key=source["write_key"],
            source_id=source["id"],
            env=env,
            redis=redis_client,
        )
        if kind == "rq":
            running.start_worker()
        try:
            yield running
        finally:
            for worker in running.workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGKILL)
                worker.wait(10)
            admin.close()
            engine.dispose()
            if redis_client is not None:
                redis_client.flushdb()
                redis_client.close()


def track(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "userId": f"u{i}",
        "event": "Order Completed",
        "messageId": f"m{i}",
        **extra,
    }
