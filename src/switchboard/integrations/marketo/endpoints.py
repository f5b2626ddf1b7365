"""Marketo's paths, batch size and API limits, in one place.

Every subscription has its own host, `https://{Munchkin id}.mktorest.com`:

    POST {host}/identity/oauth/token            client-credentials token (form-encoded)
    POST {host}/rest/v1/leads.json              Sync Leads: createOrUpdate, up to 300 records
    POST {host}/rest/v1/activities/external.json   Add Custom Activities, up to 300 records

The token travels as `Authorization: Bearer <token>`; the `access_token` query parameter is
being withdrawn by Marketo and is never used.
"""

from __future__ import annotations

from typing import Final

OAUTH_PATH: Final = "/identity/oauth/token"
LEADS_PATH: Final = "/rest/v1/leads.json"
ACTIVITIES_PATH: Final = "/rest/v1/activities/external.json"

#: Records per Sync Leads or Add Custom Activities call (Marketo's maximum).
BATCH_SIZE: Final = 300

#: Marketo's documented limits per instance, shared by every integration on it: 100 calls in
#: any 20 s (error 606 beyond), and 10 calls in flight (error 615 beyond). These are the
#: defaults of the destination's limit settings.
CALLS_PER_WINDOW: Final = 100
WINDOW_SECONDS: Final = 20.0
MAX_CONCURRENT_CALLS: Final = 10

#: How long a lead's id is kept for its lookup value (seconds), so that repeated activities of
#: one lead skip the lookup call. Lead ids change only when leads are merged or deleted, and an
#: activity Marketo refuses for an unknown lead (1004) forgets the id and looks it up again.
LEAD_ID_TTL: Final = 1800.0
