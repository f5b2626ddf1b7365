"""Private services for the fault tests; see services.py for why they are private."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.hardening.services import PrivatePostgres, PrivateRedis, postgres_bin


def _missing(what: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A Postgres cluster of our own, which tests may stop; one per test session."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        _missing("Postgres (initdb, pg_ctl)")
    assert bin_dir is not None
    # Not under pytest's tmp_path: the postgres user must be able to reach the directory.
    root = Path(tempfile.mkdtemp(prefix="switchboard-pg-"))
    server = PrivatePostgres(root, bin_dir)
    try:
        server.init()
        yield server
    finally:
        server.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of our own, which the test may stop and start again."""
    if shutil.which("redis-server") is None:
        _missing("redis-server")
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()
