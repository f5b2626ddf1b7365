"""Segment's trigger syntax (destination-subscriptions): which events an action receives.

    trigger = parse_trigger('type = "track" and event = "Order Completed"')
    trigger.matches(event)        # True or False
    trigger.condition             # the parsed tree (Group / Condition), for the trigger builder
    to_text(trigger.condition)    # the tree written back as trigger text

`parse_trigger` raises TriggerSyntaxError, with the character position, for text Segment's
parser refuses. The grammar and its quirks are described in `parser.py`, the comparisons in
`conditions.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from switchboard.integrations.kit.triggers.conditions import Condition, Group
from switchboard.integrations.kit.triggers.errors import TriggerSyntaxError
from switchboard.integrations.kit.triggers.generator import to_text
from switchboard.integrations.kit.triggers.parser import parse

CACHE_SIZE: Final = 1024
"""Parsed triggers kept; a deployment has one per configured mapping."""

__all__ = ["Condition", "Group", "Trigger", "TriggerSyntaxError", "parse_trigger", "to_text"]


@dataclass(frozen=True, slots=True)
class Trigger:
    """A parsed trigger: its text and its condition tree."""

    text: str
    condition: Group

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether `event` satisfies the trigger (never for a value that is not an object)."""
        if not isinstance(event, Mapping):
            return False
        return self.condition.matches(event)

    def as_segment(self) -> dict[str, Any]:
        """The condition tree as Segment's JSON AST (`{"type": "group", …}`)."""
        return self.condition.as_segment()


@lru_cache(maxsize=CACHE_SIZE)
def parse_trigger(text: str) -> Trigger:
    """Parse a trigger once; the same text again comes from a cache.

    Raises TriggerSyntaxError for text Segment's parser refuses.
    """
    return Trigger(text, parse(text))
