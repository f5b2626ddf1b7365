"""Segment's and RudderStack's Python SDKs, unmodified, against a live server.

segment-analytics-python 2.4.x sends Basic auth and the key in the body; 2.3.x sends the key
in the body only; rudder-sdk-python sends Basic auth only, gzipped by default. Each plays the
whole scenario (tests/sdk/scenario.py) with and without gzip, in its own process.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from segment.analytics import Client
from sqlalchemy import Engine

from tests.conftest import SourceRef
from tests.ingest.stored import stored_events, stored_rejections
from tests.sdk.harness import DRIVERS, SEGMENT_PYTHON_23, missing, one_backend, run_driver
from tests.sdk.scenario import Report, Scenario, Wire, check_run, check_wire
from tests.servers import RunningServer


@dataclass(frozen=True)
class PythonSdk:
    sdk: str
    version_prefix: str
    wire: Wire
    pythonpath: str | None = None


BATCH = frozenset({"/v1/batch"})
SDKS = {
    "segment-2.4": PythonSdk(
        "segment", "2.4.", Wire("analytics-python", BATCH, basic_auth=True, body_key=True)
    ),
    "segment-2.3": PythonSdk(
        "segment",
        "2.3.",
        Wire("analytics-python", BATCH, basic_auth=False, body_key=True),
        pythonpath=str(SEGMENT_PYTHON_23),
    ),
    "rudder": PythonSdk(
        "rudder", "2.", Wire("analytics-python", BATCH, basic_auth=True, body_key=False)
    ),
}


def play(sdk: PythonSdk, scenario: Scenario, server: RunningServer, key: str, gzip: bool) -> Report:
    if sdk.pythonpath is not None and not (SEGMENT_PYTHON_23 / "segment").is_dir():
        missing("segment-analytics-python 2.3")
    plan = scenario.plan(server.url, key, sdk=sdk.sdk, gzip=gzip)
    env = {"PYTHONPATH": sdk.pythonpath} if sdk.pythonpath else None
    report = run_driver([sys.executable, str(DRIVERS / "python_sdk.py")], plan, env)
    assert report.library["version"].startswith(sdk.version_prefix), report.library
    return report


def _wire(sdk: PythonSdk, gzip: bool) -> Wire:
    return replace(sdk.wire, gzip=gzip)


#: Each SDK plays the whole scenario with its default encoding (RudderStack gzips, Segment
#: does not) and a shorter one with the other: the encoding changes nothing past the body.
MATRIX = [
    pytest.param(name, gzip, id=f"{name}-{'gzip' if gzip else 'plain'}")
    for name in SDKS
    for gzip in (False, True)
]


@one_backend
@pytest.mark.system
@pytest.mark.parametrize(("name", "gzip"), MATRIX)
def test_every_call_is_stored_once_with_its_fields(
    server: RunningServer, engine: Engine, source: SourceRef, name: str, gzip: bool
) -> None:
    sdk = SDKS[name]
    scenario = Scenario() if gzip is (sdk.sdk == "rudder") else Scenario(burst=100)
    started = datetime.now(UTC)
    report = play(sdk, scenario, server, source.write_key, gzip)
    check_wire(report, _wire(sdk, gzip), source.write_key)
    check_run(
        engine, scenario, report, _wire(sdk, gzip), started=started, finished=datetime.now(UTC)
    )


@pytest.mark.parametrize("module_database", ["sqlite"], indirect=True)
def test_segment_python_on_the_embedded_database(
    server: RunningServer, engine: Engine, source: SourceRef
) -> None:
    # The SDK most users run, against `make run`'s SQLite as well (the matrix runs on Postgres
    # when it is configured).
    sdk = SDKS["segment-2.4"]
    scenario = Scenario(burst=250)
    started = datetime.now(UTC)
    report = play(sdk, scenario, server, source.write_key, gzip=False)
    check_wire(report, sdk.wire, source.write_key)
    check_run(engine, scenario, report, sdk.wire, started=started, finished=datetime.now(UTC))


@one_backend
@pytest.mark.parametrize("name", list(SDKS))
def test_a_replayed_batch_stores_nothing_new(
    server: RunningServer, engine: Engine, source: SourceRef, name: str
) -> None:
    sdk = SDKS[name]
    scenario = Scenario(burst=100, message_id_prefix=f"replay-{name}")
    first = play(sdk, scenario, server, source.write_key, gzip=False)
    stored = sorted(e["message_id"] for e in stored_events(engine))
    assert stored == sorted(first.message_ids())
    again = play(sdk, scenario, server, source.write_key, gzip=False)
    # The same messageIds again: accepted without complaint, stored no second time.
    check_wire(again, sdk.wire, source.write_key)
    assert sorted(again.message_ids()) == stored
    assert sorted(e["message_id"] for e in stored_events(engine)) == stored


@one_backend
def test_the_sdk_logs_no_error_for_a_bad_event_in_its_batch(
    server: RunningServer, engine: Engine, source: SourceRef
) -> None:
    # A 400 would make the SDK drop the whole batch; one bad event must not do that.
    errors: list[object] = []
    client = Client(
        source.write_key,
        host=server.url,
        max_retries=0,
        on_error=lambda error, batch: errors.append(error),
    )
    client.track("u", "Fine", message_id="fine")
    client.group("u", "", message_id="no-group")  # empty groupId breaks the Spec
    client.flush()
    client.join()
    assert errors == []
    assert [e["message_id"] for e in stored_events(engine)] == ["fine"]
    assert [r["message_id"] for r in stored_rejections(engine)] == ["no-group"]
