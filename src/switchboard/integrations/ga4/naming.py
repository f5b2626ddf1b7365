"""GA4's naming rules and limits, checked before anything is sent.

The Measurement Protocol answers 2xx whatever it is sent and silently drops what breaks its
rules, so an event that would be dropped is refused here instead, as "Message Rejected" naming
the field. Event names are first normalised as Segment's GA4 destination does (trimmed, each
whitespace character an underscore, lower-cased when asked); nothing else is rewritten.

The rules, from Google's Measurement Protocol "Limitations", "Event naming rules" and "Event
collection limits" pages:

    names (events, parameters, items'    ≤ 40 characters, start with a letter, then only
    parameters)                          letters, digits and underscores; not ga_, google_,
                                         firebase_ (user properties: ≤ 24 characters)
    parameters per event                 ≤ 25
    parameter values                     ≤ 100 characters (page_title 300, page_referrer 420,
                                         page_location 1000); strings or numbers
    user properties per request          ≤ 25; values ≤ 36 characters
    user_id                              ≤ 256 characters
    events per request                   ≤ 25; the body < 130 kB
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from switchboard.integrations.kit.errors import PayloadInvalid

MAX_EVENTS_PER_REQUEST: Final = 25
#: Google says "smaller than 130kB"; counted in bytes of the JSON body, with room to spare.
MAX_BODY_BYTES: Final = 130_000
MAX_NAME: Final = 40
MAX_PARAMS: Final = 25
MAX_VALUE: Final = 100
#: Parameters Google lets run longer than `MAX_VALUE`.
LONG_VALUES: Final = {"page_title": 300, "page_referrer": 420, "page_location": 1000}
MAX_USER_PROPERTIES: Final = 25
MAX_USER_PROPERTY_NAME: Final = 24
MAX_USER_PROPERTY_VALUE: Final = 36
MAX_USER_ID: Final = 256

RESERVED_PREFIXES: Final = ("ga_", "google_", "firebase_")
#: Google's reserved web event names, less `page_view`: the page action sends it, as
#: Segment's does. (Google's list says "view_complete": the event is `video_complete`.)
RESERVED_EVENT_NAMES: Final = frozenset(
    {
        "ad_impression",
        "app_remove",
        "app_store_refund",
        "app_store_subscription_cancel",
        "app_store_subscription_renew",
        "click",
        "error",
        "file_download",
        "first_open",
        "first_visit",
        "form_start",
        "form_submit",
        "in_app_purchase",
        "scroll",
        "session_start",
        "user_engagement",
        "video_complete",
        "video_progress",
        "video_start",
        "view_search_results",
    }
)
RESERVED_USER_PROPERTY_NAMES: Final = frozenset(
    {
        "first_open_time",
        "first_visit_time",
        "last_deep_link_referrer",
        "user_id",
        "first_open_after_install",
    }
)

#: A letter (of any script), then letters, digits and underscores.
_NAME: Final = re.compile(r"[^\W\d_]\w*")
_CURRENCY: Final = re.compile(r"[A-Z]{3}")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def normalize_event_name(name: str, lowercase: bool = False) -> str:
    """`name` as Segment sends it: trimmed, whitespace as underscores, lower-cased if asked."""
    name = re.sub(r"\s", "_", name.strip())
    return name.lower() if lowercase else name


def check_name(
    name: str,
    field: str,
    what: str,
    max_length: int = MAX_NAME,
    reserved: frozenset[str] = frozenset(),
) -> str:
    """`name` when GA4 accepts it as an event, parameter or user property name."""
    problem = None
    if len(name) > max_length:
        problem = f"is longer than {max_length} characters"
    elif not _NAME.fullmatch(name):
        problem = "must start with a letter and hold only letters, digits and underscores"
    elif name.lower().startswith(RESERVED_PREFIXES):
        problem = f"starts with a reserved prefix ({', '.join(RESERVED_PREFIXES)})"
    elif name in reserved:
        problem = "is reserved by Google Analytics"
    if problem is not None:
        raise PayloadInvalid(f"the {what} {name!r} {problem}", field=field)
    return name


def check_params(params: dict[str, Any], field: str = "params") -> dict[str, Any]:
    """`params` without its empty values, when every name and value is one GA4 keeps.

    `items` is the one parameter that holds a list: of objects, each checked the same way."""
    kept = {name: value for name, value in params.items() if value is not None}
    if len(kept) > MAX_PARAMS:
        raise PayloadInvalid(
            f"an event may have at most {MAX_PARAMS} parameters, this one has {len(kept)}",
            field=field,
        )
    for name, value in kept.items():
        where = f"{field}.{name}"
        check_name(name, where, "parameter name")
        if name == "items" and isinstance(value, list):
            kept[name] = [check_item(item, f"{where}.{i}") for i, item in enumerate(value)]
            continue
        check_value(value, where, LONG_VALUES.get(name, MAX_VALUE))
    return kept


def check_item(item: Any, field: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise PayloadInvalid(f"the item at {field} must be an object", field=field)
    if item.get("item_id") is None and item.get("item_name") is None:
        raise PayloadInvalid(f"the item at {field} needs an item_id or an item_name", field=field)
    checked = {name: value for name, value in item.items() if value is not None}
    for name, value in checked.items():
        check_name(name, f"{field}.{name}", "item parameter name")
        check_value(value, f"{field}.{name}", MAX_VALUE)
    if "currency" in checked:
        checked["currency"] = check_currency(checked["currency"], f"{field}.currency")
    return checked


def check_value(value: Any, field: str, max_length: int) -> None:
    # bool is an int to Python, but not a number GA4 takes (Segment refuses it too).
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadInvalid(
            f"the value at {field} must be a string or a number (GA4 takes no lists, objects "
            "or booleans)",
            field=field,
        )
    if isinstance(value, str) and len(value) > max_length:
        raise PayloadInvalid(
            f"the value at {field} is longer than {max_length} characters", field=field
        )


def check_currency(value: Any, field: str = "currency") -> str:
    code = str(value).upper()
    if not _CURRENCY.fullmatch(code):
        raise PayloadInvalid(f"{value!r} is not a 3-letter ISO 4217 currency code", field=field)
    return code


def user_properties(props: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """`props` in the Measurement Protocol's form (`{"plan": {"value": "pro"}}`), checked."""
    if not props:
        return {}
    if len(props) > MAX_USER_PROPERTIES:
        raise PayloadInvalid(
            f"at most {MAX_USER_PROPERTIES} user properties may be sent, not {len(props)}",
            field="user_properties",
        )
    shaped = {}
    for name, value in props.items():
        where = f"user_properties.{name}"
        check_name(
            name, where, "user property name", MAX_USER_PROPERTY_NAME, RESERVED_USER_PROPERTY_NAMES
        )
        if value is not None:  # null clears a user property
            check_value(value, where, MAX_USER_PROPERTY_VALUE)
        shaped[name] = {"value": value}
    return shaped


def check_user_id(user_id: str | None) -> str | None:
    if user_id is not None and len(user_id) > MAX_USER_ID:
        raise PayloadInvalid(f"user_id is longer than {MAX_USER_ID} characters", field="user_id")
    return user_id


def timestamp_micros(value: str | None) -> int | None:
    """An ISO 8601 time (a zone-less one is UTC), or microseconds already, as microseconds."""
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadInvalid(
            f"{value!r} is neither an ISO 8601 time nor microseconds", field="timestamp_micros"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH) // timedelta(microseconds=1)
