"""The Pendo destination: visitors, accounts and track events through Pendo's APIs."""

from switchboard.integrations.pendo.destination import DESTINATION
from switchboard.integrations.pendo.settings import PendoSettings

__all__ = ["DESTINATION", "PendoSettings"]
