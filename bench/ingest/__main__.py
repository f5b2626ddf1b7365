"""Run the ingest benchmark: `python -m bench.ingest [--quick]` (what `make bench` runs)."""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from bench.e2e.stack import claim_redis_db, flush_redis_db, redis_base_url
from bench.ingest import cpu, database, rawpg, wrk
from bench.ingest.results import Proof, Results, Sample, summary
from bench.ingest.servers import Server, free_port

REPO: Final = Path(__file__).resolve().parents[2]
QUICK_VARIABLE: Final = "SWITCHBOARD_BENCH_QUICK"
SOURCE_NAME: Final = "bench"


@dataclass(frozen=True, slots=True)
class Config:
    runs: int
    duration_s: float
    warmup_s: float
    raw_duration_s: float
    connections: int
    batch_connections: int
    batch_size: int
    wrk_threads: int
    quick: bool


def parse_args(argv: Sequence[str] | None) -> tuple[Config, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get(QUICK_VARIABLE, "") not in ("", "0", "false"),
        help=f"short smoke-test durations (also {QUICK_VARIABLE}=1)",
    )
    parser.add_argument("--runs", type=int, help="measured runs per scenario (default 3)")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections, /v1/track")
    parser.add_argument("--batch-connections", type=int, default=16, help="… for /v1/batch")
    parser.add_argument("--batch-size", type=int, default=100, help="events per batch request")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="after measuring, profile the Switchboard server with py-spy under each load",
    )
    parser.add_argument(
        "--inline",
        action="store_true",
        help="serve without Redis, as `make run` does: it then also runs the route jobs itself "
        "(default: with Redis, as deployed, leaving the jobs it queues for workers)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a performance target fails too"
    )
    args = parser.parse_args(argv)
    quick: bool = args.quick
    config = Config(
        runs=max(1, min(args.runs or (1 if quick else 3), 20)),
        duration_s=max(1.0, min(args.duration or (3.0 if quick else 10.0), 300.0)),
        warmup_s=1.0 if quick else 3.0,
        raw_duration_s=2.0 if quick else 5.0,
        connections=max(1, min(args.connections, 1024)),
        batch_connections=max(1, min(args.batch_connections, 1024)),
        batch_size=max(1, min(args.batch_size, 2500)),
        wrk_threads=1,  # two cores in all: one wrk thread leaves the server its share
        quick=quick,
    )
    return config, args


def _switchboard_bin() -> str:
    beside = Path(sys.executable).with_name("switchboard")
    if beside.exists():
        return str(beside)
    found = shutil.which("switchboard")
    if found is None:
        raise FileNotFoundError("the switchboard command is not installed (pip install -e .)")
    return found


def _cli(args: list[str], env: dict[str, str]) -> str:
    completed = subprocess.run(
        [_switchboard_bin(), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"switchboard {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    return completed.stdout


def _say(message: str) -> None:
    print(message, flush=True)


class Bench:
    """One whole benchmark: owns the database, the servers and the results."""

    def __init__(self, config: Config, db: database.BenchDatabase, workdir: Path) -> None:
        self.config = config
        self.db = db
        self.workdir = workdir
        self.env = {"SWITCHBOARD_DATABASE_URL": db.url}
        self.results = Results(config=asdict(config))
        self.source_id = 0
        self.authorization = ""
        self._tag = 0

    def setup(self) -> None:
        _say(f"database {self.db.name}: migrating")
        _cli(["migrate"], self.env)
        record = json.loads(_cli(["sources", "create", SOURCE_NAME, "--json"], self.env))
        self.source_id = int(record["id"])
        key = str(record["write_key"])
        self.authorization = "Basic " + base64.b64encode(f"{key}:".encode()).decode()

    def next_prefix(self) -> str:
        self._tag += 1
        return f"r{self._tag}-"

    def raw_baseline(self) -> None:
        config = self.config
        with self.db.connect() as conn:
            rawpg.prepare(conn)
            for n in range(config.runs):
                for variant in rawpg.VARIANTS:
                    result = rawpg.run(
                        conn,
                        variant=variant,
                        source_id=self.source_id,
                        prefix=self.next_prefix(),
                        duration_s=config.raw_duration_s,
                    )
                    self.results.raw_rows_per_s.setdefault(variant, []).append(result.rate)
                    _say(f"  raw PG {variant:<22} run {n + 1}: {result.rate:>9,.0f} rows/s")
            rawpg.drop(conn)  # keep the events table alone afterwards

    def load(
        self, server: Server, scenario: str, duration_s: float, *, record: bool, label: str = ""
    ) -> Sample:
        """One wrk run against `server`; for Switchboard, also count what it stored."""
        config = self.config
        batch = scenario == "batch"
        size = config.batch_size if batch else 1
        prefix = self.next_prefix()
        before = cpu.snapshot(server.pid)
        result = wrk.run(
            server.url,
            mode=scenario,
            prefix=prefix,
            authorization=self.authorization,
            batch_size=size,
            connections=config.batch_connections if batch else config.connections,
            duration_s=duration_s,
            threads=config.wrk_threads,
        )
        used = cpu.usage(before, cpu.snapshot(server.pid))
        server.check_alive()
        proof = None
        if server.name == "switchboard":
            proof = self._prove(result, prefix, size if batch else None)
        sample = Sample(
            target=server.name,
            scenario=scenario,
            requests_per_s=result.rate,
            events_per_s=result.rate * size,
            p50_ms=result.p50_ms,
            p99_ms=result.p99_ms,
            non_2xx=result.non_2xx,
            socket_errors=result.socket_errors,
            timeouts=result.timeouts,
            cpu_server=used.server,
            cpu_postgres=used.postgres,
            cpu_wrk=used.wrk,
            proof=proof,
        )
        if record:
            self.results.samples.append(sample)
        stored = ""
        if proof is not None:
            stored = (
                f"  stored {proof.stored:,}/{proof.generated:,} generated, "
                f"{proof.answered:,} answered 200 [{proof.verdict}]"
            )
        errors = ""
        if result.non_2xx or result.socket_errors or result.timeouts:
            errors = (
                f"  non-2xx {result.non_2xx}, socket errors {result.socket_errors}, "
                f"timeouts {result.timeouts}"
            )
        _say(
            f"  {server.name:<11} {scenario:<5} {label:<7} {result.rate:>9,.0f} req/s "
            f"{sample.events_per_s:>10,.0f} events/s  p50 {result.p50_ms:6.1f} ms  "
            f"p99 {result.p99_ms:6.1f} ms  cores: server {used.server:.2f} "
            f"pg {used.postgres:.2f} wrk {used.wrk:.2f}{stored}{errors}"
        )
        return sample

    def _prove(self, result: wrk.WrkResult, prefix: str, batch_size: int | None) -> Proof:
        size = batch_size or 1
        stored = 0
        with self.db.connect() as conn:
            for tid, requests in enumerate(result.generated):
                stored += database.settle_stored(
                    conn,
                    source_id=self.source_id,
                    prefix=f"{prefix}{tid}-",
                    requests=requests,
                    batch_size=batch_size,
                )
        self.results.stored_total += stored
        return Proof(
            generated=sum(result.generated) * size,
            answered=result.ok * size,
            unanswered=(result.unanswered + result.non_2xx) * size,
            stored=stored,
        )

    def http(self, bare: Server, switchboard: Server) -> None:
        config = self.config
        for scenario in ("track", "batch"):
            _say(f"{scenario}: warm-up {config.warmup_s:.0f} s each")
            for server in (bare, switchboard):
                self.load(server, scenario, config.warmup_s, record=False, label="warm-up")
            for n in range(config.runs):
                for server in (bare, switchboard):  # interleaved: drift hits both alike
                    self.load(
                        server, scenario, config.duration_s, record=True, label=f"run {n + 1}"
                    )

    def final_counts(self) -> None:
        with self.db.connect() as conn:
            counts = database.event_counts(conn)
        self.results.table_rows = counts.rows
        self.results.table_distinct = counts.distinct_message_ids


def _servers(bench: Bench, stack: contextlib.ExitStack) -> tuple[Server, Server]:
    bare_port, sb_port = free_port(), free_port()
    bare = stack.enter_context(
        Server(
            "bare",
            [sys.executable, "-m", "bench.baseline_app", "--port", str(bare_port)],
            port=bare_port,
            log_path=bench.workdir / "bare.log",
            cwd=REPO,
        )
    )
    switchboard = stack.enter_context(
        Server(
            "switchboard",
            [
                _switchboard_bin(),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(sb_port),
                "--workers",
                "1",
            ],
            port=sb_port,
            log_path=bench.workdir / "switchboard.log",
            env=bench.env,
            cwd=REPO,
        )
    )
    return bare, switchboard


def run(config: Config, args: argparse.Namespace) -> int:
    wrk.wrk_path()  # fail before creating anything
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    db = database.create(database.base_url())
    _say(
        f"bench.ingest: {config.runs} run(s) x {config.duration_s:.0f} s per scenario, "
        f"{config.connections} connections (/v1/track), {config.batch_connections} "
        f"(/v1/batch x {config.batch_size}), wrk {config.wrk_threads} thread, "
        f"{os.cpu_count()} CPUs; logs in {workdir}"
    )
    redis_db: int | None = None
    try:
        bench = Bench(config, db, workdir)
        if not args.inline:
            # As deployed: serve queues a route job per flush into RQ and workers run them.
            # No worker runs here (bench.e2e measures the whole pipeline), so the server's
            # own work is measured; the queued jobs are flushed at the end.
            redis_db = claim_redis_db(redis_base_url(), None)
            bench.env["SWITCHBOARD_REDIS_URL"] = f"{redis_base_url()}/{redis_db}"
            _say(f"serve with Redis database {redis_db} (its jobs are not run; --inline: no Redis)")
        bench.setup()
        _say("raw Postgres insert baseline (500 rows per commit, one writer)")
        bench.raw_baseline()
        with contextlib.ExitStack() as stack:
            bare, switchboard = _servers(bench, stack)
            bench.http(bare, switchboard)
            if args.profile is not None:
                from bench.ingest.profile import profile_switchboard

                profile_switchboard(bench, switchboard, args.profile)
        bench.final_counts()
    finally:
        database.drop(db)
        if redis_db is not None:
            flush_redis_db(redis_base_url(), redis_db)
    results = bench.results
    _say("")
    _say(summary(results))
    _say(f"\n{time.monotonic() - started:.0f} s in all; database {db.name} dropped")
    if args.json is not None:
        args.json.write_text(json.dumps(results.as_dict(), indent=2) + "\n")
    if not results.proof_ok:
        _say("FAIL: an event answered 200 is missing from the events table")
        return 1
    if args.strict and not all(passed for _, _, passed in results.checks()):
        return 1
    return 0


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    config, args = parse_args(argv)
    # SIGTERM too unwinds through the finally blocks: servers stopped, database dropped.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return run(config, args)
    except KeyboardInterrupt:
        _say("interrupted; servers stopped and database dropped")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
