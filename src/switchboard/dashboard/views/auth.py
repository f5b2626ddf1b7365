"""/login and /logout."""

from __future__ import annotations

import math
import secrets
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from switchboard.dashboard.deps import FormDep, LoginThrottleDep, RawFormDep, ViewerDep
from switchboard.dashboard.render import pages_of
from switchboard.settings import Settings
from switchboard.users import service
from switchboard.users.service import SESSION_LIFETIME
from switchboard.web.deps import SessionDep, SettingsDep
from switchboard.web.origin import client_address, is_https
from switchboard.web.sessions import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    csrf_matches,
    session_key_of,
    sign,
    viewer_of,
)

router = APIRouter(include_in_schema=False)

HOME: Final = "/sources"
NOTICES: Final = {"logged_out": "You are logged out."}


def safe_next(value: str | None) -> str:
    """Where to go after login: a path on this site only (never //evil.example or a URL)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return HOME
    return value


def _login_page(
    request: Request,
    settings: Settings,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = pages_of(request).render(
        request,
        "auth/login.html",
        None,
        status_code=status_code,
        next_path=next_path,
        email=email,
        error=error,
        login_csrf=token,
        notice=NOTICES.get(request.query_params.get("notice", "")),
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=is_https(request, settings),
        path="/login",
    )
    return response


@router.get("/login")
def login_form(
    request: Request, session: SessionDep, settings: SettingsDep, next: str | None = None
) -> Response:
    if viewer_of(request, session) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, settings, next_path=safe_next(next))


@router.post("/login")
def login(
    request: Request,
    form: RawFormDep,
    session: SessionDep,
    settings: SettingsDep,
    throttle: LoginThrottleDep,
) -> Response:
    next_path = safe_next(form.get("next"))
    email = form.get("email").strip()
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form.get("csrf_token")):
        return _login_page(
            request,
            settings,
            next_path=next_path,
            email=email,
            error="The login form expired. Please try again.",
            status_code=403,
        )
    client = client_address(request, settings)
    wait = throttle.retry_after(client)
    if wait <= 0:
        result = service.authenticate(session, email, form.get("password"))
        session.commit()
        wait = result.retry_after
    else:
        result = service.LoginResult(None, retry_after=wait)
    if result.user is None:
        throttle.failed(client)
        if wait > 0:
            minutes = max(1, math.ceil(wait / 60))
            error = (
                "Too many failed attempts. Try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''}."
            )
            return _login_page(
                request, settings, next_path=next_path, email=email, error=error, status_code=429
            )
        return _login_page(
            request,
            settings,
            next_path=next_path,
            email=email,
            error="That e-mail and password do not match an account.",
            status_code=401,
        )
    throttle.succeeded(client)
    token, _ = service.start_session(session, result.user)
    session.commit()
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        COOKIE,
        sign(session_key_of(request), token),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=is_https(request, settings),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(viewer: ViewerDep, form: FormDep, session: SessionDep) -> Response:
    service.end_session(session, viewer.token)
    session.commit()
    response = RedirectResponse("/login?notice=logged_out", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
