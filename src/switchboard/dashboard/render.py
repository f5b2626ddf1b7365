"""Jinja2 templates for the dashboard: the environment, filters, and page rendering.

Autoescaping is on for every template, so any text from an event (a property holding
`<script>`, say) is shown as text, never run as markup.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from switchboard.web.sessions import CSRF_FIELD, Viewer

HERE: Final = Path(__file__).parent
TEMPLATES: Final = HERE / "templates"
STATIC: Final = HERE / "static"
#: Shown for a value that does not exist (an en dash).
NONE: Final = "\u2013"


def number(value: float | int | None) -> str:
    """1234567 → '1,234,567'; None → NONE."""
    if value is None:
        return NONE
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def when(value: datetime | None) -> str:
    """An absolute UTC time a person can read: '22 Nov 2026, 16:37:54 UTC'."""
    if value is None:
        return NONE
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M:%S UTC")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago: 'just now', '3 min ago', '5 h ago', '2 days ago'."""
    if value is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    if seconds < 10:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return f"{days} day{'s' if days != 1 else ''} ago"


def millis(value: float | None) -> str:
    """Milliseconds as '85 ms' or '2.4 s'."""
    if value is None:
        return NONE
    if value < 1000:
        return f"{value:.0f} ms"
    return f"{value / 1000:.1f} s"


def percent(value: float | None) -> str:
    if value is None:
        return NONE
    if value >= 99.95 or float(value).is_integer():
        return f"{value:.0f}%"
    return f"{value:.1f}%"


def pretty_json(value: Any) -> str:
    """Indented JSON with sorted keys, for display (escaped by the template)."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def body(value: str | None) -> str:
    """An HTTP body for display: indented when it is JSON, as sent otherwise."""
    if not value:
        return ""
    try:
        return pretty_json(orjson.loads(value))
    except orjson.JSONDecodeError:
        return value


class Pages:
    """Renders dashboard templates; built once per app, by `install_dashboard`."""

    def __init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(["html", "svg"], default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            number=number,
            when=when,
            ago=ago,
            millis=millis,
            percent=percent,
            json=pretty_json,
            body=body,
        )
        self._versions: dict[str, str] = {}
        self.env.globals["static"] = self.static_url

    def static_url(self, name: str) -> str:
        """/static/<name>?v=<content hash>, so a new release is never served from cache."""
        version = self._versions.get(name)
        if version is None:
            version = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
            self._versions[name] = version
        return f"/static/{name}?v={version}"

    def render(
        self,
        request: Request,
        template: str,
        viewer: Viewer | None,
        *,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        html = self.env.get_template(template).render(
            path=request.url.path,
            viewer=viewer,
            csrf_field=CSRF_FIELD,
            csrf_token=viewer.csrf_token if viewer else "",
            **context,
        )
        return HTMLResponse(html, status_code=status_code, headers={"cache-control": "no-store"})

    def fragment(self, template: str, **context: Any) -> str:
        """A template rendered on its own (a debugger row, an event pane)."""
        return self.env.get_template(template).render(**context)


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages
