"""A real third-party destination on the kit, installed into the environment, found through
its entry point.

`tests/plugins/switchboard_echo_plugin` is a package of its own. The test installs it (once:
later runs find that version installed), then asks a fresh interpreter, as a worker process
would be, to load the destinations and send an event through the plugin to a sink with the
kit's test helper, `KitHarness`, as a plugin author would.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from importlib.metadata import entry_points, version
from pathlib import Path

import pytest

from switchboard.integrations.registry import ENTRY_POINT_GROUP
from tests.fakes.sink import Sink

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugins" / "switchboard_echo_plugin"

SEND_THROUGH_PLUGIN = """
import json, sys
from switchboard.integrations.kit.testing import KitHarness
from switchboard.integrations.registry import describe, load_adapters

adapters = load_adapters()
echo = adapters["echo"]
harness = KitHarness(echo.destination, {"url": sys.argv[1], "token": "plugin-token-77"})
event = {"type": "track", "event": "Plugin Tested", "userId": "u-1", "messageId": "m-1"}
(sent,) = harness.send([event, {"type": "page", "name": "Home"}])
exchange = sent.result.exchanges[0].as_dict()
print(json.dumps({
    "types": sorted(adapters),
    "described": describe(echo),
    "mapping": sent.mapping.name,
    "outcome": sent.outcome.kind.value,
    "status": exchange["status"],
    "recorded": json.dumps(exchange),
}))
"""

PLUGIN_VERSION = "0.2.0"


def _plugin_installed() -> bool:
    declared = any(ep.name == "echo" for ep in entry_points(group=ENTRY_POINT_GROUP))
    if not declared or importlib.util.find_spec("switchboard_echo_plugin") is None:
        return False
    # An environment may hold the plugin as an earlier version of this test installed it.
    return version("switchboard-echo-plugin") == PLUGIN_VERSION


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
            "--force-reinstall",
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
    described = report["described"]
    assert described["display_name"] == "Echo"
    assert [a["id"] for a in described["actions"]] == ["post"]
    assert [p["trigger"] for p in described["presets"]] == ['type = "track"', 'type = "identify"']
    assert described["settings_schema"]["required"] == ["url"]
    # The page call matched no preset's trigger: only the track call was sent.
    assert (report["mapping"], report["outcome"], report["status"]) == (
        "Track calls",
        "delivered",
        200,
    )
    assert (received.method, received.path) == ("POST", "/echo")
    assert received.headers["authorization"] == "Bearer plugin-token-77"
    assert json.loads(received.body)["event"] == "Plugin Tested"
    assert "plugin-token-77" not in report["recorded"]
