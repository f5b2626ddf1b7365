"""Settings of a Google Analytics 4 destination, and the Measurement Protocol endpoints.

    POST {base_url}/mp/collect?measurement_id=G-…&api_secret=…         events (always 2xx)
    POST {base_url}/debug/mp/collect?measurement_id=G-…&api_secret=…   the validation server

Both take the same body; only the validation server says what is wrong with it.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from switchboard.integrations.urls import base_url_check

DEFAULT_BASE_URL: Final = "https://www.google-analytics.com"
COLLECT_PATH: Final = "/mp/collect"
DEBUG_PATH: Final = "/debug/mp/collect"

BaseUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(base_url_check(DEFAULT_BASE_URL)),
]


class Ga4Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Google Analytics 4")

    measurement_id: str = Field(
        pattern=r"^G-[A-Z0-9]+$",
        title="Measurement ID",
        description="The web data stream's measurement ID, such as G-ABC123XYZ (Admin > Data "
        "streams > your stream). It is not the stream ID.",
    )
    api_secret: SecretStr = Field(
        min_length=1,
        title="API secret",
        description="A Measurement Protocol API secret of that stream (Admin > Data streams > "
        "your stream > Measurement Protocol API secrets > Create).",
    )
    base_url: BaseUrl = Field(
        default=DEFAULT_BASE_URL,
        title="Base URL",
        description="Where events go. https://region1.google-analytics.com keeps collection in "
        "the EU; change it otherwise only for a proxy or a test server.",
    )
    timeout_seconds: float = Field(
        default=10.0,
        ge=0.1,
        le=60,
        title="Timeout (seconds)",
        description="How long to wait for each answer from Google. A request that times out "
        "is retried.",
    )

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def query(self) -> dict[str, str]:
        """The query parameters every request carries (the kit hides `api_secret`)."""
        return {
            "measurement_id": self.measurement_id,
            "api_secret": self.api_secret.get_secret_value(),
        }
