"""Schemathesis over the admin API's own OpenAPI document: no request makes a 5xx.

The document is fetched from the running server with the admin token, as a client would;
every operation in it is then called over loopback with generated parameters and bodies,
valid and invalid, on each backend (Postgres refuses ids that SQLite takes, so both matter).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from switchboard.settings import Settings
from tests.conftest import ADMIN_TOKEN, empty_postgres
from tests.hardening.processes import report
from tests.servers import RunningServer, running_server

#: A live server, and a few thousand generated requests over loopback.
pytestmark = pytest.mark.system

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def admin_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[RunningServer]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("schema") / "admin.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_migrated")
        empty_postgres(url)
    settings_ = Settings(
        database_url=url,
        admin_token=ADMIN_TOKEN,
        secret_key="schema-test-secret-key",
        allow_private_destinations=True,
        write_key_cache_seconds=0,
    )
    with running_server(settings_) as server:
        # Something for the generated ids to find: a source with an event, a destination.
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as admin:
            source = admin.post("/api/v1/sources", json={"name": "s"}).json()
            admin.post(
                "/api/v1/destinations",
                json={
                    "name": "d",
                    "type": "webhook",
                    "source_ids": [source["id"]],
                    "settings": {"urls": ["http://127.0.0.1:9/hook"]},
                },
            ).raise_for_status()
            httpx.post(
                server.url + "/v1/track",
                json={"userId": "u", "event": "E"},
                auth=(source["write_key"], ""),
            ).raise_for_status()
        yield server


def test_no_admin_request_is_a_server_error(admin_server: RunningServer) -> None:
    document = httpx.get(admin_server.url + "/api/v1/openapi.json", headers=AUTH).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 15, "the admin API's operations are missing from its document"
    calls = 0
    with requests.Session() as session:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @settings(
                    max_examples=20,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],  # no shrinking: the message says what failed
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy(generation_mode=mode))
                def call(case: Any) -> None:
                    nonlocal calls
                    calls += 1
                    response = case.call(
                        base_url=admin_server.url, session=session, headers=AUTH, timeout=10
                    )
                    assert response.status_code < 500, (
                        f"{case.method} {case.formatted_path} query={case.query} "
                        f"body={case.body!r:.300} -> {response.status_code} {response.text[:300]}"
                    )

                try:
                    call()
                except Unsatisfiable:
                    # Nothing in this operation can be made invalid (no parameters, no body).
                    assert mode is GenerationMode.NEGATIVE, operation.label
    assert calls >= 20 * len(operations)
    report(
        "schemathesis over the admin API on "
        + ("sqlite" if admin_server.settings.is_sqlite else "postgres"),
        operations=len(operations),
        requests=calls,
        server_errors=0,
    )
