"""The RQ worker `switchboard worker` runs: jobs in this process, a graceful SIGTERM.

On SIGTERM (`docker stop`, a scale-down, systemd) RQ lets the running job finish; this
worker also sets the job context's `stopping` event, so a deliver job stops between two
chunks and leaves the rest of its batch to other workers instead of sending it all first.
A second SIGTERM stops at once (RQ's cold shutdown); nothing is lost then either, because
the database holds every delivery's state (docs/delivery.md).

RQ imports a job's function by its path (`jobs/tasks.py`), so the function cannot close over
the process's services; the worker holds the `JobContext` and its jobs (`ContextJob`) call
their function with it first.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import redis
from rq.job import Job
from rq.worker import SimpleWorker

from switchboard.jobs.context import JobContext
from switchboard.observability.logging import JOB_ID

log = logging.getLogger(__name__)

#: Seconds between attempts to start working again after Redis went away.
REDIS_RETRY_SECONDS = 1.0


class ContextJob(Job):
    """An RQ job whose function is called with the running worker's `JobContext` first."""

    #: Set by `Worker.perform_job` before the job runs.
    context: JobContext | None = None

    @property
    def func(self) -> Callable[..., Any] | None:
        func: Callable[..., Any] | None = super().func
        if func is None:
            return None
        if self.context is None:
            raise RuntimeError(f"job {self.id} has no job context: `switchboard worker` runs jobs")
        return functools.partial(func, self.context)


class Worker(SimpleWorker):
    """SimpleWorker (no fork per job: ~5x the jobs per second, architecture.md) that hands
    each job the process's `context`, tells the jobs when the process is asked to stop (the
    context's `stopping`), and names the job in its log lines."""

    job_class = ContextJob

    def __init__(self, *args: Any, context: JobContext, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context = context
        self.stopping = context.stopping

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def perform_job(self, job: Any, *args: Any, **kwargs: Any) -> bool:
        if not isinstance(job, ContextJob):
            raise TypeError(f"{type(job).__name__} cannot take a job context")
        job.context = self.context
        token = JOB_ID.set(job.id)
        try:
            return bool(super().perform_job(job, *args, **kwargs))
        finally:
            JOB_ID.reset(token)


def work_until_stopped(
    make_worker: Callable[[], Worker], stopping: threading.Event, **work: Any
) -> None:
    """Run workers until the process is asked to stop (or a burst ends).

    RQ's loop quits on any error that reaches it, such as Redis going away in the middle of
    a job, and its teardown then fails too. A worker process that exits with Redis would need
    a supervisor to resume delivery; instead a new worker (a new name, so a Redis that kept
    the old one's registration does not refuse it) starts over once Redis answers again.
    """
    while True:
        try:
            make_worker().work(**work)
        except redis.exceptions.RedisError as exc:  # RQ's start or teardown: Redis is gone
            log.warning("worker lost Redis (%s)", exc)
        if stopping.is_set() or work.get("burst"):
            return
        log.warning("worker stopped without being asked to; starting again")
        if stopping.wait(REDIS_RETRY_SECONDS):
            return
