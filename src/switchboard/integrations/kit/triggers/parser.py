"""Segment's subscription parser (destination-subscriptions' `parse-fql.ts`), quirks included.

The grammar is Segment's, and unusual:

- A level of the trigger is a flat list of conditions joined by ONE operator: the last
  `and`/`or` seen at that level. `a and b or c` is `or(a, b, c)`, not `(a and b) or c`.
- Parentheses make a sub-level, but they do not nest: a group ends at the first `)`, so a
  `(` inside parentheses is refused (Segment fails on it too). A `)` with no `(` is ignored.
- Tokens that start no condition are skipped: `type = "track" "x"` is `type = "track"`,
  `!type = "a"` is `type = "a"` (`!` only negates `contains(…)` and `match(…)`).
- A condition is a field, then any token as the operator, then any token as the value:
  `type = ` compares with the text "eos", `event = null` with the text "null".
- `field = null` is "not exists", `field != null` "exists", `field = true`/`false` "is
  true"/"is false", for `userId` and the `properties.`/`traits.`/`context.` fields only.
- `match(field, "Order*")` is "starts with", any other pattern "ends with" what follows its
  first character (`"*Completed"`), and single-quoted strings keep their quotes.
- `contains`/`match` on a field other than `event`, `name`, `userId` and the three path
  prefixes are dropped silently.

Refused with a TriggerSyntaxError that gives the position: anything the lexer refuses, a
field with no operator or value, `contains`/`match` without two arguments, an unclosed or
nested `(`, and a trigger (or a pair of parentheses) with no condition in it. Segment
accepts the last one when other conditions surround it, then fails when the empty group
is reached during matching; refusing it up front is the one deliberate difference.
"""

from __future__ import annotations

from collections import deque
from typing import Final

from switchboard.integrations.kit.js import to_number, to_string
from switchboard.integrations.kit.triggers.conditions import Condition, Group, Value
from switchboard.integrations.kit.triggers.errors import TriggerSyntaxError
from switchboard.integrations.kit.triggers.lexer import Token, lex

_FIELDS: Final = {
    "type": "event-type",
    "event": "event",
    "name": "name",
    "userId": "userId",
    "context": "event-context",
    "properties": "event-property",
    "traits": "event-trait",
}
_PREFIXES: Final = (
    ("properties", "event-property"),
    ("traits", "event-trait"),
    ("context", "event-context"),
)
_FUNCTIONS: Final = ("contains", "match")


def _token_value(token: Token) -> Value:
    """parse-fql's `getTokenValue`: strings lose their double quotes, numbers are numbers."""
    if token.kind == "string":
        text = token.value
        text = text[1:] if text.startswith('"') else text
        return text[:-1] if text.endswith('"') else text
    if token.kind == "number":
        number = to_number(token.value)
        # Whole numbers read back as ints (`100`, not `100.0`) where a float holds them exactly.
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if token.kind == "ident" and token.value in ("true", "false"):
        return token.value == "true"
    return token.value


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) + 1 :] if path.startswith(prefix + ".") else path


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text

    def end(self) -> int:
        return len(self.text)

    def condition(self, field: Token, tokens: deque[Token]) -> Condition:
        kind = _FIELDS[field.value.split(".")[0]]
        if not tokens:
            raise TriggerSyntaxError("Operator token is missing", self.end())
        operator = tokens.popleft()
        if not tokens:
            raise TriggerSyntaxError("Value token is missing", self.end())
        value = tokens.popleft()
        op = operator.value
        if kind in ("event", "event-type", "name"):
            return Condition(kind, op, to_string(_token_value(value)))
        special = None
        if op == "!=" and value.value == "null":
            special = "exists"
        elif op == "=" and value.value == "null":
            special = "not_exists"
        elif op == "=" and value.value == "true":
            special = "is_true"
        elif op == "=" and value.value == "false":
            special = "is_false"
        if kind == "userId":
            if special is not None:
                return Condition(kind, special)
            return Condition(kind, op, to_string(_token_value(value)))
        prefix = next(p for p, k in _PREFIXES if k == kind)
        name = _strip_prefix(field.value, prefix)
        if special is not None:
            return Condition(kind, special, name=name)
        return Condition(kind, op, _token_value(value), name=name)

    def function(self, name: Token, tokens: deque[Token], *, negate: bool) -> Condition | None:
        function = name.value
        if tokens:
            tokens.popleft()  # "(" (whatever it is, as in Segment)
        if not tokens:
            raise TriggerSyntaxError(f"{function}() is missing a 1st argument", name.start)
        field = tokens.popleft()
        if tokens:
            tokens.popleft()  # ","
        if not tokens:
            raise TriggerSyntaxError(f"{function}() is missing a 2nd argument", name.start)
        argument = tokens.popleft()
        if tokens:
            tokens.popleft()  # ")"
        text = to_string(_token_value(argument))
        if function == "contains":
            operator = "not_contains" if negate else "contains"
        elif argument.value.endswith('*"'):
            operator, text = ("not_starts_with" if negate else "starts_with"), text[:-1]
        else:
            operator, text = ("not_ends_with" if negate else "ends_with"), text[1:]
        if field.value in ("event", "name", "userId"):
            return Condition(field.value, operator, text)
        for prefix, kind in _PREFIXES:
            if field.value.startswith(prefix):
                return Condition(kind, operator, text, name=_strip_prefix(field.value, prefix))
        return None

    def level(self, tokens: deque[Token], *, nested: bool) -> Group | Condition | None:
        nodes: list[Group | Condition] = []
        operator = "and"
        while tokens and tokens[0].kind != "eos":
            token = tokens.popleft()
            if token.kind == "ident":
                if token.value.split(".")[0] in _FIELDS:
                    nodes.append(self.condition(token, tokens))
                if token.value in _FUNCTIONS:
                    found = self.function(token, tokens, negate=False)
                    if found is not None:
                        nodes.append(found)
            elif token.kind == "operator" and token.value == "!":
                if tokens and tokens[0].kind == "ident" and tokens[0].value in _FUNCTIONS:
                    found = self.function(tokens.popleft(), tokens, negate=True)
                    if found is not None:
                        nodes.append(found)
            elif token.kind == "parenleft":
                nodes.append(self.group(token, tokens, nested=nested))
            elif token.kind == "conditional":
                operator = token.value
        if len(nodes) > 1:
            return Group(operator, tuple(nodes))
        return nodes[0] if nodes else None

    def group(self, opening: Token, tokens: deque[Token], *, nested: bool) -> Group | Condition:
        if nested:
            raise TriggerSyntaxError("parentheses cannot be nested", opening.start)
        inner: deque[Token] = deque()
        while True:
            if not tokens or tokens[0].kind == "eos":
                raise TriggerSyntaxError("unclosed parenthesis", opening.start)
            token = tokens.popleft()
            if token.kind == "parenright":
                inner.append(Token("eos", "eos", token.start))
                break
            inner.append(token)
        found = self.level(inner, nested=True)
        if found is None:
            raise TriggerSyntaxError("no condition inside the parentheses", opening.start)
        return found


def parse(text: str) -> Group:
    """The condition tree of a trigger, always a group at its root.

    Raises TriggerSyntaxError for a trigger Segment refuses, with the position.
    """
    parser = _Parser(text)
    found = parser.level(deque(lex(text)), nested=False)
    if found is None:
        raise TriggerSyntaxError("no condition found", 0)
    return found if isinstance(found, Group) else Group("and", (found,))
