"""Settings of the release before the kit → settings now and the mappings that send the same.

That release kept what is sent in the settings:

    lookup_field   "email"                     the lead's dedupe key
    trait_mapping  {"plan": "plan__c", ...}    trait → lead field, over the standard mapping;
                                               userId and anonymousId mappable as traits
    activities     {"Order Completed": {"activity_type_id": 100001,
                     "primary_property": "orderId", "attributes": {"total": "orderTotal"}}}

They become one "Create or update lead" mapping for identify calls, whose lead fields are the
standard mapping with `trait_mapping` over it, and one "Send custom activity" mapping per
activity, triggered by its event's name. A lead field fed by several traits takes the last
one the event has, as before (`@if` … `exists`); a track event's lead comes from
`context.traits` by the same mapping; the activity's date is the event's timestamp, or its
receivedAt without one.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.marketo.leads import STANDARD_TRAITS

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]

#: The settings keys of that release that are mappings now.
LEGACY_KEYS: Final = ("lookup_field", "trait_mapping", "activities")

#: Names that can stand in a dotted `@path` as they are; others go in an array path.
_PLAIN_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")

#: Traits that were read from the event itself when the traits lack them.
_EVENT_FIELDS: Final = ("userId", "anonymousId")

LEAD_MAPPING_NAME: Final = "Create or update lead"


class LegacyActivity(BaseModel):
    """How one track event became a custom activity."""

    model_config = ConfigDict(extra="forbid")

    activity_type_id: int = Field(gt=0)
    primary_property: NonEmpty
    attributes: dict[NonEmpty, NonEmpty] = Field(default_factory=dict)


class LegacyMapping(BaseModel):
    """The part of the older settings that is mappings now."""

    model_config = ConfigDict(extra="forbid")

    lookup_field: NonEmpty = "email"
    trait_mapping: dict[NonEmpty, NonEmpty] = Field(default_factory=dict)
    activities: dict[NonEmpty, LegacyActivity] = Field(default_factory=dict)


def convert_legacy(stored: dict[str, Any]) -> tuple[dict[str, Any], list[MappingSpec]] | None:
    """(settings now, mappings) for settings stored by the release before the kit; None when
    they hold none of its mapping keys. Raises `ValueError` (pydantic's `ValidationError`
    among them) for older settings that release would have refused too, and for an event
    name with a double quote, which a trigger cannot name."""
    if not any(key in stored for key in LEGACY_KEYS):
        return None
    old = LegacyMapping.model_validate({k: stored[k] for k in LEGACY_KEYS if k in stored})
    settings = {key: value for key, value in stored.items() if key not in LEGACY_KEYS}
    sources = field_sources(old.trait_mapping)
    lead_fields = {name: _source(traits, "traits") for name, traits in sources.items()}
    mappings = [
        MappingSpec(
            LEAD_MAPPING_NAME,
            "create_or_update_lead",
            'type = "identify"',
            {"lookup_field": old.lookup_field, "lead_fields": lead_fields},
        )
    ]
    lookup_traits = sources.get(old.lookup_field)
    for event, activity in old.activities.items():
        if '"' in event:
            raise ValueError(f"the event name {event!r} has a double quote: no trigger names it")
        mapping: dict[str, Any] = {
            "activity_type_id": activity.activity_type_id,
            "primary_attribute_value": _path("properties", activity.primary_property),
            "attributes": {
                api_name: _path("properties", prop)
                for prop, api_name in activity.attributes.items()
            },
            "lookup_field": old.lookup_field,
            "activity_date": {
                "@if": {
                    "blank": {"@path": "$.timestamp"},
                    "then": {"@path": "$.timestamp"},
                    "else": {"@path": "$.receivedAt"},
                }
            },
        }
        if lookup_traits is not None:
            # Without a trait mapped to the lookup field every such event failed, and still
            # does (missing_lookup_field).
            mapping["lookup_value"] = _source(lookup_traits, "context.traits")
        mappings.append(
            MappingSpec(
                f"Send custom activity: {event}",
                "send_custom_activity",
                f'type = "track" and event = "{event}"',
                mapping,
            )
        )
    return settings, mappings


def field_sources(trait_mapping: dict[str, str]) -> dict[str, list[str]]:
    """Lead field → the traits that fill it, in the order they were read (the last present
    one won): the standard mapping with `trait_mapping` over it."""
    sources: dict[str, list[str]] = {}
    for trait, name in {**STANDARD_TRAITS, **trait_mapping}.items():
        sources.setdefault(name, []).append(trait)
    return sources


def _source(traits: list[str], root: str) -> Any:
    """The directive that reads a lead field from `traits` under `root`: the last trait the
    event has, else the one before, and so on."""
    directive = _trait(traits[0], root)
    for trait in traits[1:]:
        read = _trait(trait, root)
        directive = {"@if": {"exists": read, "then": read, "else": directive}}
    return directive


def _trait(trait: str, root: str) -> Any:
    """One trait; userId and anonymousId fall back to the event's own."""
    read = _path(root, trait)
    if trait in _EVENT_FIELDS:
        return {"@if": {"exists": read, "then": read, "else": {"@path": f"$.{trait}"}}}
    return read


def _path(root: str, name: str) -> dict[str, Any]:
    """`@path` to `name` (dots nest) under `root`: dotted text when every key is plain,
    else the array of keys, so that no key is read as a bracket or split again."""
    keys = [*root.split("."), *name.split(".")]
    if all(_PLAIN_KEY.fullmatch(key) for key in keys):
        return {"@path": "$." + ".".join(keys)}
    return {"@path": keys}
