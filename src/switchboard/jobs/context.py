"""Everything a job needs, built once per process and passed in.

RQ calls module-level functions, so `switchboard worker` installs the context with
`install()` before it starts working; `serve` passes it to the inline executor directly.
Nothing here is built at import time.
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


_installed: JobContext | None = None


def install(context: JobContext) -> None:
    global _installed
    _installed = context


def current() -> JobContext:
    if _installed is None:
        raise RuntimeError("no job context: start jobs through `switchboard worker`")
    return _installed
