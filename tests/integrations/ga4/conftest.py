"""A fake GA4 on loopback, and harnesses pointed at it (closed after each test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from switchboard.integrations.ga4 import DESTINATION
from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.kit.testing import KitHarness
from tests.fakes.ga4 import API_SECRET, MEASUREMENT_ID, FakeGa4

#: `harness(*mappings, **settings)`: the destination with its presets, or with `mappings`.
MakeHarness = Callable[..., KitHarness]


@pytest.fixture
def ga4() -> Iterator[FakeGa4]:
    with FakeGa4() as fake:
        yield fake


@pytest.fixture
def harness(ga4: FakeGa4) -> Iterator[MakeHarness]:
    made: list[KitHarness] = []

    def make(*mappings: MappingSpec, **settings: Any) -> KitHarness:
        values = {
            "measurement_id": MEASUREMENT_ID,
            "api_secret": API_SECRET,
            "base_url": ga4.url,
            **settings,
        }
        made.append(KitHarness(DESTINATION, values, mappings=list(mappings) or None))
        return made[-1]

    yield make
    for each in made:
        each.close()
