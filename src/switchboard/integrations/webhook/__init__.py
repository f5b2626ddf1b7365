"""The Webhooks destination: events as JSON to your own URLs, optionally signed."""

from switchboard.integrations.webhook.adapter import WebhookAdapter, sign
from switchboard.integrations.webhook.settings import WebhookSettings

__all__ = ["WebhookAdapter", "WebhookSettings", "sign"]
