"""Marketing Cloud's hosts, paths and token timings, in one place.

Each tenant has its own subdomain. The token comes from the auth host; every other call goes
to the REST base the token answer names (`rest_instance_url`):

    POST {auth}/v2/token                                     client-credentials token
    POST {rest}/interaction/v1/events                        Journey Builder API event (entry)
    POST {rest}/hub/v1/dataevents/key:{external key}/rowset  data-extension row upsert, by key
    POST {rest}/hub/v1/dataevents/{id}/rowset                the same, by the extension's id
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

TOKEN_PATH: Final = "/v2/token"  # noqa: S105 (a path, not a password)
EVENTS_PATH: Final = "/interaction/v1/events"

#: A token lives 20 minutes (Marketing Cloud answers `expires_in` ≈ 1079 s); this is assumed
#: when an answer leaves `expires_in` out. The kit renews a token a minute before it expires.
DEFAULT_TOKEN_SECONDS: Final = 1080.0

#: The auth host's name part that becomes the REST host's, for an answer without
#: `rest_instance_url`.
AUTH_HOST_PART: Final = ".auth.marketingcloudapis.com"
REST_HOST_PART: Final = ".rest.marketingcloudapis.com"

#: Marketing Cloud publishes no fixed request rate: it throttles a tenant "when its calls slow
#: the system" and answers 429 with Retry-After. These are the defaults of the destination's
#: limit settings: Segment's documented ~20 requests a second, and 10 requests in flight.
REQUESTS_PER_SECOND: Final = 20
MAX_CONCURRENT_REQUESTS: Final = 10


def rowset_path(external_key: str) -> str:
    """The synchronous upsert path of a data extension, by its external key."""
    return f"/hub/v1/dataevents/key:{quote(external_key, safe='')}/rowset"


def rowset_path_by_id(extension_id: str) -> str:
    """The synchronous upsert path of a data extension, by its id (a GUID)."""
    return f"/hub/v1/dataevents/{quote(extension_id, safe='')}/rowset"
