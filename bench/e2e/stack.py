"""The system under test: a Redis database, `switchboard serve`, workers and the sink.

Processes reuse `bench.ingest.servers.Server` (start in their own session, SIGINT then
SIGKILL on stop, log to a file); workers listen on no port, so they are checked through
RQ's worker registry in Redis instead of an HTTP probe.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
import redis

from bench.ingest.servers import Server, ServerError, free_port

REPO: Final = Path(__file__).resolve().parents[2]
DEFAULT_REDIS_URL: Final = "redis://127.0.0.1:6379"
REDIS_VARIABLE: Final = "SWITCHBOARD_BENCH_REDIS_URL"
_RQ_WORKERS_KEY: Final = "rq:workers"
_PROC: Final = Path("/proc")
_TICK: Final = os.sysconf("SC_CLK_TCK")


def switchboard_bin() -> str:
    beside = Path(sys.executable).with_name("switchboard")
    if not beside.exists():
        raise FileNotFoundError("the switchboard command is not installed (pip install -e .)")
    return str(beside)


def redis_base_url() -> str:
    return (os.environ.get(REDIS_VARIABLE) or DEFAULT_REDIS_URL).rstrip("/")


#: .ci/run gives the test suite Redis database 15, and the suite flushes it per test.
_CI_TEST_DB: Final = 15


def _test_db() -> int | None:
    url = os.environ.get("SWITCHBOARD_TEST_REDIS_URL", "")
    tail = url.rstrip("/").rpartition("/")[2]
    return int(tail) if tail.isdigit() else None


def claim_redis_db(base: str, requested: int | None) -> int:
    """The Redis database number to use (and flush): `requested`, else the highest-numbered
    empty one other than the test suite's (15, or that of $SWITCHBOARD_TEST_REDIS_URL), so a
    test run or an app on another number is left alone and cannot flush our queue."""
    client = redis.Redis.from_url(f"{base}/0", socket_timeout=5)
    try:
        client.ping()
        if requested is not None:
            chosen = requested
        else:
            try:
                reply: Any = client.config_get("databases")
                count = int(reply.get("databases", 16))
            except redis.RedisError:
                count = 16
            chosen = -1
            reserved = {_CI_TEST_DB, _test_db()}
            for number in range(count - 1, 0, -1):
                if number in reserved:
                    continue
                probe = redis.Redis.from_url(f"{base}/{number}", socket_timeout=5)
                try:
                    if probe.dbsize() == 0:
                        chosen = number
                        break
                finally:
                    probe.close()
            if chosen < 0:
                raise RuntimeError("no empty Redis database: pass --redis-db N (it is flushed)")
    finally:
        client.close()
    flush_redis_db(base, chosen)
    return chosen


def flush_redis_db(base: str, number: int) -> None:
    client = redis.Redis.from_url(f"{base}/{number}", socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


class Worker(Server):
    """`switchboard worker`: a Server without a port; started, not probed."""

    def __init__(
        self, name: str, argv: list[str], *, log_path: Path, env: dict[str, str], cwd: Path
    ) -> None:
        super().__init__(name, argv, port=0, log_path=log_path, env=env, cwd=cwd)

    def start(self) -> None:
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(self.env or {})},
            cwd=self.cwd,
            start_new_session=True,  # a Ctrl-C on the bench reaches us, and we stop it
        )


@dataclass(frozen=True, slots=True)
class Credentials:
    admin_token: str
    secret_key: str


def server_env(database_url: str, redis_url: str, credentials: Credentials) -> dict[str, str]:
    return {
        "SWITCHBOARD_DATABASE_URL": database_url,
        "SWITCHBOARD_REDIS_URL": redis_url,
        "SWITCHBOARD_ADMIN_TOKEN": credentials.admin_token,
        "SWITCHBOARD_SECRET_KEY": credentials.secret_key,
        "SWITCHBOARD_ALLOW_PRIVATE_DESTINATIONS": "true",
        # Plain text logs: the bench counts deadlocks from the workers' log lines.
        "SWITCHBOARD_LOG_FORMAT": "text",
    }


def new_credentials() -> Credentials:
    return Credentials(secrets.token_urlsafe(24), secrets.token_urlsafe(32))


def migrate(env: dict[str, str]) -> None:
    completed = subprocess.run(
        [switchboard_bin(), "migrate"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"switchboard migrate failed:\n{completed.stderr[-3000:]}")


@dataclass(slots=True)
class Stack:
    serve: Server
    workers: list[Worker]
    sink: Server

    def processes(self) -> dict[str, int]:
        """Name → pid of every process of ours whose CPU the bench reports."""
        named = {"serve": self.serve.pid}
        named.update({w.name: w.pid for w in self.workers})
        named["sink"] = self.sink.pid
        return named

    def check_alive(self) -> None:
        for process in (self.serve, *self.workers, self.sink):
            process.check_alive()

    def worker_errors(self) -> dict[str, int]:
        """What went wrong in the workers, from their logs: failed jobs by task, failed
        scheduler ticks, and deadlocks Postgres broke (each fails a job or a tick)."""
        counts: dict[str, int] = {}
        for worker in self.workers:
            try:
                text = worker.log_path.read_text(errors="replace")
            except OSError:
                continue
            for line in text.splitlines():
                key = None
                if "exception raised while executing (" in line:
                    key = "failed job: " + line.rpartition("(")[2].rstrip(")")
                elif "scheduler tick failed" in line:
                    key = "failed scheduler tick"
                elif line.startswith("sqlalchemy.exc.") and "DeadlockDetected" in line:
                    key = "deadlock detected"
                if key is not None:
                    counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))


def start(
    stack: contextlib.ExitStack,
    *,
    env: dict[str, str],
    workers: int,
    workdir: Path,
    redis_url: str,
) -> Stack:
    """Start sink, serve and `workers` workers; each is stopped when `stack` closes."""
    sink_port, serve_port = free_port(), free_port()
    sink = stack.enter_context(
        Server(
            "sink",
            [sys.executable, "-m", "bench.e2e.sink", "--port", str(sink_port)],
            port=sink_port,
            log_path=workdir / "sink.log",
            cwd=REPO,
            ready_path="/__ready",
        )
    )
    serve = stack.enter_context(
        Server(
            "serve",
            [switchboard_bin(), "serve", "--host", "127.0.0.1", "--port", str(serve_port)],
            port=serve_port,
            log_path=workdir / "serve.log",
            env=env,
            cwd=REPO,
        )
    )
    started: list[Worker] = []
    for n in range(workers):
        worker = Worker(
            f"worker-{n + 1}",
            [switchboard_bin(), "worker"],
            log_path=workdir / f"worker-{n + 1}.log",
            env=env,
            cwd=REPO,
        )
        stack.enter_context(worker)
        started.append(worker)
    _wait_for_workers(redis_url, started)
    return Stack(serve=serve, workers=started, sink=sink)


def _wait_for_workers(redis_url: str, workers: list[Worker], timeout_s: float = 30.0) -> None:
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for worker in workers:
                worker.check_alive()
            if client.scard(_RQ_WORKERS_KEY) >= len(workers):
                return
            time.sleep(0.1)
    finally:
        client.close()
    raise ServerError(f"{len(workers)} workers did not register with RQ within {timeout_s}s")


@dataclass(frozen=True, slots=True)
class Pipeline:
    source_id: int
    write_key: str
    destination_id: int


def configure(serve: Server, admin_token: str, hook_url: str, webhook_batch_size: int) -> Pipeline:
    """A source and a webhook destination to the sink, through the admin API."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=serve.url, headers=headers, timeout=30) as client:
        source = client.post("/api/v1/sources", json={"name": "e2e-bench"})
        source.raise_for_status()
        source_doc = source.json()
        destination = client.post(
            "/api/v1/destinations",
            json={
                "name": "e2e-sink",
                "type": "webhook",
                "settings": {
                    "urls": [hook_url],
                    "batch_size": webhook_batch_size,
                    "timeout_seconds": 5,
                },
                "source_ids": [source_doc["id"]],
            },
        )
        if destination.status_code >= 300:
            raise RuntimeError(f"creating the destination failed: {destination.text[:500]}")
        return Pipeline(
            source_id=int(source_doc["id"]),
            write_key=str(source_doc["write_key"]),
            destination_id=int(destination.json()["id"]),
        )


def _stat_seconds(stat: str) -> float:
    # After the parenthesised command name, utime and stime are fields 14 and 15 of stat.
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named pid, of all Postgres processes, of Redis and of this
    process (the bench: load generator and bookkeeping); one pass over /proc."""
    wanted = {pid: name for name, pid in pids.items()}
    seconds = dict.fromkeys([*pids, "postgres", "redis"], 0.0)
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            used = _stat_seconds(stat)
        except (OSError, ValueError, IndexError):
            continue  # it ended meanwhile
        command = stat.partition("(")[2].partition(")")[0]
        pid = int(entry.name)
        if pid in wanted:
            seconds[wanted[pid]] = used
        elif command == "postgres":
            seconds["postgres"] += used
        elif command == "redis-server":
            seconds["redis"] += used
    times = os.times()
    seconds["bench"] = times.user + times.system
    seconds["machine"] = _machine_seconds()
    return seconds


def _machine_seconds() -> float:
    """Busy CPU seconds of the whole machine (all cores), from /proc/stat."""
    try:
        fields = (_PROC / "stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    # user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    values = [int(v) for v in fields[:8]]
    return (sum(values) - values[3] - values[4]) / _TICK
