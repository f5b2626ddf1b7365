"""The GA4 actions: a custom event, a page view, and the ecommerce events purchase and
add_to_cart, shaped as Segment's GA4 actions are.

Every action sends through `perform_batch`: the payloads it is given are checked one by one
(a bad one fails alone, before anything is sent), then grouped by client, user and user
properties, since a Measurement Protocol request carries those once for all its events; each
group goes out in requests of at most 25 events and 130 kB. A lone event carries its time as
the request's `timestamp_micros`; batched events each carry their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import orjson

from switchboard.integrations.base import Exchange
from switchboard.integrations.ga4.naming import (
    MAX_BODY_BYTES,
    MAX_EVENTS_PER_REQUEST,
    RESERVED_EVENT_NAMES,
    check_currency,
    check_name,
    check_params,
    check_user_id,
    normalize_event_name,
    timestamp_micros,
    user_properties,
)
from switchboard.integrations.ga4.settings import COLLECT_PATH, Ga4Settings
from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Action, ItemResult
from switchboard.integrations.kit.errors import PayloadInvalid
from switchboard.integrations.kit.fields import Field

#: Payloads per `perform_batch`: several requests' worth, so that the events of one client
#: that arrive among other clients' still share a request.
MAX_BATCH: Final = 4 * MAX_EVENTS_PER_REQUEST

#: What the JSON around the events may take, on top of the events themselves.
_ENVELOPE_BYTES: Final = 4096

COMMON_FIELDS: Final[dict[str, Field]] = {
    "client_id": Field(
        "Client ID",
        "string",
        "Identifies the browser or device (gtag's client ID when you have it).",
        required=True,
        default={"@path": "$.anonymousId"},
    ),
    "user_id": Field(
        "User ID", "string", "Your own identifier of the user.", default={"@path": "$.userId"}
    ),
    "timestamp_micros": Field(
        "Timestamp",
        "string",
        "When the event happened: an ISO 8601 time or microseconds since the epoch. Google "
        "keeps events up to 72 hours old.",
        default={"@path": "$.timestamp"},
    ),
    "engagement_time_msec": Field(
        "Engagement time (ms)",
        "number",
        "Google counts only users with a non-zero engagement time; 1 by default, as Segment.",
        default=1,
    ),
    "user_properties": Field(
        "User properties",
        "object",
        "User-scoped properties (register them as custom dimensions in GA4).",
    ),
}

_ITEM: Final = Field(
    "Item",
    "object",
    properties={
        "item_id": Field("Product ID", "string"),
        "item_name": Field("Name", "string"),
        "affiliation": Field("Affiliation", "string"),
        "coupon": Field("Coupon", "string"),
        "currency": Field("Currency", "string"),
        "discount": Field("Discount", "number"),
        "index": Field("Index", "integer"),
        "item_brand": Field("Brand", "string"),
        "item_category": Field("Category", "string"),
        "item_variant": Field("Variant", "string"),
        "price": Field("Price", "number"),
        "quantity": Field("Quantity", "integer"),
    },
)

#: Segment's product properties → GA4's item parameters.
_PRODUCT: Final = {
    "item_id": {"@path": "$.product_id"},
    "item_name": {"@path": "$.name"},
    "affiliation": {"@path": "$.affiliation"},
    "coupon": {"@path": "$.coupon"},
    "index": {"@path": "$.position"},
    "item_brand": {"@path": "$.brand"},
    "item_category": {"@path": "$.category"},
    "item_variant": {"@path": "$.variant"},
    "price": {"@path": "$.price"},
    "quantity": {"@path": "$.quantity"},
}


def _param_fields(default: Any = None) -> dict[str, Field]:
    return {
        "params": Field(
            "Event parameters", "object", "More parameters, sent as they are.", default=default
        )
    }


class Ga4Action(Action[Ga4Settings]):
    """An action that sends one GA4 event per payload."""

    max_batch = MAX_BATCH

    def event(self, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The event's name and parameters (before the checks)."""
        raise NotImplementedError

    def perform_batch(
        self, ctx: ActionContext, settings: Ga4Settings, payloads: list[dict[str, Any]]
    ) -> list[ItemResult]:
        results: list[ItemResult | None] = [None] * len(payloads)
        # client_id, and user_id with user_properties as JSON → the events that share them.
        groups: dict[tuple[str, bytes], list[tuple[int, dict[str, Any]]]] = {}
        for index, payload in enumerate(payloads):
            try:
                event, user = self._checked(payload)
            except PayloadInvalid as exc:
                results[index] = ItemResult(exc.outcome, [])
                continue
            groups.setdefault((payload["client_id"], orjson.dumps(user)), []).append((index, event))
        for (client_id, user_json), items in groups.items():
            user = orjson.loads(user_json)
            for chunk in _requests(items):
                body = {"client_id": client_id, **user, **_events(chunk)}
                reply = ctx.request(
                    "POST",
                    settings.url(COLLECT_PATH),
                    params=settings.query(),
                    json=body,
                    throw=False,
                )
                exchanges: list[Exchange] = [reply.exchange] if reply.exchange else []
                for index, _ in chunk:
                    results[index] = ItemResult(reply.outcome, exchanges)
        return [result for result in results if result is not None]

    def _checked(self, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The event to send, and what its request says of the user; `PayloadInvalid` when
        GA4 would drop either."""
        name, params = self.event(payload)
        check_name(name, "name", "event name", reserved=RESERVED_EVENT_NAMES)
        params = {**params, "engagement_time_msec": payload.get("engagement_time_msec")}
        params = check_params({**params, **(payload.get("params") or {})})
        event: dict[str, Any] = {"name": name, "params": params}
        stamp = timestamp_micros(payload.get("timestamp_micros"))
        if stamp is not None:
            event["timestamp_micros"] = stamp
        if len(orjson.dumps(event)) > MAX_BODY_BYTES - _ENVELOPE_BYTES:
            raise PayloadInvalid("the event is too large for one request (130 kB)", field="params")
        user: dict[str, Any] = {}
        if (user_id := check_user_id(payload.get("user_id"))) is not None:
            user["user_id"] = user_id
        if props := user_properties(payload.get("user_properties")):
            user["user_properties"] = props
        return event, user


def _requests(
    items: list[tuple[int, dict[str, Any]]],
) -> list[list[tuple[int, dict[str, Any]]]]:
    """`items` cut into requests of at most 25 events and 130 kB, in order."""
    chunks: list[list[tuple[int, dict[str, Any]]]] = []
    size = 0
    for item in items:
        length = len(orjson.dumps(item[1])) + 1
        if (
            not chunks
            or len(chunks[-1]) == MAX_EVENTS_PER_REQUEST
            or size + length > MAX_BODY_BYTES - _ENVELOPE_BYTES
        ):
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += length
    return chunks


def _events(chunk: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """The request's `events`, with a lone event's time as the request's."""
    events = [event for _, event in chunk]
    if len(events) == 1 and "timestamp_micros" in events[0]:
        event = dict(events[0])
        return {"timestamp_micros": event.pop("timestamp_micros"), "events": [event]}
    return {"events": events}


class CustomEvent(Ga4Action):
    id = "custom_event"
    title = "Custom event"
    description = "Send a track call as an event named after it."
    default_trigger = 'type = "track"'
    fields: ClassVar[Mapping[str, Field]] = {
        **COMMON_FIELDS,
        "name": Field(
            "Event name",
            "string",
            "Spaces become underscores, as GA4 refuses them.",
            required=True,
            default={"@path": "$.event"},
        ),
        "lowercase": Field(
            "Lower-case the event name",
            "boolean",
            "GA4 event names are case sensitive: lower-case them so that 'Signed Up' and "
            "'signed up' count as one event.",
            default=False,
        ),
        **_param_fields({"@path": "$.properties"}),
    }

    def event(self, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return normalize_event_name(payload["name"], bool(payload.get("lowercase"))), {}


class PageView(Ga4Action):
    id = "page_view"
    title = "Page view"
    description = "Send a page call as GA4's page_view event."
    default_trigger = 'type = "page"'
    fields: ClassVar[Mapping[str, Field]] = {
        **COMMON_FIELDS,
        "page_location": Field(
            "Page location", "string", "The page's URL.", default={"@path": "$.context.page.url"}
        ),
        "page_title": Field(
            "Page title", "string", "The page's title.", default={"@path": "$.context.page.title"}
        ),
        "page_referrer": Field(
            "Page referrer",
            "string",
            "The previous page's URL.",
            default={"@path": "$.context.page.referrer"},
        ),
        **_param_fields(),
    }

    def event(self, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        names = ("page_location", "page_title", "page_referrer")
        return "page_view", {name: payload.get(name) for name in names}


class Ecommerce(Ga4Action):
    """An ecommerce event: its name is GA4's, its items come from the products."""

    event_name: ClassVar[str]
    extra: ClassVar[tuple[str, ...]] = ()

    def event(self, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        params = {name: payload.get(name) for name in ("currency", "value", *self.extra)}
        if params["currency"] is not None:
            params["currency"] = check_currency(params["currency"])
        elif payload.get("value") is not None:
            raise PayloadInvalid("GA4 needs a currency with a value", field="currency")
        params["items"] = payload["items"]
        return self.event_name, params


def _money(label: str, path: str, required: bool = False) -> Field:
    return Field(label, "number", required=required, default={"@path": path})


class Purchase(Ecommerce):
    id = "purchase"
    title = "Purchase"
    description = "Send an Order Completed call as GA4's purchase event."
    default_trigger = 'type = "track" and event = "Order Completed"'
    event_name = "purchase"
    extra = ("transaction_id", "affiliation", "coupon", "shipping", "tax")
    fields: ClassVar[Mapping[str, Field]] = {
        **COMMON_FIELDS,
        "currency": Field(
            "Currency",
            "string",
            "ISO 4217 code, such as USD.",
            required=True,
            default={"@path": "$.properties.currency"},
        ),
        "value": _money("Value", "$.properties.total"),
        "transaction_id": Field(
            "Order ID", "string", required=True, default={"@path": "$.properties.order_id"}
        ),
        "affiliation": Field(
            "Affiliation", "string", default={"@path": "$.properties.affiliation"}
        ),
        "coupon": Field("Coupon", "string", default={"@path": "$.properties.coupon"}),
        "shipping": _money("Shipping", "$.properties.shipping"),
        "tax": _money("Tax", "$.properties.tax"),
        "items": Field(
            _ITEM.label,
            "object",
            "The products bought.",
            required=True,
            multiple=True,
            properties=_ITEM.properties,
            default={"@arrayPath": ["$.properties.products", _PRODUCT]},
        ),
        **_param_fields(),
    }


class AddToCart(Ecommerce):
    id = "add_to_cart"
    title = "Add to cart"
    description = "Send a Product Added call as GA4's add_to_cart event."
    default_trigger = 'type = "track" and event = "Product Added"'
    event_name = "add_to_cart"
    fields: ClassVar[Mapping[str, Field]] = {
        **COMMON_FIELDS,
        "currency": Field("Currency", "string", default={"@path": "$.properties.currency"}),
        "value": _money("Value", "$.properties.price"),
        "items": Field(
            _ITEM.label,
            "object",
            "The product added.",
            required=True,
            multiple=True,
            properties=_ITEM.properties,
            default={"@arrayPath": ["$.properties", _PRODUCT]},
        ),
        **_param_fields(),
    }


ACTIONS: Final = (CustomEvent(), PageView(), Purchase(), AddToCart())
