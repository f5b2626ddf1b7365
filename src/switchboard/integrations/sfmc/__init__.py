"""The Salesforce Marketing Cloud destination: journey entry events and data-extension rows."""

from switchboard.integrations.sfmc.adapter import SFMCAdapter
from switchboard.integrations.sfmc.settings import SFMCSettings

__all__ = ["SFMCAdapter", "SFMCSettings"]
