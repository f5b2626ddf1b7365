"""How reads of a destination's settings mask its secrets, and how updates restore them.

What is secret is what the adapter's settings model marks (`integrations/secrets.py`): a
`SecretStr` reads as `MASK` whole, a mapping marked `SECRET_VALUES` has every value read as
`MASK` (names stay visible), a URL marked `SECRET_URL` has its password and the values of its
sensitive query parameters read as `MASK` (the rest shows as written).

An update may send a masked read back: every `MASK` is replaced by the stored value it stands
for, so a form can round-trip what it was shown. A header value is restored by the header's
name; a URL by the stored URL it was masked from or, when it was edited around its hidden
parts, by the stored URL with the same scheme, user, host and port. A `MASK` that stands for
nothing stored is refused (`MaskProblem`) rather than saved as ten asterisks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from switchboard.integrations.http import is_sensitive_name, mask_url_credentials
from switchboard.integrations.secrets import MARKER, SECRET_URL, Hidden

MASK: Final = "**********"

Schema = Mapping[str, Any]
Location = tuple[str | int, ...]


class MaskProblem(ValueError):
    """`MASK` was sent where no stored value fits; `errors` are pydantic-style (loc, msg, type)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(str(e["msg"]) for e in errors))
        self.errors = errors


def is_masked_secret(node: Schema) -> bool:
    """Whether a schema node (a settings property) has secret parts that read as `MASK`."""
    return bool(node.get(MARKER)) or bool(node.get("writeOnly"))


def mask_settings(schema: Schema, document: Mapping[str, Any]) -> dict[str, Any]:
    """`document` (a JSON-mode settings dump) with every secret part replaced by `MASK`."""
    masked: dict[str, Any] = _mask(schema, schema, dict(document))
    return masked


def unmask_settings(
    schema: Schema, incoming: Mapping[str, Any], stored: Mapping[str, Any]
) -> dict[str, Any]:
    """`incoming` with each `MASK` replaced by the stored secret it stands for.

    Raises `MaskProblem` naming every place where `MASK` stands for nothing stored."""
    problems: list[dict[str, Any]] = []
    restored: dict[str, Any] = _restore(schema, schema, dict(incoming), dict(stored), (), problems)
    if problems:
        raise MaskProblem(problems)
    return restored


def _variants(root: Schema, node: Any, depth: int = 0) -> list[Schema]:
    """`node` and what it stands for: its `$ref` target and its anyOf/oneOf/allOf options."""
    if not isinstance(node, Mapping) or depth > 8:
        return []
    found: list[Schema] = [node]
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        found += _variants(root, root.get("$defs", {}).get(ref.split("/")[-1]), depth + 1)
    for keyword in ("anyOf", "oneOf", "allOf"):
        for option in node.get(keyword) or []:
            found += _variants(root, option, depth + 1)
    return found


def _hidden(variants: Sequence[Schema]) -> Hidden | None:
    for node in variants:
        if node.get("writeOnly") or node.get("format") == "password":
            return Hidden.WHOLE
        kind = node.get(MARKER)
        if kind in set(Hidden):
            return Hidden(kind)
    return None


def _child(variants: Sequence[Schema], key: str) -> Schema:
    """The schema of a mapping's `key`: a declared property, else additionalProperties."""
    for node in variants:
        properties = node.get("properties")
        if isinstance(properties, Mapping) and key in properties:
            child: Schema = properties[key]
            return child
    for node in variants:
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping):
            return extra
    return {}


def _items(variants: Sequence[Schema]) -> Schema:
    for node in variants:
        items = node.get("items")
        if isinstance(items, Mapping):
            return items
    return {}


def _mask(root: Schema, node: Schema, value: Any) -> Any:
    variants = _variants(root, node)
    hidden = _hidden(variants)
    if value is None or value == "":
        return value
    if hidden is Hidden.WHOLE:
        return MASK
    if isinstance(value, str):
        return mask_url_credentials(value, MASK) if hidden is Hidden.URL else value
    if isinstance(value, dict):
        if hidden is Hidden.VALUES:
            return {key: MASK if item not in (None, "") else item for key, item in value.items()}
        return {key: _mask(root, _child(variants, key), item) for key, item in value.items()}
    if isinstance(value, list):
        items = _items(variants)
        if hidden is Hidden.URL:
            items = {**items, **SECRET_URL}
        return [_mask(root, items, item) for item in value]
    return value


def _restore(
    root: Schema,
    node: Schema,
    incoming: Any,
    stored: Any,
    loc: Location,
    problems: list[dict[str, Any]],
) -> Any:
    variants = _variants(root, node)
    hidden = _hidden(variants)
    if incoming == MASK:
        # A whole masked value (SecretStr); with nothing stored there is nothing to keep.
        return stored
    if isinstance(incoming, dict):
        old = stored if isinstance(stored, dict) else {}
        if hidden is Hidden.VALUES:
            return _restore_values(incoming, old, loc, problems)
        return {
            key: _restore(root, _child(variants, key), item, old.get(key), (*loc, key), problems)
            for key, item in incoming.items()
        }
    if hidden is Hidden.URL and isinstance(incoming, str):
        return _restore_url(incoming, _strings([stored]), loc, problems)
    if isinstance(incoming, list):
        items = _items(variants)
        if Hidden.URL in (hidden, _hidden(_variants(root, items))):
            urls = _strings(stored) if isinstance(stored, list) else []
            return [
                _restore_url(item, urls, (*loc, n), problems) if isinstance(item, str) else item
                for n, item in enumerate(incoming)
            ]
    return incoming


def _strings(values: Sequence[Any]) -> list[str]:
    return [value for value in values if isinstance(value, str)]


def _restore_values(
    incoming: dict[str, Any], stored: dict[str, Any], loc: Location, problems: list[dict[str, Any]]
) -> dict[str, Any]:
    """A secret-valued mapping: each `MASK` becomes the stored value under the same name
    (names compared without case, as header names are)."""
    by_lower = {str(key).lower(): value for key, value in stored.items()}
    restored: dict[str, Any] = {}
    for key, value in incoming.items():
        if value == MASK:
            value = stored.get(key, by_lower.get(str(key).lower()))
            if value is None:
                problems.append(
                    _problem(
                        (*loc, key),
                        f"is {MASK}, which keeps a stored value, but no value is stored under "
                        "this name; type the value",
                    )
                )
        restored[key] = value
    return restored


def _restore_url(
    incoming: str, stored: Sequence[str], loc: Location, problems: list[dict[str, Any]]
) -> str:
    if not _has_hidden_parts(incoming):
        return incoming
    for candidate in stored:
        if mask_url_credentials(candidate, MASK) == incoming:
            return candidate
    for candidate in stored:
        filled = _fill(incoming, candidate)
        if filled is not None:
            return filled
    problems.append(
        _problem(
            loc,
            f"has a hidden part ({MASK}) that matches no stored URL with the same scheme, user, "
            "host and port; type the URL in full",
        )
    )
    return incoming


def _has_hidden_parts(url: str) -> bool:
    """Whether `url`'s password, or the value of a sensitive query parameter, is `MASK`."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return False
    return password == MASK or any(
        equals and value == MASK and is_sensitive_name(unquote_plus(name))
        for name, equals, value in (pair.partition("=") for pair in parts.query.split("&"))
    )


def _origin(url: str) -> tuple[str, str | None, str | None, int | None] | None:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), parts.username, parts.hostname, parts.port
    except ValueError:
        return None


def _fill(incoming: str, stored: str) -> str | None:
    """`incoming` with its masked parts taken from `stored`, a URL of the same origin whose
    password, and query parameters of the same names, are there to take; else None."""
    origin = _origin(incoming)
    if origin is None or origin != _origin(stored):
        return None
    parts, old = urlsplit(incoming), urlsplit(stored)
    netloc = parts.netloc
    if parts.password == MASK:
        old_password = old.netloc.rpartition("@")[0].partition(":")[2]
        if not old_password:
            return None
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}:{old_password}@{hostport}"
    values: dict[str, list[str]] = {}
    for name, equals, value in (pair.partition("=") for pair in old.query.split("&")):
        if equals:
            values.setdefault(name, []).append(value)
    pairs: list[str] = []
    for pair in parts.query.split("&"):
        name, equals, value = pair.partition("=")
        if equals and value == MASK and is_sensitive_name(unquote_plus(name)):
            if not values.get(name):
                return None
            pair = f"{name}={values[name].pop(0)}"
        pairs.append(pair)
    return urlunsplit(parts._replace(netloc=netloc, query="&".join(pairs)))


def _problem(loc: Location, message: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": message, "type": "masked_value"}
