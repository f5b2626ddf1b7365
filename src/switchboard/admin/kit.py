"""/api/v1/mapping-kit/evaluate and /api/v1/subscriptions/evaluate: the destination kit's two
languages, run on one event, so anyone can check their semantics and the dashboard can preview
a mapping or a trigger. Nothing is stored or sent.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from switchboard.admin.deps import AdminDep
from switchboard.integrations.kit.mapping import MappingError, compile_mapping
from switchboard.integrations.kit.triggers import TriggerSyntaxError, parse_trigger

router = APIRouter(tags=["destination kit"], dependencies=[AdminDep])

#: The longest trigger accepted (characters): a trigger is a line of conditions, and parsing
#: cost grows with its length.
MAX_TRIGGER_LENGTH = 10_000


class MappingIn(BaseModel):
    mapping: dict[str, Any] = Field(description="A field mapping in Segment's mapping language.")
    event: dict[str, Any] = Field(description="The event to evaluate it on, as stored.")


class MappingOut(BaseModel):
    result: dict[str, Any]


class SubscriptionIn(BaseModel):
    subscribe: str = Field(
        max_length=MAX_TRIGGER_LENGTH,
        description='A trigger in Segment\'s subscription syntax: `type = "track"`.',
    )
    event: dict[str, Any]


class SubscriptionOut(BaseModel):
    matches: bool


def _refused(errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse(status_code=400, content={"success": False, "errors": errors})


@router.post(
    "/mapping-kit/evaluate",
    response_model=MappingOut,
    responses={400: {"description": "The mapping is invalid (for this event)."}},
)
def evaluate_mapping(body: MappingIn) -> MappingOut | JSONResponse:
    """The payload `mapping` makes of `event`. An invalid mapping, or one this event cannot
    be mapped with, is a 400 whose `errors` name where it is wrong (`/email/@path …`)."""
    try:
        return MappingOut(result=compile_mapping(body.mapping).evaluate(body.event))
    except MappingError as exc:
        return _refused(
            [{"location": issue.pointer, "message": str(issue)} for issue in exc.errors]
        )


@router.post(
    "/subscriptions/evaluate",
    response_model=SubscriptionOut,
    responses={400: {"description": "The trigger does not parse."}},
)
def evaluate_subscription(body: SubscriptionIn) -> SubscriptionOut | JSONResponse:
    """Whether `event` matches the trigger `subscribe`. Text Segment's parser refuses is a 400
    naming the character position (0-based) where it went wrong."""
    try:
        trigger = parse_trigger(body.subscribe)
    except TriggerSyntaxError as exc:
        return _refused([{"message": str(exc), "position": exc.position}])
    return SubscriptionOut(matches=trigger.matches(body.event))
