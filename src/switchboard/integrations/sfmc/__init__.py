"""The Salesforce Marketing Cloud destination: journey entries and data-extension rows."""

from switchboard.integrations.sfmc.destination import DESTINATION
from switchboard.integrations.sfmc.settings import SFMCSettings

__all__ = ["DESTINATION", "SFMCSettings"]
