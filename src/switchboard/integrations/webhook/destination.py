"""The Webhooks destination (Segment's "Webhooks (Actions)"): one action, "send", whose preset
sends every event, as stored, to the URLs of the settings."""

from __future__ import annotations

from switchboard.integrations.kit.definition import Destination, Preset
from switchboard.integrations.webhook.legacy import SEND_EVERY_EVENT, convert_legacy
from switchboard.integrations.webhook.send import EVERY_CALL, Send
from switchboard.integrations.webhook.settings import WebhookSettings

DESTINATION = Destination(
    type="webhook",
    display_name="Webhooks",
    description="Send events as JSON to your own HTTP endpoints, signed if you like.",
    settings_model=WebhookSettings,
    actions=(Send(),),
    presets=(Preset(SEND_EVERY_EVENT, "send", EVERY_CALL),),
    convert_legacy=convert_legacy,
)
