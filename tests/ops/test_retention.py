"""Retention: old events and attempts go, in small batches, while ingestion carries on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, func, insert, select

from switchboard.deliveries.models import Attempt, Delivery
from switchboard.deliveries.status import Status
from switchboard.destinations.models import Destination
from switchboard.events.models import Event, RejectedEvent
from switchboard.retention.prune import prune
from tests.conftest import SourceRef

NOW = datetime.now(UTC)


def _event(source_id: int, n: int, received_at: datetime) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "type": "track",
        "event_name": "Old",
        "message_id": f"m{n}",
        "timestamp": received_at,
        "received_at": received_at,
        "payload": {"type": "track", "event": "Old", "messageId": f"m{n}"},
    }


def _seed(engine: Engine, source_id: int) -> dict[str, int]:
    """Events 40 days old (one still being delivered), 10 days old and new; attempts of each
    age; old rejected events. Returns the ids the assertions need."""
    with engine.begin() as conn:
        destination = conn.execute(
            insert(Destination)
            .values(name="hook", type="webhook", settings_encrypted="x", enabled=True)
            .returning(Destination.id)
        ).scalar_one()
        ages = {"old": NOW - timedelta(days=40), "week": NOW - timedelta(days=10), "new": NOW}
        ids: dict[str, int] = {}
        n = 0
        for name, when in ages.items():
            for k in range(3):
                n += 1
                event_id = conn.execute(
                    insert(Event).values(_event(source_id, n, when)).returning(Event.id)
                ).scalar_one()
                status = Status.RETRYING if (name == "old" and k == 0) else Status.DELIVERED
                delivery_id = conn.execute(
                    insert(Delivery)
                    .values(
                        event_id=event_id,
                        destination_id=destination,
                        status=status,
                        attempts=1,
                        created_at=when,
                        updated_at=when,
                    )
                    .returning(Delivery.id)
                ).scalar_one()
                conn.execute(
                    insert(Attempt).values(
                        delivery_id=delivery_id, created_at=when, outcome="delivered", exchanges=[]
                    )
                )
                ids[f"{name}{k}"] = event_id
        conn.execute(
            insert(RejectedEvent),
            [
                {"source_id": source_id, "received_at": when, "reason": "bad", "type": "track"}
                for when in (ages["old"], ages["old"], ages["new"])
            ],
        )
    return ids


def _count(engine: Engine, model: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_prune_removes_what_is_old_and_keeps_open_work(engine: Engine, source: SourceRef) -> None:
    ids = _seed(engine, source.id)
    pruned = prune(engine, event_age=timedelta(days=30), attempt_age=timedelta(days=7), batch=2)
    assert (pruned.events, pruned.rejected_events, pruned.complete) == (2, 2, True)
    # Attempts go first, by their own 7-day age: the 40-day-old ones (3, the open
    # delivery's included) and the 10-day-old ones (3).
    assert pruned.attempts == 6
    with engine.connect() as conn:
        left = set(conn.scalars(select(Event.id)))
        deliveries = {d.event_id: d.status for d in conn.execute(select(Delivery))}
    assert left == {ids[k] for k in ("old0", "week0", "week1", "week2", "new0", "new1", "new2")}
    assert deliveries[ids["old0"]] == Status.RETRYING  # still open: kept, with its event
    assert _count(engine, Attempt) == 3  # only the new events' attempts
    assert _count(engine, RejectedEvent) == 1

    again = prune(engine, event_age=timedelta(days=30), attempt_age=timedelta(days=7), batch=2)
    assert (again.events, again.attempts, again.rejected_events) == (0, 0, 0)
    nothing = prune(engine, event_age=None, attempt_age=None)
    assert (nothing.events, nothing.attempts) == (0, 0)


def test_prune_command(engine: Engine, source: SourceRef, database_url: str) -> None:
    _seed(engine, source.id)
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "switchboard.cli", "prune", "--events", "20", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # 20 days: the 40-day-old events but the open one; attempts follow the default (7 days).
    assert json.loads(done.stdout) == {"events": 2, "rejected_events": 2, "attempts": 6}
    refused = subprocess.run(
        [sys.executable, "-m", "switchboard.cli", "prune", "--events", "-1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2 and "0 (keep everything) or more" in refused.stderr


def test_pruning_does_not_hold_up_ingestion(
    engine: Engine, source: SourceRef, client: httpx.Client
) -> None:
    old = NOW - timedelta(days=90)
    with engine.begin() as conn:
        conn.execute(insert(Event), [_event(source.id, n, old) for n in range(3000)])
    result: list[Any] = []
    pruner = threading.Thread(
        target=lambda: result.append(
            prune(engine, event_age=timedelta(days=30), attempt_age=None, batch=100)
        )
    )
    latencies: list[float] = []
    pruner.start()
    n = 0
    while pruner.is_alive() and n < 2000:
        n += 1
        started = time.perf_counter()
        response = client.post(
            "/v1/track",
            auth=(source.write_key, ""),
            json={"userId": "u", "event": "Live", "messageId": f"live-{n}"},
        )
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    pruner.join(60)
    assert result and result[0].events == 3000 and result[0].complete
    # 30 batches of 100: ingestion kept being answered in between, never stuck behind them.
    assert len(latencies) >= 10
    assert max(latencies) < 2.0, f"slowest ingest request took {max(latencies):.2f} s"
    with engine.connect() as conn:
        live = conn.scalar(select(func.count()).where(Event.event_name == "Live"))
    assert live == len(latencies) and _count(engine, Event) == len(latencies)
