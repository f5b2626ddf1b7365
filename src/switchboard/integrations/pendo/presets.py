"""The actions of a Pendo destination and the mappings a new one starts with: each action on
its call type, with its fields' defaults, which is what Pendo received before mappings."""

from __future__ import annotations

from typing import Final

from switchboard.integrations.kit.definition import Action, Preset
from switchboard.integrations.pendo.group import GroupAccount
from switchboard.integrations.pendo.identify import IdentifyVisitor
from switchboard.integrations.pendo.settings import PendoSettings
from switchboard.integrations.pendo.track import SendTrackEvent

ACTIONS: Final[tuple[Action[PendoSettings], ...]] = (
    IdentifyVisitor(),
    GroupAccount(),
    SendTrackEvent(),
)

PRESETS: Final = tuple(
    Preset(action.title, action.id, action.default_trigger) for action in ACTIONS
)
