"""The one error a trigger can have: text that Segment's subscription parser refuses."""

from __future__ import annotations


class TriggerSyntaxError(ValueError):
    """A trigger that does not parse; `position` is the 0-based index of the offending character."""

    def __init__(self, message: str, position: int) -> None:
        self.message = message
        self.position = position
        super().__init__(f"{message} at position {position}")
