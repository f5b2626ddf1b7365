"""Real `switchboard serve` and `switchboard worker` processes for the operations tests,
on the test Postgres and Redis, and a webhook receiver that notes when each event arrived."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis

from tests.conftest import ADMIN_TOKEN, REDIS_URL, REQUIRE_SERVICES

SECRET_KEY = "ops-test-secret-key-0123456789abcdef"
#: How long a process may take to start on a busy 2-core machine (seconds).
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def redis_or_skip() -> str:
    if REDIS_URL is None:
        if REQUIRE_SERVICES:
            pytest.fail("SWITCHBOARD_TEST_REDIS_URL is required in CI")
        pytest.skip("set SWITCHBOARD_TEST_REDIS_URL for the multi-process tests")
    return REDIS_URL


def environment(database_url: str, redis_url: str | None, **settings: Any) -> dict[str, str]:
    """The environment of a production-shaped process; `settings` become SWITCHBOARD_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update(
        {
            "SWITCHBOARD_DATABASE_URL": database_url,
            "SWITCHBOARD_ADMIN_TOKEN": ADMIN_TOKEN,
            "SWITCHBOARD_SECRET_KEY": SECRET_KEY,
            "SWITCHBOARD_ALLOW_PRIVATE_DESTINATIONS": "true",
            "SWITCHBOARD_WRITE_KEY_CACHE_SECONDS": "0",
        }
    )
    if redis_url:
        env["SWITCHBOARD_REDIS_URL"] = redis_url
    env.update({f"SWITCHBOARD_{k.upper()}": str(v) for k, v in settings.items()})
    return env


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def stdout(self) -> str:
        return self.log_path.with_suffix(".out").read_text(errors="replace")

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, then the exit code (SIGKILL and AssertionError past `timeout`)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(10)
            raise AssertionError(
                f"{self.name} did not exit within {timeout} s of SIGTERM"
            ) from None

    def stop_gracefully(self, timeout: float = 30.0) -> None:
        """SIGTERM; assert it exits cleanly. uvicorn re-raises the SIGTERM it handled once it
        has shut down (so a supervisor sees why it ended): -15 is a clean exit of serve."""
        code = self.terminate(timeout)
        assert code in (0, -signal.SIGTERM), f"{self.name} exited with {code}"
        if "serve" in self.name:
            assert any("Application shutdown complete" in line for line in self.log_lines())

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(10)


def _spawn(name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> Process:
    """Start `switchboard ARGV`: its log (stderr) in NAME.log, its stdout in NAME.out."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log, (log_dir / f"{name}.out").open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "switchboard.cli", *argv],
            env=env,
            stdout=out,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
    return Process(name, popen, log_path)


def start_serve(name: str, env: dict[str, str], log_dir: Path, *, workers: int = 1) -> Process:
    """`switchboard serve` on a free port, returned once each server process has started."""
    port = free_port()
    process = _spawn(name, ["serve", "--port", str(port), "--workers", str(workers)], env, log_dir)
    process.port = port

    def started() -> bool:
        if process.popen.poll() is not None:
            raise AssertionError(f"{name} exited:\n" + "\n".join(process.log_lines()[-30:]))
        return sum("Application startup complete" in line for line in process.log_lines()) >= (
            workers
        )

    wait_until(started, START_TIMEOUT, f"{name} to start")
    return process


def _workers(connection: redis.Redis) -> set[str]:
    """The names of the RQ workers registered now."""
    members: Any = connection.smembers("rq:workers")
    return {m.decode() if isinstance(m, bytes) else str(m) for m in members}


def start_worker(
    name: str, env: dict[str, str], log_dir: Path, *, metrics_port: int | None = None
) -> Process:
    """`switchboard worker`, returned once it has registered with RQ."""
    connection = redis.Redis.from_url(env["SWITCHBOARD_REDIS_URL"])
    before = _workers(connection)
    argv = ["worker"] + (["--metrics-port", str(metrics_port)] if metrics_port else [])
    process = _spawn(name, argv, env, log_dir)
    process.port = metrics_port

    def registered() -> bool:
        if process.popen.poll() is not None:
            raise AssertionError(f"{name} exited:\n" + "\n".join(process.log_lines()[-30:]))
        return bool(_workers(connection) - before)

    try:
        wait_until(registered, START_TIMEOUT, f"{name} to register with RQ")
    finally:
        connection.close()
    return process


@contextlib.contextmanager
def processes() -> Iterator[list[Process]]:
    """Every process appended to the list is killed when the block ends, if still running."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for process in started:
            process.kill()


def admin(base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
    )


@dataclass
class Arrival:
    at: float  # time.monotonic()
    message_ids: list[str]


@dataclass
class Receiver:
    """A webhook endpoint that answers 200 after `delay` seconds and notes every event."""

    delay: float = 0.0
    arrivals: list[Arrival] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def message_ids(self) -> set[str]:
        with self.lock:
            return {m for a in self.arrivals for m in a.message_ids}

    def count(self) -> int:
        with self.lock:
            return sum(len(a.message_ids) for a in self.arrivals)

    @contextlib.contextmanager
    def serving(self) -> Iterator[str]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                with receiver.lock:
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.delay:
                    time.sleep(receiver.delay)
                document = orjson.loads(body)
                events = document if isinstance(document, list) else [document]
                with receiver.lock:
                    receiver.in_flight -= 1
                    receiver.arrivals.append(
                        Arrival(time.monotonic(), [e["messageId"] for e in events])
                    )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/hook"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(10)
