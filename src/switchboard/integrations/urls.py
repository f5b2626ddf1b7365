"""The base-URL setting every vendor adapter has, so a sandbox, a proxy or a fake can stand in."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit


def check_base_url(value: str, example: str) -> str:
    """`value` without a trailing slash, or a ValueError saying what a base URL must be."""
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http(s) URL with a host, such as {example}")
    if parts.query or parts.fragment or any(char.isspace() for char in value):
        raise ValueError("must be a plain base URL, without spaces, query or fragment")
    return value.rstrip("/")


def base_url_check(example: str, then: Callable[[str], str] | None = None) -> Callable[[str], str]:
    """A pydantic `AfterValidator` function for a vendor's base URL setting."""

    def validate(value: str) -> str:
        checked = check_base_url(value, example)
        return then(checked) if then else checked

    return validate
