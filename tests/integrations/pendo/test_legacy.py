"""Settings stored before the kit deliver exactly the requests they delivered then."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from switchboard.integrations.base import Message, SendContext
from switchboard.integrations.pendo import PendoAdapter, PendoSettings
from tests.fakes.pendo import FakePendo
from tests.integrations.pendo.legacy_cases import EVENTS, FIXTURE, STORED_SETTINGS


def recorded(pendo: FakePendo) -> list[dict[str, Any]]:
    """What reached the fake: path, credential header, content type and the exact body."""
    return [
        {
            "method": received.method,
            "path": received.path,
            "key": received.header("x-pendo-integration-key"),
            "content_type": received.header("content-type"),
            "body": received.body.decode(),
        }
        for received in pendo.requests
    ]


@pytest.mark.parametrize("case", sorted(STORED_SETTINGS))
def test_the_adapter_before_the_kit_sent_the_recorded_requests(case: str) -> None:
    expected = json.loads(FIXTURE.read_text())[case]
    with FakePendo() as pendo, httpx.Client() as client:
        settings = PendoSettings.model_validate(
            {**STORED_SETTINGS[case], "api_base_url": pendo.url}
        )
        messages = [Message(n, event) for n, event in enumerate(EVENTS)]
        PendoAdapter().send(settings, messages, SendContext(http=client))
        assert recorded(pendo) == expected
