"""kill -9 of `switchboard serve` in the middle of group commits: every event that was
answered 200 is in the database, and is delivered by the workers that outlive the server."""

from __future__ import annotations

import signal
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


def test_kill_serve_mid_flush(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    database_url = private_postgres.fresh_database()
    env = base_env(database_url, private_redis.url)
    tally = Tally()
    with Endpoint() as hook, running_stack(env, tmp_path, workers=1) as stack:
        source = stack.source()
        stack.webhook("hook", source["id"], hook.url, batch_size=100)
        assert stack.serve is not None
        # Large batches from several clients at once: the writer is mid-commit most of the
        # time, so the kill lands during a flush.
        with Senders(stack.url, source["write_key"], tally, threads=4, batch=200, pause=0):
            wait_until(lambda: len(tally.acknowledged) >= 4000, 60, "events before the kill")
            stack.serve.kill(signal.SIGKILL)
        acknowledged = set(tally.acknowledged)
        stored = stored_ids(database_url, acknowledged)
        assert stored == acknowledged, f"{len(acknowledged - stored)} acknowledged events lost"
        # The worker's scheduler routes what the dead server committed but never queued.
        wait_until(lambda: acknowledged <= hook.ids(), 60, "every acknowledged event delivered")
        delivered = acknowledged & hook.ids()

    refused = sum(tally.refused.values())
    report(
        "kill -9 of serve mid-flush",
        acknowledged=len(acknowledged),
        requests_without_answer=refused,
        stored=len(stored),
        delivered=len(delivered),
        lost=len(acknowledged - stored),
    )
