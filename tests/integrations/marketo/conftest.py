"""Fixtures of the Marketo tests: a fake Marketo, and harnesses closed after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from switchboard.integrations.kit.testing import KitHarness
from tests.fakes.marketo import FakeMarketo
from tests.integrations.marketo.support import ORDER_TYPE

Keep = Callable[[KitHarness], KitHarness]


@pytest.fixture
def keep() -> Iterator[Keep]:
    """`keep(harness)` is `harness`, closed when the test ends."""
    opened: list[KitHarness] = []

    def register(harness: KitHarness) -> KitHarness:
        opened.append(harness)
        return harness

    yield register
    for harness in opened:
        harness.close()


@pytest.fixture
def marketo() -> Iterator[FakeMarketo]:
    types = {ORDER_TYPE: frozenset({"orderTotal", "itemCount"})}
    with FakeMarketo(activity_types=types) as fake:
        yield fake
