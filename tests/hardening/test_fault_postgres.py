"""Postgres stops while events arrive: 503 with Retry-After, never a 200 for an event that
was not stored; when Postgres is back, ingestion and delivery resume by themselves."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.hardening.endpoints import Endpoint
from tests.hardening.processes import (
    Senders,
    Tally,
    base_env,
    report,
    running_stack,
    stored_ids,
    wait_until,
)
from tests.hardening.services import PrivatePostgres, PrivateRedis

pytestmark = pytest.mark.system


def test_postgres_outage(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    database_url = private_postgres.fresh_database()
    env = base_env(database_url, private_redis.url)
    tally = Tally()
    with Endpoint() as hook, running_stack(env, tmp_path, workers=1) as stack:
        source = stack.source()
        stack.webhook("hook", source["id"], hook.url, batch_size=50)
        with Senders(stack.url, source["write_key"], tally) as senders:
            wait_until(lambda: len(tally.acknowledged) >= 100, 20, "events before the outage")
            private_postgres.stop("immediate")
            senders.phase = "down"  # from here until the restart, nothing may be acknowledged
            acknowledged_before = len(tally.acknowledged)
            time.sleep(2.0)
            down = dict(senders.by_phase.get("down", {}))
            senders.phase = "restarting"
            private_postgres.start()
            senders.phase = "after"
            wait_until(
                lambda: senders.by_phase.get("after", {}).get("200", 0) >= 20,
                30,
                "ingestion to resume after Postgres came back",
            )
        acknowledged = set(tally.acknowledged)
        wait_until(lambda: acknowledged <= hook.ids(), 60, "every acknowledged event delivered")
        stored = stored_ids(database_url, acknowledged)
        delivered = acknowledged & hook.ids()

    assert down.get("503", 0) > 0, f"no request was refused while Postgres was down: {down}"
    assert set(down) == {"503"}, f"while Postgres was down the API answered {down}"
    assert tally.retry_after == {"5"}, tally.retry_after
    assert acknowledged_before > 0
    assert stored == acknowledged
    assert delivered == acknowledged
    report(
        "postgres stops during ingestion",
        acknowledged=len(acknowledged),
        refused_503_while_down=down.get("503", 0),
        stored=len(stored),
        delivered=len(delivered),
        lost=len(acknowledged - stored),
    )
