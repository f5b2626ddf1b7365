"""The compose file is valid for Docker Compose, and the image is built the conventional way.

There is no Docker engine on the test machines, so the image is not built here: compose
validates the file (`docker compose config`), and the Dockerfile is read for what matters.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from tests.conftest import REQUIRE_SERVICES

REPO = Path(__file__).resolve().parents[2]


def _compose() -> list[str]:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy is not None:
        return [legacy]
    if REQUIRE_SERVICES:
        pytest.fail("Docker Compose is required in CI (.ci/run installs docker-compose)")
    pytest.skip("Docker Compose is not installed (apt-get install docker-compose)")


def _config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    return subprocess.run(
        [*_compose(), "-f", str(REPO / "docker-compose.yml"), "config"],
        env={**clean, **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_docker_compose_config_passes() -> None:
    done = _config(
        {"SWITCHBOARD_ADMIN_TOKEN": "tok-0123456789", "SWITCHBOARD_SECRET_KEY": "k-98765"}
    )
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    services = config["services"]
    assert set(services) == {"postgres", "redis", "migrate", "serve", "worker"}
    for name in ("postgres", "redis", "serve", "worker"):
        assert services[name]["healthcheck"]["test"], f"{name} has no healthcheck"
    assert services["serve"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["worker"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    # serve and worker share one environment: same database, queue and keys.
    assert services["serve"]["environment"] == services["worker"]["environment"]
    environment = services["serve"]["environment"]
    assert environment["SWITCHBOARD_ADMIN_TOKEN"] == "tok-0123456789"
    assert environment["SWITCHBOARD_REDIS_URL"] == "redis://redis:6379/0"
    assert "postgres-data" in config["volumes"]
    assert "ports" not in services["postgres"]  # the database is not published
    # Redis keeps nothing on disk: the database is the source of truth.
    assert "--appendonly" in services["redis"]["command"]


def test_docker_compose_refuses_to_start_without_secrets() -> None:
    done = _config({})
    assert done.returncode != 0
    assert "SWITCHBOARD_ADMIN_TOKEN" in done.stderr or "set it" in done.stderr


def test_dockerfile_is_multi_stage_and_unprivileged() -> None:
    lines = [
        line.strip()
        for line in (REPO / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    stages = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(stages) >= 2, "build and runtime stages"
    final = lines[stages[-1] :]
    assert any(line.startswith("COPY --from=") for line in final)
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert not any("pip install" in line for line in final), "no build tools in the runtime"
    assert final[-1].startswith("CMD ") and "switchboard" in final[-1]
