"""Trees written back as text: Segment's generator, and the round trip through the parser."""

from __future__ import annotations

import pytest

from switchboard.integrations.kit.triggers import Condition, Group, parse_trigger, to_text

ROUND_TRIPS = [
    'type = "track"',
    'type = "track" or type = "identify"',
    'event = "Product Added"',
    "userId != null",
    'name = "Home"',
    'type = "track" and event = "Product Added"',
    'type = "track" and (event = "Product Added" or event = "Order Completed")',
    'event = "Product Added" and properties.price >= 100',
    'event = "identify" and traits.logins >= 10 and traits.plan = "premium"',
    'event = "Product Added" and properties.price >= 100 and properties.premium = "true"',
    '(event = "Product Added" and properties.price >= 100) or '
    '(event = "Order Completed" and properties.total >= 500)',
    'contains(event, "Nike")',
    'event = "Product Added" and !contains(properties.name, "Nike")',
    'match(event, "X*")',
    '!match(traits.name, "X*")',
    'match(properties.name, "*X")',
    '!match(event, "*X")',
    'event = "Product Added" and properties.name != null',
    'event = "Product Added" and traits.name = null',
    "properties.premium = true",
    "context.active = false",
    'context.page.path = "/home"',
]


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_parse_then_generate_gives_the_text_back(text: str) -> None:
    assert to_text(parse_trigger(text).condition) == text


def test_names_with_other_characters_are_escaped_and_read_back() -> None:
    tree = Group("and", (Condition("event-property", "=", "x", "product 1.price"),))
    text = to_text(tree)
    assert text == 'properties.product\\ 1.price = "x"'
    assert parse_trigger(text).condition == tree
    assert parse_trigger(text).matches({"properties": {"product 1": {"price": "x"}}})


def test_order_operators_write_numbers() -> None:
    tree = Group("and", (Condition("event-property", ">", "10", "n"),))
    assert to_text(tree) == "properties.n > 10"


def test_a_type_the_syntax_cannot_express_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown condition type"):
        to_text(Group("and", (Condition("nope", "exists"),)))
