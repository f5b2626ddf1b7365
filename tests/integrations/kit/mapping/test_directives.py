"""Every directive's behaviour, case by case, as Segment's mapping-kit tests define it."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from switchboard.integrations.kit.mapping import MappingError, compile_mapping


def run(mapping: dict[str, Any], event: dict[str, Any] | None = None) -> Any:
    return compile_mapping(mapping).evaluate(event or {})


def field(directive: dict[str, Any], event: dict[str, Any] | None = None) -> Any:
    """The value one field resolves to; `...` when it is left out of the output."""
    return run({"f": directive}, event).get("f", ...)


class TestRawValues:
    def test_an_empty_mapping_gives_an_empty_object(self) -> None:
        assert run({}, {"cool": False}) == {}

    def test_raw_values_pass_through(self) -> None:
        assert run({"cool": True, "n": 1, "s": "x", "nil": None, "a": [1, "b"], "o": {}}) == {
            "cool": True,
            "n": 1,
            "s": "x",
            "nil": None,
            "a": [1, "b"],
            "o": {},
        }

    def test_raw_and_directive_values_mix(self) -> None:
        event = {"traits": {"email": "peter@example.com", "plan": "premium"}}
        mapping = {
            "action": "create",
            "userId": {"@path": "$.traits.email"},
            "userProperties": {"@path": "$.traits"},
        }
        assert run(mapping, event) == {
            "action": "create",
            "userId": "peter@example.com",
            "userProperties": {"email": "peter@example.com", "plan": "premium"},
        }

    def test_undefined_values_are_removed_but_null_is_kept(self) -> None:
        mapping = {"foo": {"@path": "$.a"}, "bar": {"@path": "$.b"}, "baz": None}
        assert run(mapping, {"a": 1}) == {"foo": 1, "baz": None}

    def test_nested_objects_lose_undefined_values_but_stay(self) -> None:
        mapping = {"x": {"y": {"@path": "$.nope"}, "z": 1}, "w": {"v": {"u": {"@path": "$.no"}}}}
        assert run(mapping) == {"x": {"z": 1}, "w": {"v": {}}}

    def test_undefined_inside_an_array_becomes_null(self) -> None:
        assert run({"a": [{"@path": "$.nope"}, 1]}) == {"a": [None, 1]}

    def test_values_taken_from_the_event_are_copies(self) -> None:
        event = {"properties": {"items": [{"sku": "a"}]}}
        result = run({"p": {"@path": "$.properties"}}, event)
        result["p"]["items"][0]["sku"] = "changed"
        assert event["properties"]["items"][0]["sku"] == "a"


class TestPath:
    def test_simple_and_nested(self) -> None:
        assert field({"@path": "$.foo"}, {"foo": "bar"}) == "bar"
        assert field({"@path": "$.foo.bar"}, {"foo": {"bar": "baz"}}) == "baz"

    def test_the_leading_dollar_dot_is_optional(self) -> None:
        assert field({"@path": "foo.bar"}, {"foo": {"bar": 42}}) == 42

    def test_bracket_indexes(self) -> None:
        event = {"foo": {"baz": [{"num": 1}, {"num": 2}]}}
        assert field({"@path": "$.foo.baz[0].num"}, event) == 1
        assert field({"@path": "$.foo.baz[1].num"}, event) == 2
        assert field({"@path": "$.foo.baz.1.num"}, event) == 2

    def test_root_paths_give_the_whole_event(self) -> None:
        event = {"foo": "bar"}
        for path in ("", "$.", "."):
            assert run({"@path": path}, event) == event

    def test_only_the_first_dollar_dot_is_dropped_wherever_it_is(self) -> None:
        # Segment's `path.replace('$.', '')` replaces the first occurrence, not a prefix.
        assert field({"@path": "foo.$.bar"}, {"foo": {"bar": 1}}) == 1
        assert field({"@path": "$"}, {"$": 2}) == 2

    def test_a_missing_path_leaves_the_field_out(self) -> None:
        assert run({"neat": {"@path": "$.oops"}}, {"foo": "bar"}) == {}

    def test_a_path_through_a_string_is_undefined(self) -> None:
        assert run({"neat": {"@path": "$.foo.bar.baz"}}, {"foo": "bar"}) == {}

    def test_a_falsy_value_on_the_way_is_the_result(self) -> None:
        # Segment walks with `obj && obj[key]`: 0, "", false and null stop the walk.
        assert field({"@path": "$.a.b"}, {"a": 0}) == 0
        assert field({"@path": "$.a.b.c"}, {"a": ""}) == ""
        assert field({"@path": "$.a.b"}, {"a": None}) is None

    def test_keys_with_spaces(self) -> None:
        event = {"integrations": {"Actions Amplitude": {"session_id": "bar"}}}
        assert field({"@path": "$.integrations.Actions Amplitude.session_id"}, event) == "bar"

    def test_quoted_brackets_are_not_keys(self) -> None:
        event = {"integrations": {"Actions Amplitude": {"session_id": "bar"}}}
        assert field({"@path": "$.integrations['Actions Amplitude'].session_id"}, event) is ...

    def test_an_array_path_reaches_keys_with_dots(self) -> None:
        event = {"integrations": {"Company.Billing": {"chicken": "noodle"}}}
        assert field({"@path": ["integrations", "Company.Billing", "chicken"]}, event) == "noodle"

    def test_length_of_arrays_and_strings(self) -> None:
        assert field({"@path": "$.a.length"}, {"a": [1, 2, 3]}) == 3
        assert field({"@path": "$.s.length"}, {"s": "abcd"}) == 4

    def test_a_nested_directive_computes_the_path(self) -> None:
        assert run({"@path": {"@path": "$.foo"}}, {"foo": "bar", "bar": {"x": "baz"}}) == {
            "x": "baz"
        }

    def test_a_computed_path_that_is_not_a_string_fails_for_that_event(self) -> None:
        compiled = compile_mapping({"neat": {"@path": {"@path": "$.foo"}}})
        assert compiled.evaluate({"foo": "bar", "bar": 1}) == {"neat": 1}
        with pytest.raises(MappingError) as caught:
            compiled.evaluate({"foo": 3})
        assert caught.value.messages() == ["/neat/@path @path: expected string, got number."]


class TestTemplate:
    def test_placeholders(self) -> None:
        assert field({"@template": "Hello, {{who}}!"}, {"who": "World"}) == "Hello, World!"
        assert field({"@template": "Hello, {{who.name}}!"}, {"who": {"name": "World"}}) == (
            "Hello, World!"
        )
        event = {"traits": {"name": "Mr. Rogers"}, "userId": "abc123"}
        assert field({"@template": "{{traits.name}} ({{userId}})"}, event) == "Mr. Rogers (abc123)"

    def test_missing_values_are_empty(self) -> None:
        assert field({"@template": "{{oops.yo}}"}) == ""
        assert field({"@template": "Hello, {{traits.fullName}}!"}, {"traits": {}}) == "Hello, !"

    def test_nothing_is_escaped(self) -> None:
        event = {"a": "<b>Hi</b>"}
        assert field({"@template": "<blink>{{a}} {{{a}}}</blink>"}, event) == (
            "<blink><b>Hi</b> <b>Hi</b></blink>"
        )

    def test_spaces_inside_braces_are_ignored(self) -> None:
        assert field({"@template": "{{ a }}-{{{ a }}}"}, {"a": "x"}) == "x-x"

    def test_non_strings_are_written_as_javascript_does(self) -> None:
        event = {"n": 1.0, "f": 1.5, "t": True, "nil": None, "arr": [1, None, "a"], "o": {"k": 1}}
        assert field({"@template": "{{n}} {{f}} {{t}} [{{nil}}] {{arr}} {{o}}"}, event) == (
            "1 1.5 true [] 1,,a [object Object]"
        )

    def test_a_directive_can_compute_the_template(self) -> None:
        event = {"greeting": "Hi {{name}}", "name": "Ann"}
        assert field({"@template": {"@path": "$.greeting"}}, event) == "Hi Ann"

    def test_triple_braces_are_replaced_before_double_ones(self) -> None:
        # As in Segment, a value put in by {{{…}}} is read again by the {{…}} pass.
        assert field({"@template": "{{{a}}}"}, {"a": "{{b}}", "b": "deep"}) == "deep"


class TestLiteral:
    def test_scalars(self) -> None:
        assert field({"@literal": False}) is False
        assert field({"@literal": True}) is True
        assert field({"@literal": "{{not a template}}"}) == "{{not a template}}"

    def test_directives_inside_a_literal_are_still_resolved(self) -> None:
        mapping = {"nested": {"@literal": {"a": {"@path": "$.a"}, "b": {"@path": "$.b"}}}}
        assert run(mapping, {"a": "some value"}) == {"nested": {"a": "some value"}}


class TestIf:
    event: ClassVar[dict[str, Any]] = {"a": 1, "b": True, "c": False, "d": None, "e": ""}

    @pytest.mark.parametrize(("path", "expected"), [("a", 1), ("d", 2), ("x", 2), ("e", 1)])
    def test_exists(self, path: str, expected: int) -> None:
        directive = {"@if": {"exists": {"@path": f"$.{path}"}, "then": 1, "else": 2}}
        assert field(directive, self.event) == expected

    @pytest.mark.parametrize(
        ("path", "expected"), [("a", 1), ("b", 1), ("c", 2), ("d", 2), ("x", 2), ("e", 2)]
    )
    def test_blank(self, path: str, expected: int) -> None:
        directive = {"@if": {"blank": {"@path": f"$.{path}"}, "then": 1, "else": 2}}
        assert field(directive, self.event) == expected

    @pytest.mark.parametrize(
        ("value", "filled"), [(0, False), ([], False), ([0], True), ({}, True)]
    )
    def test_blank_uses_javascripts_loose_comparison_with_the_empty_string(
        self, value: object, filled: bool
    ) -> None:
        directive = {"@if": {"blank": {"@path": "$.v"}, "then": "filled", "else": "blank"}}
        assert field(directive, {"v": value}) == ("filled" if filled else "blank")

    def test_a_missing_branch_leaves_the_field_out(self) -> None:
        assert run({"foo-exists": {"@if": {"exists": {"@path": "$.foo"}, "then": True}}}) == {}
        mapping = {"a": {"@if": {"exists": {"@path": "$.oops"}, "then": {"@path": "$.a"}}}}
        assert run(mapping, {"a": "cool"}) == {}

    def test_an_else_branch_with_a_falsy_value_leaves_the_field_out(self) -> None:
        # Segment tests `opts.else` for truthiness before resolving it.
        for otherwise in (False, 0, "", None):
            directive = {"@if": {"exists": {"@path": "$.x"}, "then": 1, "else": otherwise}}
            assert field(directive) is ...

    def test_a_then_branch_with_a_falsy_value_is_used(self) -> None:
        assert field({"@if": {"exists": {"@path": "$.a"}, "then": False}}, {"a": 1}) is False

    def test_a_literal_condition(self) -> None:
        assert field({"@if": {"exists": True, "then": "yes"}}) == "yes"

    def test_branches_resolve_directives(self) -> None:
        directive = {"@if": {"exists": {"@path": "$.a"}, "then": {"@path": "$.a"}, "else": "no"}}
        assert field(directive, {"a": "cool"}) == "cool"


class TestCase:
    event: ClassVar[dict[str, Any]] = {
        "a": 1,
        "b": "MAKE ME LOWER CASE",
        "c": "make me upper case",
        "d": None,
        "e": "",
        "f": False,
        "g": "mIXeD StRinG CasING W/ NuMBErs 190wdB",
        "h": {"key1": "with values", "key2": ["hi", True, None]},
    }

    @pytest.mark.parametrize(
        ("operator", "path", "expected"),
        [
            ("lower", "b", "make me lower case"),
            ("upper", "c", "MAKE ME UPPER CASE"),
            ("lower", "e", ""),
            ("lower", "g", "mixed string casing w/ numbers 190wdb"),
            ("upper", "g", "MIXED STRING CASING W/ NUMBERS 190WDB"),
        ],
    )
    def test_strings_change_case(self, operator: str, path: str, expected: str) -> None:
        directive = {"@case": {"operator": operator, "value": {"@path": f"$.{path}"}}}
        assert field(directive, self.event) == expected

    @pytest.mark.parametrize("path", ["a", "d", "f", "h"])
    def test_other_values_are_unchanged(self, path: str) -> None:
        directive = {"@case": {"operator": "lower", "value": {"@path": f"$.{path}"}}}
        assert field(directive, self.event) == self.event[path]

    def test_a_missing_value_leaves_the_field_out(self) -> None:
        directive = {"@case": {"operator": "lower", "value": {"@path": "$.dont_exist"}}}
        assert run({"neat": directive}, self.event) == {}

    def test_a_literal_string_value(self) -> None:
        assert field({"@case": {"operator": "upper", "value": "abc"}}) == "ABC"


class TestReplace:
    @pytest.mark.parametrize(
        ("options", "value", "expected"),
        [
            ({"pattern": "_", "replacement": "rrrrr"}, "", ""),
            ({"pattern": "_", "replacement": "rrrrr"}, None, ""),
            (
                {"pattern": "WW", "replacement": "oo", "ignorecase": False},
                "cWWl-story-ww",
                "cool-story-ww",
            ),
            (
                {"pattern": "AaB", "replacement": "nice", "ignorecase": True},
                "aab-----AaB---aab",
                "nice-----nice---nice",
            ),
            ({"pattern": "_", "replacement": ""}, "nomore_underscore", "nomoreunderscore"),
            (
                {"pattern": "_", "replacement": "weird"},
                "nomore_underscore",
                "nomoreweirdunderscore",
            ),
            (
                {"pattern": "LOL", "replacement": "YAY"},
                "Well Hello there LOL",
                "Well Hello there YAY",
            ),
            (
                {"pattern": "+", "replacement": "_", "global": True},
                "many+different+things",
                "many_different_things",
            ),
            (
                {"pattern": "+", "replacement": "_", "global": False},
                "many+different+things",
                "many_different+things",
            ),
            ({"pattern": "aaabbbcccd", "replacement": ""}, "aaabbbcccd", ""),
            ({"pattern": "many+"}, "many+different+things", "different+things"),
            ({"pattern": "true", "replacement": "granted"}, True, "granted"),
            ({"pattern": "1", "replacement": "granted"}, 1, "granted"),
            (
                {
                    "pattern": "-",
                    "replacement": " ",
                    "pattern2": "great",
                    "replacement2": "awesome",
                },
                "something-great!",
                "something awesome!",
            ),
            (
                {
                    "pattern": "true",
                    "replacement": "granted",
                    "pattern2": "false",
                    "replacement2": "denied",
                },
                False,
                "denied",
            ),
            ({"pattern": ".", "replacement": "!"}, "a.b.c", "a!b!c"),
            ({"pattern": "o", "replacement": "[$&]"}, "foo", "f[o][o]"),
            ({"pattern": "o", "replacement": "$$1"}, "foo", "f$1$1"),
        ],
    )
    def test_replacements(self, options: dict[str, Any], value: object, expected: str) -> None:
        directive = {"@replace": {**options, "value": {"@path": "$.a"}}}
        assert field(directive, {"a": value}) == expected

    def test_a_value_that_is_neither_string_number_nor_boolean_becomes_empty(self) -> None:
        directive = {"@replace": {"pattern": "-", "replacement": "x", "value": {"@path": "$.a"}}}
        assert field(directive, {"a": {"k": 1}}) == ""
        assert field(directive) == ""


class TestArrayPath:
    event: ClassVar[dict[str, Any]] = {
        "products": [{"productId": "123", "price": 0.5}, {"productId": "456", "price": 0.99}]
    }
    shape: ClassVar[dict[str, Any]] = {
        "product_id": {"@path": "$.productId"},
        "monies": {"@path": "$.price"},
    }

    def test_without_a_shape_the_value_itself(self) -> None:
        assert field({"@arrayPath": ["$.products"]}, self.event) == self.event["products"]

    def test_each_item_takes_the_shape(self) -> None:
        assert field({"@arrayPath": ["$.products", self.shape]}, self.event) == [
            {"product_id": "123", "monies": 0.5},
            {"product_id": "456", "monies": 0.99},
        ]

    def test_a_directive_can_give_the_array(self) -> None:
        root = {
            "@if": {"exists": {"@path": "$.products"}, "then": {"@path": "$.products"}, "else": []}
        }
        assert field({"@arrayPath": [root, self.shape]}, self.event) == [
            {"product_id": "123", "monies": 0.5},
            {"product_id": "456", "monies": 0.99},
        ]

    def test_an_object_is_treated_as_an_array_of_one(self) -> None:
        event = {"properties": {"productId": "123", "price": 0.5}}
        assert field({"@arrayPath": ["$.properties", self.shape]}, event) == [
            {"product_id": "123", "monies": 0.5}
        ]

    def test_an_object_without_the_shapes_fields_gives_an_empty_item(self) -> None:
        event = {"products": {"notAnArray": True}}
        assert field({"@arrayPath": ["$.products", self.shape]}, event) == [{}]

    def test_a_scalar_is_returned_as_is(self) -> None:
        assert field({"@arrayPath": ["$.n", self.shape]}, {"n": 5}) == 5
        assert field({"@arrayPath": ["$.nope", self.shape]}) is ...


class TestJson:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("bar", '"bar"'),
            ({"bar": "baz"}, '{"bar":"baz"}'),
            (["bar", "baz"], '["bar","baz"]'),
            (None, "null"),
            (1.0, "1"),
            ({"é": [1, None]}, '{"é":[1,null]}'),
        ],
    )
    def test_encode(self, value: object, expected: str) -> None:
        directive = {"@json": {"mode": "encode", "value": {"@path": "$.foo"}}}
        assert field(directive, {"foo": value}) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [('"bar"', "bar"), ('{"bar":"baz"}', {"bar": "baz"}), ('["bar","baz"]', ["bar", "baz"])],
    )
    def test_decode(self, text: str, expected: object) -> None:
        directive = {"@json": {"mode": "decode", "value": {"@path": "$.foo"}}}
        assert field(directive, {"foo": text}) == expected

    def test_decode_leaves_non_strings_alone(self) -> None:
        directive = {"@json": {"mode": "decode", "value": {"@path": "$.foo"}}}
        assert field(directive, {"foo": {"a": 1}}) == {"a": 1}

    def test_encoding_a_missing_value_leaves_the_field_out(self) -> None:
        directive = {"@json": {"mode": "encode", "value": {"@path": "$.bad"}}}
        assert run({"neat": directive}, {"foo": {"bar": "baz"}}) == {}

    def test_decoding_text_that_is_not_json_fails_for_that_event(self) -> None:
        compiled = compile_mapping(
            {"neat": {"@json": {"mode": "decode", "value": {"@path": "$.t"}}}}
        )
        assert compiled.evaluate({"t": "[1]"}) == {"neat": [1]}
        with pytest.raises(MappingError) as caught:
            compiled.evaluate({"t": "{oops"})
        assert caught.value.errors[0].pointer == "/neat/@json"
        with pytest.raises(MappingError):
            compiled.evaluate({"t": "NaN"})


class TestFlatten:
    def test_nested_keys_are_joined(self) -> None:
        directive = {"@flatten": {"value": {"@path": "$.foo"}, "separator": "."}}
        event = {"foo": {"bar": "baz", "aces": {"a": 1, "b": 2}}}
        assert field(directive, event) == {"bar": "baz", "aces.a": 1, "aces.b": 2}

    def test_arrays_are_flattened_by_index(self) -> None:
        directive = {"@flatten": {"value": {"@path": "$.foo"}, "separator": "."}}
        assert field(directive, {"foo": [{"fazz": "bar", "fizz": "baz"}]}) == {
            "0.fazz": "bar",
            "0.fizz": "baz",
        }

    def test_omit_arrays_keeps_arrays_whole(self) -> None:
        directive = {
            "@flatten": {"value": {"@path": "$.foo"}, "separator": ".", "omitArrays": True}
        }
        event = {"foo": {"bar": "baz", "aces": [1, 2]}}
        assert field(directive, event) == {"bar": "baz", "aces": [1, 2]}

    def test_any_separator(self) -> None:
        directive = {"@flatten": {"value": {"@path": "$.p"}, "separator": "__"}}
        assert field(directive, {"p": {"a": {"b": {"c": 1}}, "d": {}}}) == {"a__b__c": 1}


class TestMerge:
    @pytest.mark.parametrize("direction", ["left", "right"])
    def test_the_same_either_way(self, direction: str) -> None:
        assert run({"@merge": {"direction": direction, "objects": []}}) == {}
        assert run({"@merge": {"direction": direction, "objects": [{"cool": True}]}}) == {
            "cool": True
        }

    def test_right_lets_later_objects_win(self) -> None:
        objects = [{"cool": True, "hey": "there"}, {"@path": "foo"}]
        event = {"foo": {"bar": "baz", "hey": "you"}}
        assert run({"@merge": {"direction": "right", "objects": objects}}, event) == {
            "cool": True,
            "bar": "baz",
            "hey": "you",
        }

    def test_left_lets_earlier_objects_win(self) -> None:
        objects = [{"cool": True, "hey": "there"}, {"@path": "foo"}]
        event = {"foo": {"bar": "baz", "hey": "you"}}
        assert run({"@merge": {"direction": "left", "objects": objects}}, event) == {
            "cool": True,
            "bar": "baz",
            "hey": "there",
        }

    def test_an_undefined_value_still_overrides_then_disappears(self) -> None:
        # Object.assign copies undefined values; Segment removes them only at the end.
        objects = [{"a": {"@path": "$.nope"}}, {"a": 1}]
        assert run({"@merge": {"direction": "left", "objects": objects}}) == {}

    def test_objects_that_resolve_to_non_objects_add_nothing(self) -> None:
        objects = [{"@path": "$.n"}, {"@path": "$.nope"}, {"a": 1}]
        assert run({"@merge": {"direction": "right", "objects": objects}}, {"n": 5}) == {"a": 1}


class TestTransform:
    def test_mapping_applies_to_the_result_of_apply(self) -> None:
        directive = {
            "@transform": {
                "apply": {"foo": {"@path": "$.a"}},
                "mapping": {"cool": {"@path": "$.foo"}},
            }
        }
        assert run(directive, {"a": 1, "b": 2}) == {"cool": 1}

    def test_composed_with_flatten(self) -> None:
        directive = {
            "@transform": {
                "apply": {
                    "properties": {
                        "@flatten": {"value": {"@path": "$.properties"}, "separator": "_"}
                    }
                },
                "mapping": {
                    "properties": {"@path": "$.properties"},
                    "topLevel": {"@path": "$.properties.nested_a"},
                },
            }
        }
        event = {
            "properties": {"test": "value", "another": "thing", "nested": {"a": "special", "b": 2}},
            "otherStuff": "foo",
        }
        assert run(directive, event) == {
            "properties": {
                "test": "value",
                "another": "thing",
                "nested_a": "special",
                "nested_b": 2,
            },
            "topLevel": "special",
        }


class TestExcludeWhenNull:
    def test_a_null_value_is_left_out(self) -> None:
        mapping = {
            "someFieldToExclude": {"@excludeWhenNull": {"@path": "$.foo.bar"}},
            "anotherField": {"@path": "$.foo.aces.a"},
        }
        assert run(mapping, {"foo": {"bar": None, "aces": {"a": 1}}}) == {"anotherField": 1}

    def test_nulls_inside_an_object_are_kept(self) -> None:
        mapping = {"neat": {"@excludeWhenNull": {"@path": "$.foo"}}}
        event = {"foo": {"bar": None, "aces": {"a": 1, "b": 2}}}
        assert run(mapping, event) == {"neat": {"bar": None, "aces": {"a": 1, "b": 2}}}

    def test_composed_with_every_kind_of_directive(self) -> None:
        def skip(directive: dict[str, Any]) -> dict[str, Any]:
            return {"@excludeWhenNull": directive}

        bar = {"@path": "$.foo.bar"}
        mapping = {
            "massive": {
                "pathNull": skip(bar),
                "templateEmpty": skip({"@template": "{{foo.bar}}"}),
                "literalNull": skip({"@literal": None}),
                "ifNull": skip(
                    {"@if": {"exists": {"@path": "$.foo.foobar"}, "then": 1, "else": None}}
                ),
                "caseNull": skip({"@case": {"operator": "upper", "value": bar}}),
                "replaceNull": skip(
                    {"@replace": {"pattern": "-", "replacement": "nice", "value": bar}}
                ),
                "jsonNull": skip({"@json": {"mode": "decode", "value": bar}}),
                "jsonNullEncode": skip({"@json": {"mode": "encode", "value": bar}}),
                "transformNull": skip(
                    {
                        "@transform": {
                            "apply": {"properties": bar},
                            "mapping": {"properties": skip({"@path": "$.properties"})},
                        }
                    }
                ),
                "transformValue": skip(
                    {
                        "@transform": {
                            "apply": {"properties": bar},
                            "mapping": {"properties": {"@path": "$.properties"}},
                        }
                    }
                ),
            }
        }
        assert run(mapping, {"foo": {"bar": None}}) == {
            "massive": {
                "templateEmpty": "",
                "replaceNull": "",
                "jsonNullEncode": "null",
                "transformNull": {},
                "transformValue": {"properties": None},
            }
        }


class TestLiquid:
    def test_text_without_tags(self) -> None:
        assert field({"@liquid": "test"}, {"properties": {"test": "abc"}}) == "test"

    def test_variables(self) -> None:
        event = {
            "properties": {"planet": {"country": {"city": "Bikini Bottom"}}, "name": "SpongeBob"},
            "traits": {"preferences": {"food": "Krabby Patty"}},
        }
        mapping = {
            "a": {"@liquid": "Hello, {{ properties.planet.country.city }}"},
            "b": {
                "@liquid": "this is {{ properties.name }}, I want a {{ traits.preferences.food }}"
            },
        }
        assert run(mapping, event) == {
            "a": "Hello, Bikini Bottom",
            "b": "this is SpongeBob, I want a Krabby Patty",
        }

    def test_tags_and_filters(self) -> None:
        template = (
            '{% if properties.world == "earth" %}Hello {{ properties.world | upcase }}'
            "{% else %} Hello World {% endif %}"
        )
        assert field({"@liquid": template}, {"properties": {"world": "earth"}}) == "Hello EARTH"
        assert field({"@liquid": template}, {"properties": {"world": "mars"}}) == " Hello World "

    def test_missing_variables_render_empty(self) -> None:
        assert field({"@liquid": "[{{ properties.nope }}]"}) == "[]"

    def test_an_empty_template_renders_empty(self) -> None:
        assert field({"@liquid": ""}) == ""

    def test_a_filter_failing_on_a_value_fails_for_that_event(self) -> None:
        compiled = compile_mapping(
            {"x": {"@liquid": "{{ properties.n | divided_by: properties.d }}"}}
        )
        assert compiled.evaluate({"properties": {"n": 6, "d": 3}}) == {"x": "2"}
        with pytest.raises(MappingError) as caught:
            compiled.evaluate({"properties": {"n": 6, "d": 0}})
        assert caught.value.errors[0].pointer == "/x/@liquid"
