"""`python -m bench.e2e --profile DIR`: where the time goes under the sustained rate.

After the measured run, one more stretch of load at the sustained rate; meanwhile py-spy
records `serve` and each worker (samples holding the GIL, i.e. Python on the CPU, all
threads, aggregated by function; py-spy's idle filter misses waits in C here) and the
bench samples `pg_stat_activity` every 50 ms (pg_stat_statements is not enabled), so busy
statements show up by how often they are seen running. Summaries go to DIR.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Final

import psycopg

from bench.e2e.loadgen import LoadGenerator, Step
from bench.e2e.stack import Stack, cpu_seconds
from bench.ingest.profile import summarize

_SAMPLE_PERIOD_S: Final = 0.05
_TOP: Final = 20
_PARAMS: Final = re.compile(r"\$\d+(?:\s*,\s*\$\d+)*")
_SPACES: Final = re.compile(r"\s+")
_ACTIVITY: Final = (
    "SELECT state, coalesce(wait_event_type, ''), coalesce(wait_event, ''), query "
    "FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'"
)


def _py_spy() -> str:
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise FileNotFoundError("py-spy is not installed: .venv/bin/pip install py-spy")
    return found


def normalize_query(query: str) -> str:
    """One line, parameter lists folded, cut to a readable length."""
    text = _PARAMS.sub("$n…", _SPACES.sub(" ", query).strip())
    return text[:220]


class ActivitySampler:
    """Counts (state, wait event, statement) over repeated pg_stat_activity snapshots."""

    def __init__(self) -> None:
        self.samples = 0
        self.seen: Counter[tuple[str, str, str]] = Counter()

    async def run(self, dsn: str, seconds: float) -> None:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:  # bounded by the deadline
                rows = await (await conn.execute(_ACTIVITY)).fetchall()
                self.samples += 1
                for state, wait_type, wait_event, query in rows:
                    wait = f"{wait_type}:{wait_event}" if wait_type else "cpu"
                    self.seen[(str(state), wait, normalize_query(str(query)))] += 1
                await asyncio.sleep(_SAMPLE_PERIOD_S)

    def report(self) -> str:
        if not self.samples:
            return "pg_stat_activity: no samples\n"
        lines = [
            f"pg_stat_activity: {self.samples} samples, {_SAMPLE_PERIOD_S * 1000:.0f} ms apart; "
            "'busy' = average number of backends seen in that state running that statement",
        ]
        by_state: Counter[str] = Counter()
        for (state, wait, _), n in self.seen.items():
            by_state[f"{state} / {wait}"] += n
        lines.append("by state / wait event:")
        lines += [f"  {n / self.samples:6.3f}  {key}" for key, n in by_state.most_common(_TOP)]
        lines.append("by statement:")
        for (state, wait, query), n in self.seen.most_common(_TOP):
            lines.append(f"  {n / self.samples:6.3f}  [{state}; {wait}] {query}")
        return "\n".join(lines) + "\n"


async def profile(
    *,
    directory: Path,
    seconds: float,
    rate: float,
    step_index: int,
    generator: LoadGenerator,
    stack: Stack,
    dsn: str,
) -> str:
    """Load at `rate` for `seconds` + 4 s, profiling for `seconds`; return a short digest."""
    directory.mkdir(parents=True, exist_ok=True)
    py_spy = _py_spy()
    load = asyncio.create_task(
        generator.run_step(Step(step_index, "profile", rate, seconds + 4.0, measured=False))
    )
    spies: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    sampler = ActivitySampler()
    try:
        await asyncio.sleep(2.0)
        pids = {"serve": stack.serve.pid, **{w.name: w.pid for w in stack.workers}}
        before = cpu_seconds(stack.processes())
        started = time.monotonic()
        for name, pid in pids.items():
            raw = directory / f"{name}.txt"
            log = (directory / f"{name}.log").open("wb")
            command = [
                py_spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(max(1, round(seconds))),
                "--format",
                "raw",
                "--function",
                "--threads",
                "--gil",  # only samples holding the GIL: Python CPU, not waits
                "--output",
                str(raw),
            ]
            spies[name] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), raw)
            log.close()
        await sampler.run(dsn, seconds)
        deadline = time.monotonic() + 30
        while any(p.poll() is None for p, _ in spies.values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        after = cpu_seconds(stack.processes())
        wall = time.monotonic() - started
        await load
    finally:
        for process, _ in spies.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)
        if not load.done():
            load.cancel()
    cores = {k: max(0.0, after[k] - before.get(k, 0.0)) / wall for k in after}
    digest = [
        f"profile at {rate:,.0f} events/s, {seconds:.0f} s; cores busy (py-spy itself included): "
        + ", ".join(f"{k} {v:.2f}" for k, v in cores.items())
    ]
    for name, (_, raw) in spies.items():
        text = summarize(raw) if raw.exists() else f"{raw.name}: py-spy wrote nothing\n"
        (directory / f"{name}-summary.txt").write_text(text)
        digest.append(f"--- {name} ({directory / (name + '-summary.txt')})")
        digest.append(text)
    activity = sampler.report()
    (directory / "pg_stat_activity.txt").write_text(activity)
    digest.append(f"--- Postgres ({directory / 'pg_stat_activity.txt'})")
    digest.append(activity)
    return "\n".join(digest)
