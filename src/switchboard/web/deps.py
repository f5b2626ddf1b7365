"""FastAPI dependencies of the admin API and the dashboard: the runtime's parts per request.

`install_web(app, runtime)` gives an app's requests the runtime and the session-cookie key;
the routes then take what they need as typed parameters (`session: SessionDep`,
`destinations: DestinationsDep`, ...) instead of reaching into `app.state`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from switchboard.destinations.service import DestinationService
from switchboard.jobs.context import JobContext
from switchboard.runtime import Runtime
from switchboard.settings import Settings
from switchboard.web.sessions import signing_key


def install_web(app: FastAPI, runtime: Runtime) -> None:
    """Serve `app`'s requests from `runtime`, with session cookies signed by one key."""
    app.state.runtime = runtime
    app.state.session_key = signing_key(runtime.settings)


def runtime_of(connection: HTTPConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]


def settings_of(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(settings_of)]


def jobs_of(runtime: RuntimeDep) -> JobContext:
    return runtime.jobs


#: The job context: its queue to enqueue work, its timing, its HTTP client and retry policy.
JobsDep = Annotated[JobContext, Depends(jobs_of)]


def sessions_of(runtime: RuntimeDep) -> sessionmaker[Session]:
    return runtime.sessions


#: The session factory, for a route that must not hold one session for its whole answer.
SessionsDep = Annotated[sessionmaker[Session], Depends(sessions_of)]


def get_session(sessions: SessionsDep) -> Iterator[Session]:
    with sessions() as session:
        yield session


#: The request's database session (one per request; the route commits).
SessionDep = Annotated[Session, Depends(get_session)]


def destinations_of(runtime: RuntimeDep, session: SessionDep) -> DestinationService:
    return runtime.destinations(session)


#: The destination service on the request's session.
DestinationsDep = Annotated[DestinationService, Depends(destinations_of)]
