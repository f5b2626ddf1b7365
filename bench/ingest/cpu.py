"""Where the two cores went during a run: the server, Postgres and wrk, from /proc (Linux)."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_TICK: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC: Final = Path("/proc")


def _process_seconds(stat: str) -> float:
    # Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _pid_seconds(pid: int) -> float:
    try:
        return _process_seconds((_PROC / str(pid) / "stat").read_text())
    except (OSError, ValueError, IndexError):
        return 0.0


def _postgres_seconds() -> float:
    """CPU seconds of every process named postgres (the server and its backends)."""
    total = 0.0
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it ended meanwhile
        if stat.partition("(")[2].startswith("postgres)"):
            try:
                total += _process_seconds(stat)
            except (ValueError, IndexError):
                continue
    return total


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class Snapshot:
    at: float
    server: float
    postgres: float
    children: float  # finished children: wrk, once it has been waited for


@dataclass(frozen=True, slots=True)
class Usage:
    """Cores busy on average (1.0 = one core all the time)."""

    server: float
    postgres: float
    wrk: float


def snapshot(server_pid: int) -> Snapshot:
    return Snapshot(
        time.monotonic(), _pid_seconds(server_pid), _postgres_seconds(), _children_seconds()
    )


def usage(before: Snapshot, after: Snapshot) -> Usage:
    wall = after.at - before.at
    if wall <= 0:
        return Usage(0.0, 0.0, 0.0)
    # Postgres backends that ended during the run take their CPU with them: clamp at 0.
    return Usage(
        server=max(0.0, after.server - before.server) / wall,
        postgres=max(0.0, after.postgres - before.postgres) / wall,
        wrk=max(0.0, after.children - before.children) / wall,
    )
