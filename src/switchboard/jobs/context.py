"""Everything a job needs, built once per process (`switchboard.runtime`) and passed in.

Every job takes the context as its first argument: `serve` hands it to the in-process
executor, and `switchboard worker`'s RQ worker hands it to each job it runs
(`jobs/worker.py`). Nothing here is built at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from switchboard.destinations.crypto import SettingsBox
from switchboard.integrations.base import Adapter
from switchboard.jobs import defaults
from switchboard.jobs.limits import Limiter
from switchboard.jobs.queue import JobQueue
from switchboard.jobs.retry import RetryPolicy
from switchboard.observability.metrics import Metrics


@dataclass(frozen=True)
class Timing:
    """The recovery timings (seconds); defaults in `jobs/defaults.py`, tests shorten them."""

    lease: float = defaults.LEASE_SECONDS
    requeue_after: float = defaults.REQUEUE_AFTER_SECONDS
    unrouted_after: float = defaults.UNROUTED_AFTER_SECONDS
    tick: float = defaults.SCHEDULER_TICK_SECONDS


@dataclass
class JobContext:
    engine: Engine
    sessions: sessionmaker[Session]
    box: SettingsBox
    adapters: Mapping[str, Adapter]
    queue: JobQueue
    limiter: Limiter
    http: httpx.Client
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timing: Timing = field(default_factory=Timing)
    metrics: Metrics = field(default_factory=Metrics)
    #: Set when the process is asked to stop (SIGTERM): a deliver job then hands the rest of
    #: its batch back to the scheduler instead of keeping it leased until it finishes.
    stopping: threading.Event = field(default_factory=threading.Event)
