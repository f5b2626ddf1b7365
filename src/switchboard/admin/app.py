"""The FastAPI app behind /api/v1 (and, later, the dashboard)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from sqlalchemy.orm import Session, sessionmaker

from switchboard import __version__
from switchboard.admin import events, sources
from switchboard.settings import Settings


def create_admin_app(settings: Settings, sessions: sessionmaker[Session]) -> FastAPI:
    app = FastAPI(title="Switchboard admin API", version=__version__)
    app.state.settings = settings
    app.state.sessions = sessions
    api = APIRouter(prefix="/api/v1")
    api.include_router(sources.router)
    api.include_router(events.router)
    app.include_router(api)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
