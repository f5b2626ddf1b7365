"""Run wrk with `ingest.lua` and read the figures its done() hook prints."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

SCRIPT: Final = Path(__file__).with_name("ingest.lua")
_MARKER: Final = "BENCH-RESULT "


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed no result line."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One wrk run. Counts are requests; multiply by the batch size for events."""

    duration_s: float
    completed: int  # responses read, whatever their status
    generated: tuple[int, ...]  # requests built by request(), per wrk thread
    non_2xx: int  # wrk counts status > 399 as an error
    socket_errors: int  # connect, read and write errors
    timeouts: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    output: str

    @property
    def ok(self) -> int:
        """Requests answered 2xx (the tracking API answers only 200 on success)."""
        return self.completed - self.non_2xx

    @property
    def unanswered(self) -> int:
        """Requests built but never answered: in flight when wrk stopped, or timed out."""
        return max(0, sum(self.generated) - self.completed)

    @property
    def rate(self) -> float:
        """Requests answered 2xx per second."""
        return self.ok / self.duration_s if self.duration_s > 0 else 0.0


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk is not installed: apt-get install -y wrk (make bench does this)")
    return found


def parse(output: str) -> WrkResult:
    """Read the BENCH-RESULT line that ingest.lua's done() prints."""
    lines = [line for line in output.splitlines() if line.startswith(_MARKER)]
    if not lines:
        raise WrkError(f"wrk printed no {_MARKER.strip()} line:\n{output[-2000:]}")
    data: dict[str, Any] = json.loads(lines[-1][len(_MARKER) :])
    errors: dict[str, int] = data["errors"]
    latency: dict[str, float] = data["latency_us"]
    return WrkResult(
        duration_s=data["duration_us"] / 1e6,
        completed=int(data["requests"]),
        generated=tuple(int(n) for n in data["generated"]),
        non_2xx=int(errors["status"]),
        socket_errors=int(errors["connect"] + errors["read"] + errors["write"]),
        timeouts=int(errors["timeout"]),
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        output=output,
    )


def run(
    url: str,
    *,
    mode: str,
    prefix: str,
    authorization: str | None,
    batch_size: int,
    connections: int,
    duration_s: float,
    threads: int = 1,
    timeout_s: float = 10.0,
) -> WrkResult:
    """Load `url` (the server root) for `duration_s` and return what wrk measured."""
    command = [
        wrk_path(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(duration_s))}s",
        f"--timeout={max(1, round(timeout_s))}s",
        "--latency",
        f"--script={SCRIPT}",
        url,
        "--",
        mode,
        prefix,
        authorization or "-",
        str(batch_size),
    ]
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=duration_s + timeout_s + 30,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk did not finish: {' '.join(command)}") from exc
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise WrkError(f"wrk exited {completed.returncode}:\n{output[-2000:]}")
    return parse(output)
