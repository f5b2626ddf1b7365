"""Webhooks through `KitHarness`, as the deliver job sends them, to loopback sinks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest

from switchboard.integrations.base import Result
from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.kit.testing import KitHarness, Sent
from switchboard.integrations.webhook import DESTINATION
from tests.fakes.sink import Sink


class Webhooks:
    """Makes harnesses for the Webhooks destination and closes them after the test."""

    def __init__(self) -> None:
        self.harnesses: list[KitHarness] = []

    def harness(
        self,
        settings: dict[str, Any],
        mapping: dict[str, Any] | None = None,
        *,
        mappings: Sequence[MappingSpec] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> KitHarness:
        """A harness with `settings` and the preset, its fields overridden by `mapping`."""
        if mappings is None and mapping is not None:
            (preset,) = DESTINATION.preset_mappings()
            merged = {**preset.mapping, **mapping}
            mappings = [MappingSpec(preset.name, preset.action, preset.trigger, merged)]
        made = KitHarness(DESTINATION, settings, mappings, transport=transport)
        self.harnesses.append(made)
        return made

    def send(
        self,
        events: Sequence[dict[str, Any]],
        mapping: dict[str, Any] | None = None,
        **settings: Any,
    ) -> list[Sent]:
        """`events` sent in one call with `settings` and the preset (`mapping` overriding)."""
        return self.harness(settings, mapping).send(events)

    def close(self) -> None:
        for made in self.harnesses:
            made.close()


def results(sent: Sequence[Sent]) -> list[Result]:
    return [s.result for s in sent]


@pytest.fixture
def hooks() -> Iterator[Webhooks]:
    made = Webhooks()
    yield made
    made.close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink() as sink:
        yield sink


def event(n: int, call: str = "track") -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": call,
        "messageId": f"m-{n}",
        "userId": "u-1",
        "timestamp": "2024-05-01T12:00:00.000Z",
        "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
    }
    if call == "track":
        body |= {"event": "Order Completed", "properties": {"total": 12.5, "n": n, "é": "ü"}}
    return body


def events(count: int) -> list[dict[str, Any]]:
    return [event(n) for n in range(count)]
