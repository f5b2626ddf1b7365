"""Where the test-only SDKs live, how to run a driver, and which backend the matrix uses.

The SDKs are installed by `make test` before pytest starts (Makefile: the `tests/sdk/node`
npm install and the segment-analytics-python 2.3 `pip install --target`), never by a test.
On a machine without them the tests skip; with SWITCHBOARD_TEST_REQUIRE_BROWSER=1 (CI)
they fail instead, so CI cannot pass by skipping the matrix.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.sdk.scenario import Report

REQUIRE_SDKS = os.environ.get("SWITCHBOARD_TEST_REQUIRE_BROWSER") == "1"
HERE = Path(__file__).parent
NODE_DIR = HERE / "node"
DRIVERS = HERE / "drivers"
#: Where `make test` installs segment-analytics-python 2.3.x, beside the venv's 2.4.
SEGMENT_PYTHON_23 = Path(sys.prefix) / "sdk" / "segment-analytics-python-2.3"
#: The backend the SDK matrix runs on: Postgres (production's) when configured, else SQLite.
PREFERRED_BACKEND = "postgres" if os.environ.get("SWITCHBOARD_TEST_DATABASE_URL") else "sqlite"
one_backend = pytest.mark.parametrize("module_database", [PREFERRED_BACKEND], indirect=True)
#: Seconds one driver may run: a 1,000-event burst takes a few.
DRIVER_TIMEOUT = 60


def missing(what: str) -> NoReturn:
    """Skip because `what` is not installed, or fail in CI."""
    message = f"{what} is not installed (run `make test`, which installs the test SDKs)"
    if REQUIRE_SDKS:
        pytest.fail(message)
    pytest.skip(message)


def node_binary() -> str:
    found = shutil.which("node")
    if found is None:
        missing("Node.js")
    return found


def node_package(name: str) -> Path:
    """The installed npm package `name` under tests/sdk/node, or skip (fail in CI)."""
    path = NODE_DIR / "node_modules" / name
    if not (path / "package.json").is_file():
        missing(f"the npm package {name}")
    return path


def run_driver(
    command: list[str], plan: dict[str, Any], env: dict[str, str] | None = None
) -> Report:
    """Run a driver program with `plan` on stdin and return the report it prints."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environment.update(env or {})
    done = subprocess.run(
        command,
        input=json.dumps(plan).encode(),
        capture_output=True,
        timeout=DRIVER_TIMEOUT,
        env=environment,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"{command} exited {done.returncode}:\n{done.stderr.decode()[-4000:]}")
    return Report.parse(json.loads(done.stdout))
