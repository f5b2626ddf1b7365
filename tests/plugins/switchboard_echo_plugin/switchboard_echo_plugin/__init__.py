"""A destination outside Switchboard, on the destination kit: events POSTed as JSON to one URL.

One action, "Post", whose `body` field is mapped (by default the whole event); two presets,
for track and identify calls. Settings hold the URL and an optional bearer token (a
`SecretStr`: the kit hides it from every recorded exchange).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field, SecretStr

from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Action, Destination, Preset
from switchboard.integrations.kit.errors import InvalidAuthentication
from switchboard.integrations.kit.fields import Field as KitField


class EchoSettings(BaseModel):
    url: str = Field(title="URL", description="Where each event is POSTed.")
    token: SecretStr | None = Field(
        default=None, title="Token", description="Sent as `Authorization: Bearer <token>`."
    )


class Post(Action[EchoSettings]):
    id = "post"
    title = "Post"
    description = "POST the mapped body as JSON to the URL."
    default_trigger = 'type = "track"'
    fields: ClassVar[dict[str, KitField]] = {
        "body": KitField(
            "Body", "object", required=True, description="What is sent.", default={"@path": "$."}
        ),
    }

    def perform(self, ctx: ActionContext, settings: EchoSettings, payload: dict[str, Any]) -> None:
        headers = {}
        if settings.token is not None:
            headers["Authorization"] = f"Bearer {settings.token.get_secret_value()}"
        reply = ctx.request(
            "POST", settings.url, json=payload["body"], headers=headers, throw=False
        )
        if reply.status in (401, 403):
            raise InvalidAuthentication(f"the echo server refused the token: HTTP {reply.status}")
        if not reply.ok:
            ctx.raise_for(reply)


DESTINATION = Destination(
    type="echo",
    display_name="Echo",
    settings_model=EchoSettings,
    actions=(Post(),),
    presets=(
        Preset("Track calls", "post", 'type = "track"'),
        Preset("Identify calls", "post", 'type = "identify"'),
    ),
)
