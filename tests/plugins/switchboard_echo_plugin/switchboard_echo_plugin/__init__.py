"""An adapter outside Switchboard: each event POSTed as JSON to one URL."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from pydantic import BaseModel, Field

from switchboard.integrations.base import Adapter, Message, Result, SendContext
from switchboard.integrations.http import describe, request


class EchoSettings(BaseModel):
    url: str = Field(title="URL", description="Where each event is POSTed.")


class EchoAdapter(Adapter):
    type = "echo"
    display_name = "Echo"
    supported_calls = frozenset({"track", "identify"})
    settings_model = EchoSettings

    def send(
        self, settings: BaseModel, messages: Sequence[Message], context: SendContext
    ) -> list[Result]:
        assert isinstance(settings, EchoSettings)
        results = []
        for message in messages:
            sent = request(
                context.http,
                "POST",
                settings.url,
                headers={"Content-Type": "application/json"},
                content=orjson.dumps(message.event),
                timeout=5.0,
            )
            outcome = describe(sent.response, sent.failure)
            results.append(Result(message.delivery_id, outcome, [sent.exchange]))
        return results
