"""What one bench run measured, the targets, and the summary it prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from statistics import median
from typing import Any, Final

#: The targets from the issue (2-core machine, Postgres on the same cores).
SINGLE_RATIO_TARGET: Final = 0.6  # Switchboard single-event req/s ÷ bare ASGI req/s
SINGLE_P99_TARGET_MS: Final = 50.0
BATCH_EVENTS_TARGET: Final = 15_000.0  # events/s stored


@dataclass(frozen=True, slots=True)
class Proof:
    """Whether every event answered 200 in one wrk run is in the events table."""

    generated: int  # events in the requests wrk built (each with its own messageId)
    answered: int  # events in requests answered 200
    unanswered: int  # events in requests not answered 200 (in flight at wrk's stop, errors)
    stored: int  # generated messageIds found in the events table

    @property
    def missing(self) -> int:
        return self.generated - self.stored

    @property
    def verdict(self) -> str:
        """exact: every generated event is stored, so every 200 is; consistent: the missing
        ones could all be unanswered ones; LOST: more are missing than went unanswered."""
        if self.missing == 0:
            return "exact"
        if 0 < self.missing <= self.unanswered:
            return "consistent"
        return "LOST"


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured wrk run."""

    target: str  # "bare" | "switchboard"
    scenario: str  # "track" | "batch"
    requests_per_s: float
    events_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    timeouts: int
    cpu_server: float = 0.0  # cores busy on average during the run
    cpu_postgres: float = 0.0
    cpu_wrk: float = 0.0
    proof: Proof | None = None


@dataclass(slots=True)
class Results:
    config: dict[str, Any]
    samples: list[Sample] = field(default_factory=list)
    raw_rows_per_s: dict[str, list[float]] = field(default_factory=dict)
    table_rows: int = 0
    table_distinct: int = 0
    stored_total: int = 0

    def values(self, target: str, scenario: str, attribute: str) -> list[float]:
        return [
            float(getattr(s, attribute))
            for s in self.samples
            if s.target == target and s.scenario == scenario
        ]

    def med(self, target: str, scenario: str, attribute: str) -> float:
        values = self.values(target, scenario, attribute)
        return median(values) if values else 0.0

    def proofs(self) -> list[Proof]:
        return [s.proof for s in self.samples if s.proof is not None]

    @property
    def proof_ok(self) -> bool:
        return (
            all(p.verdict != "LOST" for p in self.proofs())
            and self.table_rows == self.table_distinct
            and self.table_rows == self.stored_total
        )

    def checks(self) -> list[tuple[str, str, bool]]:
        """(target, measured, passed) for each target of the issue."""
        bare = self.med("bare", "track", "requests_per_s")
        single = self.med("switchboard", "track", "requests_per_s")
        ratio = single / bare if bare else 0.0
        p99 = self.med("switchboard", "track", "p99_ms")
        batch = self.med("switchboard", "batch", "events_per_s")
        proofs = self.proofs()
        answered = sum(p.answered for p in proofs)
        stored = sum(p.stored for p in proofs)
        generated = sum(p.generated for p in proofs)
        missing = sum(p.missing for p in proofs)
        unanswered = sum(p.unanswered for p in proofs)
        return [
            (
                f"single events >= {SINGLE_RATIO_TARGET:.1f}x bare ASGI",
                f"{ratio:.2f}x ({single:,.0f} / {bare:,.0f} req/s)",
                ratio >= SINGLE_RATIO_TARGET,
            ),
            (
                f"single-event p99 <= {SINGLE_P99_TARGET_MS:.0f} ms",
                f"{p99:.1f} ms",
                0 < p99 <= SINGLE_P99_TARGET_MS,
            ),
            (
                f"batch >= {BATCH_EVENTS_TARGET:,.0f} events/s stored",
                f"{batch:,.0f} events/s",
                batch >= BATCH_EVENTS_TARGET,
            ),
            (
                "every 200-answered event stored (unique messageIds)",
                f"{answered:,} answered 200, {stored:,} of {generated:,} generated stored; "
                f"not stored {missing:,} <= {unanswered:,} never answered in every run; "
                f"events table {self.table_rows:,} rows = {self.table_distinct:,} distinct "
                f"(source, messageId) = {self.stored_total:,} found by messageId",
                self.proof_ok,
            ),
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "samples": [asdict(s) for s in self.samples],
            "raw_rows_per_s": self.raw_rows_per_s,
            "table_rows": self.table_rows,
            "table_distinct": self.table_distinct,
            "stored_total": self.stored_total,
            "checks": [{"target": t, "measured": m, "pass": ok} for t, m, ok in self.checks()],
        }


def _runs(values: list[float], digits: int = 0) -> str:
    return ", ".join(f"{v:,.{digits}f}" for v in values)


def summary(results: Results) -> str:
    """The table `make bench` ends with (medians; every run in brackets)."""
    lines: list[str] = []
    bare_track = results.med("bare", "track", "requests_per_s")
    bare_batch = results.med("bare", "batch", "events_per_s")
    raw = {name: median(v) for name, v in results.raw_rows_per_s.items() if v}
    raw_events = raw.get("raw_events", 0.0)

    def row(name: str, value: float, unit: str, runs: list[float], vs: str = "") -> None:
        lines.append(f"| {name} | {value:,.0f} {unit} | {vs} | {_runs(runs)} |")

    def ratio(value: float, base: float) -> str:
        return f"{value / base:.2f}x" if base else "-"

    lines.append("| measurement | median | vs baseline | runs |")
    lines.append("|---|---:|---:|---|")
    row(
        "bare ASGI, single event",
        bare_track,
        "req/s",
        results.values("bare", "track", "requests_per_s"),
    )
    sb_track = results.med("switchboard", "track", "requests_per_s")
    row(
        "Switchboard POST /v1/track",
        sb_track,
        "req/s",
        results.values("switchboard", "track", "requests_per_s"),
        f"{ratio(sb_track, bare_track)} of bare",
    )
    for target, label in (("bare", "bare ASGI"), ("switchboard", "Switchboard /v1/track")):
        p99s = results.values(target, "track", "p99_ms")
        p50s = results.values(target, "track", "p50_ms")
        lines.append(
            f"| {label} latency p50 / p99 | {median(p50s) if p50s else 0:.1f} / "
            f"{median(p99s) if p99s else 0:.1f} ms | | p99: {_runs(p99s, 1)} |"
        )
    row(
        "bare ASGI, batch of 100",
        bare_batch,
        "events/s",
        results.values("bare", "batch", "events_per_s"),
    )
    sb_batch = results.med("switchboard", "batch", "events_per_s")
    row(
        "Switchboard POST /v1/batch (stored)",
        sb_batch,
        "events/s",
        results.values("switchboard", "batch", "events_per_s"),
        f"{ratio(sb_batch, bare_batch)} of bare; {ratio(sb_batch, raw_events)} of raw PG",
    )
    batch_p99 = results.values("switchboard", "batch", "p99_ms")
    lines.append(
        f"| Switchboard /v1/batch latency p99 | {median(batch_p99) if batch_p99 else 0:.1f} ms "
        f"| | {_runs(batch_p99, 1)} |"
    )
    labels = {
        "raw_plain": "raw Postgres insert, plain table (id, unique messageId, JSONB)",
        "raw_events": "raw Postgres insert, events-shaped table (same indexes)",
        "raw_events_text_params": (
            "… same, arrays bound as text (what the writer did before binary binding)"
        ),
    }
    for name, value in raw.items():
        row(labels.get(name, name), value, "rows/s", results.raw_rows_per_s[name])
    lines.append("")
    lines.append("| cores busy (medians) | server | Postgres | wrk |")
    lines.append("|---|---:|---:|---:|")
    for scenario in ("track", "batch"):
        for target, label in (("bare", "bare ASGI"), ("switchboard", "Switchboard")):
            if results.values(target, scenario, "cpu_server"):
                lines.append(
                    f"| {label} {scenario} | {results.med(target, scenario, 'cpu_server'):.2f} "
                    f"| {results.med(target, scenario, 'cpu_postgres'):.2f} "
                    f"| {results.med(target, scenario, 'cpu_wrk'):.2f} |"
                )
    lines.append("")
    lines.append("| target | measured | result |")
    lines.append("|---|---|---|")
    for target, measured, passed in results.checks():
        lines.append(f"| {target} | {measured} | {'PASS' if passed else 'FAIL'} |")
    return "\n".join(lines)
