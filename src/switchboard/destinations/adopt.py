"""Mappings for destinations stored before the kit: made once, from their settings.

A destination on the kit whose `mappings_version` is 0 was stored by a release that had no
mappings: its vendor settings (`trait_mapping`, `activities`, `track_events`, …) said what
to send. `adopt` turns them into mappings with the destination's `convert_legacy`, so it
keeps delivering exactly what it delivered, or gives it the presets when its settings hold
nothing of the older form; then it stores the settings in their current form. `switchboard
migrate` adopts every such destination after the schema migration; the app, the worker and
the route job adopt any that appear later (a plugin installed after the migration).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from switchboard.destinations import store
from switchboard.destinations.crypto import SettingsBox
from switchboard.destinations.models import Destination
from switchboard.destinations.service import add_mappings
from switchboard.integrations.base import Adapter
from switchboard.integrations.kit.adapter import KitAdapter

log = logging.getLogger(__name__)


def adopt(
    session: Session, box: SettingsBox, adapter: KitAdapter, destination: Destination
) -> None:
    """Make `destination`'s mappings from its stored settings (see the module's docstring)."""
    stored = box.open(destination.settings_encrypted)
    converted = None
    convert = adapter.destination.convert_legacy
    if convert is not None:
        converted = convert(dict(stored))
    if converted is None:
        settings, specs = stored, adapter.destination.preset_mappings()
    else:
        settings, specs = converted
    # Validated now, so a conversion that cannot be read back never replaces what worked.
    adapter.settings_model.model_validate(settings)
    if not destination.mappings:
        add_mappings(session, destination, specs)
    store.mark_mappings_made(session, destination, box.seal(settings))


def adopt_all(session: Session, box: SettingsBox, adapters: Mapping[str, Adapter]) -> int:
    """Adopt every destination on the kit that has no mappings made yet; how many were.
    One that cannot be adopted (its key changed, its settings unreadable) is logged and left
    for the next run; the others still are."""
    kit_types = [t for t, a in adapters.items() if isinstance(a, KitAdapter)]
    pending = session.scalars(
        select(Destination).where(
            Destination.mappings_version < store.MAPPINGS_VERSION, Destination.type.in_(kit_types)
        )
    ).all()
    adopted = 0
    for destination in pending:
        adapter = adapters[destination.type]
        assert isinstance(adapter, KitAdapter)
        try:
            with session.begin_nested():
                adopt(session, box, adapter, destination)
        except Exception as exc:  # one bad row must not keep the others from their mappings
            log.error(
                "destination %s (%s): mappings not made: %s",
                destination.id,
                destination.type,
                type(exc).__name__,
            )
            continue
        adopted += 1
    return adopted
