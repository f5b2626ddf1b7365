"""RQ entry points: thin wrappers that run the jobs with the installed context."""

from __future__ import annotations

from collections.abc import Sequence

from switchboard.jobs import context
from switchboard.jobs.deliver import deliver
from switchboard.jobs.route import route_events


def route_task(event_ids: Sequence[int]) -> int:
    return route_events(context.current(), event_ids)


def deliver_task(destination_id: int, delivery_ids: Sequence[int]) -> int:
    return deliver(context.current(), destination_id, delivery_ids)
