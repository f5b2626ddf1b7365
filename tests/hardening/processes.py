"""`switchboard serve` and `switchboard worker` as real processes, and a client to count with.

Each process logs to a file, so that a test can read what it said (no secrets, say) and show
the tail when something goes wrong.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ADMIN_TOKEN
from tests.hardening.services import free_port

SECRET = "hardening-test-secret-key-0123456789"
#: Recovery timings shortened from minutes to seconds (the code paths are the same).
FAST = {
    "SWITCHBOARD_DELIVERY_LEASE_SECONDS": "3",
    "SWITCHBOARD_REQUEUE_AFTER_SECONDS": "1",
    "SWITCHBOARD_UNROUTED_AFTER_SECONDS": "1",
    "SWITCHBOARD_SCHEDULER_TICK_SECONDS": "0.2",
}


def switchboard_bin() -> str:
    return str(Path(sys.executable).with_name("switchboard"))


def base_env(database_url: str, redis_url: str | None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "SWITCHBOARD_DATABASE_URL": database_url,
        "SWITCHBOARD_ADMIN_TOKEN": ADMIN_TOKEN,
        "SWITCHBOARD_SECRET_KEY": SECRET,
        "SWITCHBOARD_ALLOW_PRIVATE_DESTINATIONS": "true",
        **FAST,
        **extra,
    }
    if redis_url:
        env["SWITCHBOARD_REDIS_URL"] = redis_url
    return env


class Process:
    """One `switchboard` command, started in its own session, logging to `log`."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            assert self._process is not None
            self._process.send_signal(sig)
            self._process.wait(20)

    def stop(self) -> None:
        """SIGINT (a graceful stop), then SIGKILL if it lingers."""
        if not self.alive():
            return
        assert self._process is not None
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Stack:
    """serve (and workers) on one database; the admin and tracking clients that go with it."""

    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    serve: Process | None = None
    workers: list[Process] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_serve(self, timeout: float = 30) -> Process:
        argv = [switchboard_bin(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.serve = Process(argv, self.env, self.workdir / "serve.log").start()

        def answers() -> bool:
            assert self.serve is not None
            if not self.serve.alive():
                raise AssertionError(f"serve exited:\n{self.serve.output()[-3000:]}")
            try:
                return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, timeout, "serve to answer")
        return self.serve

    def start_worker(self) -> Process:
        name = f"worker-{len(self.workers) + 1}"
        argv = [switchboard_bin(), "worker"]
        worker = Process(argv, self.env, self.workdir / f"{name}.log").start()
        self.workers.append(worker)
        return worker

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10
        )

    def source(self, name: str = "app") -> dict[str, Any]:
        with self.admin() as admin:
            response = admin.post("/api/v1/sources", json={"name": name})
            response.raise_for_status()
            created: dict[str, Any] = response.json()
            return created

    def webhook(self, name: str, source_id: int, url: str, **settings: Any) -> dict[str, Any]:
        body = {
            "name": name,
            "type": "webhook",
            "source_ids": [source_id],
            "settings": {"urls": [url], **settings},
            # Quick retries, so recovery shows within a test.
            "retry": {"base_delay": 0.2, "max_delay": 1.0},
        }
        with self.admin() as admin:
            response = admin.post("/api/v1/destinations", json=body)
            assert response.status_code == 201, response.text
            created: dict[str, Any] = response.json()
            return created

    def logs(self) -> str:
        parts = [p.output() for p in [self.serve, *self.workers] if p is not None]
        return "\n".join(parts)

    def close(self) -> None:
        for worker in self.workers:
            worker.kill()
        if self.serve is not None:
            self.serve.stop()


@contextlib.contextmanager
def running_stack(env: dict[str, str], workdir: Path, workers: int = 0) -> Iterator[Stack]:
    workdir.mkdir(parents=True, exist_ok=True)
    stack = Stack(env, workdir)
    try:
        stack.start_serve()
        for _ in range(workers):
            stack.start_worker()
        yield stack
    finally:
        stack.close()


@dataclass
class Tally:
    """What the tracking API answered, per messageId: the acknowledged, the refused."""

    acknowledged: set[str] = field(default_factory=set)
    refused: dict[int, int] = field(default_factory=dict)  # status -> requests
    retry_after: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, response: httpx.Response | None, ids: list[str]) -> None:
        with self.lock:
            if response is None:
                self.refused[0] = self.refused.get(0, 0) + 1
            elif response.status_code == 200:
                self.acknowledged.update(ids)
            else:
                self.refused[response.status_code] = self.refused.get(response.status_code, 0) + 1
                if response.status_code == 503:
                    self.retry_after.add(response.headers.get("retry-after", ""))


class Senders:
    """Threads that post batches of new events until stopped, recording every answer."""

    def __init__(
        self,
        url: str,
        write_key: str,
        tally: Tally,
        threads: int = 3,
        batch: int = 5,
        pause: float = 0.05,
    ) -> None:
        self.url, self.write_key, self.tally, self.batch = url, write_key, tally, batch
        self.pause = pause
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, daemon=True, name=f"sender-{n}")
            for n in range(threads)
        ]
        self.sent = 0
        self.phase = "before"
        self.by_phase: dict[str, dict[str, int]] = {}

    def __enter__(self) -> Senders:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                ids = [uuid.uuid4().hex for _ in range(self.batch)]
                batch = [
                    {"type": "track", "userId": "u", "event": "E", "messageId": i} for i in ids
                ]
                phase = self.phase
                try:
                    response: httpx.Response | None = client.post(
                        self.url + "/v1/batch", json={"batch": batch}, auth=(self.write_key, "")
                    )
                except httpx.HTTPError:
                    response = None
                self.tally.record(response, ids)
                status = str(response.status_code) if response is not None else "no answer"
                with self.tally.lock:
                    counts = self.by_phase.setdefault(phase, {})
                    counts[status] = counts.get(status, 0) + 1
                    self.sent += len(ids)
                time.sleep(self.pause)


def report(scenario: str, **counts: object) -> None:
    """Print the figures a fault test ends with (shown with `pytest -s`), and append them to
    $SWITCHBOARD_RELIABILITY_REPORT when set: docs/reliability.md is made from them."""
    line = f"{scenario}: " + ", ".join(f"{name}={value}" for name, value in counts.items())
    print(line)
    path = os.environ.get("SWITCHBOARD_RELIABILITY_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def stored_ids(database_url: str, ids: set[str]) -> set[str]:
    """Which of `ids` are stored as events (any source)."""
    from sqlalchemy import select

    from switchboard.db.engine import make_engine
    from switchboard.events.models import Event

    engine = make_engine(database_url)
    try:
        found: set[str] = set()
        wanted = sorted(ids)
        with engine.connect() as conn:
            for start in range(0, len(wanted), 1000):
                chunk = wanted[start : start + 1000]
                rows = conn.execute(select(Event.message_id).where(Event.message_id.in_(chunk)))
                found.update(row[0] for row in rows)
        return found
    finally:
        engine.dispose()
