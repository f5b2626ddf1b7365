"""/api/v1/destinations/{id}/mappings: a kit destination's mappings (action, trigger, field
mapping), listed, created, read, changed and deleted. A mapping is saved only when it works
(destinations/mappings.py); a refusal is 422 `{"detail": {"message", "errors": [{"location",
"message"}]}}` naming where it is wrong (a trigger's syntax error gives its `position`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field

from switchboard.admin.deps import AdminDep
from switchboard.destinations.mappings import (
    MappingInput,
    MappingProblem,
    MappingService,
    as_dict,
)
from switchboard.destinations.models import Destination, DestinationMapping
from switchboard.web.deps import DestinationsDep, SessionDep

router = APIRouter(tags=["mappings"], dependencies=[AdminDep])


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    action: str | None = Field(default=None, max_length=100)
    trigger: str | None = Field(
        default=None, description="Segment's subscription syntax; default: the action's."
    )
    mapping: dict[str, Any] | None = Field(
        default=None, description="Segment's mapping language; default: the action's defaults."
    )
    enabled: bool | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    sample_event: dict[str, Any] | None = Field(
        default=None,
        description="The event the mapping is checked on; default: a sample of the "
        "trigger's call type.",
    )

    def data(self) -> MappingInput:
        return MappingInput(
            name=self.name,
            action=self.action,
            trigger=self.trigger,
            mapping=self.mapping,
            enabled=self.enabled,
            position=self.position,
            sample=self.sample_event,
        )


def _destination(service: DestinationsDep, destination_id: int) -> Destination:
    destination = service.get(destination_id)
    if destination is None:
        raise HTTPException(status_code=404, detail=f"destination {destination_id} not found")
    return destination


def _mapping(destination: Destination, mapping_id: int) -> DestinationMapping:
    for row in destination.mappings:
        if row.id == mapping_id:
            return row
    raise HTTPException(
        status_code=404,
        detail=f"mapping {mapping_id} of destination {destination.id} not found",
    )


def _refused(exc: MappingProblem) -> HTTPException:
    return HTTPException(status_code=exc.status, detail={"message": str(exc), "errors": exc.errors})


@router.get("/destinations/{destination_id}/mappings")
def list_mappings(destination_id: int, service: DestinationsDep) -> list[dict[str, Any]]:
    destination = _destination(service, destination_id)
    return [as_dict(row) for row in destination.mappings]


@router.post("/destinations/{destination_id}/mappings", status_code=201)
def create_mapping(
    destination_id: int, body: MappingIn, service: DestinationsDep, session: SessionDep
) -> dict[str, Any]:
    destination = _destination(service, destination_id)
    try:
        row = MappingService(session, service.adapters).create(destination, body.data())
    except MappingProblem as exc:
        raise _refused(exc) from None
    session.commit()
    return as_dict(row)


@router.get("/destinations/{destination_id}/mappings/{mapping_id}")
def read_mapping(destination_id: int, mapping_id: int, service: DestinationsDep) -> dict[str, Any]:
    return as_dict(_mapping(_destination(service, destination_id), mapping_id))


@router.patch("/destinations/{destination_id}/mappings/{mapping_id}")
def update_mapping(
    destination_id: int,
    mapping_id: int,
    body: MappingIn,
    service: DestinationsDep,
    session: SessionDep,
) -> dict[str, Any]:
    row = _mapping(_destination(service, destination_id), mapping_id)
    try:
        MappingService(session, service.adapters).update(row, body.data())
    except MappingProblem as exc:
        session.rollback()
        raise _refused(exc) from None
    session.commit()
    return as_dict(row)


@router.delete("/destinations/{destination_id}/mappings/{mapping_id}", status_code=204)
def delete_mapping(
    destination_id: int, mapping_id: int, service: DestinationsDep, session: SessionDep
) -> Response:
    row = _mapping(_destination(service, destination_id), mapping_id)
    MappingService(session, service.adapters).delete(row)
    session.commit()
    return Response(status_code=204)
