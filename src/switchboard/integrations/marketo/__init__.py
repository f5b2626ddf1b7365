"""The Marketo destination: leads from identify calls, custom activities from mapped track
events (`destination.py`)."""

from switchboard.integrations.marketo.destination import DESTINATION
from switchboard.integrations.marketo.settings import MarketoSettings

__all__ = ["DESTINATION", "MarketoSettings"]
