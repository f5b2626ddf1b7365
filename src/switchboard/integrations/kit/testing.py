"""Testing a kit destination without a database, a queue or our own test suite.

Shipped in the wheel for plugin authors:

    from switchboard.integrations.kit.testing import KitHarness

    harness = KitHarness(DESTINATION, {"api_key": "k"}, transport=httpx.MockTransport(answer))
    results = harness.send([{"type": "track", "event": "Signed Up", ...}])
    assert results[0].outcome.kind is OutcomeKind.DELIVERED
    harness.requests[0].url                     # what reached the (fake) vendor

Events are routed the way Switchboard routes them: each goes to every enabled mapping whose
trigger it matches (the destination's presets unless `mappings` are given), one delivery per
mapping. `transport` may be an `httpx.MockTransport`, or left out to send over the network to
a fake server of your own.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from switchboard.integrations.base import (
    CallLimiter,
    MappingRef,
    Message,
    Outcome,
    Result,
    SendContext,
)
from switchboard.integrations.kit.adapter import KitAdapter, payload_for
from switchboard.integrations.kit.definition import Destination, MappingSpec
from switchboard.integrations.kit.triggers import parse_trigger


@dataclass(slots=True)
class Sent:
    """One event's result at one mapping."""

    event_index: int
    mapping: MappingSpec
    result: Result

    @property
    def outcome(self) -> Outcome:
        return self.result.outcome


@dataclass(slots=True)
class KitHarness:
    """A destination, its settings and mappings, and an HTTP client to send with."""

    destination: Destination[Any]
    settings: Mapping[str, Any]
    mappings: Sequence[MappingSpec] | None = None
    transport: httpx.BaseTransport | None = None
    limiter: CallLimiter | None = None
    adapter: KitAdapter = field(init=False)
    requests: list[httpx.Request] = field(init=False, default_factory=list)
    _http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.adapter = KitAdapter(self.destination)
        if self.mappings is None:
            self.mappings = self.destination.preset_mappings()
        self._http = httpx.Client(
            transport=self.transport, event_hooks={"request": [self.requests.append]}
        )

    @property
    def parsed_settings(self) -> Any:
        return self.destination.settings_model.model_validate(dict(self.settings))

    def matching(self, event: Mapping[str, Any]) -> list[MappingSpec]:
        """The enabled mappings whose trigger `event` matches, in order."""
        assert self.mappings is not None
        return [m for m in self.mappings if m.enabled and parse_trigger(m.trigger).matches(event)]

    def payloads(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """What each matching mapping makes of `event` (raises `PayloadInvalid`)."""
        found = []
        for spec in self.matching(event):
            action = self.destination.action(spec.action)
            assert action is not None, spec.action
            found.append(payload_for(action, spec.mapping, event))
        return found

    def send(self, events: Sequence[dict[str, Any]], scope: str = "test") -> list[Sent]:
        """Route `events` to the mappings and send them in one call, as a deliver job does."""
        assert self.mappings is not None
        ids = itertools.count(1)
        messages: list[Message] = []
        routed: list[tuple[int, MappingSpec]] = []
        for index, event in enumerate(events):
            for position, spec in enumerate(self.mappings):
                if spec.enabled and parse_trigger(spec.trigger).matches(event):
                    ref = MappingRef(position + 1, spec.name, spec.action, dict(spec.mapping))
                    messages.append(Message(next(ids), dict(event), {}, ref))
                    routed.append((index, spec))
        context = SendContext(http=self._http, limiter=self.limiter, scope=scope)
        results = self.adapter.send(self.parsed_settings, messages, context)
        return [
            Sent(index, spec, result) for (index, spec), result in zip(routed, results, strict=True)
        ]

    def test_connection(self) -> None:
        """Run the destination's connection test; raises the `KitError` it raises."""
        check = self.destination.test_connection
        if check is None:
            return
        settings = self.parsed_settings
        check(self.adapter.context(settings, self._http, self.limiter, "test"), settings)

    def close(self) -> None:
        self._http.close()
