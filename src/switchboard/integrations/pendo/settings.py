"""Settings of a Pendo destination; the titles and descriptions are the form's labels and help.

Only what every action shares lives here: the credentials, where Pendo is, the timeout and
the optional limits. Where metadata is written (the metadata group) is a field of the
identify and group mappings.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)

from switchboard.integrations.pendo.endpoints import APP_HOSTS, Region
from switchboard.integrations.urls import base_url_check

BaseUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(base_url_check("https://app.pendo.io")),
]


class PendoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Pendo")

    integration_key: SecretStr | None = Field(
        default=None,
        min_length=1,
        title="Integration key",
        description=(
            "A Pendo integration key with write access (Settings > Integrations > Integration "
            "Keys). Needed for identify and group, which update visitor and account metadata."
        ),
    )
    track_event_secret: SecretStr | None = Field(
        default=None,
        min_length=1,
        title="Track Event Shared Secret",
        description=(
            "The app's Track Event Shared Secret (Subscription Settings > your app > App "
            "Details); it is not the integration key. Needed for track calls."
        ),
    )
    region: Region = Field(
        default="us",
        title="Region",
        description="Where your Pendo subscription lives: us (app.pendo.io) or eu "
        "(app.eu.pendo.io).",
    )
    api_base_url: BaseUrl | None = Field(
        default=None,
        title="API base URL",
        description="Overrides the region's host (https://app.pendo.io). Change it only to go "
        "through a proxy or to test against a fake server.",
    )
    timeout_seconds: float = Field(
        default=10.0,
        ge=0.1,
        le=60,
        title="Timeout (seconds)",
        description="How long to wait for each answer from Pendo. A request that times out is "
        "retried.",
    )
    max_requests_per_second: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        title="Limit: requests per second",
        description="The most requests sent to Pendo for this destination in any second, by "
        "every worker together. Pendo publishes no API rate limit, so there is none unless "
        "you set one.",
    )
    max_concurrent_requests: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        title="Limit: concurrent requests",
        description="The most requests in flight to Pendo for this destination at once, by "
        "every worker together. Unset: no limit.",
    )

    @model_validator(mode="after")
    def _needs_a_credential(self) -> PendoSettings:
        if self.integration_key is None and self.track_event_secret is None:
            raise ValueError(
                "give the integration key (identify, group), the Track Event Shared Secret "
                "(track), or both"
            )
        return self

    @property
    def base_url(self) -> str:
        """Where requests go: the override when set, else the region's app host."""
        return self.api_base_url or APP_HOSTS[self.region]
