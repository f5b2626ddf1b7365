"""The application factory: assembles the tracking API, the admin app and the writer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from starlette.types import ASGIApp, Receive, Send

from switchboard.admin.app import create_admin_app
from switchboard.db.engine import make_engine, make_sessionmaker
from switchboard.ingest.app import TrackingAPI
from switchboard.ingest.keys import WriteKeyResolver
from switchboard.ingest.writer import GroupCommitWriter
from switchboard.settings import Settings, get_settings


class Switchboard:
    """The ASGI entry point: /v1 and /projects go to the tracking API, the rest to admin.

    It owns the lifespan: the group-commit writer starts before the first request and, on
    shutdown, writes everything already accepted before the process exits.
    """

    def __init__(
        self, *, tracking: TrackingAPI, admin: ASGIApp, writer: GroupCommitWriter, engine: Engine
    ) -> None:
        self.tracking = tracking
        self.admin = admin
        self.writer = writer
        self.engine = engine

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path: str = scope["path"]
            if path.startswith(("/v1/", "/projects/")):
                await self.tracking(scope, receive, send)
            else:
                await self.admin(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:
            await self.admin(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.writer.start()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.writer.stop()
                self.engine.dispose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(settings: Settings) -> Switchboard:
    engine = make_engine(settings.database_url)
    writers = settings.ingest_writers or (1 if engine.dialect.name == "sqlite" else 2)
    writer = GroupCommitWriter(
        engine, writers=writers, max_rows_per_commit=settings.ingest_max_rows_per_commit
    )
    tracking = TrackingAPI(
        resolver=WriteKeyResolver(engine, ttl=settings.write_key_cache_seconds),
        writer=writer,
        trusted_proxies=settings.trusted_proxies,
        public_url=settings.public_url,
    )
    admin = create_admin_app(settings, make_sessionmaker(engine))
    return Switchboard(tracking=tracking, admin=admin, writer=writer, engine=engine)


def app_from_environment() -> Switchboard:
    """Factory for `uvicorn --factory` and multi-worker serving: settings from the env."""
    return create_app(get_settings())
