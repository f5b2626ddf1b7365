"""The Pendo destination: visitors, accounts and track events through Pendo's APIs."""

from switchboard.integrations.pendo.adapter import PendoAdapter
from switchboard.integrations.pendo.settings import PendoSettings

__all__ = ["PendoAdapter", "PendoSettings"]
