"""FastAPI dependencies for the dashboard pages: the logged-in viewer and checked forms.

A page without a valid session redirects to the login page; a form without the session's
CSRF token is refused with 403 (a page from another site cannot submit our forms).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Final
from urllib.parse import parse_qs, quote

from fastapi import Depends, HTTPException, Request

from switchboard.dashboard.throttle import LoginThrottle
from switchboard.web.deps import SessionDep
from switchboard.web.sessions import CSRF_FIELD, Viewer, csrf_matches, viewer_of

#: Large enough for a pasted event or a big settings form, small enough to refuse abuse.
MAX_FORM_BYTES: Final = 512 * 1024


class LoginRequired(Exception):
    """Raised by a page dependency; answered with a redirect to /login?next=<page>."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def require_viewer(request: Request, session: SessionDep) -> Viewer:
    viewer = viewer_of(request, session)
    if viewer is None:
        path = request.url.path
        if request.url.query:
            path += "?" + request.url.query
        raise LoginRequired(path)
    return viewer


ViewerDep = Annotated[Viewer, Depends(require_viewer)]


class Form:
    """An urlencoded form body: the last value of a field, or all of them."""

    def __init__(self, fields: Mapping[str, list[str]]) -> None:
        self.fields = fields

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[-1] if values else default

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))

    def has(self, name: str) -> bool:
        return name in self.fields


async def read_form(request: Request) -> Form:
    """Parse an application/x-www-form-urlencoded body (the only kind our forms send)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(status_code=415, detail="forms must be sent url-encoded")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(status_code=413, detail="the form is too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(status_code=400, detail="the form is not UTF-8") from None
    return Form(parse_qs(text, keep_blank_values=True, max_num_fields=2000))


RawFormDep = Annotated[Form, Depends(read_form)]


def checked_form(form: RawFormDep, viewer: ViewerDep) -> Form:
    """The form, once its CSRF token matched the viewer's session."""
    if not csrf_matches(viewer.csrf_token, form.get(CSRF_FIELD) or None):
        raise HTTPException(
            status_code=403, detail="the form expired or came from another site; reload the page"
        )
    return form


FormDep = Annotated[Form, Depends(checked_form)]


def login_throttle_of(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


#: This process's count of failed logins per client address (`install_dashboard` made it).
LoginThrottleDep = Annotated[LoginThrottle, Depends(login_throttle_of)]


class PageNotFound(Exception):
    """Raised by a page for a missing record; answered with a 404 page saying what is missing."""

    def __init__(self, what: str, back: str, back_label: str) -> None:
        super().__init__(what)
        self.what = what
        self.back = back
        self.back_label = back_label
