"""FastAPI dependencies for the admin API: a database session and the admin check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from switchboard.admin.tokens import token_is_valid
from switchboard.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def require_admin(request: Request, session: SessionDep) -> None:
    """Allow the request only with `Authorization: Bearer <admin token>`."""
    settings: Settings = request.app.state.settings
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
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


AdminDep = Depends(require_admin)
