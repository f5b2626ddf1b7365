"""The Salesforce Marketing Cloud destination: journey entries and data-extension rows.

    send_event_to_journey       POST /interaction/v1/events           (`journey`)
    upsert_data_extension_row   POST /hub/v1/dataevents/…/rowset      (`data_extension`)

Every request, token requests included, first takes room in the tenant's budget (requests
per second and in flight, from the settings), shared by every worker and every destination
of the tenant (the limit key is the auth host). After a timeout, a refused connection, a 429
or a full budget the rest of a send is not sent (the kit's rule); after a token request that
failed, neither (`auth`).

The presets are what a new destination did before the kit: identify calls upsert a row keyed
by the userId and enter a journey, track calls enter a journey, with the traits or properties
as data. They start disabled, because each needs a key only the user knows (the data
extension's or the event definition's). A destination stored before the kit gets mappings
from its settings instead (`legacy.convert_legacy`).
"""

from __future__ import annotations

from switchboard.integrations.budget import Limits
from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Destination, Preset
from switchboard.integrations.sfmc import auth
from switchboard.integrations.sfmc.data_extension import UpsertDataExtensionRow
from switchboard.integrations.sfmc.journey import SendEventToJourney
from switchboard.integrations.sfmc.legacy import convert_legacy
from switchboard.integrations.sfmc.settings import SFMCSettings


def limits(settings: SFMCSettings) -> Limits:
    """The tenant's budget: the settings' requests per second, and in flight."""
    return Limits(
        settings.max_requests_per_second,
        1.0,
        settings.max_concurrent_requests,
        "Marketing Cloud",
    )


def limit_key(settings: SFMCSettings) -> str:
    """Marketing Cloud throttles per tenant, whichever destination calls it."""
    return f"sfmc:{settings.auth_base_url}"


def check_credentials(ctx: ActionContext, settings: SFMCSettings) -> None:
    """The connection test: Marketing Cloud gives these credentials a token."""
    auth.access(ctx, settings)


DESTINATION: Destination[SFMCSettings] = Destination(
    type="sfmc",
    display_name="Salesforce Marketing Cloud",
    settings_model=SFMCSettings,
    description=(
        "Enter contacts into Marketing Cloud journeys and keep data extension rows up to date, "
        "through the REST API."
    ),
    actions=(SendEventToJourney(), UpsertDataExtensionRow()),
    presets=(
        Preset(
            "Identify calls to a data extension",
            "upsert_data_extension_row",
            'type = "identify"',
            enabled=False,
        ),
        Preset(
            "Identify calls to a journey",
            "send_event_to_journey",
            'type = "identify"',
            {"contact_key": {"@path": "$.userId"}, "data": {"@path": "$.traits"}},
            enabled=False,
        ),
        Preset(
            "Track calls to a journey",
            "send_event_to_journey",
            'type = "track"',
            enabled=False,
        ),
    ),
    test_connection=check_credentials,
    limits=limits,
    limit_key=limit_key,
    convert_legacy=convert_legacy,
)
