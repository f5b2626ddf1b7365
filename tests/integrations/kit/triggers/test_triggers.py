"""The public API: a Trigger exposes its condition tree for the dashboard's builder."""

from __future__ import annotations

import dataclasses

import pytest

from switchboard.integrations.kit.triggers import Condition, Group, parse_trigger


def test_the_tree_is_made_of_groups_and_conditions() -> None:
    trigger = parse_trigger('type = "track" and (event = "A" or properties.total >= 10)')
    assert trigger.text == 'type = "track" and (event = "A" or properties.total >= 10)'
    assert trigger.condition == Group(
        "and",
        (
            Condition("event-type", "=", "track"),
            Group(
                "or", (Condition("event", "=", "A"), Condition("event-property", ">=", 10, "total"))
            ),
        ),
    )


def test_the_tree_is_immutable() -> None:
    trigger = parse_trigger('event = "A"')
    with pytest.raises(dataclasses.FrozenInstanceError):
        trigger.condition.children[0].value = "B"  # type: ignore[misc, union-attr]


def test_a_hand_built_tree_matches_like_a_parsed_one() -> None:
    tree = Group(
        "or", (Condition("event-trait", "exists", name="email"), Condition("userId", "exists"))
    )
    assert tree.matches({"traits": {"email": "a@b.c"}})
    assert tree.matches({"userId": "u"})
    assert not tree.matches({"anonymousId": "x"})


def test_unknown_group_operators_and_condition_types_never_match() -> None:
    assert not Group("xor", (Condition("event", "=", "A"),)).matches({"event": "A"})
    assert not Condition("nope", "exists").matches({"nope": 1})
    assert not Condition("event", "~", "A").matches({"event": "A"})
