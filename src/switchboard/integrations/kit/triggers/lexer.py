"""Tokens of a trigger, as Segment's FQL lexer (`@segment/fql-ts`) cuts them.

The lexer's rules are followed exactly, because they decide which triggers Segment accepts:
an identifier must be followed by a space, `.`, `(`, `)`, `,`, `]`, `=` or `!` (so
`properties.price>=100` is refused while `properties.price >= 100` is not); `>=` and `<=` are
one operator only when a terminator follows them (`a >=5` lexes `>`, `=`, `5`); `and`, `or`
and `null` are keywords only when a terminator follows; strings run to the same quote, with no
escapes; numbers are digits with at most one decimal point, optionally signed. Inside an
identifier a backslash takes the next character as it is (`properties.product\\ 1.price`
is the path `product 1`, `price`), which is how Segment's generator writes such names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from switchboard.integrations.kit.triggers.errors import TriggerSyntaxError

MAX_LITERAL_LENGTH: Final = 100_000
"""fql-ts's bound on one identifier, number or string (its guard against runaway input)."""

_EOS: Final = ""
_WHITESPACE: Final = frozenset(" \t\n")
_TERMINATORS: Final = frozenset(" \t\n,])")
_AFTER_IDENT: Final = _TERMINATORS | frozenset(".(=!")
_PUNCTUATION: Final = {
    ".": "dot",
    "[": "brackleft",
    "]": "brackright",
    ",": "comma",
    "(": "parenleft",
    ")": "parenright",
}


@dataclass(frozen=True, slots=True)
class Token:
    """A token: its kind (fql-ts's names), its text, and where it starts in the trigger."""

    kind: str
    value: str
    start: int


def _alpha(char: str) -> bool:
    return char != _EOS and char.isascii() and char.isalpha()


def _digit(char: str) -> bool:
    return char != _EOS and char in "0123456789"


def _ident_char(char: str) -> bool:
    return _alpha(char) or _digit(char) or char in ("_", "-", "\\")


def _terminator(char: str) -> bool:
    return char == _EOS or char in _TERMINATORS


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else _EOS

    def next(self) -> str:
        char = self.peek()
        if char != _EOS:
            self.pos += 1
        return char

    def accept(self, expected: str) -> bool:
        """Consume `expected` if it comes next and is followed by a terminator."""
        consumed = ""
        for _ in expected:
            char = self.next()
            if char == _EOS:
                # fql-ts gives up here without stepping back over what it read.
                return False
            consumed += char
            if _terminator(char):
                break
        if consumed == expected and _terminator(self.peek()):
            return True
        self.pos -= len(consumed)
        return False

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        while True:
            start = self.pos
            char = self.next()
            if char == _EOS:
                out.append(Token("eos", "eos", start))
                return out
            if char in _WHITESPACE:
                continue
            if char == "!" and (_alpha(self.peek()) or self.peek() == "("):
                out.append(Token("operator", "!", start))
            elif _alpha(char) or char in "!=<>_":
                out.append(self.operator_or_word(char, start))
            elif _digit(char) or char in "-+":
                out.append(self.number(char, start))
            elif char in "\"'":
                out.append(self.string(char, start))
            elif char in _PUNCTUATION:
                out.append(Token(_PUNCTUATION[char], char, start))
            else:
                raise TriggerSyntaxError(f'invalid character "{char}"', start)

    def operator_or_word(self, first: str, start: int) -> Token:
        if first == "=":
            return Token("operator", "=", start)
        if first == "!":
            if self.accept("="):
                return Token("operator", "!=", start)
            raise TriggerSyntaxError(f"expected '=' after '!', got '{self.peek()}'", start)
        if first in "<>":
            return Token("operator", first + "=" if self.accept("=") else first, start)
        keywords = {"a": ("nd", "conditional", "and"), "o": ("r", "conditional", "or")}
        keywords["n"] = ("ull", "null", "null")
        keyword = keywords.get(first)
        if keyword is not None and self.accept(keyword[0]):
            return Token(keyword[1], keyword[2], start)
        return self.identifier(first, start)

    def identifier(self, first: str, start: int) -> Token:
        text = first
        while _ident_char(self.peek()):
            char = self.next()
            if char == "\\":
                if self.peek() == _EOS:
                    raise TriggerSyntaxError(
                        "expected character after escape character, got EOS", self.pos
                    )
                char = self.next()
            text += char
            if len(text) > MAX_LITERAL_LENGTH:
                raise TriggerSyntaxError("unreasonable literal length", start)
        following = self.peek()
        if following != _EOS and following not in _AFTER_IDENT:
            raise TriggerSyntaxError(
                f"expected termination character after identifier, got {following}", self.pos
            )
        return Token("ident", text, start)

    def number(self, first: str, start: int) -> Token:
        text = first
        decimal = False
        while _digit(self.peek()) or self.peek() == ".":
            point = self.pos
            char = self.next()
            text += char
            if char == ".":
                if _terminator(self.peek()):
                    raise TriggerSyntaxError("unexpected terminator after decimal point", point)
                if decimal:
                    raise TriggerSyntaxError("multiple decimal points in one number", point)
                decimal = True
            if len(text) > MAX_LITERAL_LENGTH:
                raise TriggerSyntaxError("unreasonable number length", start)
        return Token("number", text, start)

    def string(self, quote: str, start: int) -> Token:
        text = ""
        while self.peek() != quote:
            char = self.next()
            if char == _EOS:
                raise TriggerSyntaxError("unterminated string", start)
            text += char
            if len(text) >= MAX_LITERAL_LENGTH:
                raise TriggerSyntaxError("unreasonable string length", start)
        # The closing quote is taken only when a terminator follows it; otherwise fql-ts
        # leaves it, and it opens the next string (`"a"b` ends as an unterminated string).
        self.accept(quote)
        return Token("string", f"{quote}{text}{quote}", start)


def _join_dotted(tokens: list[Token]) -> list[Token]:
    """fql-ts's normalisation: `ident . ident` becomes one identifier (`properties.price`)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        current = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        last = out[-1] if out else None
        if (
            last is not None
            and last.kind == "ident"
            and current.kind == "dot"
            and following is not None
            and following.kind == "ident"
        ):
            out[-1] = Token("ident", f"{last.value}.{following.value}", last.start)
            i += 2
        else:
            out.append(current)
            i += 1
    return out


def lex(text: str) -> list[Token]:
    """The trigger's tokens, dotted paths joined, ending with an "eos" token.

    Raises TriggerSyntaxError where fql-ts's lexer fails.
    """
    return _join_dotted(_Lexer(text).tokens())
