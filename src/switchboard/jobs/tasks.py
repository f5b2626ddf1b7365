"""RQ entry points, named by import path in every job (`jobs/queue.py`).

The worker calls them with its `JobContext` first (`jobs/worker.py`). Their names stay as
they are: jobs already waiting in Redis name them.
"""

from __future__ import annotations

from collections.abc import Sequence

from switchboard.jobs.context import JobContext
from switchboard.jobs.deliver import deliver
from switchboard.jobs.route import route_events


def route_task(context: JobContext, event_ids: Sequence[int]) -> int:
    return route_events(context, event_ids)


def deliver_task(context: JobContext, destination_id: int, delivery_ids: Sequence[int]) -> int:
    return deliver(context, destination_id, delivery_ids)
