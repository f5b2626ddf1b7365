"""Answers for requests whose values the database cannot hold: a 400 naming that, not a 500.

A value can be valid for the API's types and still not fit a column: an id beyond the
database's integer range (Postgres refuses it; SQLite cannot even bind it) or a NUL character,
which Postgres text refuses. Such a request is the client's error and changes nothing (the
session rolls back), so it answers 400 instead of failing as a server error.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

_MESSAGE = (
    "a value in the request cannot be stored or looked up: a number out of range "
    "(ids are below 2,147,483,648) or a NUL character in a text"
)


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": _MESSAGE}, status_code=400)


def install_error_handlers(app: FastAPI) -> None:
    """Answer `DataError` (Postgres) and `OverflowError` (SQLite's int binding) with 400."""
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(OverflowError, _unstorable)
