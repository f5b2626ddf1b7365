"""Settings of a Marketo destination: the instance, its credentials and its limits. What is
sent (lead fields, custom activities) is the mappings'. The titles and descriptions are the
form's labels and help."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from switchboard.integrations.marketo.endpoints import (
    CALLS_PER_WINDOW,
    MAX_CONCURRENT_CALLS,
    WINDOW_SECONDS,
)
from switchboard.integrations.urls import base_url_check

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


def _without_rest_suffix(value: str) -> str:
    # Marketo's admin page shows the REST endpoint with `/rest`; the identity API is beside it.
    return value.removesuffix("/rest")


BaseUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(base_url_check("https://123-ABC-456.mktorest.com", then=_without_rest_suffix)),
]


class MarketoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Marketo")

    base_url: BaseUrl = Field(
        title="Endpoint",
        description="Your instance's REST endpoint, such as https://123-ABC-456.mktorest.com "
        "(Admin > Integration > Web Services). A trailing /rest is removed.",
    )
    client_id: NonEmpty = Field(
        title="Client id",
        description="The client id of a LaunchPoint Custom service bound to an API-only user.",
    )
    client_secret: SecretStr = Field(
        min_length=1,
        title="Client secret",
        description="The client secret of that LaunchPoint service.",
    )
    timeout_seconds: float = Field(
        default=30.0,
        ge=0.1,
        le=120,
        title="Timeout (seconds)",
        description="How long to wait for each answer from Marketo. A call that times out is "
        "retried.",
    )
    calls_per_window: int = Field(
        default=CALLS_PER_WINDOW,
        ge=1,
        le=10_000,
        title="Limit: calls per window",
        description="The most calls sent to this Marketo instance in any window, by every "
        "worker together. Marketo allows 100 per 20 s, shared by every integration on the "
        "instance: lower it to leave room for the others.",
    )
    window_seconds: float = Field(
        default=WINDOW_SECONDS,
        ge=0.1,
        le=3600,
        title="Limit: window (seconds)",
        description="The rolling window that calls per window counts in. Marketo's is 20 s.",
    )
    max_concurrent_calls: int = Field(
        default=MAX_CONCURRENT_CALLS,
        ge=1,
        le=100,
        title="Limit: concurrent calls",
        description="The most calls in flight to this Marketo instance at once, by every "
        "worker together. Marketo allows 10.",
    )
