"""/api/v1/sources: create, list, read, update, delete, rotate-key."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Response

from switchboard.admin.deps import AdminDep
from switchboard.db.changes import KEEP
from switchboard.sources import service
from switchboard.sources.models import Source
from switchboard.sources.schemas import RotateKey, SourceCreate, SourceOut, SourceUpdate
from switchboard.web.deps import SessionDep

router = APIRouter(prefix="/sources", tags=["sources"], dependencies=[AdminDep])


def _found(session: SessionDep, source_id: int) -> Source:
    source = service.get_source(session, source_id)
    if source is None:
        raise HTTPException(status_code=404, detail=f"source {source_id} not found")
    return source


@router.post("", status_code=201)
def create_source(body: SourceCreate, session: SessionDep) -> SourceOut:
    source = service.create_source(
        session, body.name, enabled=body.enabled, rate_limit_per_second=body.rate_limit_per_second
    )
    session.commit()
    return SourceOut.of(source)


@router.get("")
def list_sources(session: SessionDep) -> list[SourceOut]:
    return [SourceOut.of(s) for s in service.list_sources(session)]


@router.get("/{source_id}")
def read_source(source_id: int, session: SessionDep) -> SourceOut:
    return SourceOut.of(_found(session, source_id))


@router.patch("/{source_id}")
def update_source(source_id: int, body: SourceUpdate, session: SessionDep) -> SourceOut:
    source = _found(session, source_id)
    service.update_source(
        session,
        source,
        name=KEEP if body.name is None else body.name,
        enabled=KEEP if body.enabled is None else body.enabled,
        # null removes the limit; leaving it out keeps it
        rate_limit_per_second=(
            body.rate_limit_per_second if "rate_limit_per_second" in body.model_fields_set else KEEP
        ),
    )
    session.commit()
    return SourceOut.of(source)


@router.delete("/{source_id}", status_code=204)
def delete_source(source_id: int, session: SessionDep) -> Response:
    service.delete_source(session, _found(session, source_id))
    session.commit()
    return Response(status_code=204)


@router.post("/{source_id}/rotate-key")
def rotate_key(source_id: int, session: SessionDep, body: RotateKey | None = None) -> SourceOut:
    source = _found(session, source_id)
    grace = timedelta(seconds=(body or RotateKey()).grace_seconds)
    service.rotate_key(session, source, grace)
    session.commit()
    return SourceOut.of(source)
