"""Validation (what is refused, with which message and where) and the compile cache."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.integrations.kit.mapping import MappingError, compile_mapping


def errors(mapping: Any) -> list[str]:
    with pytest.raises(MappingError) as caught:
        compile_mapping(mapping)
    return caught.value.messages()


class TestValid:
    @pytest.mark.parametrize(
        "mapping",
        [
            {"foo": "bar"},
            {"@path": "$.foo.bar"},
            {"a": 1, "b": {"@path": "$.foo.bar"}},
            {"@literal": "123"},
            {"@literal": False},
            {"a": {"@path": "$.x", "_metadata": {"note": "kept out of the output"}}},
            {"a": {"@if": {"exists": {"@path": "$.a"}, "then": {"@path": "$.b"}}}},
            {"a": {"@arrayPath": ["$.products", {"id": {"@path": "$.id"}}]}},
            {"a": {"@replace": {"pattern": "a", "value": {"@path": "$.a"}, "ignorecase": True}}},
            {"a": [{"@path": "$.x"}, "raw", 1, None]},
        ],
    )
    def test_accepted(self, mapping: dict[str, Any]) -> None:
        compile_mapping(mapping)

    def test_metadata_is_not_part_of_the_output(self) -> None:
        mapping = {"a": {"@path": "$.x", "_metadata": {"note": 1}}}
        assert compile_mapping(mapping).evaluate({"x": 2}) == {"a": 2}


class TestStructure:
    def test_a_directive_beside_raw_keys(self) -> None:
        assert errors({"@path": "$.foo", "bar": "baz"}) == [
            "/ should only have one @-prefixed key but it has 2 keys."
        ]

    def test_two_directives_in_one_object(self) -> None:
        assert errors({"x": {"@path": "$.foo.bar", "@template": "{{biz.baz}}"}}) == [
            "/x should only have one @-prefixed key but it has 2 keys."
        ]

    def test_an_unknown_directive(self) -> None:
        assert errors({"@oops": {}}) == ["/ has an invalid directive: @oops."]
        assert errors({"a": 1, "b": {"@field": "$.foo.bar"}}) == [
            "/b has an invalid directive: @field."
        ]

    def test_every_problem_is_reported_with_its_location(self) -> None:
        mapping = {"obj": {"@path": "foo.bar", "oops": True}, "hash": {"@template": {}}}
        assert errors(mapping) == [
            "/obj should only have one @-prefixed key but it has 2 keys.",
            "/hash/@template should be a string or a mapping directive but it is an object.",
        ]

    def test_problems_deep_inside_are_located(self) -> None:
        mapping = {"a": {"b": [{"c": {"@if": {"exists": True, "then": {"@oops": {}}}}}]}}
        assert errors(mapping) == ["/a/b/0/c/@if/then has an invalid directive: @oops."]

    def test_the_mapping_must_be_an_object_of_json_values(self) -> None:
        assert errors(["cool"]) == ["/ should be an object but it is an array."]
        assert errors({"a": {1, 2}}) == [
            "/a should be a mapping directive or a JSON value but it is a set."
        ]


class TestDirectiveOptions:
    @pytest.mark.parametrize(
        ("mapping", "expected"),
        [
            (
                {"@path": {}},
                [
                    "/@path should be a string or a mapping directive but it is an object.",
                    "/@path should be an array but it is an object.",
                ],
            ),
            (
                {"@path": False},
                [
                    "/@path should be a string or a mapping directive but it is a boolean.",
                    "/@path should be an array but it is a boolean.",
                ],
            ),
            ({"@path": ["a", 1]}, ["/@path/1 should be a string but it is a number."]),
            ({"@path": ".."}, ["/@path should be a path with at least one key but it is '..'."]),
            (
                {"@template": False},
                ["/@template should be a string or a mapping directive but it is a boolean."],
            ),
            (
                {"@if": {"exists": True, "then": {"@oops": {}}}},
                ["/@if/then has an invalid directive: @oops."],
            ),
            ({"@if": {"then": 1}}, ['/@if requires an "exists" key or a "blank" key.']),
            (
                {"@if": {"exists": False, "then": 1}},
                ['/@if requires an "exists" key or a "blank" key.'],
            ),
            ({"@if": "yes"}, ["/@if should be an object but it is a string."]),
            ({"@case": "not an object"}, ["/@case should be an object but it is a string."]),
            (
                {"@case": {"wrongKey": "lower", "value": {"@path": "$.b"}}},
                ['/@case requires a "operator" key.'],
            ),
            (
                {"@case": {"operator": "unsupported snake", "value": {"@path": "$.b"}}},
                ['/@case operator key should have a value of "lower" or "upper".'],
            ),
            (
                {"@case": {"operator": "lower", "value": 3}},
                ["/@case/value should be a string or a mapping directive but it is a number."],
            ),
            (
                {"@replace": {"value": {"@path": "$.a"}}},
                ['/@replace should have field "pattern" but it doesn\'t.'],
            ),
            (
                {"@replace": {"pattern": "a"}},
                ['/@replace should have field "value" but it doesn\'t.'],
            ),
            (
                {"@replace": {"pattern": "waaaaayyytoooooloooong", "value": {"@path": "$.a"}}},
                ["/@replace/pattern should be a string of length 10 or less."],
            ),
            (
                {"@replace": {"pattern": "", "value": "x"}},
                ["/@replace/pattern should be a string of length 1 or greater."],
            ),
            (
                {"@replace": {"pattern": "a", "replacement": "b" * 11, "value": "x"}},
                ["/@replace/replacement should be a string of length 10 or less."],
            ),
            (
                {"@replace": {"pattern": "a", "value": "x", "global": "yes"}},
                ["/@replace/global should be a boolean but it is a string."],
            ),
            (
                {"@replace": {"pattern": "a", "value": "x", "ignorecase": 1}},
                ["/@replace/ignorecase should be a boolean but it is a number."],
            ),
            ({"@arrayPath": "nope"}, ["/@arrayPath should be an array but it is a string."]),
            (
                {"@arrayPath": []},
                ["/@arrayPath/0 should be a string or a mapping directive but it is an undefined."],
            ),
            (
                {"@arrayPath": ["$.a", {"x": {"@oops": 1}}]},
                ["/@arrayPath/1/x has an invalid directive: @oops."],
            ),
            (
                {"@json": {"mode": "oops", "value": {"@path": "$.foo"}}},
                ['/@json/mode should be one of "encode", "decode" but it is "oops".'],
            ),
            ({"@json": {"mode": "encode"}}, ['/@json should have field "value" but it doesn\'t.']),
            ({"@json": {"mode": "encode", "value": 0}}, ['/@json requires a "value" key.']),
            ({"@flatten": {"value": {"@path": "$.a"}}}, ['/@flatten requires a "separator" key.']),
            (
                {"@flatten": {"value": {"@path": "$.a"}, "separator": 1}},
                ["/@flatten/separator should be a string but it is a number."],
            ),
            (
                {"@merge": {"direction": "up", "objects": [{"oh": "yeah"}, {}]}},
                ['/@merge/direction should be one of "left", "right" but it is "up".'],
            ),
            (
                {"@merge": {"direction": "left", "objects": {"oops": True}}},
                ["/@merge/objects should be an array but it is an object."],
            ),
            (
                {"@merge": {"direction": "right", "objects": [{}, 1]}},
                [
                    "/@merge/objects/1 should be an object or a mapping directive"
                    " but it is a number."
                ],
            ),
            (
                {"@merge": {"objects": []}},
                ['/@merge should have field "direction" but it doesn\'t.'],
            ),
            (
                {"@transform": {"@path": {}}},
                ["/@transform should be an object but it is a directive."],
            ),
            (
                {"@transform": {"apply": "x", "mapping": {}}},
                ["/@transform/apply should be an object but it is a string."],
            ),
            (
                {"@transform": {"apply": {}}},
                ['/@transform should have field "mapping" but it doesn\'t.'],
            ),
            (
                {"@excludeWhenNull": {"@oops": 1}},
                ["/@excludeWhenNull has an invalid directive: @oops."],
            ),
            ({"@liquid": 123}, ["/@liquid should be a string but it is a number."]),
            ({"@liquid": {}}, ["/@liquid should be a string but it is an object."]),
            ({"@liquid": []}, ["/@liquid should be a string but it is an array."]),
            ({"@liquid": True}, ["/@liquid should be a string but it is a boolean."]),
        ],
    )
    def test_refused(self, mapping: dict[str, Any], expected: list[str]) -> None:
        assert errors(mapping) == expected


class TestEvaluation:
    def test_a_mapping_must_produce_an_object(self) -> None:
        compiled = compile_mapping({"@path": "$.name"})
        assert compiled.evaluate({"name": {"first": "A"}}) == {"first": "A"}
        with pytest.raises(MappingError) as caught:
            compiled.evaluate({"name": "A"})
        assert caught.value.messages() == ["/ should produce an object but it produced a string."]

    def test_a_top_level_directive_producing_an_object(self) -> None:
        mapping = {"@merge": {"direction": "right", "objects": [{"a": 1}, {"@path": "$.p"}]}}
        assert compile_mapping(mapping).evaluate({"p": {"b": 2}}) == {"a": 1, "b": 2}


class TestCache:
    def test_the_same_mapping_compiles_once(self) -> None:
        first = compile_mapping({"x": {"@path": "$.a"}, "y": 1})
        assert compile_mapping({"x": {"@path": "$.a"}, "y": 1}) is first

    def test_key_order_is_kept_in_the_output(self) -> None:
        forward = compile_mapping({"a": 1, "b": 2}).evaluate({})
        backward = compile_mapping({"b": 2, "a": 1}).evaluate({})
        assert list(forward) == ["a", "b"]
        assert list(backward) == ["b", "a"]

    def test_changing_the_callers_dict_does_not_change_the_compiled_mapping(self) -> None:
        mapping: dict[str, Any] = {"x": {"@path": "$.a"}}
        compiled = compile_mapping(mapping)
        mapping["x"] = "changed"
        assert compiled.evaluate({"a": 1}) == {"x": 1}

    def test_an_invalid_mapping_is_refused_every_time(self) -> None:
        for _ in range(2):
            assert errors({"@oops": 1}) == ["/ has an invalid directive: @oops."]


class TestEventShape:
    def test_an_event_that_is_not_an_object_is_refused(self) -> None:
        compiled = compile_mapping({"a": {"@path": "$.a"}})
        with pytest.raises(MappingError) as caught:
            compiled.evaluate([])  # type: ignore[arg-type]
        assert caught.value.messages() == ["/ the event should be an object but it is an array."]

    def test_a_computed_template_that_is_not_a_string_fails_for_that_event(self) -> None:
        compiled = compile_mapping({"t": {"@template": {"@path": "$.tpl"}}})
        assert compiled.evaluate({"tpl": "{{x}}!", "x": 1}) == {"t": "1!"}
        with pytest.raises(MappingError) as caught:
            compiled.evaluate({"tpl": 5})
        assert caught.value.messages() == ["/t/@template @template: expected string, got number."]

    def test_errors_carry_structured_locations(self) -> None:
        with pytest.raises(MappingError) as caught:
            compile_mapping({"a": {"b": {"@oops": 1}}})
        (issue,) = caught.value.errors
        assert issue.location == ("a", "b")
        assert issue.pointer == "/a/b"
        assert issue.message == "has an invalid directive: @oops"
