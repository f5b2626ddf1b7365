"""Per-step figures from the load generator's log, the sink's records and the database;
the targets; the summary `python -m bench.e2e` prints."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final

from bench.e2e.loadgen import Request, Step, Window, parse_message_id

#: The targets from the issue (2-core machine; Postgres, Redis, the sink and the load
#: generator on the same cores as serve and the workers).
SUSTAINED_RATE: Final = 3500.0  # events/s, for SUSTAINED_SECONDS
SUSTAINED_SECONDS: Final = 60.0
P99_TARGET_S: Final = 1.0  # ingest → delivered, in the sustained step
IDLE_TARGET_PERCENT: Final = 1.0  # serve + workers together, % of one core ("≈ 0 %")
#: "Sustained": every request answered 200, the sink received at least this share of the
#: offered rate during the step (latency pushes the last ~second's events past its end),
#: and at most one second of events was still undelivered when the step ended.
SUSTAINED_DELIVERED_SHARE: Final = 0.97
SUSTAINED_ACK_SHARE: Final = 0.999
_NS: Final = 1_000_000_000


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of an ascending sequence (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True, slots=True)
class Quantiles:
    """Seconds."""

    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    max: float = 0.0
    count: int = 0
    #: Some events were not delivered by the end: their latency counts as "until the end",
    #: so each figure is a lower bound (shown with >=).
    lower_bound: bool = False

    @classmethod
    def of(cls, values: list[float], *, lower_bound: bool = False) -> Quantiles:
        values.sort()
        if not values:
            return cls()
        return cls(
            percentile(values, 0.50),
            percentile(values, 0.95),
            percentile(values, 0.99),
            values[-1],
            len(values),
            lower_bound,
        )

    def ms(self) -> str:
        if not self.count:
            return "-"
        mark = ">=" if self.lower_bound else ""
        return (
            f"{mark}{self.p50 * 1000:,.0f} / {mark}{self.p95 * 1000:,.0f} / "
            f"{mark}{self.p99 * 1000:,.0f}"
        )


@dataclass(frozen=True, slots=True)
class Backlog:
    """Taken the moment a step ended."""

    acked: int  # events answered 200 so far (whole run)
    delivered: int  # distinct messageIds at the sink so far
    unrouted: int  # events without delivery rows yet
    open_deliveries: int  # deliveries pending or retrying
    queued_jobs: int  # RQ jobs waiting

    @property
    def events(self) -> int:
        return max(0, self.acked - self.delivered)


@dataclass(slots=True)
class StepResult:
    name: str
    rate: float
    seconds: float
    offered_events: int
    acked_events: int
    failed_requests: int
    late_send_max_ms: float  # worst delay of a send behind its schedule (generator overload)
    ingest: Quantiles  # scheduled → 200 answer
    delivered_per_s: float  # distinct messageIds first reaching the sink within the step
    e2e: Quantiles  # sink arrival - request sent (events of this step)
    db: Quantiles  # deliveries.delivered_at - events.received_at
    backlog: Backlog | None
    undelivered: int  # acked, not at the sink when the bench stopped waiting
    lost: int  # … of those, not waiting in the database either: gone
    duplicates: int  # extra arrivals of this step's messageIds
    cores: dict[str, float] = field(default_factory=dict)  # busy cores during the step

    @property
    def offered_per_s(self) -> float:
        return self.offered_events / self.seconds if self.seconds else 0.0

    @property
    def acked_share(self) -> float:
        return self.acked_events / self.offered_events if self.offered_events else 0.0


@dataclass(slots=True)
class Arrivals:
    """The sink's records reduced: first arrival per messageId, and duplicates per step."""

    first_ns: dict[str, int]
    duplicates_by_step: dict[int, int]
    foreign: int  # records whose messageId this bench did not make

    @classmethod
    def of(cls, ids: Sequence[str], t_ns: Sequence[int], tag: str) -> Arrivals:
        first: dict[str, int] = {}
        duplicates: dict[int, int] = {}
        foreign = 0
        for message_id, arrived in zip(ids, t_ns, strict=True):
            parsed = parse_message_id(message_id)
            if parsed is None or parsed[0] != tag:
                foreign += 1
                continue
            if message_id in first:
                duplicates[parsed[1]] = duplicates.get(parsed[1], 0) + 1
            else:
                first[message_id] = arrived
        return cls(first, duplicates, foreign)


def analyse_step(
    step: Step,
    window: Window,
    requests: Sequence[Request],
    arrivals: Arrivals,
    *,
    tag: str,
    pending: set[str],
    checked_ns: int,
    backlog: Backlog | None,
    db: Quantiles,
    cores: dict[str, float],
) -> StepResult:
    """`pending`: messageIds still queued in the database when the bench stopped waiting at
    `checked_ns`; an acknowledged event neither there nor at the sink is lost."""
    mine = [r for r in requests if r.step == step.index]
    e2e: list[float] = []
    ingest: list[float] = []
    undelivered = 0
    lost = 0
    late = 0
    for request in mine:
        if request.sent_ns:
            late = max(late, request.sent_ns - request.scheduled_ns)
        if not request.ok:
            continue
        ingest.append((request.answered_ns - request.scheduled_ns) / _NS)
        for k in range(request.events):
            message_id = f"{tag}-{step.index}-{request.number}-{k}"
            arrived = arrivals.first_ns.get(message_id)
            if arrived is None:
                undelivered += 1
                lost += message_id not in pending
                arrived = checked_ns  # still on its way: at least this late
            e2e.append((arrived - request.sent_ns) / _NS)
    in_window = sum(
        1 for arrived in arrivals.first_ns.values() if window.start_ns <= arrived < window.end_ns
    )
    return StepResult(
        name=step.name,
        rate=step.rate,
        seconds=window.seconds,
        offered_events=sum(r.events for r in mine),
        acked_events=sum(r.events for r in mine if r.ok),
        failed_requests=sum(1 for r in mine if not r.ok),
        late_send_max_ms=late / 1e6,
        ingest=Quantiles.of(ingest),
        delivered_per_s=in_window / window.seconds if window.seconds else 0.0,
        e2e=Quantiles.of(e2e, lower_bound=undelivered > 0),
        db=db if not undelivered else replace(db, lower_bound=True),
        backlog=backlog,
        undelivered=undelivered,
        lost=lost,
        duplicates=arrivals.duplicates_by_step.get(step.index, 0),
        cores=cores,
    )


@dataclass(frozen=True, slots=True)
class Idle:
    """CPU of serve and the workers (and, for reference, Postgres and Redis) with no load."""

    when: str  # "before the load" | "after the run"
    seconds: float
    percent: dict[str, float]  # serve, worker-N: % of one core
    other: dict[str, float]  # postgres, redis
    backlog: int  # events still being delivered meanwhile (0: really idle)

    @property
    def total(self) -> float:
        return sum(self.percent.values())

    def describe(self) -> str:
        parts = ", ".join(f"{k} {v:.2f}%" for k, v in {**self.percent, **self.other}.items())
        busy = f", {self.backlog:,} events still being delivered" if self.backlog else ""
        return f"{self.when}: {self.total:.2f}% over {self.seconds:.0f} s ({parts}{busy})"


@dataclass(slots=True)
class Results:
    config: dict[str, Any]
    steps: list[StepResult] = field(default_factory=list)
    acked_total: int = 0
    delivered_total: int = 0  # distinct acked messageIds that reached the sink
    undelivered_total: int = 0  # acked, not at the sink by the end (still queued, or lost)
    lost_total: int = 0  # acked, neither at the sink nor queued in the database
    duplicates_total: int = 0
    foreign_records: int = 0
    unanswered_requests: int = 0  # cut off at the end, never answered
    drained: bool = False
    drain_s: float = 0.0
    drain_rate: float = 0.0  # events/s reaching the sink while draining, no load
    pre_sustained_drained: bool = False
    pre_sustained_drain_s: float = 0.0
    deliveries_by_status: dict[str, int] = field(default_factory=dict)
    table_stats: dict[str, dict[str, int]] = field(default_factory=dict)
    worker_errors: dict[str, int] = field(default_factory=dict)  # from the workers' logs
    idle: list[Idle] = field(default_factory=list)
    wall_s: float = 0.0

    def step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.name == name), None)

    @property
    def nothing_lost(self) -> bool:
        """No acknowledged event is gone (each is at the sink or still queued)."""
        return self.lost_total == 0

    def idle_verdict(self) -> tuple[str, bool]:
        """Idle after the run when the backlog drained; else before the load (the run left
        work behind, so "after" is not idle)."""
        after = next((i for i in self.idle if i.when == "after the run"), None)
        before = next((i for i in self.idle if i.when == "before the load"), None)
        chosen = after if after is not None and after.backlog == 0 else before
        if chosen is None:
            return "not measured", False
        judged = (
            "judged after the run"
            if chosen is after
            else "judged before the load: the run left a backlog, so after it is not idle"
        )
        text = "; ".join(i.describe() for i in self.idle)
        return f"{judged}. {text}", chosen.total <= IDLE_TARGET_PERCENT

    def checks(self) -> list[tuple[str, str, bool]]:
        """(target, measured, passed) for each target of the issue."""
        sustained = self.step("sustained")
        checks: list[tuple[str, str, bool]] = []
        if sustained is None:
            checks.append(("sustained step", "not run", False))
        else:
            backlog = sustained.backlog.events if sustained.backlog else 0
            ok = (
                sustained.rate >= SUSTAINED_RATE
                and sustained.seconds >= SUSTAINED_SECONDS * 0.99
                and sustained.acked_share >= SUSTAINED_ACK_SHARE
                and sustained.delivered_per_s >= SUSTAINED_DELIVERED_SHARE * sustained.rate
                and backlog <= sustained.rate
            )
            checks.append(
                (
                    f">= {SUSTAINED_RATE:,.0f} events/s sustained for {SUSTAINED_SECONDS:.0f} s",
                    f"{sustained.rate:,.0f}/s offered for {sustained.seconds:.0f} s: "
                    f"{100 * sustained.acked_share:.2f}% answered 200, "
                    f"{sustained.delivered_per_s:,.0f}/s delivered, "
                    f"backlog at the end {backlog:,}",
                    ok,
                )
            )
            checks.append(
                (
                    f"p99 ingest -> delivered <= {P99_TARGET_S * 1000:.0f} ms (sustained step)",
                    f"{sustained.e2e.p99 * 1000:,.0f} ms sent -> sink "
                    f"(db received_at -> delivered_at: {sustained.db.p99 * 1000:,.0f} ms)",
                    0 < sustained.e2e.p99 <= P99_TARGET_S and sustained.undelivered == 0,
                )
            )
        drained = (
            f"drained in {self.drain_s:.0f} s"
            if self.drained
            else f"NOT drained after {self.drain_s:.0f} s: {self.undelivered_total:,} still "
            "queued in the database"
        )
        checks.append(
            (
                "nothing lost (after a drain, every 200-acknowledged messageId at the sink)",
                f"{self.delivered_total:,} of {self.acked_total:,} acknowledged reached the sink "
                f"({drained}); {self.lost_total:,} lost; "
                f"{self.duplicates_total:,} duplicate arrivals",
                self.drained and self.nothing_lost and self.undelivered_total == 0,
            )
        )
        measured, passed = self.idle_verdict()
        checks.append(
            (
                f"idle CPU of serve + workers ~ 0 % (<= {IDLE_TARGET_PERCENT:g}% of a core)",
                measured,
                passed,
            )
        )
        return checks

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checks"] = [{"target": t, "measured": m, "pass": ok} for t, m, ok in self.checks()]
        return data


_CORE_COLUMNS: Final = (
    "serve",
    "workers",
    "postgres",
    "redis",
    "sink",
    "bench",
    "other",
    "machine",
)


def summary(results: Results) -> str:
    lines = [
        "| step | offered | ingest 200 | delivered at sink | e2e p50 / p95 / p99 ms "
        "| db p50 / p95 / p99 ms | backlog at end | undelivered / lost | dup |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in results.steps:
        backlog = "-"
        if s.backlog is not None:
            b = s.backlog
            backlog = (
                f"{b.events:,} (db: {b.unrouted:,} unrouted, {b.open_deliveries:,} open, "
                f"{b.queued_jobs} jobs)"
            )
        lines.append(
            f"| {s.name} | {s.offered_per_s:,.0f}/s | {s.acked_events:,} "
            f"({100 * s.acked_share:.1f}%) | {s.delivered_per_s:,.0f}/s | {s.e2e.ms()} "
            f"| {s.db.ms()} | {backlog} | {s.undelivered:,} / {s.lost:,} | {s.duplicates:,} |"
        )
    lines += [
        "",
        "| step | ingest p99 ms (scheduled -> 200) | worst late send ms | failed requests |",
        "|---|---:|---:|---:|",
    ]
    for s in results.steps:
        lines.append(
            f"| {s.name} | {s.ingest.p99 * 1000:,.0f} | {s.late_send_max_ms:,.0f} "
            f"| {s.failed_requests} |"
        )
    lines += [
        "",
        "| cores busy | " + " | ".join(_CORE_COLUMNS) + " |",
        "|---|" + "---:|" * len(_CORE_COLUMNS),
    ]
    for s in results.steps:
        cells = " | ".join(f"{s.cores.get(c, 0.0):.2f}" for c in _CORE_COLUMNS)
        lines.append(f"| {s.name} | {cells} |")
    lines += ["", _drain_line(results)]
    if results.table_stats:
        lines += [
            "",
            "| table, whole run | rows inserted | rows updated | of which HOT | dead rows now "
            "| updates per delivered event |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        delivered = max(1, results.deliveries_by_status.get("delivered", 0))
        for table, stats in results.table_stats.items():
            lines.append(
                f"| {table} | {stats['n_tup_ins']:,} | {stats['n_tup_upd']:,} "
                f"| {stats['n_tup_hot_upd']:,} | {stats['n_dead_tup']:,} "
                f"| {stats['n_tup_upd'] / delivered:.2f} |"
            )
    lines += ["", "| target | measured | result |", "|---|---|---|"]
    for target, measured, passed in results.checks():
        lines.append(f"| {target} | {measured} | {'PASS' if passed else 'FAIL'} |")
    return "\n".join(lines)


def _drain_line(results: Results) -> str:
    before = (
        f"before the sustained step the backlog drained in {results.pre_sustained_drain_s:.0f} s"
        if results.pre_sustained_drained
        else f"before the sustained step the backlog did NOT drain within "
        f"{results.pre_sustained_drain_s:.0f} s (the sustained step starts with it)"
    )
    after = (
        f"at the end: drained in {results.drain_s:.0f} s"
        if results.drained
        else f"at the end: NOT drained within {results.drain_s:.0f} s"
    )
    if results.drain_s >= 1.0:
        after += f", delivering {results.drain_rate:,.0f} events/s with no load"
    return (
        f"{before}; {after}; "
        f"deliveries by status {results.deliveries_by_status}; "
        f"{results.unanswered_requests} requests never answered; "
        f"{results.foreign_records} sink records not from this run; worker errors: "
        f"{results.worker_errors or 'none'}."
    )
