"""Create, change, delete and read the mappings of a kit destination; the rows are written by
`destinations/store.py`. Callers own the session and commit.

A mapping is saved only when it works: its action exists, its trigger parses (the error
says at which character it does not), its field mapping compiles, every required field is
mapped, and what the mapping makes of a sample event has every field's type. The sample is
the one the caller gives (a stored event, an event the user pasted), else a generated event
of the trigger's call type (`kit/samples.py`); a required field the generated sample lacks
is not held against the mapping, since no stored event was at hand to show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

import orjson
from sqlalchemy.orm import Session

from switchboard.db.changes import KEEP
from switchboard.destinations import store
from switchboard.destinations.models import Destination, DestinationMapping
from switchboard.integrations.base import Adapter, MappingRef
from switchboard.integrations.kit.adapter import KitAdapter, compiled
from switchboard.integrations.kit.definition import Action
from switchboard.integrations.kit.errors import PayloadInvalid
from switchboard.integrations.kit.fields import Field, check_payload, default_mapping
from switchboard.integrations.kit.mapping import MappingError
from switchboard.integrations.kit.samples import sample_for
from switchboard.integrations.kit.triggers import Trigger, TriggerSyntaxError, parse_trigger

MAX_MAPPINGS: Final = 50
"""Per destination: each mapping runs for every event routed to the destination."""

MAX_TRIGGER_LENGTH: Final = 2000

MAX_MAPPING_BYTES: Final = 64 * 1024
"""A field mapping's JSON, at most: it is loaded with its destination by every deliver job."""


class MappingProblem(ValueError):
    """A mapping that cannot be saved; `errors` say where (`location`, `message`)."""

    def __init__(self, message: str, status: int = 422, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.errors = errors or []


@dataclass(frozen=True)
class MappingInput:
    name: str | None = None
    action: str | None = None
    trigger: str | None = None
    mapping: dict[str, Any] | None = None
    enabled: bool | None = None
    position: int | None = None
    sample: dict[str, Any] | None = field(default=None, compare=False)


def kit_adapter(adapter: Adapter | None, destination_type: str) -> KitAdapter:
    if not isinstance(adapter, KitAdapter):
        raise MappingProblem(
            f"destinations of type {destination_type!r} have no actions, so no mappings", 400
        )
    return adapter


def check_trigger(text: str) -> Trigger:
    """The parsed trigger; raises `MappingProblem` naming the position of a syntax error."""
    if not text.strip():
        raise MappingProblem("trigger: must not be empty", errors=[_error("trigger", "is empty")])
    if len(text) > MAX_TRIGGER_LENGTH:
        raise MappingProblem(f"trigger: longer than {MAX_TRIGGER_LENGTH} characters")
    try:
        return parse_trigger(text)
    except TriggerSyntaxError as exc:
        raise MappingProblem(
            f"trigger: {exc}",
            errors=[{"location": "trigger", "message": str(exc), "position": exc.position}],
        ) from None


def check_mapping(
    action: Action[Any],
    trigger: Trigger,
    mapping: Mapping[str, Any],
    sample: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What `mapping` makes of the sample (the given one, else one for the trigger), checked
    against the action's fields; raises `MappingProblem` naming the field at fault."""
    if not isinstance(mapping, dict):
        raise MappingProblem("mapping: must be a JSON object")
    if len(orjson.dumps(mapping)) > MAX_MAPPING_BYTES:
        raise MappingProblem(
            f"mapping: larger than {MAX_MAPPING_BYTES // 1024} KiB of JSON",
            errors=[_error("mapping", "is too large")],
        )
    try:
        program = compiled(mapping)
    except MappingError as exc:
        errors = [_error(f"mapping{issue.pointer}", issue.message) for issue in exc.errors]
        raise MappingProblem(f"mapping: {exc}", errors=errors) from None
    unmapped = [
        name for name, spec in action.fields.items() if spec.required and name not in mapping
    ]
    if unmapped:
        raise MappingProblem(
            f"mapping: the required field {unmapped[0]!r} of {action.title} is not mapped",
            errors=[_error(f"mapping/{name}", "is required and not mapped") for name in unmapped],
        )
    generated = sample is None
    event = sample if sample is not None else sample_for(trigger)
    try:
        produced = program.evaluate(event)
    except MappingError as exc:
        raise MappingProblem(
            f"mapping: on the sample event: {exc}",
            errors=[_error(f"mapping{i.pointer}", i.message) for i in exc.errors],
        ) from None
    fields = action.fields
    if generated:
        # Only what the generated sample could show: the types of what it produced.
        fields = {name: spec for name, spec in fields.items() if name in produced}
        fields = {name: _optional(spec) for name, spec in fields.items()}
    try:
        return check_payload(fields, produced)
    except PayloadInvalid as exc:
        where = f"mapping/{exc.field}" if exc.field else "mapping"
        raise MappingProblem(
            f"mapping: on the sample event: {exc}", errors=[_error(where, str(exc))]
        ) from None


def _optional(spec: Field) -> Field:
    return replace(spec, required=False)


def _error(location: str, message: str) -> dict[str, Any]:
    return {"location": location, "message": message}


def ref(row: DestinationMapping) -> MappingRef:
    """What the deliver job hands the adapter for a delivery of `row`."""
    return MappingRef(row.id, row.name, row.action, dict(row.mapping))


class MappingService:
    def __init__(self, session: Session, adapters: Mapping[str, Adapter]) -> None:
        self.session = session
        self.adapters = adapters

    def _action(self, destination: Destination, action_id: str) -> Action[Any]:
        adapter = kit_adapter(self.adapters.get(destination.type), destination.type)
        action = adapter.destination.action(action_id)
        if action is None:
            known = ", ".join(a.id for a in adapter.destination.actions)
            raise MappingProblem(
                f"action: {adapter.display_name} has no action {action_id!r} (it has: {known})",
                errors=[_error("action", f"unknown action {action_id!r}")],
            )
        return action

    def create(self, destination: Destination, data: MappingInput) -> DestinationMapping:
        if not data.name or not data.name.strip():
            raise MappingProblem("name: is required", errors=[_error("name", "is required")])
        if len(destination.mappings) >= MAX_MAPPINGS:
            raise MappingProblem(f"a destination holds at most {MAX_MAPPINGS} mappings", 409)
        kit_adapter(self.adapters.get(destination.type), destination.type)
        if not data.action:
            raise MappingProblem("action: is required", errors=[_error("action", "is required")])
        action = self._action(destination, data.action)
        trigger_text = data.trigger if data.trigger is not None else action.default_trigger
        trigger = check_trigger(trigger_text)
        mapping = data.mapping if data.mapping is not None else _defaults(action)
        check_mapping(action, trigger, mapping, data.sample)
        return store.add_mapping(
            self.session,
            destination,
            name=data.name.strip()[:200],
            action=action.id,
            trigger=trigger_text,
            mapping=mapping,
            enabled=True if data.enabled is None else data.enabled,
            position=data.position,
        )

    def update(self, row: DestinationMapping, data: MappingInput) -> DestinationMapping:
        """Apply what `data` sets; the whole mapping is checked again, nothing changes when it
        is refused."""
        destination = row.destination
        action = self._action(destination, data.action or row.action)
        trigger_text = data.trigger if data.trigger is not None else row.trigger
        mapping = data.mapping if data.mapping is not None else row.mapping
        check_mapping(action, check_trigger(trigger_text), mapping, data.sample)
        if data.name is not None and not data.name.strip():
            raise MappingProblem("name: must not be empty", errors=[_error("name", "is empty")])
        store.change_mapping(
            self.session,
            row,
            name=KEEP if data.name is None else data.name.strip()[:200],
            action=action.id,
            trigger=trigger_text,
            mapping=mapping,
            enabled=KEEP if data.enabled is None else data.enabled,
            position=KEEP if data.position is None else data.position,
        )
        return row

    def delete(self, row: DestinationMapping) -> None:
        store.delete_mapping(self.session, row)

    def get(self, destination: Destination, mapping_id: int) -> DestinationMapping | None:
        for row in destination.mappings:
            if row.id == mapping_id:
                return row
        return None


def _defaults(action: Action[Any]) -> dict[str, Any]:
    return default_mapping(action.fields)


def as_dict(row: DestinationMapping) -> dict[str, Any]:
    """A mapping as the admin API and the CLI show it."""
    return {
        "id": row.id,
        "destination_id": row.destination_id,
        "name": row.name,
        "action": row.action,
        "trigger": row.trigger,
        "mapping": row.mapping,
        "enabled": row.enabled,
        "position": row.position,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }
