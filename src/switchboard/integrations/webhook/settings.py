"""Settings of a webhook destination; the titles and descriptions are the form's labels and help."""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal
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
MAX_BATCH_SIZE: Final = 1000
MAX_HEADERS: Final = 50

#: RFC 9110 token characters: what a header name may be made of.
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Visible ASCII, space and tab; no CR or LF, so a value cannot start a new header.
_HEADER_VALUE: Final = re.compile(r"[\t\x20-\x7e]*")
#: Headers the adapter computes or the HTTP client owns; a custom value would break the request.
_RESERVED_HEADERS: Final = frozenset(
    {"content-length", "host", "transfer-encoding", "connection", "x-signature"}
)


def _check_url(value: str) -> str:
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


WebhookUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    # A password or a ?token= in it reads back as ********** (destinations/masking.py).
    Field(min_length=1, max_length=2048, json_schema_extra={"format": "uri", **SECRET_URL}),
    AfterValidator(_check_url),
]


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Webhooks")

    urls: list[WebhookUrl] = Field(
        min_length=1,
        max_length=MAX_URLS,
        title="Webhook URLs",
        description=(
            f"Up to {MAX_URLS} http(s) URLs. Every event goes to each of them; it counts as "
            "delivered when at least one answers with a 2xx status. A password in a URL, and "
            "the value of a query parameter such as token or api_key, are shown as **********."
        ),
    )
    method: Literal["POST", "PUT", "PATCH"] = Field(
        default="POST", title="HTTP method", description="How each request is sent."
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        title="Custom headers",
        description=(
            "Added to every request, for example an Authorization header the endpoint expects. "
            "Names and values must be plain ASCII. Values are secret: once saved, each is "
            "shown as **********."
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
    batch_size: int = Field(
        default=1,
        ge=1,
        le=MAX_BATCH_SIZE,
        title="Events per request",
        description=(
            "1 sends each event as its own JSON object. A larger number sends a JSON array of "
            f"up to that many events per request (at most {MAX_BATCH_SIZE})."
        ),
    )

    @field_validator("headers")
    @classmethod
    def _check_headers(cls, headers: dict[str, str]) -> dict[str, str]:
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
        return headers
