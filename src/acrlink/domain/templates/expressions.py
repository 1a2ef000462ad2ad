"""The grammar of ARM template expressions: ``"[concat(parameters('a'), '-x')[0].name]"``.

A JSON string is an expression when it starts with ``[`` and ends with ``]`` and does not start with
``[[``; ``[[...]`` is the escape for a literal string that starts with ``[`` (one ``[`` is dropped).

Inside the brackets::

    expression := primary ( '.' identifier | '[' expression ']' )*
    primary    := string | integer | name '(' [ expression ( ',' expression )* ] ')'
    name       := identifier [ '.' identifier ]        (the second form: a namespaced user function)
    string     := "'" ( any character but "'" | "''" )* "'"
    integer    := [ '-' ] digit+

Whitespace may stand between tokens. There are no boolean or null literals: ``true()``, ``false()`` and
``null()`` are functions. Function names are case-insensitive (``Call.key`` is the lower-case name).

Errors raise ``BadRequest("InvalidTemplate", ...)``. Positions in messages are zero-based offsets into the
expression as quoted in the message, which is the text between the outer brackets (GUESS: ARM's exact
wording and position base are UNCONFIRMED; the templates are in ``acrlink.unconfirmed``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from acrlink import unconfirmed
from acrlink.errors import BadRequest

__all__ = [
    "MAX_EXPRESSION_LENGTH",
    "Call",
    "Index",
    "Literal",
    "Member",
    "Node",
    "is_expression",
    "iter_calls",
    "literal",
    "parse",
]

MAX_EXPRESSION_LENGTH = 24_576


@dataclass(frozen=True, slots=True)
class Literal:
    """A string (``''`` already unescaped) or integer literal at ``pos``."""

    value: str | int
    pos: int


@dataclass(frozen=True, slots=True)
class Call:
    """``name(args...)``; ``name`` as written, ``key`` its lower-case form used for lookup."""

    name: str
    args: tuple[Node, ...]
    pos: int
    key: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.name.lower())


@dataclass(frozen=True, slots=True)
class Member:
    """``target.name``."""

    target: Node
    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Index:
    """``target[index]``."""

    target: Node
    index: Node
    pos: int


Node = Literal | Call | Member | Index


def is_expression(s: str) -> bool:
    """True when the JSON string ``s`` is a template expression (``[...]`` but not ``[[...``)."""
    return len(s) >= 2 and s[0] == "[" and s[-1] == "]" and s[1] != "["


def literal(s: str) -> str:
    """The literal value of a JSON string that is not an expression: ``[[x]`` becomes ``[x]``."""
    if s.startswith("[[") and s.endswith("]"):
        return s[1:]
    return s


def iter_calls(node: Node) -> Iterator[Call]:
    """Every function call in ``node``, depth first, outer before inner, left to right."""
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Call):
            yield n
            stack.extend(reversed(n.args))
        elif isinstance(n, Member):
            stack.append(n.target)
        elif isinstance(n, Index):
            stack.append(n.index)
            stack.append(n.target)


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<String>'(?:[^']|'')*')
     |(?P<Integer>-?\d+)
     |(?P<Identifier>[A-Za-z_$][\w$]*)
     |(?P<LeftParenthesis>\()
     |(?P<RightParenthesis>\))
     |(?P<LeftSquareBracket>\[)
     |(?P<RightSquareBracket>\])
     |(?P<Comma>,)
     |(?P<Dot>\.)
    )""",
    re.VERBOSE,
)
_END = "EndOfData"


def _tokens(expr: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    i, n = 0, len(expr)
    while True:
        while i < n and expr[i].isspace():
            i += 1
        if i >= n:
            out.append((_END, "", n))
            return out
        m = _TOKEN.match(expr, i)
        if m is None or m.lastgroup is None:
            raise BadRequest(
                "InvalidTemplate", unconfirmed.EXPRESSION_UNEXPECTED_CHARACTER.format(expr=expr, char=expr[i], pos=i)
            )
        kind = m.lastgroup
        out.append((kind, m.group(kind), m.start(kind)))
        i = m.end()


class _Parser:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.toks = _tokens(expr)
        self.k = 0

    def peek(self) -> str:
        return self.toks[self.k][0]

    def take(self, kind: str) -> tuple[str, str, int]:
        tok = self.toks[self.k]
        if tok[0] != kind:
            raise BadRequest(
                "InvalidTemplate",
                unconfirmed.EXPRESSION_UNEXPECTED_TOKEN.format(expr=self.expr, expected=kind, actual=tok[0]),
            )
        self.k += 1
        return tok

    def expression(self, depth: int = 0) -> Node:
        if depth > 200:
            raise BadRequest("InvalidTemplate", unconfirmed.EXPRESSION_TOO_DEEP.format(expr=self.expr))
        node = self.primary(depth)
        while True:
            kind = self.peek()
            if kind == "Dot":
                pos = self.take("Dot")[2]
                name = self.take("Identifier")[1]
                node = Member(node, name, pos)
            elif kind == "LeftSquareBracket":
                pos = self.take("LeftSquareBracket")[2]
                index = self.expression(depth + 1)
                self.take("RightSquareBracket")
                node = Index(node, index, pos)
            else:
                return node

    def primary(self, depth: int) -> Node:
        kind, text, pos = self.toks[self.k]
        if kind == "String":
            self.k += 1
            return Literal(text[1:-1].replace("''", "'"), pos)
        if kind == "Integer":
            self.k += 1
            return Literal(int(text), pos)
        name = self.take("Identifier")[1]
        if self.peek() == "Dot" and self.toks[self.k + 1][0] == "Identifier":
            self.k += 1
            name += "." + self.take("Identifier")[1]
        self.take("LeftParenthesis")
        args: list[Node] = []
        if self.peek() != "RightParenthesis":
            args.append(self.expression(depth + 1))
            while self.peek() == "Comma":
                self.k += 1
                args.append(self.expression(depth + 1))
        self.take("RightParenthesis")
        return Call(name, tuple(args), pos)


@functools.lru_cache(maxsize=16_384)
def parse(text: str) -> Node:
    """The syntax tree of the expression string ``text`` (the whole JSON string, brackets included).

    Cached by text: trees are immutable, and a copy loop evaluates the same strings for every instance.
    Raises InvalidTemplate on a syntax error or an expression longer than 24,576 characters.
    """
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise BadRequest(
            "InvalidTemplate", unconfirmed.EXPRESSION_TOO_LONG.format(limit=MAX_EXPRESSION_LENGTH, actual=len(text))
        )
    if not is_expression(text):
        raise BadRequest("InvalidTemplate", f"The string '{text}' is not a template language expression.")
    parser = _Parser(text[1:-1])
    node = parser.expression()
    parser.take(_END)
    return node
