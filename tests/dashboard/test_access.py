"""Who may see what: every page and every /api/v1 route refuses anonymous visitors; login,
logout, CSRF, the login throttle, cookies and security headers, over real HTTP."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from tests.conftest import ADMIN_TOKEN
from tests.dashboard.conftest import (
    CSRF_INPUT,
    EMAIL,
    PASSWORD,
    Browserless,
)
from tests.inprocess import InProcessApp

#: The only routes anyone may reach: the login form, the health check, static files.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/healthz")}


def _concrete(path: str) -> str:
    """A route path with every parameter filled in (`{source_id}` → 1)."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_refuses_anonymous_visitors(dash: InProcessApp) -> None:
    checked = 0
    # A forged session cookie is no better than none.
    forged = {"sb_session": "forged.token"}
    with dash.client(follow_redirects=False, cookies=forged) as http:
        admin = dash.app.admin
        assert isinstance(admin, FastAPI)
        for route in iter_route_contexts(admin.routes):
            if route.path is None or route.path == "/static":
                continue
            for method in sorted((route.methods or set()) - {"HEAD"}):
                if (method, route.path) in PUBLIC:
                    continue
                path = _concrete(route.path)
                answer = http.request(
                    method,
                    path,
                    content=b"name=x",
                    headers={"content-type": "application/x-www-form-urlencoded"},
                )
                checked += 1
                if path.startswith("/api/"):
                    assert answer.status_code == 401, (method, path, answer.status_code)
                elif answer.status_code == 303:
                    location = answer.headers["location"]
                    assert location.startswith("/login?next="), (method, path, location)
                else:
                    assert answer.status_code == 401, (method, path, answer.status_code)
    assert checked > 40  # the walk saw the whole table, dashboard and API


def test_static_files_and_health_are_public(dash: InProcessApp) -> None:
    with dash.client() as http:
        assert http.get("/healthz").status_code == 200
        css = http.get("/static/app.css")
        assert css.status_code == 200
        assert "text/css" in css.headers["content-type"]


def test_login_sets_a_protected_cookie_and_logout_ends_the_session(dash: InProcessApp) -> None:
    with dash.client() as http:
        form = http.get("/login")
        token = CSRF_INPUT.search(form.text)
        assert token
        answer = http.post(
            "/login",
            data={
                "csrf_token": token.group(1),
                "email": EMAIL.upper(),
                "password": PASSWORD,
                "next": "/destinations",
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/destinations"
        cookie = next(
            v
            for k, v in answer.headers.multi_items()
            if k == "set-cookie" and v.startswith("sb_session=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie  # plain http on loopback; https sets it
        page = http.get("/destinations")
        assert page.status_code == 200
        assert EMAIL in page.text
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
        assert csrf
        out = http.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
        assert out.status_code == 303
        # The old cookie is dead on the server, not just removed from this browser.
        http.cookies.set("sb_session", cookie.split(";")[0].split("=", 1)[1])
        again = http.get("/sources", follow_redirects=False)
        assert again.status_code == 303
        assert again.headers["location"].startswith("/login")


def test_a_wrong_password_is_refused_and_repeated_failures_lock_the_account(
    dash: InProcessApp,
) -> None:
    with dash.client() as http:

        def attempt(password: str) -> httpx.Response:
            token = CSRF_INPUT.search(http.get("/login").text)
            assert token
            return http.post(
                "/login",
                data={"csrf_token": token.group(1), "email": EMAIL, "password": password},
                follow_redirects=False,
            )

        first = attempt("wrong password 1")
        assert first.status_code == 401
        assert "do not match an account" in first.text
        statuses = [attempt(f"wrong password {i}").status_code for i in range(2, 6)]
        assert statuses[-1] == 429
        # Locked: even the right password waits, so guessing cannot go on.
        locked = attempt(PASSWORD)
        assert locked.status_code == 429
        assert "Too many failed attempts" in locked.text


def test_the_login_form_needs_its_csrf_token(dash: InProcessApp) -> None:
    with dash.client() as http:
        answer = http.post(
            "/login", data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False
        )
        assert answer.status_code == 403
        assert "sb_session" not in answer.headers.get("set-cookie", "")


def test_forms_and_api_writes_need_the_sessions_csrf_token(
    session_client: Browserless,
) -> None:
    http, csrf = session_client.http, session_client.csrf
    refused = http.post("/sources", data={"name": "No token"})
    assert refused.status_code == 403
    made = http.post("/sources", data={"name": "Website", "csrf_token": csrf})
    assert made.status_code == 303
    # The pages' scripts use the API with the session: reads as is, writes with the header.
    assert http.get("/api/v1/sources").status_code == 200
    assert http.post("/api/v1/sources", json={"name": "x"}).status_code == 403
    created = http.post("/api/v1/sources", json={"name": "App"}, headers={"x-csrf-token": csrf})
    assert created.status_code == 201
    assert [s["name"] for s in http.get("/api/v1/sources").json()] == ["Website", "App"]


def test_the_admin_token_still_works_without_a_session(dash: InProcessApp) -> None:
    with dash.client() as http:
        ok = http.get("/api/v1/sources", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
        assert ok.status_code == 200
        bad = http.get("/api/v1/sources", headers={"authorization": "Bearer nope"})
        assert bad.status_code == 401


def test_pages_carry_a_strict_content_security_policy(session_client: Browserless) -> None:
    page = session_client.http.get("/sources")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text  # no inline script anywhere
    assert " style=" not in page.text


def test_login_redirects_only_to_this_site(dash: InProcessApp) -> None:
    with dash.client() as http:
        token = CSRF_INPUT.search(http.get("/login").text)
        assert token
        answer = http.post(
            "/login",
            data={
                "csrf_token": token.group(1),
                "email": EMAIL,
                "password": PASSWORD,
                "next": "//evil.example/phish",
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/sources"
