"""Settings of a webhook destination: what is secret or shared by every mapping (URLs, headers,
the signing secret, the timeout). The titles and descriptions are the form's labels and help.

The URL and header checks are also what a mapping's `url` and `headers` pass (`send.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Final
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
)

from switchboard.integrations.secrets import SECRET_URL, SECRET_VALUES

MAX_URLS: Final = 5
MAX_HEADERS: Final = 50
MAX_URL_LENGTH: Final = 2048

#: RFC 9110 token characters: what a header name may be made of.
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Visible ASCII, space and tab; no CR or LF, so a value cannot start a new header.
_HEADER_VALUE: Final = re.compile(r"[\t\x20-\x7e]*")
#: Headers the action computes or the HTTP client owns; a custom value would break the request.
_RESERVED_HEADERS: Final = frozenset(
    {"content-length", "host", "transfer-encoding", "connection", "x-signature"}
)


def check_url(value: str) -> str:
    """`value` when it is an http(s) URL with a host and no spaces; ValueError saying what is
    wrong otherwise."""
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("must include a host name (https://example.com/hook)")
    if any(char.isspace() for char in value):
        raise ValueError("must not contain spaces")
    return value


def check_headers(headers: Mapping[str, str]) -> None:
    """Returns when every name is an HTTP token that Switchboard does not set itself, no name
    is given twice (ignoring case) and every value is printable ASCII; ValueError otherwise."""
    if len(headers) > MAX_HEADERS:
        raise ValueError(f"at most {MAX_HEADERS} custom headers")
    seen: set[str] = set()
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(
                f"header name {name!r} may only hold ASCII letters, digits and !#$%&'*+-.^_`|~"
            )
        lowered = name.lower()
        if lowered in _RESERVED_HEADERS:
            raise ValueError(f"header {name!r} is set by Switchboard and cannot be overridden")
        if lowered in seen:
            raise ValueError(f"header {name!r} is given twice (names ignore case)")
        seen.add(lowered)
        if not _HEADER_VALUE.fullmatch(value):
            raise ValueError(
                f"value of header {name!r} must be printable ASCII without line breaks"
            )
        if len(name) > 256 or len(value) > 8192:
            raise ValueError(f"header {name!r} is too long")


WebhookUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    # A password or a ?token= in it reads back as ********** (destinations/masking.py).
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        json_schema_extra={"format": "uri", **SECRET_URL},
    ),
    AfterValidator(check_url),
]


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Webhooks")

    urls: list[WebhookUrl] = Field(
        default_factory=list,
        max_length=MAX_URLS,
        title="Webhook URLs",
        description=(
            f"Up to {MAX_URLS} http(s) URLs, used by every mapping that gives no URL of its own. "
            "Every event goes to each of them; it counts as delivered when at least one answers "
            "with a 2xx status. A password in a URL, and the value of a query parameter such as "
            "token or api_key, are shown as **********."
        ),
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        title="Custom headers",
        description=(
            "Added to every request, for example an Authorization header the endpoint expects; "
            "a mapping's headers cannot replace them. Names and values must be plain ASCII. "
            "Values are secret: once saved, each is shown as **********."
        ),
        # Any header may carry a credential, whatever its name: every value reads as MASK.
        json_schema_extra=SECRET_VALUES,
    )
    shared_secret: SecretStr | None = Field(
        default=None,
        title="Shared secret",
        description=(
            "When set, each request carries X-Signature: the hex HMAC-SHA1 of the request body "
            "keyed with this secret, so the endpoint can check the request came from here."
        ),
    )
    timeout_seconds: float = Field(
        default=5.0,
        ge=0.1,
        le=30,
        title="Timeout (seconds)",
        description="How long to wait for each answer. A request that times out is retried.",
    )

    @field_validator("headers")
    @classmethod
    def _check_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        check_headers(headers)
        return headers
