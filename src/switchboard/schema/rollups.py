"""Count routed batches into the schema rollups (`schema/models.py`): what is counted, and
the bounds. `schema/store.py` writes the counts.

The route job calls `schema.store.record_routed` inside its own transaction, so counts
commit with the routing decisions. The batch is aggregated here in Python and written with
one `INSERT … ON CONFLICT DO UPDATE` per table, rows sorted by key so that two route jobs
touching the same rows lock them in the same order and cannot deadlock.

Bounds, so that a hostile payload cannot grow the tables without limit:

- per call, the top-level keys of `properties`/`traits`/`context.traits` and one nested
  level of objects (`address.city`), at most `MAX_PATHS_PER_CALL` paths, keys of at most
  `MAX_KEY_LENGTH` characters (longer ones are not counted);
- per source and day, at most `MAX_EVENTS_PER_DAY` event keys; calls of further new event
  names count towards the source's volume only;
- per event and day, at most `MAX_PATHS_PER_EVENT_DAY` paths; paths already known keep
  counting, new ones beyond the cap are dropped.

Each batch is capped in Python, and the INSERT checks the caps against the rows stored
before it, so a batch that starts just under a cap, or two jobs at once, can go beyond it by
at most one batch's worth each: the tables stay bounded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final, Protocol

from switchboard.spec.calls import CALL_TYPES

MAX_PATHS_PER_CALL: Final = 100
MAX_KEY_LENGTH: Final = 100
MAX_EVENTS_PER_DAY: Final = 1000
MAX_PATHS_PER_EVENT_DAY: Final = 200

#: Where presence is counted, by call type. `context.traits` is counted for every call
#: because RudderStack's SDKs (and some analytics.js setups) send the user's traits there.
KINDS_BY_TYPE: Final[Mapping[str, tuple[str, ...]]] = {
    "track": ("properties", "context.traits"),
    "page": ("properties", "context.traits"),
    "screen": ("properties", "context.traits"),
    "identify": ("traits", "context.traits"),
    "group": ("traits", "context.traits"),
    "alias": ("context.traits",),
}


class RoutedEvent(Protocol):
    """What `record_routed` reads of each event: the route job's rows have both."""

    @property
    def id(self) -> int: ...

    @property
    def source_id(self) -> int: ...

    @property
    def payload(self) -> Any: ...


def event_key(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    """(event key, call type) of a stored message: `track:<name>` for track, else the type.

    None for a message that is not one of the six calls (ingest never stores one).
    """
    kind = payload.get("type")
    if kind not in CALL_TYPES:
        return None
    if kind == "track":
        name = payload.get("event")
        if not isinstance(name, str) or not name:
            return None
        return f"track:{name}", kind
    return str(kind), str(kind)


def _container(payload: Mapping[str, Any], kind: str) -> Any:
    if kind == "context.traits":
        context = payload.get("context")
        return context.get("traits") if isinstance(context, dict) else None
    return payload.get(kind)


def property_paths(payload: Mapping[str, Any], call_type: str) -> list[tuple[str, str]]:
    """The (kind, path) pairs present in one call, within the per-call bounds above."""
    found: list[tuple[str, str]] = []
    for kind in KINDS_BY_TYPE.get(call_type, ()):
        container = _container(payload, kind)
        if not isinstance(container, dict):
            continue
        for path in _paths(container):
            if len(found) >= MAX_PATHS_PER_CALL:
                return found
            found.append((kind, path))
    return found


def _paths(container: dict[str, Any]) -> Iterator[str]:
    for key, value in container.items():
        if not key or len(key) > MAX_KEY_LENGTH:
            continue
        yield key
        if isinstance(value, dict):
            for inner in value:
                if inner and len(inner) <= MAX_KEY_LENGTH:
                    yield f"{key}.{inner}"


def event_day(payload: Mapping[str, Any], today: date) -> date:
    """The UTC day of the message's `receivedAt` (ingest writes it as ISO 8601 in UTC)."""
    received = payload.get("receivedAt")
    if isinstance(received, str) and len(received) >= 10:
        try:
            return date.fromisoformat(received[:10])
        except ValueError:
            pass
    return today


@dataclass
class SchemaBatch:
    """One batch's counts, keyed like the rollup tables' primary keys."""

    source_days: Counter[tuple[int, date]] = field(default_factory=Counter)
    event_days: Counter[tuple[int, date, str, str]] = field(default_factory=Counter)
    property_days: Counter[tuple[int, str, date, str, str]] = field(default_factory=Counter)

    def add(self, source_id: int, payload: Mapping[str, Any], today: date) -> None:
        day = event_day(payload, today)
        self.source_days[(source_id, day)] += 1
        keyed = event_key(payload)
        if keyed is None:
            return
        key, call_type = keyed
        self.event_days[(source_id, day, key, call_type)] += 1
        for kind, path in set(property_paths(payload, call_type)):
            self.property_days[(source_id, key, day, kind, path)] += 1

    def capped_event_days(self) -> list[tuple[tuple[int, date, str, str], int]]:
        """Event rows sorted by key, at most `MAX_EVENTS_PER_DAY` per source and day."""
        kept: list[tuple[tuple[int, date, str, str], int]] = []
        per_day: Counter[tuple[int, date]] = Counter()
        for row_key in sorted(self.event_days):
            if per_day[row_key[:2]] >= MAX_EVENTS_PER_DAY:
                continue
            per_day[row_key[:2]] += 1
            kept.append((row_key, self.event_days[row_key]))
        return kept

    def capped_property_days(self) -> list[tuple[tuple[int, str, date, str, str], int]]:
        """Property rows sorted by key, at most `MAX_PATHS_PER_EVENT_DAY` per event and day."""
        kept: list[tuple[tuple[int, str, date, str, str], int]] = []
        per_event: Counter[tuple[int, str, date]] = Counter()
        for row_key in sorted(self.property_days):
            event = row_key[:3]
            if per_event[event] >= MAX_PATHS_PER_EVENT_DAY:
                continue
            per_event[event] += 1
            kept.append((row_key, self.property_days[row_key]))
        return kept


def aggregate(events: Iterable[RoutedEvent], today: date | None = None) -> SchemaBatch:
    """Count a batch of stored events into rollup rows (no database access)."""
    today = today or datetime.now(UTC).date()
    batch = SchemaBatch()
    for event in events:
        if isinstance(event.payload, dict):
            batch.add(event.source_id, event.payload, today)
    return batch
