"""A fake Pendo on loopback per test, and `send`: events through the destination's mappings
(its presets unless given) with the test keys, as a deliver job sends them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from switchboard.integrations.base import CallLimiter
from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.kit.testing import KitHarness, Sent
from switchboard.integrations.pendo import DESTINATION
from tests.fakes.pendo import INTEGRATION_KEY, TRACK_SECRET, FakePendo
from tests.integrations.pendo.events import Send


@pytest.fixture
def pendo() -> Iterator[FakePendo]:
    with FakePendo() as fake:
        yield fake


@pytest.fixture
def send() -> Iterator[Send]:
    harnesses: list[KitHarness] = []

    def sending(
        pendo: FakePendo,
        events: Sequence[dict[str, Any]],
        *,
        mappings: Sequence[MappingSpec] | None = None,
        limiter: CallLimiter | None = None,
        **settings: Any,
    ) -> list[Sent]:
        values = {
            "integration_key": INTEGRATION_KEY,
            "track_event_secret": TRACK_SECRET,
            "api_base_url": pendo.url,
            **settings,
        }
        harness = KitHarness(DESTINATION, values, mappings=mappings, limiter=limiter)
        harnesses.append(harness)
        return harness.send(events)

    yield sending
    for harness in harnesses:
        harness.close()
