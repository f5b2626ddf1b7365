"""What the per-call builders share: the refusal they raise and how traits become lead fields.

A builder (`identify.build`, `track.build`) turns one stored event into the record Marketo
takes, or raises `Unmappable` when the event lacks what Marketo requires; the adapter turns
that into a failed outcome without sending anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from switchboard.integrations.marketo.settings import MarketoSettings

#: Segment's standard traits and the Marketo lead fields they fill (REST API names). The
#: destination's `trait_mapping` adds to this and overrides it.
STANDARD_TRAITS: Final[dict[str, str]] = {
    "email": "email",
    "firstName": "firstName",
    "lastName": "lastName",
    "phone": "phone",
    "company": "company",
    "title": "title",
    "website": "website",
    "birthday": "dateOfBirth",
    "address.street": "address",
    "address.city": "city",
    "address.state": "state",
    "address.postalCode": "postalCode",
    "address.country": "country",
}

Scalar = str | int | float | bool


class Unmappable(ValueError):
    """The event cannot become a Marketo record; `code` is the outcome code."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def as_object(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def value_at(source: Mapping[str, Any], path: str) -> object:
    """`source[path]`, or the nested value a dotted path names (`address.city`); None if absent."""
    if path in source:
        return source[path]
    current: object = source
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def scalar(value: object) -> Scalar | None:
    """A value a Marketo field can hold; objects, lists, null and empty strings are not sent."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool | int | float):
        return value
    return None


def lead_fields(
    event: Mapping[str, Any], traits: Mapping[str, Any], settings: MarketoSettings
) -> dict[str, Scalar]:
    """The lead fields an event's traits fill, by the standard and the configured mapping.

    The event's userId and anonymousId can be mapped as if they were traits."""
    source = {"userId": event.get("userId"), "anonymousId": event.get("anonymousId"), **traits}
    fields: dict[str, Scalar] = {}
    for trait, field_name in {**STANDARD_TRAITS, **settings.trait_mapping}.items():
        value = scalar(value_at(source, trait))
        if value is not None:
            fields[field_name] = value
    return fields


def lookup_value(fields: Mapping[str, Scalar], settings: MarketoSettings, call: str) -> Scalar:
    """The value of the lookup field among `fields`; raises `Unmappable` when there is none."""
    value = fields.get(settings.lookup_field)
    if value is None:
        raise Unmappable(
            f"Marketo finds leads by {settings.lookup_field}, and this {call} call has no trait "
            "mapped to it",
            "missing_lookup_field",
        )
    return value
