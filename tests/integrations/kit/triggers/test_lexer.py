"""Tokens, and the lexer's refusals with their positions (fql-ts's rules)."""

from __future__ import annotations

import pytest

from switchboard.integrations.kit.triggers import TriggerSyntaxError
from switchboard.integrations.kit.triggers.lexer import lex


def kinds(text: str) -> list[tuple[str, str]]:
    return [(token.kind, token.value) for token in lex(text)]


def test_a_condition() -> None:
    assert kinds('type = "track"') == [
        ("ident", "type"),
        ("operator", "="),
        ("string", '"track"'),
        ("eos", "eos"),
    ]


def test_dotted_paths_become_one_identifier() -> None:
    assert kinds("context.page.url != null")[:3] == [
        ("ident", "context.page.url"),
        ("operator", "!="),
        ("null", "null"),
    ]


def test_keywords_need_a_terminator_after_them() -> None:
    assert kinds("a and b or c")[1::2][:2] == [("conditional", "and"), ("conditional", "or")]
    assert kinds("android = 1")[0] == ("ident", "android")
    assert kinds("nullable = 1")[0] == ("ident", "nullable")
    assert kinds("(x = 1 or(")[4] == ("ident", "or")


def test_two_character_operators_need_a_terminator_after_them() -> None:
    assert [token.value for token in lex("a >= 5")] == ["a", ">=", "5", "eos"]
    assert [token.value for token in lex("a >=5")] == ["a", ">", "=", "5", "eos"]
    assert [token.value for token in lex("a <= 5 and b < 2 and c > 1")][1::4] == ["<=", "<", ">"]


def test_numbers() -> None:
    assert kinds("1 -2 +3 4.5")[:4] == [
        ("number", "1"),
        ("number", "-2"),
        ("number", "+3"),
        ("number", "4.5"),
    ]


def test_strings_keep_their_quotes_and_have_no_escapes() -> None:
    assert kinds("'single' \"dou\\ble\"")[:2] == [
        ("string", "'single'"),
        ("string", '"dou\\ble"'),
    ]


def test_negation_before_a_function() -> None:
    assert kinds('!contains(event, "x")')[:3] == [
        ("operator", "!"),
        ("ident", "contains"),
        ("parenleft", "("),
    ]


def test_token_positions() -> None:
    assert [token.start for token in lex('type = "a" and x.y != 2')] == [
        0,
        5,
        7,
        11,
        15,
        19,
        22,
        23,
    ]


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ('type * "32456"', 'invalid character "*"', 5),
        ("event = @x", 'invalid character "@"', 8),
        ("properties.price>=100", "expected termination character after identifier, got >", 16),
        ('event = "Order', "unterminated string", 8),
        ('event = "a"b', "unterminated string", 10),
        ("x ! y", "expected '=' after '!', got ' '", 2),
        ("x != 1.", "unexpected terminator after decimal point", 6),
        ("x = 1.2.3", "multiple decimal points in one number", 7),
        ("x = 1\r", 'invalid character "\r"', 5),
    ],
)
def test_refusals_say_where(text: str, message: str, position: int) -> None:
    with pytest.raises(TriggerSyntaxError) as caught:
        lex(text)
    assert (caught.value.message, caught.value.position) == (message, position)
    assert str(caught.value) == f"{message} at position {position}"


def test_a_backslash_in_an_identifier_takes_the_next_character() -> None:
    assert kinds("properties.a\\ b\\=c = 1")[0] == ("ident", "properties.a b=c")
    with pytest.raises(TriggerSyntaxError) as caught:
        lex("properties.x\\")
    assert caught.value.message == "expected character after escape character, got EOS"
