"""Settings of a Marketing Cloud destination: the API integration's credentials and the tenant's
limits. What is sent where is the mappings' (the actions' fields); titles and descriptions are
the form's labels."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
)

from switchboard.integrations.sfmc.endpoints import MAX_CONCURRENT_REQUESTS, REQUESTS_PER_SECOND
from switchboard.integrations.urls import base_url_check

BaseUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(base_url_check("https://mcxxxxxxxx.auth.marketingcloudapis.com")),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
AccountId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,20}$")]


class SFMCSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Salesforce Marketing Cloud")

    auth_base_url: BaseUrl = Field(
        title="Authentication base URI",
        description=(
            "The installed package's Authentication Base URI, such as "
            "https://mcxxxxxxxx.auth.marketingcloudapis.com. The REST base comes from the token."
        ),
    )
    client_id: Name = Field(
        title="Client ID", description="The server-to-server API integration's Client Id."
    )
    client_secret: SecretStr = Field(
        min_length=1,
        title="Client secret",
        description="The API integration's Client Secret.",
    )
    account_id: AccountId | None = Field(
        default=None,
        title="Account ID (MID)",
        description="The business unit's MID, when the package serves several business units.",
    )
    timeout_seconds: float = Field(
        default=10.0,
        ge=0.1,
        le=60,
        title="Timeout (seconds)",
        description="How long to wait for each answer. A request that times out is retried.",
    )
    max_requests_per_second: int = Field(
        default=REQUESTS_PER_SECOND,
        ge=1,
        le=1000,
        title="Limit: requests per second",
        description=(
            "The most requests sent to this Marketing Cloud tenant in any second, by every "
            "worker together, token requests included. Marketing Cloud publishes no fixed "
            "rate; lower this if it answers 429."
        ),
    )
    max_concurrent_requests: int = Field(
        default=MAX_CONCURRENT_REQUESTS,
        ge=1,
        le=100,
        title="Limit: concurrent requests",
        description="The most requests in flight to this tenant at once, by every worker together.",
    )
