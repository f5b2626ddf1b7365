"""Sources: the list with volume, create, the setup page (write key, snippets), rotate, delete."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from switchboard.dashboard.charts import sparkline
from switchboard.dashboard.deps import FormDep, PageNotFound, ViewerDep
from switchboard.dashboard.render import pages_of
from switchboard.dashboard.snippets import snippets
from switchboard.db.changes import KEEP
from switchboard.destinations.models import Connection, Destination
from switchboard.schema.service import source_volume
from switchboard.sources import service
from switchboard.sources.models import Source
from switchboard.sources.service import active_keys, current_key
from switchboard.web.deps import SessionDep, SettingsDep
from switchboard.web.origin import public_base_url

router = APIRouter(include_in_schema=False)

NOTICES: Final = {
    "created": "Source created. Copy the write key or a snippet below to start sending events.",
    "rotated": "A new write key was made. Update your apps; the old key works until it expires.",
    "saved": "Source saved.",
    "deleted": "Source deleted.",
}
ROTATION_CHOICES: Final = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "now": timedelta(0)}


def source_or_404(session: Session, source_id: int) -> Source:
    source = service.get_source(session, source_id)
    if source is None:
        raise PageNotFound(f"There is no source number {source_id}.", "/sources", "All sources")
    return source


def destinations_of(session: Session, source_id: int) -> list[Destination]:
    """The destinations that receive this source's events, by name."""
    return list(
        session.scalars(
            select(Destination)
            .join(Connection, Connection.destination_id == Destination.id)
            .where(Connection.source_id == source_id)
            .order_by(Destination.name)
        )
    )


def destination_counts(session: Session) -> dict[int, int]:
    """How many destinations each source feeds."""
    rows = session.execute(
        select(Connection.source_id, func.count()).group_by(Connection.source_id)
    )
    return {source_id: count for source_id, count in rows}


def weekly_volumes(session: Session, sources: list[Source]) -> dict[int, dict[str, object]]:
    """Each source's calls over the last 7 days (from the schema rollups) and a sparkline."""
    found: dict[int, dict[str, object]] = {}
    for source in sources:
        volume = source_volume(session, source.id, 7)
        label = f"{volume.total} calls in the last 7 days"
        found[source.id] = {
            "total": volume.total,
            "spark": sparkline([d.calls for d in volume.daily], label),
        }
    return found


@router.get("/sources")
def list_sources(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    sources = service.list_sources(session)
    return pages_of(request).render(
        request,
        "sources/list.html",
        viewer,
        sources=sources,
        destination_counts=destination_counts(session),
        volumes=weekly_volumes(session, sources),
        notice=NOTICES.get(request.query_params.get("notice", "")),
        error=None,
        name="",
    )


@router.post("/sources")
def create_source(
    request: Request, viewer: ViewerDep, form: FormDep, session: SessionDep
) -> Response:
    name = form.get("name").strip()
    if not name or len(name) > 200:
        sources = service.list_sources(session)
        return pages_of(request).render(
            request,
            "sources/list.html",
            viewer,
            status_code=400,
            sources=sources,
            destination_counts=destination_counts(session),
            volumes=weekly_volumes(session, sources),
            notice=None,
            error="Give the source a name of 1 to 200 characters, such as “Website”.",
            name=name,
        )
    source = service.create_source(session, name)
    session.commit()
    return RedirectResponse(f"/sources/{source.id}?notice=created", status_code=303)


@router.get("/sources/{source_id}")
def source_setup(
    source_id: int,
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    source = source_or_404(session, source_id)
    key = current_key(source)
    older = [k for k in active_keys(source) if k.id != key.id]
    return pages_of(request).render(
        request,
        "sources/setup.html",
        viewer,
        source=source,
        tab="setup",
        write_key=key.key,
        older_keys=older,
        snippets=snippets(key.key, public_base_url(request, settings)),
        destinations=destinations_of(session, source.id),
        notice=NOTICES.get(request.query_params.get("notice", "")),
    )


@router.post("/sources/{source_id}/rotate-key")
def rotate_key(source_id: int, viewer: ViewerDep, form: FormDep, session: SessionDep) -> Response:
    source = source_or_404(session, source_id)
    grace = ROTATION_CHOICES.get(form.get("grace"), ROTATION_CHOICES["24h"])
    service.rotate_key(session, source, grace)
    session.commit()
    return RedirectResponse(f"/sources/{source.id}?notice=rotated#write-key", status_code=303)


@router.post("/sources/{source_id}/settings")
def save_source(source_id: int, viewer: ViewerDep, form: FormDep, session: SessionDep) -> Response:
    source = source_or_404(session, source_id)
    name = form.get("name").strip()
    service.update_source(
        session,
        source,
        name=name if name and len(name) <= 200 else KEEP,
        enabled=form.get("enabled") == "on",
    )
    session.commit()
    return RedirectResponse(f"/sources/{source.id}?notice=saved", status_code=303)


@router.post("/sources/{source_id}/delete")
def delete_source(
    source_id: int, viewer: ViewerDep, form: FormDep, session: SessionDep
) -> Response:
    source = source_or_404(session, source_id)
    if form.get("confirm") != "yes":
        return RedirectResponse(f"/sources/{source.id}#danger", status_code=303)
    service.delete_source(session, source)
    session.commit()
    return RedirectResponse("/sources?notice=deleted", status_code=303)
