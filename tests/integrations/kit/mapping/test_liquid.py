"""The `@liquid` sandbox: Segment's limits, disabled tags and filters, no file system."""

from __future__ import annotations

import pytest

from switchboard.integrations.kit.mapping import MappingError, compile_mapping
from switchboard.integrations.kit.mapping.liquid import (
    DISABLED_FILTERS,
    DISABLED_TAGS,
    MAX_OUTPUT_BYTES,
    LiquidTemplate,
    LiquidTemplateError,
)


def refusal(template: str) -> list[str]:
    with pytest.raises(MappingError) as caught:
        compile_mapping({"field": {"@liquid": template}})
    return caught.value.messages()


def test_templates_longer_than_1000_characters_are_refused() -> None:
    assert refusal("{{ properties.test }}" + "a" * 1001) == [
        "/field/@liquid liquid template values are limited to 1000 characters."
    ]
    compile_mapping({"field": {"@liquid": "a" * 1000}})


@pytest.mark.parametrize("tag", DISABLED_TAGS)
def test_disabled_tags(tag: str) -> None:
    assert refusal(f"{{% {tag} %}} , {{{{ properties.test }}}}") == [
        f'/field/@liquid tag "{tag}" is disabled.'
    ]


@pytest.mark.parametrize("name", DISABLED_FILTERS)
def test_disabled_filters(name: str) -> None:
    compiled = compile_mapping({"field": {"@liquid": f"{{{{ properties.test | {name} }}}}"}})
    with pytest.raises(MappingError) as caught:
        compiled.evaluate({"properties": {"test": "test"}})
    assert caught.value.messages() == [f'/field/@liquid filter "{name}" is disabled.']


def test_unknown_filters_are_ignored_as_liquidjs_does() -> None:
    compiled = compile_mapping({"field": {"@liquid": "{{ x | nope }}"}})
    assert compiled.evaluate({"x": "kept"}) == {"field": "kept"}


def test_bad_syntax_is_refused() -> None:
    assert refusal("{{ x ") == ["/field/@liquid expected '}}', found end of file."]


def test_output_is_bounded() -> None:
    # 900 characters of template can still ask for more output than a field should hold.
    assert MAX_OUTPUT_BYTES < 10**6
    template = LiquidTemplate(
        '{% capture a %}{{ "x" | append: "xxxxxxxxxx" }}{% endcapture %}'
        + "{{ a | append: a | append: a }}" * 20
    )
    assert len(template.render({})) == 20 * 33
    huge = LiquidTemplate("{{ s | append: s | append: s | append: s }}" * 20)
    with pytest.raises(LiquidTemplateError):
        huge.render({"s": "y" * 5000})


def test_assign_and_capture_work() -> None:
    template = LiquidTemplate(
        "{% assign n = traits.name | default: 'friend' %}"
        "{% capture g %}Hi {{ n }}{% endcapture %}{{ g }}"
    )
    assert template.render({"traits": {}}) == "Hi friend"
    assert template.render({"traits": {"name": "Ann"}}) == "Hi Ann"


def test_values_print_as_liquidjs_prints_them() -> None:
    template = LiquidTemplate("{{ p.whole }} {{ p.half }} {{ p.flag }} {{ p.list }} {{ p.obj }}")
    event = {"p": {"whole": 10.0, "half": 1.5, "flag": True, "list": [1, 2], "obj": {"a": 1}}}
    assert template.render(event) == "10 1.5 true 12 [object Object]"


def test_objects_are_still_readable_by_key() -> None:
    template = LiquidTemplate("{{ p.obj.a }} {{ p.obj['a'] }} {{ p.list | size }}")
    assert template.render({"p": {"obj": {"a": 1}, "list": [1, 2, 3]}}) == "1 1 3"
