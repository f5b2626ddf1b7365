"""The FastAPI app of the admin API: /api/v1 and /healthz (`switchboard.app` adds the
dashboard to it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from switchboard import __version__
from switchboard.admin import deliveries, destinations, events, kit, mappings, sources
from switchboard.admin import schema as source_schema
from switchboard.admin.deps import AdminDep
from switchboard.admin.errors import install_error_handlers


def create_admin_app() -> FastAPI:
    """The admin routes; their requests need `switchboard.web.deps.install_web`."""
    # The schema and docs pages sit behind the admin token like every other admin route.
    app = FastAPI(
        title="Switchboard admin API",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    api = APIRouter(prefix="/api/v1")
    api.include_router(sources.router)
    api.include_router(events.router)
    api.include_router(destinations.router)
    api.include_router(deliveries.router)
    api.include_router(source_schema.router)
    api.include_router(kit.router)
    api.include_router(mappings.router)

    @api.get("/openapi.json", include_in_schema=False, dependencies=[AdminDep])
    def openapi() -> dict[str, Any]:
        return get_openapi(title=app.title, version=app.version, routes=app.routes)

    app.include_router(api)
    install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
