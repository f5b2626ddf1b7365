"""Mount the dashboard on the admin FastAPI app: pages, static files, login, headers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from switchboard.dashboard.deps import LoginRequired, PageNotFound, ViewerDep, login_url
from switchboard.dashboard.render import STATIC, Pages
from switchboard.dashboard.security import SecurityHeaders
from switchboard.dashboard.throttle import LoginThrottle
from switchboard.dashboard.views import (
    auth,
    debugger,
    delivery,
    destinations,
    schema,
    sources,
    tester,
)
from switchboard.web.deps import runtime_of
from switchboard.web.sessions import viewer_of


def install_dashboard(app: FastAPI) -> None:
    """Add the dashboard's routes, its static files and its security headers to `app` (whose
    requests `switchboard.web.deps.install_web` serves)."""
    app.state.pages = Pages()
    app.state.login_throttle = LoginThrottle()
    for module in (auth, sources, debugger, schema, destinations, delivery, tester):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(LoginRequired)
    def _to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    @app.exception_handler(PageNotFound)
    def _not_found(request: Request, exc: PageNotFound) -> Response:
        with runtime_of(request).sessions() as session:
            viewer = viewer_of(request, session)
        pages: Pages = request.app.state.pages
        return pages.render(
            request,
            "error.html",
            viewer,
            status_code=404,
            what=exc.what,
            back=exc.back,
            back_label=exc.back_label,
        )

    @app.get("/", include_in_schema=False)
    def home(viewer: ViewerDep) -> Response:
        return RedirectResponse("/sources", status_code=303)
