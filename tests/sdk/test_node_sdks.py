"""Segment's and RudderStack's Node SDKs, unmodified, against a live server.

Installed from npm into tests/sdk/node (pinned by its package-lock.json):
@segment/analytics-node 3.1.x (Basic auth and the key in the body), 3.0.x through the npm
alias `segment-analytics-node-3.0` (the key in the body only), and
@rudderstack/rudder-sdk-node (Basic auth only, gzipped). Each runs under the machine's Node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from tests.conftest import SourceRef
from tests.ingest.stored import stored_events
from tests.sdk.harness import NODE_DIR, node_binary, node_package, one_backend, run_driver
from tests.sdk.scenario import Report, Scenario, Wire, check_run, check_wire
from tests.servers import RunningServer

BATCH = frozenset({"/v1/batch"})


@dataclass(frozen=True)
class NodeSdk:
    package: str
    driver: str
    version_prefix: str
    wire: Wire


SDKS = {
    "segment-3.1": NodeSdk(
        "@segment/analytics-node",
        "segment-node.mjs",
        "3.1.",
        Wire("@segment/analytics-node", BATCH, basic_auth=True, body_key=True),
    ),
    "segment-3.0": NodeSdk(
        "segment-analytics-node-3.0",
        "segment-node.mjs",
        "3.0.",
        Wire("@segment/analytics-node", BATCH, basic_auth=False, body_key=True),
    ),
    "rudder": NodeSdk(
        "@rudderstack/rudder-sdk-node",
        "rudder-node.mjs",
        "3.",
        Wire("analytics-node", BATCH, basic_auth=True, body_key=False, gzip=True),
    ),
}
SEGMENT = ["segment-3.1", "segment-3.0"]


def play(
    sdk: NodeSdk, scenario: Scenario, server: RunningServer, key: str, **options: object
) -> Report:
    """Run the scenario in Node; `options` go to the SDK's constructor as they are."""
    node = node_binary()
    node_package(sdk.package)
    plan = scenario.plan(server.url, key, module=sdk.package, options=options)
    report = run_driver([node, str(NODE_DIR / sdk.driver)], plan)
    assert report.library["name"] == sdk.wire.library
    assert report.library["version"].startswith(sdk.version_prefix), report.library
    return report


@one_backend
@pytest.mark.system
@pytest.mark.parametrize("name", list(SDKS))
def test_every_call_is_stored_once_with_its_fields(
    server: RunningServer, engine: Engine, source: SourceRef, name: str
) -> None:
    sdk = SDKS[name]
    scenario = Scenario()
    started = datetime.now(UTC)
    # The driver waits for closeAndFlush (Segment) or flush (RudderStack) and reports
    # `closed` only when every call's callback has run.
    report = play(sdk, scenario, server, source.write_key)
    check_wire(report, sdk.wire, source.write_key)
    check_run(engine, scenario, report, sdk.wire, started=started, finished=datetime.now(UTC))


@one_backend
@pytest.mark.parametrize("name", list(SDKS))
def test_a_replayed_batch_stores_nothing_new(
    server: RunningServer, engine: Engine, source: SourceRef, name: str
) -> None:
    sdk = SDKS[name]
    scenario = Scenario(burst=100, message_id_prefix=f"replay-{name}")
    first = play(sdk, scenario, server, source.write_key)
    stored = sorted(e["message_id"] for e in stored_events(engine))
    assert stored == sorted(first.message_ids())
    again = play(sdk, scenario, server, source.write_key)
    check_wire(again, sdk.wire, source.write_key)
    assert sorted(again.message_ids()) == stored
    assert sorted(e["message_id"] for e in stored_events(engine)) == stored


@one_backend
@pytest.mark.parametrize("name", SEGMENT)
def test_batches_near_480_kib_are_accepted(
    server: RunningServer, engine: Engine, source: SourceRef, name: str
) -> None:
    # The SDK's own 480 KiB guard undercounts (it measures with a regex that misses most
    # characters), so what bounds a batch in practice is flushAt (15 by default) times the
    # 32 KB event limit: 15 events of ~31.9 KB, about 478 KB.
    sdk = SDKS[name]
    scenario = Scenario(burst=0, large=30, large_bytes=31_500)
    started = datetime.now(UTC)
    report = play(sdk, scenario, server, source.write_key)
    check_wire(report, sdk.wire, source.write_key)
    sizes = sorted(r.bytes for r in report.requests)
    assert sizes[-1] > 460_000, sizes
    assert sizes[-1] <= 480 * 1024
    check_run(engine, scenario, report, sdk.wire, started=started, finished=datetime.now(UTC))
