"""Settings stored before the kit → settings now and the mappings that send the same requests.

Before the kit, the settings said what was sent: `identify_data_extension_key` (a row per
identify, keyed by the userId in `data_extension_key_field`), `identify_event_definition_key`
(a journey entry per identify), `trait_mapping` (trait path → field, for both; empty: every
top-level trait) and `track_events` (event name → Event Definition Key). They become:

    identify with a data extension key  → upsert_data_extension_row, `type = "identify"`
    identify with an event definition   → send_event_to_journey,     `type = "identify"`
    each track event                    → send_event_to_journey,     `type = "track" and
                                          event = "<name>"`

and the request bodies are the bytes the old adapter sent. A stored mapping's object keys come
back sorted (Postgres keeps JSONB keys in its own order, and the kit compiles a mapping from
its sorted JSON), so fields a trait mapping names out of alphabetical order are written as an
`@merge` of one-key objects, whose list keeps the order; two traits mapped to one field take
the later one when the event has it (`@if` … `exists`), as the old adapter did.

What the old form could say that a mapping cannot: an event name holding `"` (the trigger
syntax has no escape for it; that event is left out and becomes unsupported), and a trait
whose own name holds a dot or a bracket (a path reads those as separators).
"""

from __future__ import annotations

from typing import Any, Final

from switchboard.integrations.kit.definition import MappingSpec

#: The settings of the old form; none of them is a setting now.
LEGACY_KEYS: Final = frozenset(
    {
        "identify_event_definition_key",
        "identify_data_extension_key",
        "data_extension_key_field",
        "trait_mapping",
        "track_events",
    }
)

#: The old default primary-key column of the identify row.
DEFAULT_KEY_FIELD: Final = "ContactKey"

#: The longest mapping name the store keeps.
MAX_NAME: Final = 200

_CONTACT_KEY: Final = {"@path": "$.userId"}


def convert_legacy(stored: dict[str, Any]) -> tuple[dict[str, Any], list[MappingSpec]] | None:
    """`stored` (settings as the release before the kit stored them) as settings now and the
    mappings that deliver what that release delivered; None when `stored` holds nothing of
    the old form."""
    if not LEGACY_KEYS & stored.keys():
        return None
    settings = {k: v for k, v in stored.items() if k not in LEGACY_KEYS}
    values = traits_mapping(stored.get("trait_mapping") or {})
    mappings: list[MappingSpec] = []
    extension = stored.get("identify_data_extension_key")
    if extension:
        key_field = stored.get("data_extension_key_field") or DEFAULT_KEY_FIELD
        mappings.append(
            MappingSpec(
                _name(f"Identify calls to data extension {extension}"),
                "upsert_data_extension_row",
                'type = "identify"',
                {"key": extension, "keys": {key_field: _CONTACT_KEY}, "values": values},
            )
        )
    definition = stored.get("identify_event_definition_key")
    if definition:
        mappings.append(
            MappingSpec(
                _name(f"Identify calls to journey {definition}"),
                "send_event_to_journey",
                'type = "identify"',
                {"contact_key": _CONTACT_KEY, "event_definition_key": definition, "data": values},
            )
        )
    for event, event_definition in (stored.get("track_events") or {}).items():
        if '"' in event:
            continue
        mappings.append(
            MappingSpec(
                _name(f"Track {event}"),
                "send_event_to_journey",
                f'type = "track" and event = "{event}"',
                {
                    "contact_key": _CONTACT_KEY,
                    "event_definition_key": event_definition,
                    "data": {"@path": "$.properties"},
                },
            )
        )
    return settings, mappings


def traits_mapping(trait_mapping: dict[str, str]) -> dict[str, Any]:
    """The mapping of an old `trait_mapping` (trait path → field): the fields in its order."""
    if not trait_mapping:
        return {"@path": "$.traits"}
    paths: dict[str, list[str]] = {}
    for path, field in trait_mapping.items():
        paths.setdefault(field, []).append(path)
    fields = {field: _latest_present(found) for field, found in paths.items()}
    names = list(fields)
    if names == sorted(names):
        return fields
    return {"@merge": {"objects": [{k: v} for k, v in fields.items()], "direction": "right"}}


def _latest_present(paths: list[str]) -> dict[str, Any]:
    """The value at the last of `paths` the event has, else at the one before, and so on."""
    node: dict[str, Any] = _trait(paths[0])
    for path in paths[1:]:
        node = {"@if": {"exists": _trait(path), "then": _trait(path), "else": node}}
    return node


def _trait(path: str) -> dict[str, str]:
    return {"@path": f"$.traits.{path}"}


def _name(text: str) -> str:
    return text if len(text) <= MAX_NAME else text[: MAX_NAME - 1] + "…"
