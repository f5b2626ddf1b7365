"""FastAPI dependencies for the admin API: a database session and the admin check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from switchboard.admin.tokens import token_is_valid
from switchboard.dashboard.sessions import CSRF_HEADER, csrf_matches, viewer_of
from switchboard.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def require_admin(request: Request, session: SessionDep) -> None:
    """Allow the request with `Authorization: Bearer <admin token>`, or with a dashboard
    login session (the pages' scripts call the API); a session's request that changes
    something must also carry its CSRF token in X-CSRF-Token."""
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization", "")
    if not header:
        viewer = viewer_of(request, session)
        if viewer is not None:
            if request.method not in _SAFE_METHODS and not csrf_matches(
                viewer.csrf_token, request.headers.get(CSRF_HEADER)
            ):
                raise HTTPException(
                    status_code=403, detail="a dashboard session must send X-CSRF-Token"
                )
            return
    scheme, _, token = header.partition(" ")
    static = settings.admin_token.get_secret_value() if settings.admin_token else None
    if (
        scheme.lower() != "bearer"
        or not token
        or not token_is_valid(session, token.strip(), static)
    ):
        raise HTTPException(
            status_code=401,
            detail="admin API needs Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


AdminDep = Depends(require_admin)
