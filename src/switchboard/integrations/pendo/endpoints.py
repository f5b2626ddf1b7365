"""Pendo's hosts, paths and auth headers, in one place.

Both APIs Switchboard uses live on the region's app host:

    POST {app}/api/v1/metadata/visitor/{group}/value?create=true   visitor metadata (identify)
    POST {app}/api/v1/metadata/account/{group}/value?create=true   account metadata (group)
    POST {app}/data/track                                          Track Events API (track)

The metadata API authenticates with an integration key; the Track Events API with the app's
Track Event Shared Secret. Both travel in the same header.
"""

from __future__ import annotations

from typing import Final, Literal

Region = Literal["us", "eu"]

#: The app host of each region (Pendo's US and EU instances).
APP_HOSTS: Final[dict[Region, str]] = {
    "us": "https://app.pendo.io",
    "eu": "https://app.eu.pendo.io",
}

#: Carries the integration key (metadata API) or the Track Event Shared Secret (track).
AUTH_HEADER: Final = "x-pendo-integration-key"

#: Metadata groups Switchboard may write: `agent` fields appear as the install script's do;
#: `custom` fields must first be added on Pendo's Data Mappings page.
MetadataGroup = Literal["agent", "custom"]

TRACK_PATH: Final = "/data/track"


def metadata_path(kind: Literal["visitor", "account"], group: MetadataGroup) -> str:
    """The bulk metadata path; `create=true` makes Pendo create visitors and accounts it has
    not seen yet instead of reporting them missing."""
    return f"/api/v1/metadata/{kind}/{group}/value?create=true"
