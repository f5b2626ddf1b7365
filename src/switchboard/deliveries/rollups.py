"""Per-destination outcome and latency rollups, kept by the deliver job.

Every outcome the deliver job records adds to two rows of `delivery_rollups` (written by
`deliveries/store.py`): one for its
minute and one for its hour. Event delivery (`deliveries/insights.py`) then sums at most a
few thousand rollup rows for any window up to 14 days, instead of grouping deliveries.

Latency is the time from the event's arrival (or its replay) to its delivery, kept as a
histogram: bucket `i` holds latencies in (2^((i-1)/4), 2^(i/4)] ms, so a percentile read from
it is within 19 % of the true value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.db.base import Base

MINUTE: Final = 60
HOUR: Final = 3600
SPANS: Final = (MINUTE, HOUR)
#: `latency` of rows that are not deliveries (retries and failures).
NO_LATENCY: Final = -1
#: Histogram buckets per doubling of the latency, and the last bucket (2^30 ms, ~12 days).
BUCKETS_PER_DOUBLING: Final = 4
LAST_BUCKET: Final = 120


class DeliveryRollup(Base):
    """How many outcomes of one kind a destination had in one minute or hour.

    `status` is what the delivery became: `delivered`, `retrying` or `failed`; `code` is the
    outcome's error code (`http_503`, `timeout`, …; empty when none); `latency` is the
    histogram bucket of delivered rows (`NO_LATENCY` for the others).
    """

    __tablename__ = "delivery_rollups"

    destination_id: Mapped[int] = mapped_column(
        ForeignKey("destinations.id", ondelete="CASCADE"), primary_key=True
    )
    span: Mapped[int] = mapped_column(Integer, primary_key=True)  # seconds: 60 or 3600
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch s of its start
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    latency: Mapped[int] = mapped_column(Integer, primary_key=True)
    total: Mapped[int] = mapped_column(BigInteger)


def latency_bucket(milliseconds: float) -> int:
    """The histogram bucket of a latency (ms)."""
    if milliseconds <= 1.0:
        return 0
    index = math.ceil(BUCKETS_PER_DOUBLING * math.log2(milliseconds) - 1e-9)
    return min(LAST_BUCKET, index)


def bucket_bounds(index: int) -> tuple[float, float]:
    """The latencies (ms) bucket `index` holds: (lower, upper]."""
    if index <= 0:
        return 0.0, 1.0
    return 2 ** ((index - 1) / BUCKETS_PER_DOUBLING), 2 ** (index / BUCKETS_PER_DOUBLING)


RollupKey = tuple[int, int, int, str, str, int]


def aggregate(
    destination_id: int,
    changes: Iterable[Mapping[str, Any]],
    received: Mapping[int, datetime],
) -> Counter[RollupKey]:
    """Count the deliver job's change rows into rollup rows (no database access).

    Each change is the deliver job's record of one outcome: `id` (the delivery id),
    `status`, `code`, `updated_at` and `delivered_at`; `received` maps delivery ids to the
    time their latency is measured from.
    """
    rows: Counter[RollupKey] = Counter()
    for change in changes:
        at: datetime = change["updated_at"]
        status: str = change["status"]
        latency = NO_LATENCY
        delivered_at: datetime | None = change.get("delivered_at")
        start = received.get(change["id"])
        if delivered_at is not None and start is not None:
            latency = latency_bucket((delivered_at - start).total_seconds() * 1000)
        epoch = int(at.timestamp())
        for span in SPANS:
            code = change["code"] or ""
            rows[(destination_id, span, epoch - epoch % span, status, code, latency)] += 1
    return rows
