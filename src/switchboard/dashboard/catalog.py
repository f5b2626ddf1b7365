"""What the destination catalog says about each built-in type; plugins get a plain line."""

from __future__ import annotations

from typing import Final

BLURBS: Final = {
    "webhook": "Send every event as JSON to your own HTTP endpoint, signed if you like. "
    "Good for internal services and tools without a built-in destination.",
    "marketo": "Create and update Marketo leads from identify calls, and turn track events "
    "into custom activities.",
    "sfmc": "Enter contacts into Salesforce Marketing Cloud journeys and keep a data "
    "extension up to date from identify and track calls.",
    "pendo": "Keep Pendo visitor and account metadata current, and send track events to "
    "Pendo as track events.",
}

CALL_HELP: Final = {
    "identify": "who a user is",
    "track": "what users do",
    "page": "pages viewed",
    "screen": "app screens viewed",
    "group": "accounts and companies",
    "alias": "merged identities",
}


def blurb(adapter_type: str, display_name: str) -> str:
    return BLURBS.get(adapter_type, f"Send events to {display_name} (an installed plugin).")
