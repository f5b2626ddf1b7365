"""The writes to `destinations`, `connections` and `destination_mappings`: the one module that
adds, changes or deletes their rows. Callers own the session and the commit; each write is
flushed (ids are set)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from switchboard.db.changes import KEEP, Kept, apply
from switchboard.destinations.models import Connection, Destination, DestinationMapping


def add_destination(
    session: Session,
    *,
    name: str,
    type: str,
    settings_encrypted: str,
    enabled: bool,
    filters: dict[str, Any],
    retry: dict[str, Any] | None,
    rate_limit_per_second: float | None,
    max_concurrency: int | None,
    source_ids: Iterable[int],
    mappings_version: int = 0,
) -> Destination:
    """A new destination connected to `source_ids`."""
    destination = Destination(
        mappings_version=mappings_version,
        name=name,
        type=type,
        settings_encrypted=settings_encrypted,
        enabled=enabled,
        filters=filters,
        retry=retry,
        rate_limit_per_second=rate_limit_per_second,
        max_concurrency=max_concurrency,
    )
    for source_id in source_ids:
        destination.connections.append(Connection(source_id=source_id))
    session.add(destination)
    session.flush()
    return destination


def change_destination(
    session: Session,
    destination: Destination,
    *,
    name: Kept[str] = KEEP,
    settings_encrypted: Kept[str] = KEEP,
    enabled: Kept[bool] = KEEP,
    filters: Kept[dict[str, Any]] = KEEP,
    retry: Kept[dict[str, Any] | None] = KEEP,
    rate_limit_per_second: Kept[float | None] = KEEP,
    max_concurrency: Kept[int | None] = KEEP,
    source_ids: Kept[set[int]] = KEEP,
) -> None:
    """Set the columns given, the others keep their values; `source_ids` replaces the
    connections (those kept keep their creation time)."""
    apply(
        destination,
        name=name,
        settings_encrypted=settings_encrypted,
        enabled=enabled,
        filters=filters,
        retry=retry,
        rate_limit_per_second=rate_limit_per_second,
        max_concurrency=max_concurrency,
    )
    if source_ids is not KEEP:
        kept = [c for c in destination.connections if c.source_id in source_ids]
        added = sorted(source_ids - {c.source_id for c in destination.connections})
        destination.connections = kept + [Connection(source_id=s) for s in added]
    session.flush()


def delete_destination(session: Session, destination: Destination) -> None:
    """Delete `destination`; its connections and deliveries go with it."""
    session.delete(destination)
    session.flush()


def add_mapping(
    session: Session,
    destination: Destination,
    *,
    name: str,
    action: str,
    trigger: str,
    mapping: dict[str, Any],
    enabled: bool,
    position: int | None = None,
) -> DestinationMapping:
    """A new mapping of `destination`, last unless `position` is given."""
    if position is None:
        position = max((m.position for m in destination.mappings), default=-1) + 1
    row = DestinationMapping(
        name=name,
        action=action,
        trigger=trigger,
        mapping=mapping,
        enabled=enabled,
        position=position,
    )
    destination.mappings.append(row)
    session.flush()
    return row


def change_mapping(
    session: Session,
    row: DestinationMapping,
    *,
    name: Kept[str] = KEEP,
    action: Kept[str] = KEEP,
    trigger: Kept[str] = KEEP,
    mapping: Kept[dict[str, Any]] = KEEP,
    enabled: Kept[bool] = KEEP,
    position: Kept[int] = KEEP,
) -> None:
    apply(
        row,
        name=name,
        action=action,
        trigger=trigger,
        mapping=mapping,
        enabled=enabled,
        position=position,
    )
    session.flush()


def delete_mapping(session: Session, row: DestinationMapping) -> None:
    session.delete(row)
    session.flush()


def mark_mappings_made(session: Session, destination: Destination, settings_encrypted: str) -> None:
    """The destination's mappings are made (`mappings_version` 1), with its settings as the
    conversion left them."""
    destination.settings_encrypted = settings_encrypted
    destination.mappings_version = MAPPINGS_VERSION
    session.flush()


#: The `mappings_version` of a destination whose mappings are made.
MAPPINGS_VERSION = 1
