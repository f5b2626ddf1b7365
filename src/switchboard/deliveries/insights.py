"""Event delivery for one destination over a window: summary, trends and issues.

Counts and latencies come from `delivery_rollups` (kept by the deliver job, see
`deliveries/rollups.py`), so a window of 14 days reads a few thousand rollup rows whatever
the number of deliveries. Only two things read `deliveries` itself, both bounded: the number
of deliveries waiting for a retry (at most `RETRYING_COUNT_CAP` rows) and the examples of
each issue (at most `MAX_EXAMPLES` rows, through an index of the rows that carry an error
code).

Windows (`deliveries/windows.py`) are exact to the minute: minute rows cover the window's
partial hours at both ends, hour rows the whole hours between. The shapes answered are in
`deliveries/schemas.py`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from switchboard.deliveries.models import Attempt, Delivery
from switchboard.deliveries.rollups import HOUR, MINUTE, NO_LATENCY, DeliveryRollup, bucket_bounds
from switchboard.deliveries.schemas import (
    MAX_EXAMPLES,
    RETRYING_COUNT_CAP,
    Insights,
    Issue,
    IssueExample,
    Issues,
    Latency,
    Summary,
    TrendBucket,
    Trends,
)
from switchboard.deliveries.status import Status
from switchboard.deliveries.windows import Window
from switchboard.events.models import Event


def _floor(moment: datetime, seconds: int) -> int:
    epoch = int(moment.timestamp())
    return epoch - epoch % seconds


def _in_window(destination_id: int, since: datetime, until: datetime) -> ColumnElement[bool]:
    """Rollup rows that make up [since, until], exact to the minute."""
    first_minute = _floor(since, MINUTE)
    minutes = and_(DeliveryRollup.span == MINUTE, DeliveryRollup.bucket >= first_minute)
    if (until - since).total_seconds() > HOUR:
        first_hour = -(-first_minute // HOUR) * HOUR
        last_hour = _floor(until, HOUR)
        if first_hour < last_hour:
            minutes = or_(
                and_(minutes, DeliveryRollup.bucket < first_hour),
                and_(
                    DeliveryRollup.span == HOUR,
                    DeliveryRollup.bucket >= first_hour,
                    DeliveryRollup.bucket < last_hour,
                ),
                and_(DeliveryRollup.span == MINUTE, DeliveryRollup.bucket >= last_hour),
            )
    return and_(DeliveryRollup.destination_id == destination_id, minutes)


def _percentile(histogram: dict[int, int], share: float) -> float | None:
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = share * total
    seen = 0
    for index in sorted(histogram):
        count = histogram[index]
        if seen + count >= rank:
            lower, upper = bucket_bounds(index)
            fraction = (rank - seen) / count if count else 1.0
            # Geometric inside a log-spaced bucket; the first bucket starts at 0.
            value = upper * fraction if lower <= 0 else lower * (upper / lower) ** fraction
            return round(value, 1)
        seen += count
    return round(bucket_bounds(max(histogram))[1], 1)


@dataclass(frozen=True, slots=True)
class _Span:
    destination_id: int
    window: Window
    since: datetime
    until: datetime


def _span(destination_id: int, window: Window, now: datetime | None) -> _Span:
    until = now or datetime.now(UTC)
    return _Span(destination_id, window, until - timedelta(seconds=window.seconds), until)


def _totals(session: Session, span: _Span) -> list[tuple[str, str, int, int]]:
    """(status, code, latency bucket, outcomes) summed over the window."""
    rows = session.execute(
        select(
            DeliveryRollup.status,
            DeliveryRollup.code,
            DeliveryRollup.latency,
            func.sum(DeliveryRollup.total),
        )
        .where(_in_window(span.destination_id, span.since, span.until))
        .group_by(DeliveryRollup.status, DeliveryRollup.code, DeliveryRollup.latency)
    )
    return [(status, code, latency, int(total)) for status, code, latency, total in rows]


def _retrying_now(session: Session, span: _Span) -> int:
    waiting = (
        select(Delivery.id)
        .where(
            Delivery.destination_id == span.destination_id,
            Delivery.status == Status.RETRYING,
            Delivery.updated_at >= span.since,
        )
        .limit(RETRYING_COUNT_CAP)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(waiting)) or 0)


def _summary(session: Session, span: _Span, totals: list[tuple[str, str, int, int]]) -> Summary:
    counts: dict[str, int] = defaultdict(int)
    histogram: dict[int, int] = defaultdict(int)
    for status, _code, latency, total in totals:
        counts[status] += total
        if status == Status.DELIVERED and latency != NO_LATENCY:
            histogram[latency] += total
    delivered, failed = counts[Status.DELIVERED], counts[Status.FAILED]
    finished = delivered + failed
    return Summary(
        destination_id=span.destination_id,
        window=span.window.name,
        since=span.since,
        until=span.until,
        delivered=delivered,
        failed=failed,
        retries=counts[Status.RETRYING],
        retrying=_retrying_now(session, span),
        success_rate=round(delivered / finished, 4) if finished else None,
        latency=Latency(
            p50_ms=_percentile(histogram, 0.50),
            p95_ms=_percentile(histogram, 0.95),
            samples=sum(histogram.values()),
        ),
    )


def summary(
    session: Session, destination_id: int, window: Window, *, now: datetime | None = None
) -> Summary:
    """Delivered, failed, retries, retrying, success rate and latency over the window."""
    span = _span(destination_id, window, now)
    return _summary(session, span, _totals(session, span))


def trends(
    session: Session, destination_id: int, window: Window, *, now: datetime | None = None
) -> Trends:
    """Outcomes and latency percentiles per `window.bucket_seconds`, oldest first."""
    span = _span(destination_id, window, now)
    size = window.bucket_seconds
    rows_span = MINUTE if size < HOUR else HOUR
    first, last = _floor(span.since, size), _floor(span.until, size)
    rows = session.execute(
        select(
            DeliveryRollup.bucket,
            DeliveryRollup.status,
            DeliveryRollup.latency,
            func.sum(DeliveryRollup.total),
        )
        .where(
            DeliveryRollup.destination_id == destination_id,
            DeliveryRollup.span == rows_span,
            DeliveryRollup.bucket >= first,
        )
        .group_by(DeliveryRollup.bucket, DeliveryRollup.status, DeliveryRollup.latency)
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    histograms: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for bucket, status, latency, total in rows:
        start = bucket - bucket % size
        counts[start][status] += int(total)
        if status == Status.DELIVERED and latency != NO_LATENCY:
            histograms[start][latency] += int(total)
    buckets = []
    for start in range(first, last + 1, size):
        per = counts.get(start, {})
        histogram = histograms.get(start, {})
        buckets.append(
            TrendBucket(
                start=datetime.fromtimestamp(start, UTC),
                delivered=per.get(Status.DELIVERED, 0),
                retries=per.get(Status.RETRYING, 0),
                failed=per.get(Status.FAILED, 0),
                p50_ms=_percentile(histogram, 0.50),
                p95_ms=_percentile(histogram, 0.95),
            )
        )
    return Trends(
        destination_id=destination_id,
        window=window.name,
        since=span.since,
        until=span.until,
        bucket_seconds=size,
        buckets=buckets,
    )


def _examples(
    session: Session, span: _Span, status: str, code: str, limit: int
) -> list[IssueExample]:
    if limit <= 0:
        return []
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.event_id,
            Delivery.status,
            Delivery.code,
            Delivery.reason,
            Delivery.attempts,
            Delivery.updated_at,
            Event.payload,
        )
        .join(Event, Event.id == Delivery.event_id)
        .where(
            Delivery.destination_id == span.destination_id,
            # An outcome without a code is stored with a null code (none in the index).
            Delivery.code == code if code else Delivery.code.is_(None),
            Delivery.status == status,
            Delivery.updated_at >= span.since,
        )
        .order_by(Delivery.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return []
    newest = (
        select(func.max(Attempt.id))
        .where(Attempt.delivery_id.in_([r.id for r in rows]))
        .group_by(Attempt.delivery_id)
    )
    last: dict[int, Attempt] = {
        a.delivery_id: a for a in session.scalars(select(Attempt).where(Attempt.id.in_(newest)))
    }
    examples = []
    for r in rows:
        attempt = last.get(r.id)
        examples.append(
            IssueExample(
                delivery_id=r.id,
                event_id=r.event_id,
                status=r.status,
                code=r.code,
                reason=r.reason,
                attempts=r.attempts,
                updated_at=r.updated_at,
                event=r.payload,
                attempt_at=attempt.created_at if attempt else None,
                duration_ms=attempt.duration_ms if attempt else None,
                exchanges=attempt.exchanges if attempt else [],
            )
        )
    return examples


def _issues(
    session: Session, span: _Span, totals: list[tuple[str, str, int, int]], examples: int
) -> Issues:
    grouped: dict[tuple[str, str], int] = defaultdict(int)
    for status, code, _latency, total in totals:
        if status in (Status.FAILED, Status.RETRYING):
            grouped[(status, code)] += total
    issues = []
    for (status, code), count in sorted(grouped.items(), key=lambda i: (-i[1], i[0])):
        found = _examples(session, span, status, code, min(examples, MAX_EXAMPLES))
        issues.append(
            Issue(
                status=status,
                code=code,
                reason=found[0].reason if found else None,
                count=count,
                examples=found,
            )
        )
    return Issues(
        destination_id=span.destination_id,
        window=span.window.name,
        since=span.since,
        until=span.until,
        issues=issues,
    )


def issues(
    session: Session,
    destination_id: int,
    window: Window,
    *,
    examples: int = MAX_EXAMPLES,
    now: datetime | None = None,
) -> Issues:
    """Failed and retried outcomes in the window grouped by (status, error code), most
    frequent first, each with up to `examples` (at most 20) example deliveries."""
    span = _span(destination_id, window, now)
    return _issues(session, span, _totals(session, span), examples)


def insights(
    session: Session,
    destination_id: int,
    window: Window,
    *,
    examples: int = MAX_EXAMPLES,
    now: datetime | None = None,
) -> Insights:
    """Summary, trends and issues of one window, reading the window's rollups once."""
    span = _span(destination_id, window, now)
    totals = _totals(session, span)
    return Insights(
        summary=_summary(session, span, totals),
        trends=trends(session, destination_id, window, now=span.until),
        issues=_issues(session, span, totals, examples),
    )


def by_mapping(
    session: Session, destination_id: int, window: Window, now: datetime | None = None
) -> list[tuple[int, str, int]]:
    """(mapping id, status, deliveries) for the destination's deliveries last changed within
    `window` (0: no mapping), so a destination with several actions shows each one's share.
    Read from the deliveries themselves (the rollups do not know mappings), through the
    (destination_id, updated_at) index."""
    span = _span(destination_id, window, now)
    rows = session.execute(
        select(Delivery.mapping_id, Delivery.status, func.count())
        .where(
            Delivery.destination_id == destination_id,
            Delivery.updated_at >= span.since,
            Delivery.updated_at <= span.until,
        )
        .group_by(Delivery.mapping_id, Delivery.status)
        .order_by(Delivery.mapping_id, Delivery.status)
    )
    return [(int(m), str(s), int(c)) for m, s, c in rows]
