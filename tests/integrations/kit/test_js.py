"""JavaScript's value rules, which Segment's results depend on."""

from __future__ import annotations

import math

import pytest

from switchboard.integrations.kit.js import (
    MISSING,
    filled,
    number_to_string,
    to_number,
    to_string,
    truthy,
    type_name,
    walk,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (MISSING, False),
        (False, False),
        (0, False),
        (0.0, False),
        ("", False),
        (math.nan, False),
        (True, True),
        (-1, True),
        ("0", True),
        ([], True),
        ({}, True),
    ],
)
def test_truthy(value: object, expected: bool) -> None:
    assert truthy(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "1"),
        (1.0, "1"),
        (1.5, "1.5"),
        (-0.25, "-0.25"),
        (1e21, "1e+21"),
        (1.2345678901234568e20, "123456789012345680000"),
        (1.5e-7, "1.5e-7"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (True, "true"),
    ],
)
def test_number_to_string(value: float, expected: str) -> None:
    assert number_to_string(value) == expected


def test_to_string() -> None:
    assert to_string(None) == "null"
    assert to_string(MISSING) == "undefined"
    assert to_string([1, None, [2, 3], "a"]) == "1,,2,3,a"
    assert to_string({"a": 1}) == "[object Object]"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12.0),
        (" 12 ", 12.0),
        ("", 0.0),
        ("0x1A", 26.0),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("-Infinity", -math.inf),
        (True, 1.0),
        (None, 0.0),
        ([7], 7.0),
    ],
)
def test_to_number(value: object, expected: float) -> None:
    assert to_number(value) == expected


@pytest.mark.parametrize("value", ["abc", "1_000", "inf", "nan", "1e", {}, [1, 2]])
def test_to_number_nan(value: object) -> None:
    assert math.isnan(to_number(value))


def test_type_name() -> None:
    values: list[object] = ["", 1, 1.5, True, None, MISSING, [], {}]
    names = [type_name(value) for value in values]
    assert names == [
        "string",
        "number",
        "number",
        "boolean",
        "null",
        "undefined",
        "array",
        "object",
    ]


def test_walk() -> None:
    value = {"a": {"b": [{"c": "x"}]}, "zero": 0, "s": "abc"}
    assert walk(value, ("a", "b", "0", "c")) == "x"
    assert walk(value, ()) is value
    assert walk(value, ("zero", "anything")) == 0
    assert walk(value, ("s", "1")) == "b"
    assert walk(value, ("s", "length")) == 3
    assert walk(value, ("a", "b", "-1")) is MISSING
    assert walk(value, ("a", "b", "01")) is MISSING
    assert walk(value, ("nope", "deeper")) is MISSING


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x", True),
        (1, True),
        (True, True),
        ({}, True),
        ([1], True),
        ("", False),
        (0, False),
        (False, False),
        ([], False),
        ([None], False),
        (None, False),
        (MISSING, False),
    ],
)
def test_filled(value: object, expected: bool) -> None:
    assert filled(value) is expected
