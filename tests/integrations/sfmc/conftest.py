"""A fake Marketing Cloud on loopback, a controllable clock, and harnesses that share a token
cache (one per process, as the deliver job's adapter holds it)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.kit.oauth import TokenCache
from switchboard.integrations.kit.testing import KitHarness
from switchboard.integrations.sfmc import DESTINATION
from tests.fakes.sfmc import CLIENT_ID, CLIENT_SECRET, EVENT_DEFINITION, FakeSFMC
from tests.integrations.sfmc.events import (
    IDENTIFY_JOURNEY,
    SIGNUP_JOURNEY,
    SIGNUP_KEY,
    Clock,
    Harness,
)


@pytest.fixture
def sfmc() -> Iterator[FakeSFMC]:
    definitions = frozenset({EVENT_DEFINITION, SIGNUP_KEY})
    with FakeSFMC(event_definitions=definitions) as fake:
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock: Clock) -> TokenCache:
    return TokenCache(clock)


@pytest.fixture
def harness(sfmc: FakeSFMC, tokens: TokenCache) -> Iterator[Harness]:
    """`harness(mappings=…, fake=…, **settings)`: a harness on `sfmc` (or `fake`) with the
    usual credentials, the journey mappings unless told otherwise, and the shared tokens."""
    made: list[KitHarness] = []

    def make(
        mappings: Sequence[MappingSpec] = (IDENTIFY_JOURNEY, SIGNUP_JOURNEY),
        fake: FakeSFMC | None = None,
        **settings: Any,
    ) -> KitHarness:
        values = {
            "auth_base_url": (fake or sfmc).url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            **settings,
        }
        made.append(KitHarness(DESTINATION, values, mappings=list(mappings)))
        made[-1].adapter.tokens = tokens
        return made[-1]

    yield make
    for each in made:
        each.close()
