"""Setup code for a source, shown on its page: the SDK calls that point at this server."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Snippet:
    key: str
    label: str
    install: str
    code: str


def snippets(write_key: str, base_url: str) -> list[Snippet]:
    """Browser (analytics.js), Python, Node.js and curl examples for `write_key`, with the
    server's address filled in (`base_url` like http://127.0.0.1:8000)."""
    parts = urlsplit(base_url)
    host = parts.netloc + parts.path.rstrip("/")
    protocol = parts.scheme or "https"
    browser = f"""import {{ AnalyticsBrowser }} from '@segment/analytics-next'

export const analytics = AnalyticsBrowser.load(
  {{ writeKey: '{write_key}', cdnURL: '{base_url}' }},
  {{ integrations: {{ 'Segment.io': {{ apiHost: '{host}/v1', protocol: '{protocol}' }} }} }},
)

analytics.identify('user-123', {{ email: 'ada@example.com' }})
analytics.track('Signed Up', {{ plan: 'pro' }})"""
    python = f"""import segment.analytics as analytics

analytics.write_key = '{write_key}'
analytics.host = '{base_url}'

analytics.identify('user-123', {{'email': 'ada@example.com'}})
analytics.track('user-123', 'Signed Up', {{'plan': 'pro'}})
analytics.flush()  # send now; otherwise events go out in the background"""
    node = f"""const {{ Analytics }} = require('@segment/analytics-node')

const analytics = new Analytics({{ writeKey: '{write_key}', host: '{base_url}' }})

analytics.identify({{ userId: 'user-123', traits: {{ email: 'ada@example.com' }} }})
analytics.track({{ userId: 'user-123', event: 'Signed Up', properties: {{ plan: 'pro' }} }})"""
    curl = f"""curl -u '{write_key}:' {base_url}/v1/track \\
  -H 'Content-Type: application/json' \\
  -d '{{"userId": "user-123", "event": "Signed Up", "properties": {{"plan": "pro"}}}}'"""
    return [
        Snippet(
            "browser", "Website (analytics.js)", "npm install @segment/analytics-next", browser
        ),
        Snippet("python", "Python", "pip install segment-analytics-python", python),
        Snippet("node", "Node.js", "npm install @segment/analytics-node", node),
        Snippet("curl", "HTTP (curl)", "", curl),
    ]
