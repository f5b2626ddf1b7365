"""The enqueuer merges the jobs asked for within its linger into fewer, bigger ones."""

from __future__ import annotations

from switchboard.jobs import defaults
from switchboard.jobs.queue import merge_jobs

ROUTE = "switchboard.jobs.tasks.route_task"
DELIVER = "switchboard.jobs.tasks.deliver_task"


def test_route_jobs_merge_up_to_the_route_batch() -> None:
    batch = [(ROUTE, (list(range(start, start + 700)),)) for start in range(0, 2100, 700)]
    jobs = merge_jobs(batch)
    assert [len(args[0]) for _, args in jobs] == [defaults.ROUTE_BATCH, 100]
    assert [i for _, args in jobs for i in args[0]] == list(range(2100))


def test_deliver_jobs_merge_per_destination_up_to_the_deliver_batch() -> None:
    batch = [
        (DELIVER, (1, [1, 2, 3])),
        (DELIVER, (2, [10])),
        (DELIVER, (1, list(range(100, 300)))),
    ]
    jobs = merge_jobs(batch)
    by_destination: dict[int, list[list[int]]] = {}
    for func, args in jobs:
        assert func == DELIVER
        by_destination.setdefault(args[0], []).append(args[1])
    assert by_destination[2] == [[10]]
    assert [len(ids) for ids in by_destination[1]] == [defaults.DELIVER_BATCH, 3]
    assert [i for ids in by_destination[1] for i in ids] == [1, 2, 3, *range(100, 300)]


def test_nothing_is_lost_or_invented() -> None:
    assert merge_jobs([]) == []
