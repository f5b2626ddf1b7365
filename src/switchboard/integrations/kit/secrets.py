"""Every secret value in a destination's settings, found from the marks its model declares
(`integrations/secrets.py`): `SecretStr` values, the values of a mapping marked
`SECRET_VALUES`, and the password and sensitive query values of a URL marked `SECRET_URL`.
The kit hides all of them from every recorded exchange, so an action cannot forget one."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, SecretStr

from switchboard.integrations.http import url_secrets
from switchboard.integrations.secrets import MARKER, Hidden


def secret_values(settings: BaseModel) -> list[str]:
    """The secret values of `settings`, longest first, without empties or repeats."""
    found: list[str] = []
    _collect(settings, found)
    return sorted(dict.fromkeys(v for v in found if v), key=len, reverse=True)


def _collect(model: BaseModel, found: list[str]) -> None:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name, None)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        marker = extra.get(MARKER)
        _walk(value, marker, found)


def _walk(value: Any, marker: Any, found: list[str]) -> None:
    if isinstance(value, SecretStr):
        found.append(value.get_secret_value())
    elif isinstance(value, BaseModel):
        _collect(value, found)
    elif isinstance(value, dict):
        for item in value.values():
            if marker == Hidden.VALUES.value and isinstance(item, str):
                found.append(item)
            else:
                _walk(item, marker, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _walk(item, marker, found)
    elif isinstance(value, str) and marker == Hidden.URL.value:
        found.extend(url_secrets(value))
