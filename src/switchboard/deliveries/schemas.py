"""Admin API shapes for deliveries and attempts, and for a destination's event delivery
(summary, trends and issues over a window, `deliveries/insights.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, Field

from switchboard.deliveries.models import Attempt, Delivery

MAX_EXAMPLES: Final = 20
#: Counting deliveries waiting for a retry stops here (shown as "at least").
RETRYING_COUNT_CAP: Final = 100_000


class AttemptOut(BaseModel):
    id: int
    created_at: datetime
    outcome: str
    code: str | None
    reason: str | None
    duration_ms: float
    exchanges: list[dict[str, Any]]

    @classmethod
    def of(cls, a: Attempt) -> AttemptOut:
        return cls(
            id=a.id,
            created_at=a.created_at,
            outcome=a.outcome,
            code=a.code,
            reason=a.reason,
            duration_ms=a.duration_ms,
            exchanges=a.exchanges,
        )


class DeliveryOut(BaseModel):
    id: int
    event_id: int
    destination_id: int
    mapping_id: int  # the destination mapping it ran (0: an adapter without mappings)
    status: str
    reason: str | None
    code: str | None
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    attempt_log: list[AttemptOut] | None = None

    @classmethod
    def of(cls, d: Delivery, attempts: list[Attempt] | None = None) -> DeliveryOut:
        return cls(
            id=d.id,
            event_id=d.event_id,
            destination_id=d.destination_id,
            mapping_id=d.mapping_id,
            status=d.status,
            reason=d.reason,
            code=d.code,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            delivered_at=d.delivered_at,
            created_at=d.created_at,
            updated_at=d.updated_at,
            attempt_log=None if attempts is None else [AttemptOut.of(a) for a in attempts],
        )


class DeliveryPage(BaseModel):
    data: list[DeliveryOut]
    next_after_id: int | None


class Latency(BaseModel):
    """Time from an event's arrival (or its replay) to its delivery, in milliseconds.

    Read from a histogram, so within about 19 % of the exact value; null without deliveries.
    """

    p50_ms: float | None
    p95_ms: float | None
    samples: int


class Summary(BaseModel):
    destination_id: int
    window: str
    since: datetime
    until: datetime
    delivered: int = Field(description="deliveries that reached the destination in the window")
    failed: int = Field(description="deliveries that failed for good in the window")
    retries: int = Field(description="tries in the window that failed and will be tried again")
    retrying: int = Field(
        description="deliveries waiting for a retry now, last tried in the window "
        f"(counted up to {RETRYING_COUNT_CAP})"
    )
    success_rate: float | None = Field(
        description="delivered / (delivered + failed), from 0 to 1; null when neither happened"
    )
    latency: Latency


class TrendBucket(BaseModel):
    start: datetime
    delivered: int
    retries: int
    failed: int
    p50_ms: float | None
    p95_ms: float | None


class Trends(BaseModel):
    """Outcomes and latency per bucket, oldest first; every bucket of the window is listed
    (the first one may begin before the window)."""

    destination_id: int
    window: str
    since: datetime
    until: datetime
    bucket_seconds: int
    buckets: list[TrendBucket]


class IssueExample(BaseModel):
    """One delivery with this issue: the event, and its last attempt's HTTP exchanges.

    Each exchange holds the request sent (`method`, `url`, `request_headers`,
    `request_body`) and the answer (`status`, `response_headers`, `response_body`) or the
    `error` instead, redacted as stored (docs/delivery.md).
    """

    delivery_id: int
    event_id: int
    status: str
    code: str | None
    reason: str | None
    attempts: int
    updated_at: datetime
    event: dict[str, Any]
    attempt_at: datetime | None
    duration_ms: float | None
    exchanges: list[dict[str, Any]]


class Issue(BaseModel):
    """Outcomes in the window with one error: `status` is `failed` (given up or refused) or
    `retrying` (will be tried again); `count` counts outcomes (a delivery tried three times
    counts three times under `retrying`). `examples` are the newest deliveries whose last
    outcome, in the window, still has this error."""

    status: str
    code: str
    reason: str | None = Field(description="the newest example's reason, for people")
    count: int
    examples: list[IssueExample]


class Issues(BaseModel):
    destination_id: int
    window: str
    since: datetime
    until: datetime
    issues: list[Issue] = Field(description="most frequent first")


class Insights(BaseModel):
    """The whole event delivery view of a destination for one window."""

    summary: Summary
    trends: Trends
    issues: Issues
