"""Destinations: the list, the catalog of types, create and edit (a form generated from the
adapter's settings schema), enable/disable, connected sources, filters, delete."""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from switchboard.dashboard.catalog import CALL_HELP, blurb
from switchboard.dashboard.deps import Form, FormDep, PageNotFound, ViewerDep
from switchboard.dashboard.render import pages_of
from switchboard.dashboard.settings_form import (
    FormProblem,
    field_errors,
    fields_for,
    read_settings,
)
from switchboard.destinations.crypto import SecretKeyMissing
from switchboard.destinations.models import Destination
from switchboard.destinations.service import DestinationError, DestinationInput, DestinationService
from switchboard.integrations.base import Adapter
from switchboard.integrations.registry import describe
from switchboard.sources.service import list_sources
from switchboard.spec.calls import CALL_TYPES
from switchboard.web.deps import DestinationsDep, SessionDep
from switchboard.web.sessions import Viewer

router = APIRouter(include_in_schema=False)

NOTICES: Final = {
    "created": "Destination created. Events from its sources are sent from now on.",
    "saved": "Changes saved.",
    "enabled": "Destination enabled: new events are sent to it.",
    "disabled": "Destination disabled: new events are not sent to it until you enable it.",
    "filters": "Filters saved. They apply to events that arrive from now on.",
    "deleted": "Destination deleted.",
}
NEED_KEY_MESSAGE: Final = (
    "Destinations need SWITCHBOARD_SECRET_KEY: their settings are stored encrypted with it. "
    "Set it and restart the server."
)


def destination_or_404(service: DestinationService, destination_id: int) -> Destination:
    destination = service.get(destination_id)
    if destination is None:
        raise PageNotFound(
            f"There is no destination number {destination_id}.", "/destinations", "Destinations"
        )
    return destination


def adapter_or_404(service: DestinationService, adapter_type: str) -> Adapter:
    adapter = service.adapters.get(adapter_type)
    if adapter is None:
        raise PageNotFound(
            f"There is no destination type called “{adapter_type}”.",
            "/destinations/new",
            "The catalog",
        )
    return adapter


def display_name(service: DestinationService, destination: Destination) -> str:
    adapter = service.adapters.get(destination.type)
    return adapter.display_name if adapter else destination.type


@router.get("/destinations")
def list_destinations(
    request: Request, viewer: ViewerDep, session: SessionDep, service: DestinationsDep
) -> Response:
    sources = {s.id: s.name for s in list_sources(session)}
    rows = [
        {
            "destination": d,
            "type_name": display_name(service, d),
            "sources": [sources[i] for i in d.source_ids if i in sources],
        }
        for d in service.all()
    ]
    return pages_of(request).render(
        request,
        "destinations/list.html",
        viewer,
        rows=rows,
        notice=NOTICES.get(request.query_params.get("notice", "")),
    )


@router.get("/destinations/new")
def catalog(request: Request, viewer: ViewerDep, service: DestinationsDep) -> Response:
    types = [
        {**describe(a), "blurb": blurb(a.type, a.display_name)}
        for a in sorted(service.adapters.values(), key=lambda a: (a.type != "webhook", a.type))
    ]
    return pages_of(request).render(
        request, "destinations/catalog.html", viewer, types=types, call_help=CALL_HELP
    )


def _form_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    adapter: Adapter,
    *,
    destination: Destination | None,
    values: dict[str, Any] | None,
    name: str,
    source_ids: list[int],
    enabled: bool,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    schema = adapter.settings_model.model_json_schema()
    return pages_of(request).render(
        request,
        "destinations/form.html" if destination is None else "destinations/settings.html",
        viewer,
        status_code=status_code,
        adapter=adapter,
        destination=destination,
        tab="settings",
        fields=fields_for(schema, values, errors),
        name=name,
        name_error=(errors or {}).get("name"),
        sources=list_sources(session),
        source_ids=set(source_ids),
        enabled=enabled,
        error=error,
        notice=NOTICES.get(request.query_params.get("notice", "")),
        call_types=CALL_TYPES,
        filters=(destination.filters or {}) if destination is not None else {},
    )


def _source_ids(form: Form) -> list[int]:
    return sorted({int(v) for v in form.all("source_id") if v.isdigit()})


def _failure(exc: Exception) -> tuple[dict[str, str], str | None]:
    """Field errors and a general message for a failed save."""
    if isinstance(exc, FormProblem):
        return exc.errors, "Some settings need fixing; see the messages below."
    if isinstance(exc, SecretKeyMissing):
        return {}, NEED_KEY_MESSAGE
    if isinstance(exc, DestinationError) and exc.errors:
        return field_errors(exc.errors), "Some settings need fixing; see the messages below."
    if isinstance(exc, DestinationError) and exc.status == 409:
        return {"name": str(exc)}, "Choose another name."
    return {}, str(exc)


@router.get("/destinations/new/{adapter_type}")
def new_destination(
    adapter_type: str,
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    service: DestinationsDep,
) -> Response:
    adapter = adapter_or_404(service, adapter_type)
    sources = list_sources(session)
    return _form_page(
        request,
        viewer,
        session,
        adapter,
        destination=None,
        values=None,
        name=adapter.display_name,
        source_ids=[sources[0].id] if len(sources) == 1 else [],
        enabled=True,
    )


@router.post("/destinations/new/{adapter_type}")
def create_destination(
    adapter_type: str,
    request: Request,
    viewer: ViewerDep,
    form: FormDep,
    session: SessionDep,
    service: DestinationsDep,
) -> Response:
    adapter = adapter_or_404(service, adapter_type)
    return _save(request, viewer, form, session, service, adapter, destination=None)


def _save(
    request: Request,
    viewer: Viewer,
    form: Form,
    session: Session,
    service: DestinationService,
    adapter: Adapter,
    *,
    destination: Destination | None,
) -> Response:
    """Save the settings form: a new destination of `adapter`'s type when `destination` is
    None, else the destination's changes. Redirects to the destination's page; a form that
    does not save is shown again with its problems (400), nothing written."""
    schema = adapter.settings_model.model_json_schema()
    name = form.get("name").strip()
    source_ids = _source_ids(form)
    # The new form has an "enabled" box; the settings page switches it on its own form.
    enabled = form.get("enabled") == "on" if destination is None else destination.enabled
    try:
        if not name:
            raise FormProblem({"name": "give the destination a name"})
        settings = read_settings(schema, form, editing=destination is not None)
        if destination is None:
            saved = service.create(
                DestinationInput(
                    name=name,
                    type=adapter.type,
                    settings=settings,
                    source_ids=source_ids,
                    enabled=enabled,
                )
            )
            notice = "created"
        else:
            saved = service.update(
                destination,
                DestinationInput(name=name, settings=settings, source_ids=source_ids),
            )
            notice = "saved"
    except (FormProblem, DestinationError, SecretKeyMissing) as exc:
        session.rollback()
        errors, message = _failure(exc)
        return _form_page(
            request,
            viewer,
            session,
            adapter,
            destination=destination,
            values=_echo(schema, form),
            name=name,
            source_ids=source_ids,
            enabled=enabled,
            errors=errors,
            error=message,
            status_code=400,
        )
    session.commit()
    return RedirectResponse(f"/destinations/{saved.id}?notice={notice}", status_code=303)


def _echo(schema: dict[str, Any], form: Form) -> dict[str, Any]:
    """What the person typed, to show again after an error (secrets never echoed)."""
    values: dict[str, Any] = {}
    for setting in fields_for(schema):
        if setting.kind == "checkbox":
            values[setting.key] = form.get(setting.name) == "on"
        elif setting.kind == "password":
            values[setting.key] = None
        elif setting.kind in ("lines", "map", "json"):
            values[setting.key] = _Raw(form.get(setting.name))
        else:
            values[setting.key] = form.get(setting.name)
    return values


class _Raw(str):
    """Text shown back as typed (not re-formatted as a list or mapping)."""


@router.get("/destinations/{destination_id}")
def destination_settings(
    destination_id: int,
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    service: DestinationsDep,
) -> Response:
    destination = destination_or_404(service, destination_id)
    adapter = adapter_or_404(service, destination.type)
    try:
        values: dict[str, Any] | None = service.masked_settings(destination)
        error = None
    except SecretKeyMissing:
        values, error = None, NEED_KEY_MESSAGE
    except DestinationError as exc:
        values, error = None, str(exc)
    return _form_page(
        request,
        viewer,
        session,
        adapter,
        destination=destination,
        values=values,
        name=destination.name,
        source_ids=destination.source_ids,
        enabled=destination.enabled,
        error=error,
    )


@router.post("/destinations/{destination_id}")
def save_destination(
    destination_id: int,
    request: Request,
    viewer: ViewerDep,
    form: FormDep,
    session: SessionDep,
    service: DestinationsDep,
) -> Response:
    destination = destination_or_404(service, destination_id)
    adapter = adapter_or_404(service, destination.type)
    return _save(request, viewer, form, session, service, adapter, destination=destination)


@router.post("/destinations/{destination_id}/enabled")
def set_enabled(
    destination_id: int,
    viewer: ViewerDep,
    form: FormDep,
    session: SessionDep,
    service: DestinationsDep,
) -> Response:
    destination = destination_or_404(service, destination_id)
    service.update(destination, DestinationInput(enabled=form.get("enabled") == "on"))
    session.commit()
    notice = "enabled" if destination.enabled else "disabled"
    back = form.get("back")
    target = back if back in ("/destinations",) else f"/destinations/{destination.id}"
    return RedirectResponse(f"{target}?notice={notice}", status_code=303)


@router.post("/destinations/{destination_id}/filters")
def save_filters(
    destination_id: int,
    viewer: ViewerDep,
    form: FormDep,
    session: SessionDep,
    service: DestinationsDep,
) -> Response:
    destination = destination_or_404(service, destination_id)

    def lines(name: str) -> list[str]:
        return [line.strip() for line in form.get(name).splitlines() if line.strip()]

    types = [t for t in form.all("allow_types") if t in CALL_TYPES]
    service.update(
        destination,
        DestinationInput(
            filters={
                # Every type ticked is the same as no type filter at all; none ticked
                # sends nothing (an empty allow-list would mean "everything").
                "allow_types": [] if len(types) in (0, len(CALL_TYPES)) else types,
                "deny_types": [] if types else list(CALL_TYPES),
                "allow_events": lines("allow_events"),
                "deny_events": lines("deny_events"),
            }
        ),
    )
    session.commit()
    return RedirectResponse(f"/destinations/{destination.id}?notice=filters#filters", 303)


@router.post("/destinations/{destination_id}/delete")
def delete_destination(
    destination_id: int,
    viewer: ViewerDep,
    form: FormDep,
    session: SessionDep,
    service: DestinationsDep,
) -> Response:
    destination = destination_or_404(service, destination_id)
    if form.get("confirm") != "yes":
        return RedirectResponse(f"/destinations/{destination.id}#danger", status_code=303)
    service.delete(destination)
    session.commit()
    return RedirectResponse("/destinations?notice=deleted", status_code=303)
