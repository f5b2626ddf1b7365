"""What the schema service returns (and the admin API sends): typed, documented shapes."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class DayCount(BaseModel):
    """Calls on one UTC day."""

    day: date
    calls: int


class SourceVolume(BaseModel):
    """A source's daily volume over the last `days` days (today included, UTC), oldest first.

    Every day of the range is listed, with `calls` 0 on days without events.
    """

    source_id: int
    days: int
    since: date = Field(description="the first day of the range")
    until: date = Field(description="the last day of the range: today (UTC)")
    total: int
    daily: list[DayCount]


class EventCount(BaseModel):
    """One event of a source: track calls by event name, the other calls by their type."""

    key: str = Field(description="`track:<name>` for track, else the call type, e.g. `identify`")
    type: str = Field(description="the call type: identify, track, page, screen, group, alias")
    name: str | None = Field(description="the track event's name; null for other calls")
    calls: int = Field(description="calls in the range")
    last_day: date = Field(description="the last day in the range with a call")


class EventList(BaseModel):
    """The events a source received in the range, most calls first (then by key)."""

    source_id: int
    days: int
    since: date
    until: date
    total: int = Field(description="calls of the listed events in the range")
    events: list[EventCount]


class PropertyPresence(BaseModel):
    """How often a property (or trait) path was present in an event's calls."""

    kind: str = Field(description="where it was found: properties, traits or context.traits")
    path: str = Field(description="a top-level key, or one nested level: `address.city`")
    calls: int = Field(description="calls in the range that carried it")
    percent: float = Field(description="calls / the event's calls in the range, 0 to 100")


class EventDetail(BaseModel):
    """One event over the range: its daily volume and its properties' presence.

    `properties` is ordered by kind (properties, traits, context.traits), then most present
    first, then by path. `capped` is true when on some day the event had more distinct paths
    than the schema keeps (`max_paths_per_day`), so rarer paths may be missing.
    """

    source_id: int
    days: int
    since: date
    until: date
    key: str
    type: str
    name: str | None
    calls: int
    daily: list[DayCount]
    properties: list[PropertyPresence]
    capped: bool
    max_paths_per_day: int


class SchemaOverview(BaseModel):
    """Everything about a source's schema in one answer: volume, and every event's detail."""

    source_id: int
    days: int
    since: date
    until: date
    total: int
    daily: list[DayCount]
    events: list[EventDetail]
