"""Create, change, delete and read configured destinations; the rows are written by
`destinations/store.py`. Callers own the session and commit.

Settings are validated by the adapter's own model, stored encrypted, and shown masked: every
`SecretStr` reads back as `MASK`, and so do the parts the model marks secret in its JSON Schema
(custom header values, a URL's password and token-like query values: destinations/masking.py).
Sending `MASK` back in an update keeps the stored secret, so a form can round-trip what it was
shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from switchboard.db.changes import KEEP, Kept
from switchboard.destinations import store
from switchboard.destinations.addresses import internal_urls
from switchboard.destinations.crypto import SettingsBox
from switchboard.destinations.masking import MASK as MASK
from switchboard.destinations.masking import MaskProblem, mask_settings, unmask_settings
from switchboard.destinations.models import Destination
from switchboard.integrations.base import Adapter
from switchboard.integrations.http import mask_url_credentials
from switchboard.integrations.kit.adapter import KitAdapter
from switchboard.integrations.kit.definition import MappingSpec
from switchboard.sources.models import Source


class DestinationError(ValueError):
    """Bad input for a destination; `status` is the HTTP status that fits."""

    def __init__(self, message: str, status: int = 400, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or []


def _plain(value: Any) -> Any:
    """A settings dump with secrets in clear (only ever written encrypted)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return _plain(value.model_dump())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@cache
def settings_schema(model: type[BaseModel]) -> dict[str, Any]:
    """An adapter's settings JSON Schema (computed once: it says which parts are secret)."""
    return model.model_json_schema()


def _invalid(adapter: Adapter, errors: list[dict[str, Any]]) -> DestinationError:
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "settings"
    return DestinationError(
        f"invalid settings for {adapter.type}: {where}: {first['msg']}", 422, errors
    )


def validate_settings(adapter: Adapter, settings: Mapping[str, Any]) -> BaseModel:
    try:
        return adapter.settings_model.model_validate(dict(settings))
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        raise _invalid(adapter, errors) from None


T = TypeVar("T")


def _given(data: DestinationInput, field: str, value: T | None) -> Kept[T | None]:
    """An optional field's new value: set (or null, when `data.clear` names it), else KEEP."""
    return value if value is not None or field in data.clear else KEEP


@dataclass(frozen=True)
class DestinationInput:
    name: str | None = None
    type: str | None = None
    settings: dict[str, Any] | None = None
    source_ids: list[int] | None = None
    enabled: bool | None = None
    filters: dict[str, Any] | None = None
    retry: dict[str, Any] | None = None
    rate_limit_per_second: float | None = None
    max_concurrency: int | None = None
    clear: frozenset[str] = frozenset()  # optional fields explicitly set to null


class DestinationService:
    def __init__(
        self,
        session: Session,
        box: SettingsBox,
        adapters: Mapping[str, Adapter],
        *,
        allow_private: bool = False,
    ) -> None:
        self.session = session
        self.box = box
        self.adapters = adapters
        self.allow_private = allow_private

    def _validated(self, adapter: Adapter, settings: Mapping[str, Any]) -> BaseModel:
        model = validate_settings(adapter, settings)
        if not self.allow_private:
            inside = internal_urls(_plain(model))
            if inside:
                # Named as reads show it: the URL's password or ?token= is not echoed.
                shown = mask_url_credentials(inside[0], MASK)
                raise DestinationError(
                    f"{shown} points to a private or loopback address; set "
                    "SWITCHBOARD_ALLOW_PRIVATE_DESTINATIONS=true to allow it",
                    422,
                )
        return model

    def adapter(self, type_: str) -> Adapter:
        adapter = self.adapters.get(type_)
        if adapter is None:
            known = ", ".join(sorted(self.adapters)) or "none"
            raise DestinationError(f"unknown destination type {type_!r} (known: {known})")
        return adapter

    def settings_of(self, destination: Destination) -> BaseModel:
        """The destination's settings, decrypted and validated (secrets in clear)."""
        adapter = self.adapter(destination.type)
        return adapter.settings_model.model_validate(self.box.open(destination.settings_encrypted))

    def masked_settings(self, destination: Destination) -> dict[str, Any]:
        """The settings as every read shows them: each secret part replaced by `MASK`."""
        adapter = self.adapter(destination.type)
        document = self.settings_of(destination).model_dump(mode="json")
        return mask_settings(settings_schema(adapter.settings_model), document)

    def all(self) -> list[Destination]:
        return list(self.session.scalars(select(Destination).order_by(Destination.id)))

    def get(self, destination_id: int) -> Destination | None:
        return self.session.get(Destination, destination_id)

    def _check_sources(self, source_ids: Iterable[int]) -> list[int]:
        wanted = sorted(set(source_ids))
        if not wanted:
            return []
        found = set(self.session.scalars(select(Source.id).where(Source.id.in_(wanted))))
        missing = [s for s in wanted if s not in found]
        if missing:
            raise DestinationError(f"unknown source id(s): {', '.join(map(str, missing))}")
        return wanted

    def _check_name(self, name: str, own_id: int | None = None) -> None:
        clash = self.session.scalar(select(Destination.id).where(Destination.name == name))
        if clash is not None and clash != own_id:
            raise DestinationError(f"a destination named {name!r} already exists", 409)

    def create(self, data: DestinationInput) -> Destination:
        """A new destination; one on the kit starts with its presets, or, when `settings` are
        in the form of a release before the kit, with the mappings they convert to."""
        if not data.name or not data.type:
            raise DestinationError("name and type are required")
        adapter = self.adapter(data.type)
        self._check_name(data.name)
        given, specs = _converted(adapter, dict(data.settings or {}))
        settings = self._validated(adapter, given)
        if isinstance(adapter, KitAdapter) and specs is None:
            specs = adapter.destination.preset_mappings()
        destination = store.add_destination(
            self.session,
            name=data.name,
            type=data.type,
            settings_encrypted=self.box.seal(_plain(settings)),
            enabled=True if data.enabled is None else data.enabled,
            filters=data.filters or {},
            retry=data.retry,
            rate_limit_per_second=data.rate_limit_per_second,
            max_concurrency=data.max_concurrency,
            source_ids=self._check_sources(data.source_ids or []),
            mappings_version=store.MAPPINGS_VERSION if isinstance(adapter, KitAdapter) else 0,
        )
        add_mappings(self.session, destination, specs or [])
        return destination

    def update(self, destination: Destination, data: DestinationInput) -> Destination:
        """Apply what `data` sets (a field in `data.clear` is set to null); nothing changes
        when any of it is refused."""
        if data.type is not None and data.type != destination.type:
            raise DestinationError("a destination's type cannot change; create another one")
        if data.name is not None:
            self._check_name(data.name, destination.id)
        sealed: Kept[str] = KEEP
        if data.settings is not None:
            adapter = self.adapter(destination.type)
            stored = _plain(self.settings_of(destination))
            try:
                restored = unmask_settings(
                    settings_schema(adapter.settings_model), data.settings, stored
                )
            except MaskProblem as exc:
                raise _invalid(adapter, exc.errors) from None
            merged, specs = _converted(adapter, {**stored, **restored})
            sealed = self.box.seal(_plain(self._validated(adapter, merged)))
            if specs is not None:
                # Settings of the older form describe the whole mapping: they replace it.
                replace_mappings(self.session, destination, specs)
        source_ids: Kept[set[int]] = KEEP
        if data.source_ids is not None:
            source_ids = set(self._check_sources(data.source_ids))
        store.change_destination(
            self.session,
            destination,
            name=KEEP if data.name is None else data.name,
            settings_encrypted=sealed,
            enabled=KEEP if data.enabled is None else data.enabled,
            filters=KEEP if data.filters is None else data.filters,
            retry=_given(data, "retry", data.retry),
            rate_limit_per_second=_given(data, "rate_limit_per_second", data.rate_limit_per_second),
            max_concurrency=_given(data, "max_concurrency", data.max_concurrency),
            source_ids=source_ids,
        )
        return destination

    def delete(self, destination: Destination) -> None:
        """Delete the destination with its connections and deliveries."""
        store.delete_destination(self.session, destination)


def _converted(
    adapter: Adapter, settings: dict[str, Any]
) -> tuple[dict[str, Any], list[MappingSpec] | None]:
    """`settings` in the adapter's current form, and the mappings they stand for when they
    were written in the form of a release before the kit (None: they were not)."""
    if not isinstance(adapter, KitAdapter) or adapter.destination.convert_legacy is None:
        return settings, None
    try:
        converted = adapter.destination.convert_legacy(settings)
    except (ValueError, TypeError, KeyError) as exc:
        raise DestinationError(f"invalid settings for {adapter.type}: {exc}", 422) from None
    if converted is None:
        return settings, None
    return converted


def add_mappings(session: Session, destination: Destination, specs: list[MappingSpec]) -> None:
    for spec in specs:
        store.add_mapping(
            session,
            destination,
            name=spec.name,
            action=spec.action,
            trigger=spec.trigger,
            mapping=spec.mapping,
            enabled=spec.enabled,
        )


def replace_mappings(session: Session, destination: Destination, specs: list[MappingSpec]) -> None:
    for row in list(destination.mappings):
        store.delete_mapping(session, row)
    session.refresh(destination, ["mappings"])
    add_mappings(session, destination, specs)
