"""Destination addresses are checked on every connection, after DNS, not only when saved.

Real sockets are used only towards loopback, where the guard must refuse before connecting;
the other non-public ranges are checked without any traffic (the workplace forbids sending
any to them, and the guard's decision is the same function).
"""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.destinations.addresses import guarded_transport, internal_urls
from switchboard.integrations.base import OutcomeKind
from switchboard.integrations.http import ErrorKind, describe, request
from switchboard.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.hardening.endpoints import Endpoint
from tests.inprocess import running_app

PUBLIC = "93.184.216.34"  # a global address; never connected to by these tests


class Rebinding:
    """A resolver that answers with a public address first, then with loopback."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, host: str, port: Any, *args: Any) -> list[tuple[Any, ...]]:
        self.calls += 1
        address = PUBLIC if self.calls == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]


def test_a_name_rebound_to_loopback_after_it_was_saved_is_refused_at_connection() -> None:
    resolver = Rebinding()
    with Endpoint() as endpoint:
        url = f"http://hooks.rebinding.test:{endpoint.port}/hook"
        assert internal_urls({"urls": [url]}, resolve=resolver) == []  # accepted when saved
        with httpx.Client(transport=guarded_transport(resolve=resolver)) as client:
            sent = request(client, "POST", url, content=b"{}", timeout=2)
        assert sent.response is None
        assert sent.failure is not None
        assert sent.failure.kind is ErrorKind.PRIVATE_ADDRESS
        assert "127.0.0.1" in sent.failure.message
        outcome = describe(sent.response, sent.failure)
        assert (outcome.kind, outcome.code) == (OutcomeKind.PERMANENT, "private_address")
        assert endpoint.requests == 0, "the request reached the loopback endpoint"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.8.9.10", "localhost", "0.0.0.0", "[::1]", "[::ffff:127.0.0.1]"]
)
def test_loopback_hosts_are_refused_before_connecting(host: str) -> None:
    with Endpoint() as endpoint, httpx.Client(transport=guarded_transport()) as client:
        sent = request(client, "GET", f"http://{host}:{endpoint.port}/", timeout=2)
        assert sent.failure is not None
        assert sent.failure.kind is ErrorKind.PRIVATE_ADDRESS, sent.failure
        assert endpoint.requests == 0


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # cloud metadata
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # shared address space (carrier NAT)
        "fe80::1",
        "fc00::1",
        "224.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_private_link_local_metadata_and_multicast_ranges_are_refused(address: str) -> None:
    def resolve(host: str, port: Any, *args: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET6 if ":" in address else socket.AF_INET, 1, 6, "", (address, 0))]

    assert internal_urls({"u": "http://name.test/x"}, resolve=resolve) == ["http://name.test/x"]
    host = f"[{address}]" if ":" in address else address
    assert internal_urls({"u": f"http://{host}/x"}) == [f"http://{host}/x"]
    assert internal_urls({"u": f"http://{PUBLIC}/x"}) == []


def test_a_destination_saved_while_allowed_is_refused_when_sent_without_the_allowance(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """The check holds in the workers, not only in the admin API: a destination that points
    at loopback (saved while allowed) fails with `private_address` once the allowance is off."""
    path = tmp_path / "db.sqlite"
    shutil.copy(sqlite_template, path)
    common: dict[str, Any] = {
        "database_url": f"sqlite:///{path}",
        "admin_token": ADMIN_TOKEN,
        "secret_key": "addresses-test-secret",
        "write_key_cache_seconds": 0,
    }
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with Endpoint() as endpoint:
        allowed = Settings(**common, allow_private_destinations=True)
        with (
            running_app(allowed) as app,
            app.client(headers=auth) as admin,
        ):
            source = admin.post("/api/v1/sources", json={"name": "s"}).json()
            created = admin.post(
                "/api/v1/destinations",
                json={
                    "name": "inside",
                    "type": "webhook",
                    "source_ids": [source["id"]],
                    "settings": {"urls": [endpoint.url]},
                },
            )
            assert created.status_code == 201, created.text
        refused = Settings(**common, allow_private_destinations=False)
        with (
            running_app(refused) as app,
            app.client(headers=auth) as admin,
        ):
            answer = admin.post(
                "/v1/track",
                json={"userId": "u", "event": "E"},
                auth=(source["write_key"], ""),
            )
            assert answer.status_code == 200
            deadline = time.monotonic() + 20
            deliveries: list[dict[str, Any]] = []
            while time.monotonic() < deadline:
                deliveries = admin.get("/api/v1/deliveries").json()["data"]
                if deliveries and deliveries[0]["status"] == "failed":
                    break
                time.sleep(0.05)
            assert [(d["status"], d["code"]) for d in deliveries] == [("failed", "private_address")]
            # And saving such a URL now is refused up front.
            again = admin.post(
                "/api/v1/destinations",
                json={"name": "again", "type": "webhook", "settings": {"urls": [endpoint.url]}},
            )
            assert again.status_code == 422
        assert endpoint.requests == 0
