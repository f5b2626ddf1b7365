"""A real third-party adapter, installed into the environment, found through its entry point.

`tests/plugins/switchboard_echo_plugin` is a package of its own. The test installs it in
editable mode (once: later runs find it installed), then asks a fresh interpreter, as a worker
process would be, to load the adapters and send an event through the plugin to a sink.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from switchboard.integrations.registry import ENTRY_POINT_GROUP
from tests.fakes.sink import Sink

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugins" / "switchboard_echo_plugin"

SEND_THROUGH_PLUGIN = """
import json, sys
import httpx
from switchboard.integrations.base import Message, SendContext
from switchboard.integrations.registry import describe, load_adapters
from switchboard.jobs.retry import RetryPolicy

adapters = load_adapters()
echo = adapters["echo"]
settings = echo.settings_model.model_validate({"url": sys.argv[1]})
event = {"type": "track", "event": "Plugin Tested", "userId": "u-1", "messageId": "m-1"}
with httpx.Client() as client:
    (result,) = echo.send(settings, [Message(1, event)], SendContext(client, RetryPolicy()))
print(json.dumps({
    "types": sorted(adapters),
    "described": describe(echo),
    "outcome": result.outcome.kind.value,
    "status": result.exchanges[0].status,
}))
"""


def _plugin_installed() -> bool:
    declared = any(ep.name == "echo" for ep in entry_points(group=ENTRY_POINT_GROUP))
    return declared and importlib.util.find_spec("switchboard_echo_plugin") is not None


def install_plugin() -> None:
    """`pip install` the echo plugin into this environment unless it is there already.

    The package declares no dependencies, so nothing is downloaded for it. Building it needs
    hatchling: the one in this environment when there is one (no build isolation), else pip
    fetches it into a temporary build environment, as it does for Switchboard itself.
    """
    if _plugin_installed():
        return
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("hatchling") else []
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-input",
            "--disable-pip-version-check",
            *isolation,
            # Not --editable: hatchling's editable builds need the `editables` package too.
            str(PLUGIN_DIR),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"could not install the echo plugin:\n{completed.stdout}{completed.stderr}")


@pytest.mark.system
def test_an_installed_plugin_is_loaded_and_delivers() -> None:
    install_plugin()
    with Sink() as sink:
        completed = subprocess.run(
            [sys.executable, "-c", SEND_THROUGH_PLUGIN, f"{sink.url}/echo"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        report = json.loads(completed.stdout)
        (received,) = sink.requests

    assert {"webhook", "echo"} <= set(report["types"])
    assert report["described"]["display_name"] == "Echo"
    assert report["described"]["supported_calls"] == ["identify", "track"]
    assert report["described"]["settings_schema"]["required"] == ["url"]
    assert (report["outcome"], report["status"]) == ("delivered", 200)
    assert (received.method, received.path) == ("POST", "/echo")
    assert json.loads(received.body)["event"] == "Plugin Tested"
