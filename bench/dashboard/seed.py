"""Fill a migrated Postgres database with stored events, deliveries, attempts and rollups.

Everything is generated inside Postgres (`generate_series`), a few statements per table, so
1 M events take about a minute instead of the hours ingest would. The rollups are computed
from the seeded rows by the same rules the route and deliver jobs apply (top-level keys and
one nested level; latency histogram buckets of 2^(1/4)), so the views read what they would
after real traffic.

The last day holds the same traffic at every size: `RECENT_EVENTS` events (the density of
100 K events over 14 days), evenly spread. The other events are history, evenly spread over
the 13 days before, oldest first; so a bigger database is a longer-lived site, not a busier
day, and the windows of a day or less see the same events at every size. (Spread evenly over
all 14 days instead, the 1 M database's 10-minute window held 10 times the 100 K one's
deliveries, and the size of that answer measured the traffic, not the stored events.)
Of each 10 events, 8 are track calls (20 names), 1 an identify and 1 a page. Each has one
delivery to the destination: 97 % delivered, 3 % failed or (in the last 4 hours) retrying,
each with one attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import psycopg

TRACK_NAMES: Final = (
    "Order Completed", "Product Viewed", "Product Added", "Cart Viewed", "Checkout Started",
    "Payment Info Entered", "Coupon Applied", "Product Removed", "Products Searched",
    "Product List Viewed", "Promotion Viewed", "Promotion Clicked", "Signed Up", "Signed In",
    "Signed Out", "Video Playback Started", "Video Playback Completed", "Email Opened",
    "Email Link Clicked", "Subscription Renewed",
)  # fmt: skip

#: Events received in the last day, whatever the size: 100 K events over 14 days' density.
RECENT_EVENTS: Final = 100_000 // 14

#: userId values repeat every this many events; anonymousId and messageId are unique.
USERS: Final = 50_000

_EVENTS = """
INSERT INTO events (source_id, type, event_name, user_id, anonymous_id, message_id,
                    original_timestamp, timestamp, sent_at, received_at, payload)
SELECT %(source)s, c.type, c.name, 'u' || (g %% %(users)s), 'a' || g, 'bench-' || g,
       c.at, c.at, c.at, c.at,
       jsonb_build_object(
         'type', c.type, 'messageId', 'bench-' || g,
         'userId', 'u' || (g %% %(users)s), 'anonymousId', 'a' || g,
         'receivedAt', to_char(c.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'timestamp', to_char(c.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'context', jsonb_build_object(
            'ip', '127.0.0.1',
            'library', jsonb_build_object('name', 'analytics-python', 'version', '2.3.0'))
            || CASE WHEN g %% 3 = 0 THEN jsonb_build_object('traits', jsonb_build_object(
                 'email', 'u' || (g %% %(users)s) || '@example.com')) ELSE '{}'::jsonb END)
       || CASE c.type
          WHEN 'track' THEN jsonb_build_object('event', c.name, 'properties',
            jsonb_build_object('revenue', g %% 100, 'currency', 'EUR',
              'product', jsonb_build_object('sku', 'sku-' || (g %% 500), 'price', g %% 50))
            || CASE WHEN g %% 5 = 0 THEN '{"coupon": "WELCOME"}'::jsonb ELSE '{}'::jsonb END)
          WHEN 'identify' THEN jsonb_build_object('traits',
            jsonb_build_object('email', 'u' || (g %% %(users)s) || '@example.com',
              'name', 'User ' || (g %% %(users)s),
              'address', jsonb_build_object('city', 'Oslo', 'country', 'NO'))
            || CASE WHEN g %% 4 = 0 THEN '{"plan": "pro"}'::jsonb ELSE '{}'::jsonb END)
          ELSE jsonb_build_object('name', 'Pricing', 'properties',
            jsonb_build_object('path', '/pricing', 'url', 'https://example.com/pricing',
              'title', 'Pricing')
            || CASE WHEN g %% 2 = 0 THEN '{"referrer": "https://google.com"}'::jsonb
               ELSE '{}'::jsonb END)
          END
FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS g
CROSS JOIN LATERAL (
  SELECT CASE g %% 10 WHEN 0 THEN 'identify' WHEN 1 THEN 'page' ELSE 'track' END AS type,
         CASE g %% 10 WHEN 0 THEN NULL WHEN 1 THEN 'Pricing'
              ELSE (%(names)s::text[])[1 + (g / 10) %% 20] END AS name,
         CASE WHEN g <= %(history)s
              THEN %(start)s::timestamptz + (g - 0.5) * %(step)s::interval
              ELSE %(recent_start)s::timestamptz
                   + (g - %(history)s - 0.5) * %(recent_step)s::interval END AS at
) AS c
ORDER BY g
"""

_DELIVERIES = """
INSERT INTO deliveries (event_id, destination_id, status, reason, code, attempts,
                        next_attempt_at, created_at, updated_at, delivered_at)
SELECT e.id, %(destination)s, o.status, o.reason, o.code, 1,
       CASE WHEN o.status = 'retrying' THEN now() + interval '1 day' END,
       e.received_at, e.received_at + o.took,
       CASE WHEN o.status = 'delivered' THEN e.received_at + o.took END
FROM events AS e
CROSS JOIN LATERAL (
  SELECT (20 + (e.id * 37) %% 900) * interval '1 millisecond' AS took,
         CASE WHEN e.id %% 100 IN (7, 57) THEN 'failed'
              WHEN e.id %% 100 = 13 THEN 'failed'
              WHEN e.id %% 100 = 42 AND e.received_at > now() - interval '4 hours'
                THEN 'retrying'
              WHEN e.id %% 100 = 42 THEN 'failed'
              ELSE 'delivered' END AS status,
         CASE WHEN e.id %% 100 IN (7, 57) THEN 'http_400'
              WHEN e.id %% 100 = 13 THEN 'timeout'
              WHEN e.id %% 100 = 42 THEN 'http_503' END AS code,
         CASE WHEN e.id %% 100 IN (7, 57) THEN 'HTTP 400 Bad Request: {"error": "invalid email"}'
              WHEN e.id %% 100 = 13 THEN 'gave up after 4 h of retries: timed out after 5.0 s'
              WHEN e.id %% 100 = 42 AND e.received_at > now() - interval '4 hours'
                THEN 'HTTP 503 Service Unavailable: down for maintenance'
              WHEN e.id %% 100 = 42
                THEN 'gave up after 4 h of retries: HTTP 503 Service Unavailable'
              END AS reason
) AS o
WHERE e.source_id = %(source)s
ORDER BY e.id
"""

# Failed and retrying deliveries keep their bodies; delivered ones the short form that
# batched deliveries store, which is what most delivered rows look like at volume.
_ATTEMPTS = """
INSERT INTO attempts (delivery_id, created_at, outcome, code, reason, duration_ms, exchanges)
SELECT d.id, d.updated_at,
       CASE d.status WHEN 'delivered' THEN 'delivered' WHEN 'retrying' THEN 'retry'
            ELSE CASE WHEN d.code = 'http_400' THEN 'failed' ELSE 'retry' END END,
       d.code, d.reason, 12.5,
       jsonb_build_array(jsonb_build_object(
         'method', 'POST', 'url', 'https://hooks.example.com/switchboard',
         'request_headers',
           '{"content-type": "application/json", "authorization": "[redacted]"}'::jsonb,
         'request_body', CASE WHEN d.status = 'delivered' THEN NULL ELSE e.payload::text END,
         'status', CASE d.code WHEN 'http_400' THEN 400 WHEN 'http_503' THEN 503
                   WHEN 'timeout' THEN NULL ELSE 200 END,
         'response_headers', '{"content-type": "application/json"}'::jsonb,
         'response_body', CASE d.code WHEN 'http_400' THEN '{"error": "invalid email"}'
                          WHEN 'http_503' THEN 'down for maintenance'
                          WHEN 'timeout' THEN NULL ELSE NULL END,
         'error', CASE WHEN d.code = 'timeout' THEN 'timed out after 5.0 s' END,
         'started_at', extract(epoch FROM d.updated_at), 'duration_ms', 12.5)
         || CASE WHEN d.status = 'delivered'
            THEN '{"bodies": "stored with the first event of this batch"}'::jsonb
            ELSE '{}'::jsonb END)
FROM deliveries AS d JOIN events AS e ON e.id = d.event_id
WHERE d.destination_id = %(destination)s
ORDER BY d.id
"""

_SOURCE_DAYS = """
INSERT INTO schema_source_days (source_id, day, calls)
SELECT source_id, (received_at AT TIME ZONE 'UTC')::date, count(*)
FROM events WHERE source_id = %(source)s GROUP BY 1, 2
"""

_EVENT_KEY = "CASE type WHEN 'track' THEN 'track:' || event_name ELSE type END"

_EVENT_DAYS = f"""
INSERT INTO schema_event_days (source_id, day, event_key, type, calls)
SELECT source_id, (received_at AT TIME ZONE 'UTC')::date, {_EVENT_KEY}, type, count(*)
FROM events WHERE source_id = %(source)s GROUP BY 1, 2, 3, 4
"""

_PROPERTY_DAYS = f"""
WITH c AS (
  SELECT e.source_id, {_EVENT_KEY} AS event_key, (e.received_at AT TIME ZONE 'UTC')::date AS day,
         k.kind, k.doc
  FROM events AS e CROSS JOIN LATERAL (VALUES
    ('properties',
     CASE WHEN e.type IN ('track', 'page', 'screen') THEN e.payload -> 'properties' END),
    ('traits', CASE WHEN e.type IN ('identify', 'group') THEN e.payload -> 'traits' END),
    ('context.traits', e.payload -> 'context' -> 'traits')) AS k(kind, doc)
  WHERE e.source_id = %(source)s AND jsonb_typeof(k.doc) = 'object'
), paths AS (
  SELECT c.source_id, c.event_key, c.day, c.kind, t.key AS path
  FROM c CROSS JOIN LATERAL jsonb_each(c.doc) AS t
  UNION ALL
  SELECT c.source_id, c.event_key, c.day, c.kind, t.key || '.' || n.key
  FROM c CROSS JOIN LATERAL jsonb_each(c.doc) AS t
  CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(t.value) = 'object'
                                     THEN t.value ELSE '{{}}'::jsonb END) AS n
)
INSERT INTO schema_property_days (source_id, event_key, day, kind, path, calls)
SELECT source_id, event_key, day, kind, path, count(*) FROM paths GROUP BY 1, 2, 3, 4, 5
"""

# One row per outcome and span, as the deliver job writes them (deliveries/store.py).
_DELIVERY_ROLLUPS = """
INSERT INTO delivery_rollups (destination_id, span, bucket, status, code, latency, total)
SELECT d.destination_id, s.span,
       floor(extract(epoch FROM d.updated_at) / s.span)::bigint * s.span,
       d.status, coalesce(d.code, ''),
       CASE WHEN d.status <> 'delivered' THEN -1
            WHEN extract(epoch FROM d.delivered_at - e.received_at) * 1000 <= 1 THEN 0
            ELSE least(120, ceil(4 * log(2, (extract(epoch FROM d.delivered_at - e.received_at)
                                              * 1000)::numeric) - 0.000000001))::int END,
       count(*)
FROM deliveries AS d JOIN events AS e ON e.id = d.event_id
CROSS JOIN (VALUES (60), (3600)) AS s(span)
WHERE d.destination_id = %(destination)s
GROUP BY 1, 2, 3, 4, 5, 6
"""


def seed(
    conn: psycopg.Connection[tuple[object, ...]],
    *,
    source_id: int,
    destination_id: int,
    events: int,
    chunk: int = 200_000,
    say: Callable[[str], None] = print,
) -> None:
    """Seed `events` events of one source with their deliveries, attempts and rollups."""
    params: dict[str, object] = {
        "source": source_id,
        "destination": destination_id,
        "users": USERS,
        "names": list(TRACK_NAMES),
    }
    moments = conn.execute("SELECT now() - interval '14 days', now() - interval '1 day'").fetchone()
    assert moments is not None
    recent = min(events, RECENT_EVENTS)
    history = events - recent
    params["start"], params["recent_start"] = moments
    params["history"] = history
    params["step"] = f"{13 * 86_400 / max(history, 1)} seconds"
    params["recent_step"] = f"{86_400 / recent} seconds"
    for low in range(1, events + 1, chunk):
        high = min(events, low + chunk - 1)
        conn.execute(_EVENTS, {**params, "low": low, "high": high})
    for name, statement in (
        ("deliveries", _DELIVERIES),
        ("attempts", _ATTEMPTS),
        ("schema_source_days", _SOURCE_DAYS),
        ("schema_event_days", _EVENT_DAYS),
        ("schema_property_days", _PROPERTY_DAYS),
        ("delivery_rollups", _DELIVERY_ROLLUPS),
    ):
        say(f"  seeding {name}")
        conn.execute(statement, params)
    # What autovacuum would have done by the time anyone looks: statistics and the
    # visibility map (index-only scans).
    conn.execute("VACUUM ANALYZE")
