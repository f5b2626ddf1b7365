"""Profile the Switchboard server under load with py-spy (`python -m bench.ingest --profile DIR`).

Runs after the measured runs, so sampling never slows a measured figure. For each scenario
it records the server process for one wrk run (`py-spy record --format raw`, all threads,
also `--gil`: only samples holding the GIL, i.e. Python CPU) and writes the collapsed stacks
plus a summary of where the samples are: by thread, by leaf function (self) and by any frame
on the stack (inclusive).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Final

from bench.ingest.servers import Server

if TYPE_CHECKING:
    from bench.ingest.__main__ import Bench

TOP: Final = 25


def _py_spy() -> str:
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise FileNotFoundError("py-spy is not installed: .venv/bin/pip install py-spy")
    return found


def _frame_name(frame: str) -> str:
    """`func (pkg/module.py)` without the line number py-spy may append."""
    return frame.strip()


def summarize(raw: Path) -> str:
    """Self and inclusive sample shares from a py-spy raw (collapsed stacks) file."""
    threads: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        total += count
        thread, frames = (frames[0], frames[1:]) if frames[0].startswith("thread") else ("", frames)
        threads[thread] += count
        if frames:
            leaf[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    if total == 0:
        return f"{raw.name}: no samples\n"

    def table(title: str, counter: Counter[str]) -> list[str]:
        rows = [f"{title}:"]
        rows += [f"  {100 * n / total:5.1f}%  {name}" for name, n in counter.most_common(TOP)]
        return rows

    lines = [f"{raw.name}: {total} samples"]
    lines += table("by thread", threads)
    lines += table("self (leaf frame)", leaf)
    lines += table("inclusive (anywhere on the stack)", inclusive)
    return "\n".join(lines) + "\n"


def profile_switchboard(bench: Bench, server: Server, directory: Path) -> None:
    """One extra wrk run per scenario and py-spy mode, sampled; summaries into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    seconds = bench.config.duration_s
    py_spy = _py_spy()
    for scenario in ("track", "batch"):
        for mode, flags in (("all", ["--threads"]), ("gil", ["--threads", "--gil"])):
            raw = directory / f"{scenario}-{mode}.txt"
            command = [
                py_spy,
                "record",
                "--pid",
                str(server.pid),
                "--duration",
                str(max(1, round(seconds - 1))),
                "--format",
                "raw",
                "--function",
                "--output",
                str(raw),
                *flags,
            ]
            with (directory / f"{scenario}-{mode}.log").open("wb") as log:
                spy = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
                try:
                    bench.load(server, scenario, seconds, record=False, label=f"py-spy {mode}")
                finally:
                    try:
                        spy.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        spy.kill()
                        spy.wait(timeout=10)
            text = summarize(raw) if raw.exists() else f"{raw.name}: py-spy wrote nothing\n"
            (directory / f"{scenario}-{mode}-summary.txt").write_text(text)
            print(f"  py-spy {scenario}/{mode}: {directory / (scenario + '-' + mode)}-summary.txt")
