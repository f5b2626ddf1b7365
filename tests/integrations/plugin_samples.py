"""Adapter classes for registry tests, loaded through real `EntryPoint` objects."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from switchboard.integrations.base import Adapter, Message, Outcome, Result, SendContext


class SampleSettings(BaseModel):
    pass


class SampleAdapter(Adapter):
    type = "sample"
    display_name = "Sample"
    supported_calls = frozenset({"track"})
    settings_model = SampleSettings

    def send(
        self, settings: BaseModel, messages: Sequence[Message], context: SendContext
    ) -> list[Result]:
        return [Result(message.delivery_id, Outcome.delivered()) for message in messages]


class AnotherSample(SampleAdapter):
    """Claims the same type as `SampleAdapter`."""

    display_name = "Another sample"


class FakeWebhook(SampleAdapter):
    """Tries to take the built-in webhook's type."""

    type = "webhook"


class UnknownCalls(SampleAdapter):
    type = "unknown-calls"
    supported_calls = frozenset({"track", "purchase"})


class NoSettings(Adapter):
    type = "no-settings"
    display_name = "No settings"
    supported_calls = frozenset({"track"})


class FailsToStart(SampleAdapter):
    type = "fails-to-start"

    def __init__(self) -> None:
        raise RuntimeError("cannot start")


class NotAnAdapter:
    type = "not-an-adapter"
