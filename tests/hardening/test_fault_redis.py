"""Redis stops: ingestion keeps answering 200 (the events are in the database), and the
deliveries resume once Redis is back, empty, with nothing re-sent by hand."""

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


def test_redis_outage(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    database_url = private_postgres.fresh_database()
    env = base_env(database_url, private_redis.url)
    tally = Tally()
    with Endpoint() as hook, running_stack(env, tmp_path, workers=1) as stack:
        source = stack.source()
        stack.webhook("hook", source["id"], hook.url, batch_size=50)
        with Senders(stack.url, source["write_key"], tally) as senders:
            wait_until(lambda: len(hook.ids()) >= 50, 30, "deliveries before the outage")
            private_redis.stop()
            senders.phase = "down"
            time.sleep(2.0)
            delivered_while_down = len(hook.ids())
            time.sleep(1.0)
            senders.phase = "restarting"
            private_redis.start()
            senders.phase = "after"
            wait_until(lambda: "after" in senders.by_phase, 10, "requests after the restart")
        down = senders.by_phase.get("down", {})
        acknowledged = set(tally.acknowledged)
        wait_until(lambda: acknowledged <= hook.ids(), 25, "every acknowledged event delivered")
        stored = stored_ids(database_url, acknowledged)
        delivered = acknowledged & hook.ids()
        workers_alive = [worker.alive() for worker in stack.workers]

    assert set(down) == {"200"}, f"while Redis was down the API answered {down}"
    assert stored == acknowledged
    assert delivered == acknowledged
    assert workers_alive == [True], "a worker died with Redis"
    report(
        "redis stops",
        acknowledged=len(acknowledged),
        acknowledged_while_down=down.get("200", 0) * 5,
        delivered_while_down=delivered_while_down,
        stored=len(stored),
        delivered=len(delivered),
        lost=len(acknowledged - stored),
    )
