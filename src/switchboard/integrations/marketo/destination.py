"""The Marketo destination on the kit: leads from identify calls, custom activities from the
track events a mapping names.

    create_or_update_lead   Sync Leads (createOrUpdate by the lookup field), 300 per call
    send_custom_activity    the lead's id (cached, or by a lookup-field-only createOrUpdate),
                            then Add Custom Activities, 300 per call

A new destination starts with the lead mapping only: no track event is an activity until a
mapping says which activity type it is. Every call, token fetches included, counts against the
instance's limits (100 calls per 20 s, 10 in flight by default), which every destination and
worker on that instance share; after Marketo's own limit errors (606, 607, 615) the rest of a
send is not sent.
"""

from __future__ import annotations

from typing import Final

from switchboard.integrations.budget import Limits
from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Destination, Preset
from switchboard.integrations.marketo import auth
from switchboard.integrations.marketo.activities import SendCustomActivity
from switchboard.integrations.marketo.leads import CreateOrUpdateLead
from switchboard.integrations.marketo.legacy import LEAD_MAPPING_NAME, convert_legacy
from switchboard.integrations.marketo.settings import MarketoSettings

#: Outcome codes after which the rest of a send is not sent (beside the kit's own: timeouts,
#: refused connections, 429, a full budget).
STOP_CODES: Final = frozenset({"marketo_606", "marketo_607", "marketo_615"})


def limits(settings: MarketoSettings) -> Limits:
    return Limits(
        settings.calls_per_window,
        settings.window_seconds,
        settings.max_concurrent_calls,
        "Marketo",
    )


def limit_key(settings: MarketoSettings) -> str:
    """Marketo's limits are per instance, whichever destination or integration calls it."""
    return f"marketo:{settings.base_url}"


def test_connection(ctx: ActionContext, settings: MarketoSettings) -> None:
    """Fetch a token with the credentials (a fresh one, not the cached one); raises the
    kit error the identity endpoint's answer makes."""
    ctx.tokens.put(auth.key_of(settings), auth.fetch(ctx, settings))


DESTINATION: Final = Destination(
    type="marketo",
    display_name="Marketo V2",
    settings_model=MarketoSettings,
    actions=(CreateOrUpdateLead(), SendCustomActivity()),
    presets=(Preset(LEAD_MAPPING_NAME, "create_or_update_lead", 'type = "identify"'),),
    description="Create and update Marketo leads from identify calls, and add custom "
    "activities from track events.",
    test_connection=test_connection,
    limits=limits,
    limit_key=limit_key,
    stop_codes=STOP_CODES,
    convert_legacy=convert_legacy,
)
