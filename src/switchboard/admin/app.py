"""The FastAPI app behind /api/v1 and the dashboard (every other path but the tracking API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy.orm import Session, sessionmaker

from switchboard import __version__
from switchboard.admin import deliveries, destinations, events, sources
from switchboard.admin import schema as source_schema
from switchboard.admin.deps import AdminDep
from switchboard.admin.errors import install_error_handlers
from switchboard.dashboard.app import install_dashboard
from switchboard.jobs.context import JobContext
from switchboard.settings import Settings


def create_admin_app(
    settings: Settings, sessions: sessionmaker[Session], jobs: JobContext
) -> FastAPI:
    # The schema and docs pages sit behind the admin token like every other admin route.
    app = FastAPI(
        title="Switchboard admin API",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.jobs = jobs
    api = APIRouter(prefix="/api/v1")
    api.include_router(sources.router)
    api.include_router(events.router)
    api.include_router(destinations.router)
    api.include_router(deliveries.router)
    api.include_router(source_schema.router)

    @api.get("/openapi.json", include_in_schema=False, dependencies=[AdminDep])
    def openapi() -> dict[str, Any]:
        return get_openapi(title=app.title, version=app.version, routes=app.routes)

    app.include_router(api)
    install_error_handlers(app)
    install_dashboard(app, settings)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
