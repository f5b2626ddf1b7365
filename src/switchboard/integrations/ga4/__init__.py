"""The Google Analytics 4 destination: events through the Measurement Protocol.

The Measurement Protocol answers 2xx to whatever it is sent, so what it would drop is refused
before sending (`naming.py`), and "Test connection" asks the validation server instead, which
answers `{"validationMessages": [{"fieldPath", "description", "validationCode"}, ...]}`.
"""

from __future__ import annotations

from typing import Any, Final

from switchboard.integrations.ga4.actions import ACTIONS
from switchboard.integrations.ga4.settings import DEBUG_PATH, Ga4Settings
from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Destination, Preset
from switchboard.integrations.kit.errors import (
    InvalidAuthentication,
    PayloadInvalid,
    UnexpectedResponse,
)

#: What "Test connection" asks the validation server about (it records nothing).
SAMPLE: Final = {
    "client_id": "switchboard.test_connection",
    "events": [{"name": "switchboard_test_connection", "params": {"engagement_time_msec": 1}}],
}

#: Validation messages about these fields mean the stream or its secret is wrong.
_CREDENTIALS: Final = ("measurement_id", "api_secret")


def check_connection(ctx: ActionContext, settings: Ga4Settings) -> None:
    """Send a sample event to the validation server; raise what its messages say is wrong."""
    reply = ctx.request("POST", settings.url(DEBUG_PATH), params=settings.query(), json=SAMPLE)
    answer = reply.json()
    messages = answer.get("validationMessages") if isinstance(answer, dict) else None
    if not isinstance(messages, list):
        raise UnexpectedResponse("Google's validation server did not answer validationMessages")
    if not messages:
        return
    said = "; ".join(_describe(message) for message in messages)
    if any(_about_credentials(message) for message in messages):
        raise InvalidAuthentication(f"Google refused the measurement ID or API secret: {said}")
    first = messages[0] if isinstance(messages[0], dict) else {}
    raise PayloadInvalid(
        f"Google's validation server refused the test event: {said}", field=first.get("fieldPath")
    )


def _describe(message: Any) -> str:
    if not isinstance(message, dict):
        return str(message)
    return (
        f"{message.get('description')} ({message.get('validationCode')} at "
        f"{message.get('fieldPath')})"
    )


def _about_credentials(message: Any) -> bool:
    if not isinstance(message, dict):
        return False
    where = f"{message.get('fieldPath')} {message.get('description')}"
    return any(name in where for name in _CREDENTIALS)


DESTINATION: Final = Destination(
    type="ga4",
    display_name="Google Analytics 4",
    description="Events, page views and purchases through GA4's Measurement Protocol.",
    settings_model=Ga4Settings,
    actions=ACTIONS,
    presets=(
        Preset("Custom event", "custom_event", 'type = "track"'),
        Preset("Page view", "page_view", 'type = "page"'),
    ),
    test_connection=check_connection,
)

__all__ = ["DESTINATION", "Ga4Settings", "check_connection"]
