"""Parsing triggers into Segment's AST: every operator, the grouping rules, the refusals."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.integrations.kit.triggers import TriggerSyntaxError, parse_trigger


def ast(text: str) -> dict[str, Any]:
    return parse_trigger(text).as_segment()


def single(text: str) -> dict[str, Any]:
    tree = ast(text)
    assert tree["type"] == "group"
    assert len(tree["children"]) == 1
    child: dict[str, Any] = tree["children"][0]
    return child


def group(operator: str, *children: dict[str, Any]) -> dict[str, Any]:
    return {"type": "group", "operator": operator, "children": list(children)}


def event(value: str, operator: str = "=") -> dict[str, Any]:
    return {"type": "event", "operator": operator, "value": value}


def prop(
    name: str, operator: str, value: Any = None, kind: str = "event-property"
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "name": name, "operator": operator}
    if value is not None:
        out["value"] = value
    return out


class TestFields:
    def test_type_event_name(self) -> None:
        assert ast('type = "track"') == group(
            "and", {"type": "event-type", "operator": "=", "value": "track"}
        )
        assert single('event = "Product Added"') == event("Product Added")
        assert single('name = "Home"') == {"type": "name", "operator": "=", "value": "Home"}

    def test_user_id(self) -> None:
        assert single("userId != null") == {"type": "userId", "operator": "exists"}
        assert single("userId = null") == {"type": "userId", "operator": "not_exists"}
        assert single('userId = "u1"') == {"type": "userId", "operator": "=", "value": "u1"}
        assert single("userId = true") == {"type": "userId", "operator": "is_true"}

    def test_properties_traits_context(self) -> None:
        assert single("properties.price >= 100") == prop("price", ">=", 100)
        assert single("traits.logins >= 10") == prop("logins", ">=", 10, "event-trait")
        assert single('context.ip = "1.1.1.1"') == prop("ip", "=", "1.1.1.1", "event-context")
        assert single("context.page.path != null") == prop(
            "page.path", "exists", kind="event-context"
        )

    def test_values_keep_their_type_for_path_fields(self) -> None:
        assert single("properties.n = 1.5") == prop("n", "=", 1.5)
        assert single('properties.premium = "true"') == prop("premium", "=", "true")
        assert single("properties.premium != true") == prop("premium", "!=", True)

    def test_values_are_text_for_event_type_and_name(self) -> None:
        assert single("event = 12") == event("12")
        assert single("event = null") == event("null")
        assert single("event != null") == event("null", "!=")

    @pytest.mark.parametrize(
        ("text", "operator"),
        [
            ("properties.name = null", "not_exists"),
            ("properties.name != null", "exists"),
            ("properties.name = true", "is_true"),
            ("properties.name = false", "is_false"),
        ],
    )
    def test_null_and_booleans_become_operators(self, text: str, operator: str) -> None:
        assert single(text) == prop("name", operator)
        assert single(text.replace("properties", "traits"))["operator"] == operator


class TestFunctions:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ('contains(event, "Nike")', event("Nike", "contains")),
            ('!contains(event, "Nike")', event("Nike", "not_contains")),
            ('contains(properties.name, "Nike")', prop("name", "contains", "Nike")),
            ('!contains(traits.name, "Nike")', prop("name", "not_contains", "Nike", "event-trait")),
            ('match(event, "X*")', event("X", "starts_with")),
            ('!match(event, "X*")', event("X", "not_starts_with")),
            ('match(properties.name, "*X")', prop("name", "ends_with", "X")),
            ('!match(traits.name, "*X")', prop("name", "not_ends_with", "X", "event-trait")),
            (
                'match(context.page.url, "https*")',
                prop("page.url", "starts_with", "https", "event-context"),
            ),
            ('contains(name, "Home")', {"type": "name", "operator": "contains", "value": "Home"}),
            ('contains(userId, "@")', {"type": "userId", "operator": "contains", "value": "@"}),
        ],
    )
    def test_functions(self, text: str, expected: dict[str, Any]) -> None:
        assert single(text) == expected

    def test_match_without_a_trailing_star_drops_the_first_character(self) -> None:
        assert single('match(event, "Completed")') == event("ompleted", "ends_with")

    def test_single_quotes_are_kept_in_the_value(self) -> None:
        assert single("contains(event, 'x')") == event("'x'", "contains")

    def test_functions_on_other_fields_are_dropped(self) -> None:
        assert ast('type = "track" and contains(type, "tr")') == group(
            "and", {"type": "event-type", "operator": "=", "value": "track"}
        )


class TestGrouping:
    def test_and_or(self) -> None:
        assert ast('type = "track" or type = "identify"') == group(
            "or",
            {"type": "event-type", "operator": "=", "value": "track"},
            {"type": "event-type", "operator": "=", "value": "identify"},
        )

    def test_one_operator_per_level_the_last_one_wins(self) -> None:
        assert ast('event = "a" and event = "b" or event = "c"') == group(
            "or", event("a"), event("b"), event("c")
        )
        assert ast('event = "a" or event = "b" and event = "c"') == group(
            "and", event("a"), event("b"), event("c")
        )

    def test_parentheses_make_a_sub_group(self) -> None:
        assert ast(
            'type = "track" and (event = "Product Added" or event = "Order Completed")'
        ) == group(
            "and",
            {"type": "event-type", "operator": "=", "value": "track"},
            group("or", event("Product Added"), event("Order Completed")),
        )

    def test_groups_on_both_sides(self) -> None:
        text = (
            '(event = "Product Added" and properties.price >= 100) or '
            '(event = "Order Completed" and properties.total >= 500)'
        )
        assert ast(text) == group(
            "or",
            group("and", event("Product Added"), prop("price", ">=", 100)),
            group("and", event("Order Completed"), prop("total", ">=", 500)),
        )

    def test_a_single_condition_in_parentheses_is_not_a_group(self) -> None:
        assert ast('(event = "a")') == group("and", event("a"))
        assert ast('type = "t" and (event = "a")')["children"][1] == event("a")

    def test_no_operator_means_and(self) -> None:
        assert ast('event = "a" event = "b"') == group("and", event("a"), event("b"))

    def test_stray_tokens_are_skipped(self) -> None:
        assert ast('event = "a" "extra" 12 ) ,') == group("and", event("a"))
        assert ast('!event = "a"') == group("and", event("a"))

    def test_a_missing_value_takes_the_end_token(self) -> None:
        assert ast("type = ") == group(
            "and", {"type": "event-type", "operator": "=", "value": "eos"}
        )

    def test_any_token_can_be_the_operator(self) -> None:
        assert single('event "a" "b"') == {"type": "event", "operator": '"a"', "value": "b"}


class TestRefusals:
    @pytest.mark.parametrize(
        ("text", "message", "position"),
        [
            ("", "no condition found", 0),
            ("typo", "no condition found", 0),
            ('"just a string"', "no condition found", 0),
            ("type", "Value token is missing", 4),
            ('type * "32456"', 'invalid character "*"', 5),
            ("x = 1 and contains", "contains() is missing a 1st argument", 10),
            ("contains(", "contains() is missing a 2nd argument", 0),
            ("x = 1 and match(event", "match() is missing a 2nd argument", 10),
            ('type = "a" and (event = "b"', "unclosed parenthesis", 15),
            ('(event = "a" and (event = "b"))', "parentheses cannot be nested", 17),
            ('type = "a" and ()', "no condition inside the parentheses", 15),
            ("properties.price>=100", "expected termination character after identifier, got >", 16),
        ],
    )
    def test_refused_with_position(self, text: str, message: str, position: int) -> None:
        with pytest.raises(TriggerSyntaxError) as caught:
            parse_trigger(text)
        assert (caught.value.message, caught.value.position) == (message, position)


def test_parsing_is_cached() -> None:
    assert parse_trigger('event = "cached"') is parse_trigger('event = "cached"')
