"""Delivery rollups on a real database (both backends): windows, buckets, percentiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from switchboard.deliveries import insights
from switchboard.deliveries.rollups import aggregate, bucket_bounds, latency_bucket
from switchboard.deliveries.status import Status
from switchboard.deliveries.store import record_outcomes
from switchboard.deliveries.windows import WINDOWS
from switchboard.destinations.models import Destination

NOW = datetime(2026, 11, 22, 12, 30, 20, tzinfo=UTC)


@pytest.fixture
def destination_id(engine: Engine) -> int:
    with Session(engine) as session:
        row = Destination(name="hook", type="webhook", settings_encrypted="-", filters={})
        session.add(row)
        session.commit()
        return row.id


def _change(
    n: int, status: str, at: datetime, code: str | None = None, latency_ms: float | None = None
) -> dict[str, Any]:
    return {
        "id": n,
        "status": status,
        "code": code,
        "updated_at": at,
        "delivered_at": at if latency_ms is not None else None,
    }


def _record(
    engine: Engine, destination_id: int, changes: list[dict[str, Any]], latencies: dict[int, float]
) -> None:
    received = {
        c["id"]: c["updated_at"] - timedelta(milliseconds=latencies[c["id"]])
        for c in changes
        if c["id"] in latencies
    }
    with engine.begin() as conn:
        record_outcomes(conn, destination_id, changes, received)


def test_latency_buckets_hold_their_latencies() -> None:
    for ms in (0.2, 1.0, 1.01, 3.7, 50, 999.9, 1000, 65_432, 3_600_000):
        lower, upper = bucket_bounds(latency_bucket(ms))
        assert lower < ms <= upper or (ms <= 1 and upper == 1)
        assert upper / max(lower, 1) <= 1.19 or lower == 0


def test_windows_are_exact_to_the_minute(engine: Engine, destination_id: int) -> None:
    changes = [
        _change(1, Status.DELIVERED, NOW - timedelta(hours=24, minutes=2), latency_ms=10),
        _change(2, Status.DELIVERED, NOW - timedelta(hours=23, minutes=58), latency_ms=10),
        _change(3, Status.FAILED, NOW - timedelta(hours=5), code="http_400"),
        _change(4, Status.RETRYING, NOW - timedelta(minutes=50), code="timeout"),
        _change(5, Status.DELIVERED, NOW - timedelta(minutes=9), latency_ms=10),
        _change(6, Status.DELIVERED, NOW - timedelta(minutes=11), latency_ms=10),
    ]
    _record(engine, destination_id, changes, {1: 10, 2: 10, 5: 10, 6: 10})
    with Session(engine) as session:

        def counts(window: str) -> tuple[int, int, int]:
            s = insights.summary(session, destination_id, WINDOWS[window], now=NOW)
            return s.delivered, s.failed, s.retries

        assert counts("10m") == (1, 0, 0)
        assert counts("1h") == (2, 0, 1)
        assert counts("24h") == (3, 1, 1)
        assert counts("7d") == (4, 1, 1)
        week = insights.trends(session, destination_id, WINDOWS["7d"], now=NOW)
        assert week.bucket_seconds == 6 * 3600
        assert len(week.buckets) == 29
        assert sum(b.delivered for b in week.buckets) == 4
        assert week.buckets[-1].start == datetime(2026, 11, 22, 12, tzinfo=UTC)
        assert week.buckets[-1].delivered == 2
        assert (week.buckets[-2].retries, week.buckets[-2].failed) == (1, 1)  # 06:00-12:00


def test_percentiles_from_the_histogram(engine: Engine, destination_id: int) -> None:
    changes = [_change(i, Status.DELIVERED, NOW - timedelta(minutes=1)) for i in range(1, 101)]
    for c in changes:
        c["delivered_at"] = c["updated_at"]
    _record(engine, destination_id, changes, {i: float(i * 10) for i in range(1, 101)})
    with Session(engine) as session:
        summary = insights.summary(session, destination_id, WINDOWS["1h"], now=NOW)
    assert summary.latency.samples == 100
    assert summary.latency.p50_ms is not None
    assert summary.latency.p95_ms is not None
    assert 500 / 1.19 <= summary.latency.p50_ms <= 500 * 1.19
    assert 950 / 1.19 <= summary.latency.p95_ms <= 950 * 1.19
    assert summary.success_rate == 1.0


def test_rows_add_up_across_batches(engine: Engine, destination_id: int) -> None:
    for n in range(3):
        _record(
            engine,
            destination_id,
            [_change(n, Status.FAILED, NOW - timedelta(seconds=30), code="http_500")],
            {},
        )
    assert sum(aggregate(destination_id, [_change(9, Status.FAILED, NOW)], {}).values()) == 2
    with Session(engine) as session:
        found = insights.issues(session, destination_id, WINDOWS["10m"], now=NOW)
    assert [(i.status, i.code, i.count, i.examples) for i in found.issues] == [
        ("failed", "http_500", 3, [])  # no deliveries rows here, so no examples
    ]


class _Abandon(Exception):
    pass


def test_the_counts_belong_to_the_callers_transaction(engine: Engine, destination_id: int) -> None:
    # A deliver chunk whose outcomes are not committed must leave nothing counted.
    def count_then_fail() -> None:
        with engine.begin() as conn:
            changes = [_change(1, "delivered", NOW, latency_ms=50)]
            record_outcomes(conn, destination_id, changes, {})
            raise _Abandon

    with pytest.raises(_Abandon):
        count_then_fail()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM delivery_rollups").scalar() == 0
