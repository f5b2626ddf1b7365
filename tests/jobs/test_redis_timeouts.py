"""A Redis that hangs (accepts connections, never answers) costs a few seconds, not a thread.

The hung Redis is a loopback socket that listens and never reads. The worker's connection is
checked on the test Redis (SWITCHBOARD_TEST_REDIS_URL), which is read, not written.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import redis
from rq import Queue

from switchboard.jobs import defaults
from switchboard.jobs.queue import RQQueue
from switchboard.jobs.worker import Worker
from switchboard.runtime import RQ_SOCKET_TIMEOUT, build_runtime, redis_client
from switchboard.settings import Settings
from tests.conftest import REDIS_URL


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """redis://... of a server that completes the TCP handshake and then says nothing."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


@pytest.mark.system  # waits out the real timeout on a real socket
def test_a_command_to_a_hung_redis_times_out(hung_redis: str) -> None:
    client = redis_client(hung_redis)
    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        client.ping()
    waited = time.monotonic() - started
    assert (
        defaults.REDIS_SOCKET_TIMEOUT_SECONDS - 0.5
        <= waited
        < 2 * defaults.REDIS_SOCKET_TIMEOUT_SECONDS
    )
    client.close()


@pytest.mark.system  # waits out the real timeout on a real socket
def test_the_enqueue_thread_gives_up_on_a_hung_redis(
    hung_redis: str, caplog: pytest.LogCaptureFixture
) -> None:
    queue = RQQueue(redis_client(hung_redis), linger=0)
    caplog.set_level(logging.WARNING, logger="switchboard.jobs.queue")
    queue.enqueue_route([1, 2, 3])
    started = time.monotonic()
    queue.close()  # waits for the thread (at most 10 s): it must be done by then
    assert time.monotonic() - started < 2 * defaults.REDIS_SOCKET_TIMEOUT_SECONDS
    assert not any(t.name == "switchboard-enqueue" and t.is_alive() for t in threading.enumerate())
    assert "could not enqueue 1 jobs" in caplog.text
    queue.queue.connection.close()


def test_the_rq_worker_connection_outlasts_its_blocking_dequeue() -> None:
    """RQ waits for jobs with BLMOVE for up to its dequeue timeout and raises a lower socket
    timeout on the connection it gets; ours is already above it, and the short-timeout
    client the jobs use is left alone."""
    if REDIS_URL is None:
        pytest.skip("set SWITCHBOARD_TEST_REDIS_URL: RQ's worker reads Redis when it starts")
    url = REDIS_URL
    short = redis_client(url)
    runtime = build_runtime(Settings(database_url="sqlite://"))
    worker = Worker(
        [Queue("q", connection=short)],
        connection=redis_client(url, socket_timeout=RQ_SOCKET_TIMEOUT),
        context=runtime.jobs,
    )
    assert worker.dequeue_timeout < RQ_SOCKET_TIMEOUT
    worker_kwargs = worker.connection.connection_pool.connection_kwargs
    assert worker_kwargs["socket_timeout"] == RQ_SOCKET_TIMEOUT >= worker.connection_timeout
    assert worker_kwargs["socket_connect_timeout"] == defaults.REDIS_CONNECT_TIMEOUT_SECONDS
    short_kwargs = short.connection_pool.connection_kwargs
    assert short_kwargs["socket_timeout"] == defaults.REDIS_SOCKET_TIMEOUT_SECONDS
    assert short_kwargs["socket_connect_timeout"] == defaults.REDIS_CONNECT_TIMEOUT_SECONDS
    worker.connection.close()
    short.close()
    runtime.close()
