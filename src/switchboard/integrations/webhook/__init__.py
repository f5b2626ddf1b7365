"""The Webhooks destination: events as JSON to your own URLs, optionally signed."""

from switchboard.integrations.webhook.destination import DESTINATION
from switchboard.integrations.webhook.settings import WebhookSettings
from switchboard.integrations.webhook.signature import sign

__all__ = ["DESTINATION", "WebhookSettings", "sign"]
