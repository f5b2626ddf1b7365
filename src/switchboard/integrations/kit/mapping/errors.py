"""What goes wrong with a mapping, and where.

    MappingError               raised by compile_mapping (the mapping is invalid) and by
     └ .errors: [MappingIssue]  CompiledMapping.evaluate (invalid for this event)

Every issue names its location the way Segment's validator does: the JSON path from the
mapping's root to the offending key, `/` separated, directive names included
(`/email/@if/then has an invalid directive: @oops.`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Location = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MappingIssue:
    """One problem: where it is (keys from the mapping's root) and what it is."""

    location: Location
    message: str

    @property
    def pointer(self) -> str:
        """The location as Segment writes it: "/" for the root, "/a/@path" below it."""
        return "/" + "/".join(self.location)

    def __str__(self) -> str:
        return f"{self.pointer} {self.message}."


class MappingError(ValueError):
    """A mapping that cannot be compiled, or cannot be evaluated on a given event."""

    def __init__(self, errors: Sequence[MappingIssue]) -> None:
        self.errors: tuple[MappingIssue, ...] = tuple(errors)
        super().__init__("\n".join(str(issue) for issue in self.errors))

    @classmethod
    def at(cls, location: Location, message: str) -> MappingError:
        """An error with a single issue."""
        return cls([MappingIssue(location, message)])

    def messages(self) -> list[str]:
        """Each issue as one line, as the evaluate endpoint reports them."""
        return [str(issue) for issue in self.errors]
