"""The route job on its own: stored events become one delivery per connected destination."""

from __future__ import annotations

from switchboard.deliveries.status import Status
from switchboard.jobs.route import route_events
from tests.jobs.conftest import Jobs, track


def test_one_delivery_per_connected_destination_with_its_status(jobs: Jobs) -> None:
    hook = jobs.destination("hook")
    picky = jobs.destination("picky", filters={"deny_events": ["Order Completed"]})
    # Pendo takes identify, group and track calls only.
    pendo = jobs.destination(
        "pendo", type="pendo", settings={"integration_key": "pendo-key-0123456789"}
    )
    elsewhere = jobs.destination("unconnected", source_ids=[])
    sent, off, page = jobs.events(
        track(),
        track("Signed Up", integrations={"hook": False}),
        {"type": "page", "userId": "u1", "name": "Home"},
    )

    queued = route_events(jobs.ctx, [sent, off, page])

    found = {(d.event_id, d.destination_id): d for d in jobs.deliveries()}
    assert {key: d.status for key, d in found.items()} == {
        (sent, hook): Status.PENDING,
        (sent, picky): Status.FILTERED,
        (sent, pendo): Status.PENDING,
        (off, hook): Status.SKIPPED,
        (off, picky): Status.PENDING,
        (off, pendo): Status.PENDING,
        (page, hook): Status.PENDING,
        (page, picky): Status.PENDING,
        (page, pendo): Status.UNSUPPORTED,
    }
    assert all(d.destination_id != elsewhere for d in found.values())
    assert found[(sent, picky)].reason == "filter: event 'Order Completed' is denied"
    assert found[(off, hook)].next_attempt_at is None
    # Pending rows are due again (for the scheduler) should their deliver job be lost.
    assert found[(sent, hook)].next_attempt_at is not None
    # One deliver job per destination, carrying its pending rows.
    assert queued == 6
    by_destination = {destination: sorted(ids) for destination, ids in jobs.queue.delivers}
    assert by_destination == {
        hook: [found[(sent, hook)].id, found[(page, hook)].id],
        picky: [found[(off, picky)].id, found[(page, picky)].id],
        pendo: [found[(sent, pendo)].id, found[(off, pendo)].id],
    }


def test_routed_events_leave_the_queue_and_a_second_run_does_nothing(jobs: Jobs) -> None:
    jobs.destination()
    ids = jobs.events(track(), track())
    assert jobs.queued_events() == ids

    assert route_events(jobs.ctx, ids) == 2
    assert jobs.queued_events() == []
    before = [(d.id, d.status) for d in jobs.deliveries()]

    assert route_events(jobs.ctx, ids) == 0
    assert [(d.id, d.status) for d in jobs.deliveries()] == before
    assert len(jobs.queue.delivers) == 1


def test_only_the_queued_events_among_the_ids_are_routed(jobs: Jobs) -> None:
    jobs.destination()
    first, second = jobs.events(track(), track())
    route_events(jobs.ctx, [first])
    assert jobs.queued_events() == [second]

    assert route_events(jobs.ctx, [first, second]) == 1
    assert sorted(d.event_id for d in jobs.deliveries()) == [first, second]


def test_an_event_with_nowhere_to_go_is_dequeued_without_deliveries(jobs: Jobs) -> None:
    jobs.destination("off", enabled=False)
    [event] = jobs.events(track())

    assert route_events(jobs.ctx, [event]) == 0
    assert jobs.deliveries() == []
    assert jobs.queued_events() == []
    assert jobs.queue.delivers == []
