"""Matching events against triggers: every operator with Segment's comparisons."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from switchboard.integrations.kit.triggers import parse_trigger


def matches(text: str, event: Any) -> bool:
    return parse_trigger(text).matches(event)


class TestEquality:
    def test_strings(self) -> None:
        assert matches('properties.value = "x"', {"properties": {"value": "x"}})
        assert not matches('properties.value = "x"', {"properties": {"value": "y"}})
        assert matches('properties.value != "x"', {"properties": {"value": "y"}})
        assert not matches('properties.value != "x"', {"properties": {"value": "x"}})

    def test_equality_compares_text_with_text_only(self) -> None:
        # destination-subscriptions compares `actual === String(expected)`: a number in the
        # event never equals, and always differs from, the trigger's value.
        assert matches("properties.value = 123", {"properties": {"value": "123"}})
        assert not matches("properties.value = 123", {"properties": {"value": 123}})
        assert matches("properties.value != 123", {"properties": {"value": 123}})
        assert matches("properties.value = 1.0", {"properties": {"value": "1"}})

    def test_missing_fields_differ(self) -> None:
        assert matches('event != "x"', {})
        assert not matches('event = "x"', {})

    def test_null_text(self) -> None:
        assert matches("event = null", {"event": "null"})
        assert not matches("event = null", {"event": None})
        assert matches("event != null", {"event": "Order"})


class TestNumbers:
    @pytest.mark.parametrize(
        ("text", "yes", "no"),
        [
            ("properties.value < 10", [5, 9.5, -1], [10, 11, "5"]),
            ("properties.value <= 10", [5, 10], [11, "10"]),
            ("properties.value > 10", [11, 10.5], [10, 5, "11"]),
            ("properties.value >= 10", [10, 11], [9, "10"]),
            ('properties.value >= "10"', [10, 11], [9]),
        ],
    )
    def test_order_operators_need_numbers(self, text: str, yes: list[Any], no: list[Any]) -> None:
        for value in yes:
            assert matches(text, {"properties": {"value": value}}), value
        for value in no:
            assert not matches(text, {"properties": {"value": value}}), value

    def test_booleans_are_not_numbers(self) -> None:
        assert not matches("properties.value > 0", {"properties": {"value": True}})

    def test_a_value_that_is_not_a_number_never_compares(self) -> None:
        assert not matches('properties.value < "ten"', {"properties": {"value": 5}})
        assert not matches("properties.value >=5", {"properties": {"value": 6}})


class TestText:
    @pytest.mark.parametrize(
        ("text", "yes", "no"),
        [
            ('contains(properties.value, "b")', ["abc"], ["xyz", 1, None]),
            ('!contains(properties.value, "b")', ["xyz"], ["abc", 1]),
            ('match(properties.value, "x*")', ["xabc"], ["abc", 1]),
            ('!match(properties.value, "x*")', ["abc"], ["xabc", 1]),
            ('match(properties.value, "*x")', ["abcx"], ["abc", 1]),
            ('!match(properties.value, "*x")', ["abc"], ["abcx", 1]),
        ],
    )
    def test_text_operators_need_strings(self, text: str, yes: list[Any], no: list[Any]) -> None:
        for value in yes:
            assert matches(text, {"properties": {"value": value}}), value
        for value in no:
            assert not matches(text, {"properties": {"value": value}}), value

    def test_event_name_patterns(self) -> None:
        assert matches('match(event, "Order*")', {"event": "Order Completed"})
        assert matches('match(event, "*Completed")', {"event": "Order Completed"})
        assert not matches('match(event, "*Completed")', {"event": "Order Started"})
        assert matches('contains(event, "Nike")', {"event": "Nike Shoe Viewed"})


class TestPresence:
    def test_exists(self) -> None:
        assert matches("traits.email != null", {"traits": {"email": "a@b.c"}})
        assert not matches("traits.email != null", {"traits": {}})
        assert not matches("traits.email != null", {"traits": {"email": None}})
        assert matches("traits.email != null", {"traits": {"email": ""}})

    def test_not_exists(self) -> None:
        assert matches("properties.value = null", {"properties": {}})
        assert matches("properties.value = null", {"properties": {"value": None}})
        assert matches("properties.value = null", {})
        assert not matches("properties.value = null", {"properties": {"value": 0}})

    def test_user_id(self) -> None:
        assert matches("userId != null", {"userId": "u1"})
        assert not matches("userId != null", {"anonymousId": "a1"})

    def test_booleans(self) -> None:
        assert matches("properties.premium = true", {"properties": {"premium": True}})
        assert not matches("properties.premium = true", {"properties": {"premium": "true"}})
        assert matches("properties.premium = false", {"properties": {"premium": False}})
        assert not matches("properties.premium = false", {"properties": {}})
        assert matches('properties.premium = "true"', {"properties": {"premium": "true"}})


class TestFields:
    def test_each_field_reads_its_part_of_the_event(self) -> None:
        event = {
            "type": "page",
            "event": "E",
            "name": "Home",
            "userId": "u",
            "properties": {"a": {"b": "p"}},
            "traits": {"plan": "pro"},
            "context": {"ip": "1.1.1.1"},
        }
        for text in (
            'type = "page"',
            'event = "E"',
            'name = "Home"',
            'userId = "u"',
            'properties.a.b = "p"',
            'traits.plan = "pro"',
            'context.ip = "1.1.1.1"',
        ):
            assert matches(text, event), text

    def test_traits_are_read_from_traits_only(self) -> None:
        assert not matches(
            'traits.plan = "pro"', {"type": "track", "context": {"traits": {"plan": "pro"}}}
        )

    def test_nested_paths(self) -> None:
        assert matches('properties.order.id = "o1"', {"properties": {"order": {"id": "o1"}}})

    def test_a_numeric_path_segment_cannot_be_written(self) -> None:
        # fql-ts lexes `.0.` as a number, so the condition reads `properties.items` with "."
        # as its operator, which never matches: Segment cannot index arrays in triggers.
        tree = parse_trigger('properties.items.0.sku = "a"').as_segment()
        assert tree["children"][0]["operator"] == "."
        assert not matches(
            'properties.items.0.sku = "a"', {"properties": {"items": [{"sku": "a"}]}}
        )


class TestGroups:
    event: ClassVar[dict[str, Any]] = {
        "type": "track",
        "event": "Page Viewed",
        "properties": {"name": "Catalog"},
    }

    def test_and(self) -> None:
        assert matches('event = "Page Viewed" and type = "track"', self.event)
        assert not matches('event = "Page Viewed" and type = "identify"', self.event)

    def test_or(self) -> None:
        assert matches('event = "Other" or type = "track"', self.event)
        assert not matches('event = "Other" or type = "identify"', self.event)

    def test_sub_groups(self) -> None:
        text = 'event = "Page Viewed" and (properties.name = "Catalog" or properties.name = "Home")'
        assert matches(text, self.event)
        assert matches(text, {**self.event, "properties": {"name": "Home"}})
        assert not matches(text, {**self.event, "properties": {"name": "Other"}})

    def test_segments_grouping_is_flat(self) -> None:
        # "a and b or c" is or(a, b, c): true as soon as c holds.
        text = 'type = "identify" and event = "Nope" or properties.name = "Catalog"'
        assert matches(text, self.event)

    def test_not_an_object(self) -> None:
        assert not matches('type = "track"', "")
        assert not matches('type = "track"', None)
        assert not matches('properties.value = "x"', {})
