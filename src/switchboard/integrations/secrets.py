"""Which parts of a destination's settings are secret: the marks an adapter's settings model
declares.

The marks end up in the model's JSON Schema, so every reader (admin API, dashboard form, CLI)
masks the same parts and the form can say so (`destinations/masking.py` masks and restores):

- `SecretStr` (`"writeOnly": true` in the schema): the whole value is secret.
- `Field(json_schema_extra=SECRET_VALUES)` on a mapping (`"x-secret": "values"`): every value
  is secret, the names are not. The webhook's custom headers: any of them may carry a
  credential (`Authorization`, `X-Api-Key`, a vendor's own name).
- `Field(json_schema_extra=SECRET_URL)` on a URL string, or on the items of a list of them
  (`"x-secret": "url"`): the URL's password and the values of its query parameters with
  sensitive names (`token`, `api_key`, ...; `http.is_sensitive_name`) are secret; the rest of
  the URL is not.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic.config import JsonDict


class Hidden(StrEnum):
    """Which parts of a setting are secret (and read masked)."""

    WHOLE = "whole"  # SecretStr: the schema says writeOnly
    VALUES = "values"  # a mapping's values, not its names
    URL = "url"  # a URL's password and sensitive query parameter values


#: The JSON Schema keyword that marks a secret-bearing setting; its value is a `Hidden`.
MARKER: Final = "x-secret"
#: `json_schema_extra` for a mapping whose values are secret (names are not).
SECRET_VALUES: Final[JsonDict] = {MARKER: Hidden.VALUES.value}
#: `json_schema_extra` for a URL whose password and token-like query values are secret.
SECRET_URL: Final[JsonDict] = {MARKER: Hidden.URL.value}
