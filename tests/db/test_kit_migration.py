"""A database made by the release before the destination kit, migrated: its destinations get
mappings made from their vendor settings and keep sending exactly what they sent.

The webhook configurations and events are those `tests/integrations/webhook/legacy_requests.json`
recorded from the adapter before the kit (the requests that reached a sink, byte for byte). Here
they are stored as that release stored them — settings encrypted, at schema revision 0006 —
then the database is migrated to head, `switchboard migrate`'s conversion runs, and the events
are routed and delivered by the real jobs to loopback sinks. Every sink must receive what was
recorded, on both dialects.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import MetaData, Table, select

from switchboard.db.engine import make_engine
from switchboard.db.migrate import upgrade
from switchboard.deliveries.models import Delivery
from switchboard.destinations.adopt import adopt_all
from switchboard.destinations.crypto import SettingsBox
from switchboard.destinations.models import Destination
from switchboard.events.models import Event, RouteQueue
from switchboard.integrations.webhook import sign
from switchboard.jobs.deliver import deliver
from switchboard.jobs.route import route_events
from tests.db.test_migrations import empty_database  # noqa: F401 - the fixture, both dialects
from tests.fakes.sink import Sink
from tests.jobs.conftest import SECRET, KeptJobs, job_context

FIXTURE = json.loads(
    (Path(__file__).parents[1] / "integrations" / "webhook" / "legacy_requests.json").read_text()
)


def _storable(payload: dict[str, Any]) -> bool:
    """Whether a database can hold the event (one of the recorded events carries an integer
    past 64 bits, to show the adapter's invalid_json outcome; no ingest could have stored it)."""
    try:
        orjson.dumps(payload)
    except orjson.JSONEncodeError:
        return False
    return True


STORED = [i for i, payload in enumerate(FIXTURE["events"]) if _storable(payload)]


def _store_before_the_kit(url: str, configs: dict[str, dict[str, Any]]) -> dict[str, int]:
    """A source and one webhook destination per config, written as revision 0006 stores them."""
    upgrade(url, "0006")
    engine = make_engine(url)
    box = SettingsBox(SECRET)
    now = datetime.now(UTC)
    ids: dict[str, int] = {}
    try:
        tables = MetaData()
        tables.reflect(engine, only=["sources", "destinations", "connections"])
        sources: Table = tables.tables["sources"]
        destinations: Table = tables.tables["destinations"]
        connections: Table = tables.tables["connections"]
        with engine.begin() as conn:
            source_id = conn.execute(
                sources.insert()
                .values(name="app", enabled=True, created_at=now, updated_at=now)
                .returning(sources.c.id)
            ).scalar_one()
            for name, stored in sorted(configs.items()):
                ids[name] = conn.execute(
                    destinations.insert()
                    .values(
                        name=name,
                        type="webhook",
                        settings_encrypted=box.seal(stored),
                        enabled=True,
                        filters={},
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(destinations.c.id)
                ).scalar_one()
                conn.execute(
                    connections.insert().values(
                        destination_id=ids[name], source_id=source_id, created_at=now
                    )
                )
    finally:
        engine.dispose()
    return ids


def _as_json(requests: list[dict[str, Any]], stored: dict[str, Any] | None) -> list[dict[str, Any]]:
    shown = []
    for request in requests:
        headers = dict(request["headers"])
        signature = headers.pop("x-signature", None)
        if stored is not None and stored.get("shared_secret"):
            assert signature == sign(stored["shared_secret"], request["body"].encode())
        shown.append({**request, "headers": headers, "body": json.loads(request["body"])})
    return shown


def test_a_migrated_database_delivers_what_it_delivered(empty_database: str) -> None:  # noqa: F811
    recorded = FIXTURE["configs"]
    with ExitStack() as stack:
        sinks = {name: stack.enter_context(Sink()) for name in recorded}
        configs = {
            name: json.loads(
                json.dumps(recorded[name]["stored"]).replace("{sink}", sinks[name].url)
            )
            for name in recorded
        }
        ids = _store_before_the_kit(empty_database, configs)
        upgrade(empty_database, "head")
        engine = make_engine(empty_database)
        queue = KeptJobs()
        http = stack.enter_context(httpx.Client())
        ctx = job_context(engine, http, queue)
        stack.callback(engine.dispose)

        with ctx.sessions() as session:  # what `switchboard migrate` runs after the schema
            assert adopt_all(session, ctx.box, ctx.adapters) == len(recorded)
            session.commit()
            made = {d.name: d for d in session.scalars(select(Destination))}
            assert {name: [m.action for m in made[name].mappings] for name in recorded} == {
                name: ["send"] for name in recorded
            }
            assert all(d.mappings_version == 1 for d in made.values())
            assert adopt_all(session, ctx.box, ctx.adapters) == 0  # once only

        now = datetime.now(UTC)
        with ctx.sessions() as session:
            source_id = session.scalars(select(Event.source_id)).first() or 1
            event_ids = []
            for payload in (FIXTURE["events"][i] for i in STORED):
                event = Event(
                    source_id=source_id,
                    type=payload["type"],
                    event_name=payload.get("event") or payload.get("name"),
                    user_id=payload.get("userId"),
                    anonymous_id=payload.get("anonymousId"),
                    message_id=payload["messageId"],
                    timestamp=now,
                    received_at=now,
                    payload=payload,
                )
                session.add(event)
                session.flush()
                session.add(RouteQueue(event_id=event.id, received_at=now))
                event_ids.append(event.id)
            session.commit()
        route_events(ctx, event_ids)
        for destination_id, delivery_ids in queue.delivers:
            deliver(ctx, destination_id, delivery_ids)

        for name, sink in sinks.items():
            expected = recorded[name]["requests"]
            received = [
                {
                    "method": r.method,
                    "path": r.path,
                    "headers": {h: r.header(h) for h in expected[0]["headers"]},
                    "body": r.body.decode(),
                }
                for r in sink.requests
            ]
            if engine.dialect.name == "postgresql":
                # JSONB keeps keys in its own order, so the release before the kit sent these
                # bodies in that order too: the same JSON, each signed over its own bytes.
                received, expected = _as_json(received, configs[name]), _as_json(expected, None)
            assert received == expected, name
        with ctx.sessions() as session:
            codes = {
                name: [
                    d.code or d.status
                    for d in session.scalars(
                        select(Delivery)
                        .where(Delivery.destination_id == ids[name])
                        .order_by(Delivery.event_id)
                    )
                ]
                for name in recorded
            }
        assert codes == {name: [recorded[name]["codes"][i] for i in STORED] for name in recorded}
