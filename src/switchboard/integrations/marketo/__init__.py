"""The Marketo destination: leads from identify, custom activities from mapped track events."""

from switchboard.integrations.marketo.adapter import MarketoAdapter
from switchboard.integrations.marketo.settings import ActivityMapping, MarketoSettings

__all__ = ["ActivityMapping", "MarketoAdapter", "MarketoSettings"]
