"""The settings document analytics.js fetches from `{cdnURL}/v1/projects/{writeKey}/settings`."""

from __future__ import annotations

from typing import Any


def analytics_js_settings(write_key: str, *, api_host: str, protocol: str) -> dict[str, Any]:
    """Settings that make analytics-next send every event here and nowhere else.

    - `Segment.io.apiKey` is the key the browser puts in each event body;
    - `apiHost` has no scheme and `protocol` says which one: without `"http"` the browser
      posts to https and, on a plain-http server, every event fails;
    - only `Segment.io` is listed, so the browser downloads no destination bundles;
    - `metrics.sampleRate` 0 keeps its telemetry from going to api.segment.io.
    """
    return {
        "integrations": {
            "Segment.io": {
                "apiKey": write_key,
                "apiHost": api_host,
                "protocol": protocol,
                "unbundledIntegrations": [],
                "addBundledMetadata": True,
                "maybeBundledConfigIds": {},
                "versionSettings": {"version": "4.4.7", "componentTypes": ["browser"]},
            }
        },
        "plan": {
            "track": {"__default": {"enabled": True, "integrations": {}}},
            "identify": {"__default": {"enabled": True}},
            "group": {"__default": {"enabled": True}},
        },
        "edgeFunction": {},
        "analyticsNextEnabled": True,
        "middlewareSettings": {},
        "enabledMiddleware": {},
        "metrics": {"sampleRate": 0, "host": api_host},
        "legacyVideoPluginsEnabled": False,
        "remotePlugins": [],
    }
