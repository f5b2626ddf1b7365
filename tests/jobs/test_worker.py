"""The RQ worker hands each job the process's job context (RQ imports job functions by path,
so there is no global to find it in)."""

from __future__ import annotations

import signal
import uuid

import pytest
from rq import Queue

from switchboard.jobs.context import JobContext
from switchboard.jobs.worker import Worker
from switchboard.runtime import RQ_SOCKET_TIMEOUT, build_runtime, redis_client
from switchboard.settings import Settings
from tests.conftest import REDIS_URL


def context_id(context: JobContext, offset: int) -> int:
    """A job that answers which context it was given (and that its own argument came too)."""
    return id(context) + offset


def test_a_job_runs_with_the_workers_context() -> None:
    if REDIS_URL is None:
        pytest.skip("set SWITCHBOARD_TEST_REDIS_URL: the job goes through RQ")
    with build_runtime(Settings(database_url="sqlite://")) as runtime:
        connection = redis_client(REDIS_URL, socket_timeout=RQ_SOCKET_TIMEOUT)
        queue = Queue(f"test-{uuid.uuid4().hex}", connection=connection)
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            job = queue.enqueue(f"{__name__}.context_id", 7, result_ttl=60)
            worker = Worker([queue], connection=connection, context=runtime.jobs)
            worker.work(burst=True)
            assert job.return_value() == id(runtime.jobs) + 7
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)  # RQ's work() leaves its own installed
            queue.delete(delete_jobs=True)
            connection.close()
