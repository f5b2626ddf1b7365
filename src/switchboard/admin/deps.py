"""The admin check every /api/v1 route depends on."""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request

from switchboard.admin.tokens import token_is_valid
from switchboard.web.deps import SessionDep, SettingsDep
from switchboard.web.sessions import api_viewer


def require_admin(request: Request, session: SessionDep, settings: SettingsDep) -> None:
    """Allow the request with `Authorization: Bearer <admin token>`, or with a dashboard
    login session (the pages' scripts call the API); a session's request that changes
    something must also carry its CSRF token in X-CSRF-Token."""
    header = request.headers.get("authorization", "")
    if not header and api_viewer(request, session) is not None:
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


AdminDep = Depends(require_admin)
