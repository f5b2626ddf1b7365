"""The Pendo destination: identify → visitor metadata, group → account metadata, track →
track events. page, screen and alias have no server-side home in Pendo: no action takes
them, so routing records them as unsupported.

Pendo publishes no API rate limit; when the settings give one (requests per second, requests
in flight), every worker together keeps to it.
"""

from __future__ import annotations

from switchboard.integrations.budget import Limits
from switchboard.integrations.kit.definition import Destination
from switchboard.integrations.pendo.legacy import convert_legacy
from switchboard.integrations.pendo.presets import ACTIONS, PRESETS
from switchboard.integrations.pendo.settings import PendoSettings


def limits(settings: PendoSettings) -> Limits | None:
    """The limits the settings configure; None when they set none."""
    if settings.max_requests_per_second is None and settings.max_concurrent_requests is None:
        return None
    return Limits(settings.max_requests_per_second, 1.0, settings.max_concurrent_requests, "Pendo")


DESTINATION: Destination[PendoSettings] = Destination(
    type="pendo",
    display_name="Pendo",
    settings_model=PendoSettings,
    actions=ACTIONS,
    presets=PRESETS,
    description=(
        "Keep Pendo visitor and account metadata current, and send track events to Pendo."
    ),
    limits=limits,
    convert_legacy=convert_legacy,
)
