"""Run the end-to-end benchmark: `python -m bench.e2e [--quick]` (`make bench` runs it after
the ingest benchmark)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import signal
import tempfile
import time
from collections.abc import Coroutine, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

import psycopg
import redis.asyncio as aioredis

from bench.e2e import stack as sut
from bench.e2e.http import Pool
from bench.e2e.loadgen import LoadGenerator, Step, Window
from bench.e2e.results import (
    SUSTAINED_RATE,
    SUSTAINED_SECONDS,
    Arrivals,
    Backlog,
    Idle,
    Quantiles,
    Results,
    analyse_step,
    summary,
)
from bench.ingest import database

QUICK_VARIABLE: Final = "SWITCHBOARD_BENCH_QUICK"
TAG: Final = "e2e"  # messageIds: e2e-<step>-<request>-<k>
_POLL_S: Final = 0.25


@dataclass(frozen=True, slots=True)
class Config:
    quick: bool
    rates: tuple[float, ...]
    step_s: float
    sustained_rate: float
    sustained_s: float
    warmup_rate: float
    warmup_s: float
    batch_size: int  # events per /v1/batch request
    webhook_batch_size: int  # events per webhook request (the destination's batch_size)
    workers: int
    connections: int  # load generator's connection limit
    pre_sustained_drain_s: float  # longest wait for the backlog before the sustained step
    drain_s: float  # longest wait, at the end, for every acknowledged event to arrive
    idle_s: float
    redis_db: int | None
    profile_s: float


def _rates(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("comma-separated events/s, e.g. 1000,2000") from None
    if not values or any(not 1 <= v <= 100_000 for v in values) or len(values) > 20:
        raise argparse.ArgumentTypeError("1 to 20 rates, each 1 to 100000 events/s")
    return values


def parse_args(argv: Sequence[str] | None) -> tuple[Config, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get(QUICK_VARIABLE, "") not in ("", "0", "false"),
        help=f"short steps, a ~1.5 min smoke test (also {QUICK_VARIABLE}=1)",
    )
    parser.add_argument(
        "--rates", type=_rates, default=(1000.0, 2000.0, 3500.0, 5000.0), help="ramp, events/s"
    )
    parser.add_argument("--step-seconds", type=float, help="seconds per ramp step (default 20)")
    parser.add_argument("--sustained-rate", type=float, default=SUSTAINED_RATE)
    parser.add_argument(
        "--sustained-seconds", type=float, help=f"default {SUSTAINED_SECONDS:.0f} (quick: 15)"
    )
    parser.add_argument("--batch-size", type=int, default=100, help="events per /v1/batch")
    parser.add_argument(
        "--webhook-batch-size",
        type=int,
        default=100,
        help="events per webhook request (the destination's batch_size; 1 = one per event)",
    )
    parser.add_argument("--workers", type=int, default=2, help="switchboard worker processes")
    parser.add_argument("--connections", type=int, default=64, help="load generator's limit")
    parser.add_argument("--idle-seconds", type=float, help="default 10 (quick: 5)")
    parser.add_argument(
        "--drain-seconds", type=float, default=60.0, help="longest wait for the backlog at the end"
    )
    parser.add_argument(
        "--redis-db", type=int, help="Redis database to use and FLUSH (default: an empty one)"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="after measuring, load at the sustained rate once more under py-spy "
        "(serve, workers) and pg_stat_activity sampling; summaries into DIR",
    )
    parser.add_argument("--profile-seconds", type=float, default=10.0)
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a performance target fails too"
    )
    args = parser.parse_args(argv)
    quick: bool = args.quick

    def clamp(value: float, low: float, high: float) -> float:
        return max(low, min(value, high))

    config = Config(
        quick=quick,
        rates=args.rates,
        step_s=clamp(args.step_seconds or (5.0 if quick else 20.0), 1.0, 600.0),
        sustained_rate=clamp(args.sustained_rate, 1.0, 100_000.0),
        sustained_s=clamp(args.sustained_seconds or (15.0 if quick else 60.0), 1.0, 3600.0),
        warmup_rate=1000.0,
        warmup_s=2.0 if quick else 5.0,
        batch_size=int(clamp(args.batch_size, 1, 2500)),
        webhook_batch_size=int(clamp(args.webhook_batch_size, 1, 1000)),
        workers=int(clamp(args.workers, 1, 16)),
        connections=int(clamp(args.connections, 1, 1024)),
        pre_sustained_drain_s=30.0 if quick else 45.0,
        drain_s=clamp(args.drain_seconds, 5.0, 900.0),
        idle_s=clamp(args.idle_seconds or (5.0 if quick else 10.0), 1.0, 120.0),
        redis_db=args.redis_db,
        profile_s=clamp(args.profile_seconds, 2.0, 120.0),
    )
    return config, args


def _say(message: str) -> None:
    print(message, flush=True)


def _cores(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Busy cores per process between two `cpu_seconds` snapshots; workers also summed."""
    if seconds <= 0:
        return {}
    # Postgres backends that ended meanwhile take their CPU with them: clamp at 0.
    cores = {k: max(0.0, v - before.get(k, 0.0)) / seconds for k, v in after.items()}
    cores["workers"] = sum(v for k, v in cores.items() if k.startswith("worker-"))
    # Everything else the machine did meanwhile (another job on the box shows up here).
    ours = ("serve", "workers", "sink", "postgres", "redis", "bench")
    cores["other"] = max(0.0, cores.get("machine", 0.0) - sum(cores.get(k, 0.0) for k in ours))
    return cores


class Probe:
    """Reads progress without touching serve or the workers: the sink's counters, two
    indexed counts in Postgres, the RQ queue length."""

    def __init__(
        self,
        sink: Pool,
        pg: psycopg.AsyncConnection[tuple[object, ...]],
        queue: aioredis.Redis,
        generator: LoadGenerator,
    ) -> None:
        self.sink = sink
        self.pg = pg
        self.queue = queue
        self.generator = generator

    async def sink_stats(self) -> dict[str, int]:
        response = await self.sink.get("/__stats", timeout_s=10)
        stats: dict[str, int] = json.loads(response.body)
        return stats

    async def backlog(self) -> Backlog:
        acked = self.generator.acked_events
        stats = await self.sink_stats()
        row = await (
            await self.pg.execute(
                "SELECT (SELECT count(*) FROM route_queue), "
                "(SELECT count(*) FROM deliveries WHERE status IN ('pending', 'retrying'))"
            )
        ).fetchone()
        unrouted, open_deliveries = (int(str(v)) for v in row) if row else (0, 0)
        queued = int(await self.queue.llen("rq:queue:switchboard"))
        return Backlog(acked, stats["unique"], unrouted, open_deliveries, queued)

    async def drain(self, deadline_s: float) -> tuple[bool, float]:
        """Wait until every event stored has been delivered (or failed for good) and every
        acknowledged one reached the sink; (drained, seconds waited)."""
        started = time.monotonic()
        deadline = started + deadline_s
        while time.monotonic() < deadline:  # bounded by the deadline
            if self.generator.in_flight == 0:
                backlog = await self.backlog()
                if backlog.events == 0 and backlog.unrouted == 0 and backlog.open_deliveries == 0:
                    return True, time.monotonic() - started
            await asyncio.sleep(_POLL_S)
        return False, time.monotonic() - started


def plan(config: Config) -> list[Step]:
    steps = [Step(0, "warm-up", config.warmup_rate, config.warmup_s, measured=False)]
    for rate in config.rates:
        steps.append(Step(len(steps), f"{rate:,.0f}/s", rate, config.step_s))
    steps.append(Step(len(steps), "sustained", config.sustained_rate, config.sustained_s))
    return steps


async def _db_latency(
    pg: psycopg.AsyncConnection[tuple[object, ...]], destination_id: int
) -> dict[int, Quantiles]:
    """delivered_at - received_at per step, from the database (its clock, not ours)."""
    cursor = await pg.execute(
        "SELECT split_part(e.message_id, '-', 2)::int, "
        "percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY x.s), max(x.s), count(*) "
        "FROM deliveries d JOIN events e ON e.id = d.event_id "
        "CROSS JOIN LATERAL (SELECT extract(epoch FROM d.delivered_at - e.received_at)::float8) "
        "AS x(s) "
        "WHERE d.destination_id = %s AND d.status = 'delivered' AND e.message_id LIKE %s "
        "GROUP BY 1",
        (destination_id, f"{TAG}-%"),
    )
    found: dict[int, Quantiles] = {}
    for step, quantiles, longest, count in await cursor.fetchall():
        assert isinstance(step, int)
        assert isinstance(quantiles, list)
        p50, p95, p99 = (float(q) for q in quantiles)
        found[step] = Quantiles(p50, p95, p99, float(str(longest)), int(str(count)))
    return found


async def _deliveries_by_status(
    pg: psycopg.AsyncConnection[tuple[object, ...]],
) -> dict[str, int]:
    cursor = await pg.execute("SELECT status, count(*) FROM deliveries GROUP BY status")
    return {str(status): int(str(n)) for status, n in await cursor.fetchall()}


async def _idle(probe: Probe, pids: dict[str, int], when: str, seconds: float) -> Idle:
    """CPU of `pids` (serve, workers) over `seconds` with no load from us."""
    before = sut.cpu_seconds(pids)
    started = time.monotonic()
    await asyncio.sleep(seconds)
    after = sut.cpu_seconds(pids)
    wall = time.monotonic() - started
    percent = {k: 100 * max(0.0, after[k] - before[k]) / wall for k in pids}
    other = {
        k: 100 * max(0.0, after[k] - before[k]) / wall for k in ("postgres", "redis", "machine")
    }
    backlog = await probe.backlog()
    idle = Idle(when, wall, percent, other, backlog.events)
    _say(f"  {idle.describe()}")
    return idle


async def measure(
    config: Config,
    args: argparse.Namespace,
    stack: sut.Stack,
    pipeline: sut.Pipeline,
    db: database.BenchDatabase,
    redis_url: str,
    results: Results,
) -> None:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    authorization = "Basic " + base64.b64encode(f"{pipeline.write_key}:".encode()).decode()
    pool = Pool("127.0.0.1", stack.serve.port, config.connections)
    sink = Pool("127.0.0.1", stack.sink.port, 2)
    generator = LoadGenerator(
        pool, authorization=authorization, tag=TAG, batch_size=config.batch_size
    )
    queue = aioredis.Redis.from_url(redis_url)
    pg = await psycopg.AsyncConnection.connect(db.dsn, autocommit=True)
    try:
        probe = Probe(sink, pg, queue, generator)
        pids = {"serve": stack.serve.pid, **{w.name: w.pid for w in stack.workers}}
        _say(f"idle CPU before the load ({config.idle_s:.0f} s)")
        await asyncio.sleep(1.0)  # startup's last work (RQ registration, first scheduler tick)
        results.idle.append(await _idle(probe, pids, "before the load", config.idle_s))
        steps = await _run_steps(config, stack, generator, probe, results)
        _say(f"idle CPU after the run ({config.idle_s:.0f} s)")
        await asyncio.sleep(2.0)  # the last job's bookkeeping
        results.idle.append(await _idle(probe, pids, "after the run", config.idle_s))
        stack.check_alive()
        await _analyse(steps, generator, probe, pipeline, results)
        results.worker_errors = stack.worker_errors()
        if args.profile is not None:
            from bench.e2e.profile import profile

            _say(f"profiling at {config.sustained_rate:,.0f} events/s for {config.profile_s:.0f} s")
            digest = await profile(
                directory=args.profile,
                seconds=config.profile_s,
                rate=config.sustained_rate,
                step_index=99,
                generator=generator,
                stack=stack,
                dsn=db.dsn,
            )
            _say(digest)
            await generator.finish(30)
    finally:
        await generator.finish(5)
        pool.close()
        sink.close()
        await pg.close()
        await queue.aclose()


@dataclass(slots=True)
class Run:
    """What the steps left for the analysis, by step index."""

    steps: list[Step]
    windows: dict[int, Window]
    backlogs: dict[int, Backlog]
    cores: dict[int, dict[str, float]]


async def _run_steps(
    config: Config,
    stack: sut.Stack,
    generator: LoadGenerator,
    probe: Probe,
    results: Results,
) -> Run:
    steps = plan(config)
    pids = stack.processes()
    run = Run(steps, {}, {}, {})
    samplers: dict[int, asyncio.Task[Backlog]] = {}
    for step in steps:
        if step.index == 1 or step.name == "sustained":
            drained, waited = await probe.drain(config.pre_sustained_drain_s)
            if step.name == "sustained":
                results.pre_sustained_drained = drained
                results.pre_sustained_drain_s = waited
            _say(f"  backlog drained before {step.name}: {drained}, after {waited:.1f} s")
        before = sut.cpu_seconds(pids)
        window = await generator.run_step(step)
        # Sampled in the background, so the next step starts on time.
        samplers[step.index] = asyncio.create_task(probe.backlog())
        after = sut.cpu_seconds(pids)
        run.windows[step.index] = window
        run.cores[step.index] = _cores(before, after, window.seconds)
        stack.check_alive()
        sent = sum(r.events for r in generator.requests if r.step == step.index)
        _say(
            f"  {step.name:<10} {sent / window.seconds:>7,.0f} events/s offered for "
            f"{window.seconds:4.1f} s; cores: "
            + ", ".join(f"{k} {v:.2f}" for k, v in run.cores[step.index].items())
        )
    results.unanswered_requests = await generator.finish(30)
    run.backlogs = {index: await task for index, task in samplers.items()}
    _say("draining")
    at_start = (await probe.sink_stats())["unique"]
    results.drained, results.drain_s = await probe.drain(config.drain_s)
    at_end = (await probe.sink_stats())["unique"]
    results.drain_rate = (at_end - at_start) / results.drain_s if results.drain_s else 0.0
    _say(f"  drained: {results.drained}, after {results.drain_s:.1f} s")
    return run


_PENDING: Final = (
    "SELECT e.message_id FROM route_queue q JOIN events e ON e.id = q.event_id "
    "UNION ALL SELECT e.message_id FROM deliveries d JOIN events e ON e.id = d.event_id "
    "WHERE d.status IN ('pending', 'retrying')"
)
_TABLE_STATS: Final = (
    "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_dead_tup FROM pg_stat_user_tables "
    "WHERE relname IN ('events', 'deliveries', 'attempts') ORDER BY relname"
)


async def _analyse(
    run: Run,
    generator: LoadGenerator,
    probe: Probe,
    pipeline: sut.Pipeline,
    results: Results,
) -> None:
    pg = probe.pg
    # What is still queued, read before the sink's records: anything not queued by then has
    # been delivered (the sink saw it before the worker recorded it) or is gone.
    checked_ns = time.monotonic_ns()
    pending = {str(row[0]) for row in await (await pg.execute(_PENDING)).fetchall()}
    response = await probe.sink.get("/__records?from=0", timeout_s=120)
    records = json.loads(response.body)
    arrivals = Arrivals.of(records["ids"], records["t_ns"], TAG)
    db = await _db_latency(pg, pipeline.destination_id)
    for step in run.steps:
        results.steps.append(
            analyse_step(
                step,
                run.windows[step.index],
                generator.requests,
                arrivals,
                tag=TAG,
                pending=pending,
                checked_ns=checked_ns,
                backlog=run.backlogs.get(step.index),
                db=db.get(step.index, Quantiles()),
                cores=run.cores.get(step.index, {}),
            )
        )
    results.acked_total = sum(s.acked_events for s in results.steps)
    results.undelivered_total = sum(s.undelivered for s in results.steps)
    results.lost_total = sum(s.lost for s in results.steps)
    results.delivered_total = results.acked_total - results.undelivered_total
    results.duplicates_total = sum(arrivals.duplicates_by_step.values())
    results.foreign_records = arrivals.foreign
    results.deliveries_by_status = await _deliveries_by_status(pg)
    for name, *counts in await (await pg.execute(_TABLE_STATS)).fetchall():
        keys = ("n_tup_ins", "n_tup_upd", "n_tup_hot_upd", "n_dead_tup")
        results.table_stats[str(name)] = {k: int(str(v)) for k, v in zip(keys, counts, strict=True)}
    results.config["windows"] = {i: asdict(w) for i, w in run.windows.items()}


def run(config: Config, args: argparse.Namespace) -> int:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="switchboard-bench-e2e-"))
    results = Results(config=asdict(config))
    redis_base = sut.redis_base_url()
    redis_db: int | None = None
    db = database.create(database.base_url())
    _say(
        f"bench.e2e: ramp {', '.join(f'{r:,.0f}' for r in config.rates)} events/s x "
        f"{config.step_s:.0f} s, then {config.sustained_rate:,.0f}/s for "
        f"{config.sustained_s:.0f} s; /v1/batch of {config.batch_size}, webhook batch_size "
        f"{config.webhook_batch_size}, {config.workers} workers, {os.cpu_count()} CPUs; "
        f"logs in {workdir}"
    )
    try:
        redis_db = sut.claim_redis_db(redis_base, config.redis_db)
        redis_url = f"{redis_base}/{redis_db}"
        credentials = sut.new_credentials()
        env = sut.server_env(db.url, redis_url, credentials)
        _say(f"database {db.name}, Redis db {redis_db}: migrating")
        sut.migrate(env)
        with contextlib.ExitStack() as processes:
            stack = sut.start(
                processes, env=env, workers=config.workers, workdir=workdir, redis_url=redis_url
            )
            pipeline = sut.configure(
                stack.serve,
                credentials.admin_token,
                f"{stack.sink.url}/hook",
                config.webhook_batch_size,
            )
            _say(
                f"serve pid {stack.serve.pid}, workers "
                f"{', '.join(str(w.pid) for w in stack.workers)}, sink pid {stack.sink.pid}"
            )
            try:
                _event_loop_run(measure(config, args, stack, pipeline, db, redis_url, results))
            finally:
                signal.signal(signal.SIGTERM, _interrupt)  # the loop's handler is gone
    finally:
        if redis_db is not None:
            with contextlib.suppress(Exception):
                sut.flush_redis_db(redis_base, redis_db)
        database.drop(db)
    results.wall_s = time.monotonic() - started
    _say("")
    _say(summary(results))
    _say(
        f"\n{results.wall_s:.0f} s in all; database {db.name} dropped, Redis db {redis_db} flushed"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(results.as_dict(), indent=2, default=str) + "\n")
    if not results.nothing_lost:
        _say("FAIL: an event answered 200 is neither at the sink nor queued in the database")
        return 1
    if args.strict and not all(passed for _, _, passed in results.checks()):
        return 1
    return 0


def _event_loop_run(coroutine: Coroutine[object, object, None]) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    config, args = parse_args(argv)
    # SIGTERM too unwinds through the finally blocks: processes stopped, database dropped.
    signal.signal(signal.SIGTERM, _interrupt)
    # Ctrl-C even when started in the background by a shell that ignores SIGINT for it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return run(config, args)
    except (KeyboardInterrupt, asyncio.CancelledError):
        _say("interrupted; processes stopped, database dropped, Redis db flushed")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
