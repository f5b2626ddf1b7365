"""What a destination built on the kit declares: its settings, actions and presets.

    DESTINATION = Destination(
        type="acme",
        display_name="Acme",
        settings_model=AcmeSettings,           # pydantic; SecretStr for secrets
        actions=(SendEvent(), UpsertUser()),
        presets=(Preset("Track calls", "send_event", 'type = "track"'),),
        test_connection=check_api_key,         # the dashboard's "Test connection"
        limits=lambda s: Limits(100, 20.0, 10, "Acme"),   # a shared budget, when the vendor has one
    )

An action is a class with an id, a title, a default trigger, typed fields (`kit.fields`), and
`perform(ctx, settings, payload)`; it may add `perform_batch(ctx, settings, payloads)` that
answers per payload, so one bad event in a batch fails alone. `payload` is what the mapping
produced from the event, checked against the fields. Both may make requests through `ctx`
(`kit.context.ActionContext`) and raise the kit's errors (`kit.errors`); nothing else.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from switchboard.integrations.base import Exchange, Outcome
from switchboard.integrations.budget import Limits
from switchboard.integrations.kit.fields import Field, default_mapping, fields_schema

if TYPE_CHECKING:
    from switchboard.integrations.kit.context import ActionContext

S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What `perform_batch` says of one payload: its outcome and, when it took requests of its
    own, their exchanges (None: the exchanges the batch made)."""

    outcome: Outcome
    exchanges: list[Exchange] | None = None


class Action(Generic[S]):
    """One thing a destination can do with an event ("Send custom activity")."""

    id: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str] = ""
    #: The trigger a new mapping of this action starts with (Segment's `defaultSubscription`).
    default_trigger: ClassVar[str]
    fields: ClassVar[Mapping[str, Field]]
    #: The most payloads `perform_batch` takes at once; 1 when the action has no batch form.
    max_batch: ClassVar[int] = 1

    def batch_size(self, settings: S, payload: Mapping[str, Any]) -> int:
        """How many payloads go to one `perform_batch` call (at most `max_batch`)."""
        return self.max_batch

    def perform(self, ctx: ActionContext, settings: S, payload: dict[str, Any]) -> None:
        """Send one payload. Returns when the vendor took it; raises a `KitError` otherwise."""
        raise NotImplementedError

    def perform_batch(
        self, ctx: ActionContext, settings: S, payloads: list[dict[str, Any]]
    ) -> list[ItemResult]:
        """Send several payloads; one result each, in order. A `KitError` raised here is the
        outcome of every payload. The default sends them one by one with `perform`."""
        raise NotImplementedError

    @classmethod
    def has_batch(cls) -> bool:
        return cls.perform_batch is not Action.perform_batch

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "id": cls.id,
            "title": cls.title,
            "description": cls.description,
            "default_trigger": cls.default_trigger,
            "fields": fields_schema(cls.fields),
            "default_mapping": default_mapping(cls.fields),
            "max_batch": cls.max_batch,
        }


@dataclass(frozen=True, slots=True)
class Preset:
    """A mapping a new destination starts with. `mapping` None: the action's field defaults."""

    name: str
    action: str
    trigger: str
    mapping: Mapping[str, Any] | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class MappingSpec:
    """A mapping to store: what presets and the conversion of older settings produce."""

    name: str
    action: str
    trigger: str
    mapping: dict[str, Any]
    enabled: bool = True


#: Turns settings stored by a release before the kit into (settings now, mappings); None when
#: the settings hold nothing of the older form (the presets then apply).
LegacyConversion = Callable[[dict[str, Any]], tuple[dict[str, Any], list[MappingSpec]] | None]


@dataclass(frozen=True)
class Destination(Generic[S]):
    """A destination type: everything the kit needs to deliver to it."""

    type: str  # the registry key stored on each configured destination ("marketo")
    display_name: str  # the name in the `integrations` object ("Marketo V2")
    settings_model: builtins.type[S]  # builtins: the field `type` shadows it
    actions: Sequence[Action[S]]
    presets: Sequence[Preset] = ()
    description: str = ""
    #: Checks the settings against the vendor; raises a `KitError` when they do not work.
    test_connection: Callable[[ActionContext, S], None] | None = None
    #: The vendor's own API limits for these settings, held across every worker; None: none.
    limits: Callable[[S], Limits | None] | None = None
    #: What the limits are counted against (Marketo's are per instance, not per destination).
    limit_key: Callable[[S], str] | None = None
    #: Seconds each request may wait for an answer.
    timeout: Callable[[S], float] = field(
        default=lambda settings: float(getattr(settings, "timeout_seconds", 10.0))
    )
    #: Outcome codes after which the rest of a send is not sent (added to the kit's own).
    stop_codes: frozenset[str] = frozenset()
    #: Settings of a release before the kit → (settings now, mappings); None: nothing to do.
    convert_legacy: LegacyConversion | None = None

    def __post_init__(self) -> None:
        ids = [action.id for action in self.actions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.type}: two actions share an id")
        known = set(ids)
        for preset in self.presets:
            if preset.action not in known:
                raise ValueError(f"{self.type}: preset {preset.name!r} names no action")

    def action(self, action_id: str) -> Action[S] | None:
        for action in self.actions:
            if action.id == action_id:
                return action
        return None

    def preset_mappings(self) -> list[MappingSpec]:
        """The presets as mappings to store on a new destination."""
        specs = []
        for preset in self.presets:
            action = self.action(preset.action)
            assert action is not None
            mapping = dict(preset.mapping) if preset.mapping is not None else None
            specs.append(
                MappingSpec(
                    preset.name,
                    preset.action,
                    preset.trigger,
                    mapping if mapping is not None else default_mapping(action.fields),
                    preset.enabled,
                )
            )
        return specs
