"""Azure ABAC role-assignment conditions (``conditionVersion`` 2.0), as Azure Container Registry uses them: parse
a condition once, evaluate it for each request.

The syntax follows https://learn.microsoft.com/azure/role-based-access-control/conditions-format and the ACR
examples of https://learn.microsoft.com/azure/container-registry/container-registry-rbac-abac-repository-permissions:

- expressions joined by ``AND`` / ``&&`` and ``OR`` / ``||`` (keywords case-insensitive), negated by ``NOT`` / ``!``,
  grouped by parentheses. The format page says three or more expressions mixing AND and OR *must* be
  parenthesised (``a AND b OR c`` is not a condition), so a level that mixes them is refused;
- ``ActionMatches{'pattern'}`` (the pattern matched as a role's action pattern is, ``*`` wildcards,
  case-insensitive) and ``SubOperationMatches{'name'}`` (true only when the request names that sub-operation);
- comparisons ``@Source[attribute] Operator 'value'`` with sources ``Resource``, ``Request``, ``Principal``,
  ``Environment`` and the string operators StringEquals, StringNotEquals, StringStartsWith, StringNotStartsWith,
  StringLike, StringNotLike, each also ``...IgnoreCase``. Like patterns take ``*`` (any run of characters) and ``?``
  (one character), ``\\*`` and ``\\?`` being literal. The cross-product prefixes ``ForAnyOfAnyValues:``,
  ``ForAllOfAnyValues:``, ``ForAnyOfAllValues:`` and ``ForAllOfAllValues:`` take value lists ``{'a', 'b'}`` on
  either side; a list with a plain operator is refused, as are the Numeric/Bool/Guid/DateTime operators;
- values are single-quoted; whitespace and newlines may appear between any two tokens.

An attribute the request does not carry makes its comparison false, whatever the operator (Azure: a missing
attribute fails the comparison). Errors are ``ConditionError`` with the 0-based ``offset`` of the fault; the
message names it as a 1-based character number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from acrlink import unconfirmed
from acrlink.domain.rbac import matches

CONDITION_VERSION = "2.0"
"""The only ``conditionVersion`` Azure accepts."""

MAX_DEPTH = 64
"""acrlink's own limit on nesting (parentheses and negations), so that no input exhausts the stack."""

ACR_REPOSITORY_NAME = "Microsoft.ContainerRegistry/registries/repositories:name"
"""The one attribute an ACR condition may test: the repository the request is about."""

ACR_REPOSITORY_ACTIONS = tuple(
    f"Microsoft.ContainerRegistry/registries/repositories/{part}/{verb}"
    for part in ("content", "metadata")
    for verb in ("read", "write", "delete")
)
"""The data actions of the ABAC-enabled Repository roles, which an ACR condition may target."""

Source = Literal["Resource", "Request", "Principal", "Environment"]
SOURCES: dict[str, Source] = {
    "resource": "Resource",
    "request": "Request",
    "principal": "Principal",
    "environment": "Environment",
}

STRING_OPERATORS = (
    "StringEquals",
    "StringNotEquals",
    "StringStartsWith",
    "StringNotStartsWith",
    "StringLike",
    "StringNotLike",
)
_OPERATORS = {name.lower(): name for base in STRING_OPERATORS for name in (base, base + "IgnoreCase")}
QUANTIFIERS = ("ForAnyOfAnyValues", "ForAllOfAnyValues", "ForAnyOfAllValues", "ForAllOfAllValues")
_QUANTIFIERS = {q.lower(): q for q in QUANTIFIERS}
_OTHER_OPERATOR = re.compile(r"^(Numeric|Bool|Guid|DateTime|Date|Time|Ip|Exists|NotExists|Hierarchical)", re.IGNORECASE)


class ConditionError(ValueError):
    """A condition that does not parse or that the target service does not support. ``offset`` is the 0-based
    index in the text where the fault is."""

    def __init__(self, problem: str, offset: int) -> None:
        super().__init__(f"{problem} at character {offset + 1}")
        self.problem = problem
        self.offset = offset


# The tree ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    """``@Source[name]`` in a condition: the value the request carries under that name, or nothing (a comparison with a
    missing attribute is false)."""

    source: Source
    name: str
    offset: int


@dataclass(frozen=True)
class Values:
    """A quoted value or a value list, as written."""

    items: tuple[str, ...]
    is_list: bool
    offset: int


@dataclass(frozen=True)
class Comparison:
    """``left Operator right``: true when the string operator holds, across value lists as the quantifier says; false
    when the attribute is missing."""

    left: Attribute | Values
    operator: str
    """Canonical spelling, ``StringStartsWithIgnoreCase``."""
    quantifier: str | None
    """``ForAnyOfAnyValues`` ... or None."""
    right: Values
    offset: int


@dataclass(frozen=True)
class ActionMatches:
    """``ActionMatches{'pattern'}``: true when the requested action matches the pattern as a role's action pattern does
    (``*`` wildcards, any casing)."""

    pattern: str
    offset: int


@dataclass(frozen=True)
class SubOperationMatches:
    """``SubOperationMatches{'name'}``: true only when the request names that sub-operation."""

    name: str
    offset: int


@dataclass(frozen=True)
class Not:
    """``NOT`` / ``!``: true when its operand is false."""

    operand: Node


@dataclass(frozen=True)
class Junction:
    """``AND`` (``all_of``) or ``OR`` of two or more operands."""

    all_of: bool
    operands: tuple[Node, ...]


Node = Comparison | ActionMatches | SubOperationMatches | Not | Junction


@dataclass(frozen=True)
class Context:
    """What one request offers a condition."""

    action: str
    request: Mapping[str, str]
    resource: Mapping[str, str]
    principal: Mapping[str, str]
    environment: Mapping[str, str]
    sub_operation: str | None


@dataclass(frozen=True)
class Condition:
    """A parsed condition."""

    text: str
    root: Node

    def evaluate(
        self,
        action: str,
        request: Mapping[str, str],
        resource: Mapping[str, str],
        *,
        principal: Mapping[str, str] | None = None,
        environment: Mapping[str, str] | None = None,
        sub_operation: str | None = None,
    ) -> bool:
        """Whether the condition holds for ``action`` with these attributes (keyed by attribute name, such as
        ``Microsoft.ContainerRegistry/registries/repositories:name``, compared case-insensitively)."""
        context = Context(action, request, resource, principal or {}, environment or {}, sub_operation)
        return _evaluate(self.root, context)

    def nodes(self) -> Iterator[Node]:
        """Every node of the tree, depth first."""
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            yield node
            if isinstance(node, Not):
                stack.append(node.operand)
            elif isinstance(node, Junction):
                stack.extend(reversed(node.operands))

    def attributes(self) -> tuple[Attribute, ...]:
        """The attributes the condition tests."""
        found: list[Attribute] = []
        for node in self.nodes():
            if isinstance(node, Comparison):
                found.extend(side for side in (node.left, node.right) if isinstance(side, Attribute))
        return tuple(found)

    def action_patterns(self) -> tuple[ActionMatches, ...]:
        """The ``ActionMatches`` the condition targets."""
        return tuple(node for node in self.nodes() if isinstance(node, ActionMatches))


# Evaluation ----------------------------------------------------------------------------------------------------


def _lookup(attribute: Attribute, context: Context) -> str | None:
    mapping = {
        "Resource": context.resource,
        "Request": context.request,
        "Principal": context.principal,
        "Environment": context.environment,
    }[attribute.source]
    if attribute.name in mapping:
        return mapping[attribute.name]
    wanted = attribute.name.casefold()
    return next((value for key, value in mapping.items() if key.casefold() == wanted), None)


@lru_cache(maxsize=1024)
def _like(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*?":
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        i += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _compare(operator: str, value: str, wanted: str) -> bool:
    """One string comparison; a Not operator is the negation of its positive form."""
    ignore_case = operator.endswith("IgnoreCase")
    base = operator.removesuffix("IgnoreCase")
    negated = base.startswith("StringNot")
    kind = base.removeprefix("StringNot" if negated else "String")
    if kind == "Like":
        result = _like(wanted, ignore_case).fullmatch(value) is not None
    else:
        a, b = (value.casefold(), wanted.casefold()) if ignore_case else (value, wanted)
        result = a == b if kind == "Equals" else a.startswith(b)
    return result != negated


def _evaluate(node: Node, context: Context) -> bool:
    if isinstance(node, Junction):
        if node.all_of:
            return all(_evaluate(operand, context) for operand in node.operands)
        return any(_evaluate(operand, context) for operand in node.operands)
    if isinstance(node, Not):
        return not _evaluate(node.operand, context)
    if isinstance(node, ActionMatches):
        return matches(node.pattern, context.action)
    if isinstance(node, SubOperationMatches):
        return context.sub_operation is not None and context.sub_operation.casefold() == node.name.casefold()
    return _evaluate_comparison(node, context)


def _evaluate_comparison(node: Comparison, context: Context) -> bool:
    if isinstance(node.left, Attribute):
        value = _lookup(node.left, context)
        if value is None:
            return False
        left: tuple[str, ...] = (value,)
    else:
        left = node.left.items
    right = node.right.items
    quantifier = node.quantifier or "ForAnyOfAnyValues"
    left_all = quantifier.startswith("ForAllOf")
    right_all = quantifier.endswith("AllValues")

    def holds(item: str) -> bool:
        tests = (_compare(node.operator, item, wanted) for wanted in right)
        return all(tests) if right_all else any(tests)

    return all(holds(item) for item in left) if left_all else any(holds(item) for item in left)


# Parsing -------------------------------------------------------------------------------------------------------

TokenKind = Literal["word", "string", "attr", "sym", "end"]


@dataclass(frozen=True)
class _Token:
    kind: TokenKind
    text: str
    """For a word or symbol, as written; for a string, its value; for an attribute, ``Source\\x00name``."""
    offset: int


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z_][A-Za-z0-9_]*)?")
_ATTRIBUTE = re.compile(r"@([A-Za-z]+)\[")
_SYMBOLS = ("&&", "||", "(", ")", "{", "}", ",", "!")


def _tokens(text: str) -> list[_Token]:
    """The condition's tokens, ending with an ``end`` token; whitespace (newlines too) separates and is dropped."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char == "'":
            value, end = _string(text, i)
            tokens.append(_Token("string", value, i))
            i = end
            continue
        if char == "@":
            token, i = _attribute(text, i)
            tokens.append(token)
            continue
        symbol = next((s for s in _SYMBOLS if text.startswith(s, i)), None)
        if symbol is not None:
            tokens.append(_Token("sym", symbol, i))
            i += len(symbol)
            continue
        word = _WORD.match(text, i)
        if word is None:
            raise ConditionError(f"unexpected character {char!r}", i)
        tokens.append(_Token("word", word.group(), i))
        i = word.end()
    tokens.append(_Token("end", "", n))
    return tokens


def _string(text: str, start: int) -> tuple[str, int]:
    """The value of the quoted string opening at ``start`` and the index after its closing quote."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and unconfirmed.ABAC_BACKSLASH_QUOTE_ESCAPE and text.startswith("'", i + 1):
            out.append("'")
            i += 2
            continue
        if char == "'":
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise ConditionError("unterminated string", start)


def _attribute(text: str, start: int) -> tuple[_Token, int]:
    """The attribute token opening at ``start`` and the index after its ``]``."""
    match = _ATTRIBUTE.match(text, start)
    if match is None:
        raise ConditionError("an attribute is @Source[name]", start)
    source = SOURCES.get(match.group(1).lower())
    if source is None:
        raise ConditionError(
            f"unknown attribute source {match.group(1)!r} (Resource, Request, Principal or Environment)", start
        )
    close = text.find("]", match.end())
    if close < 0:
        raise ConditionError("unterminated attribute (no ']')", start)
    name = text[match.end() : close].strip()
    if not name:
        raise ConditionError("empty attribute name", start)
    if any(c in name for c in "[@'\n"):
        raise ConditionError(f"malformed attribute name {name!r}", match.end())
    return _Token("attr", f"{source}\x00{name}", start), close + 1


class _Parser:
    """Recursive descent over the tokens: expression := unary ((AND|OR) unary)*, unary := NOT unary | ( expression )
    | ActionMatches{...} | SubOperationMatches{...} | operand operator operand."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def advance(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def at_end(self) -> bool:
        return self.token.kind == "end"

    def is_sym(self, symbol: str) -> bool:
        return self.token.kind == "sym" and self.token.text == symbol

    def is_word(self, *words: str) -> bool:
        return self.token.kind == "word" and self.token.text.upper() in words

    def expect_sym(self, symbol: str, what: str) -> _Token:
        if not self.is_sym(symbol):
            raise ConditionError(f"expected {what}, found {self.describe()}", self.token.offset)
        return self.advance()

    def describe(self) -> str:
        token = self.token
        if token.kind == "end":
            return "the end of the condition"
        if token.kind == "string":
            return f"the string '{token.text}'"
        if token.kind == "attr":
            return "an attribute"
        return repr(token.text)

    def parse(self) -> Node:
        if self.at_end():
            raise ConditionError("empty condition", 0)
        node = self.expression()
        if not self.at_end():
            if self.is_sym(")"):
                raise ConditionError("unbalanced ')'", self.token.offset)
            raise ConditionError(f"{self.describe()} after a complete expression", self.token.offset)
        return node

    def expression(self) -> Node:
        operands = [self.unary()]
        joiner: bool | None = None
        joiner_offset = 0
        while True:
            if self.is_word("AND") or self.is_sym("&&"):
                all_of = True
            elif self.is_word("OR") or self.is_sym("||"):
                all_of = False
            else:
                break
            offset = self.advance().offset
            if joiner is None:
                joiner, joiner_offset = all_of, offset
            elif joiner != all_of:
                raise ConditionError(
                    "AND and OR mixed without parentheses (the first joiner is at character "
                    f"{joiner_offset + 1}); group them with ( )",
                    offset,
                )
            operands.append(self.unary())
        if joiner is None:
            return operands[0]
        return Junction(joiner, tuple(operands))

    def nest(self, offset: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"nested more than {MAX_DEPTH} deep", offset)

    def unary(self) -> Node:
        token = self.token
        if self.is_sym("!") or self.is_word("NOT"):
            self.advance()
            self.nest(token.offset)
            operand = self.unary()
            self.depth -= 1
            return Not(operand)
        if self.is_sym("("):
            self.advance()
            self.nest(token.offset)
            if self.is_sym(")"):
                raise ConditionError("empty parentheses", token.offset)
            node = self.expression()
            if self.at_end():
                raise ConditionError("unbalanced '(' (no closing ')')", token.offset)
            self.expect_sym(")", "')' or AND/OR")
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if token.kind == "word" and token.text.lower() in ("actionmatches", "suboperationmatches"):
            self.advance()
            self.expect_sym("{", f"'{{' after {token.text}")
            if self.token.kind != "string":
                raise ConditionError(f"{token.text} takes one quoted value", self.token.offset)
            value = self.advance().text
            self.expect_sym("}", f"'}}' closing {token.text}")
            if token.text.lower() == "actionmatches":
                return ActionMatches(value, token.offset)
            return SubOperationMatches(value, token.offset)
        if token.kind in ("attr", "string") or self.is_sym("{"):
            return self.comparison()
        if token.kind == "end":
            raise ConditionError("expected an expression, found the end of the condition", token.offset)
        raise ConditionError(f"expected an expression, found {self.describe()}", token.offset)

    def operand(self) -> Attribute | Values:
        token = self.token
        if token.kind == "attr":
            self.advance()
            source, name = token.text.split("\x00", 1)
            return Attribute(SOURCES[source.lower()], name, token.offset)
        if token.kind == "string":
            self.advance()
            return Values((token.text,), False, token.offset)
        if self.is_sym("{"):
            self.advance()
            items: list[str] = []
            while True:
                if self.token.kind != "string":
                    found = self.describe()
                    raise ConditionError(f"expected a quoted value in the list, found {found}", self.token.offset)
                items.append(self.advance().text)
                if self.is_sym(","):
                    self.advance()
                    continue
                self.expect_sym("}", "',' or '}' in the value list")
                return Values(tuple(items), True, token.offset)
        raise ConditionError(f"expected an attribute or a value, found {self.describe()}", token.offset)

    def comparison(self) -> Comparison:
        start = self.token.offset
        left = self.operand()
        op_token = self.token
        if op_token.kind != "word":
            raise ConditionError(f"expected an operator, found {self.describe()}", op_token.offset)
        self.advance()
        quantifier: str | None = None
        name = op_token.text
        if ":" in name:
            prefix, name = name.split(":", 1)
            quantifier = _QUANTIFIERS.get(prefix.lower())
            if quantifier is None:
                raise ConditionError(f"unknown operator prefix {prefix!r}", op_token.offset)
        operator = _OPERATORS.get(name.lower())
        if operator is None:
            if _OTHER_OPERATOR.match(name):
                raise ConditionError(f"unsupported operator {name!r} (only the String operators)", op_token.offset)
            raise ConditionError(f"unknown operator {name!r}", op_token.offset)
        right = self.operand()
        if isinstance(right, Attribute):
            raise ConditionError("the right-hand side must be a value, not an attribute", right.offset)
        if quantifier is None:
            for side in (left, right):
                if isinstance(side, Values) and side.is_list:
                    raise ConditionError(
                        f"a value list needs a cross-product operator (ForAnyOfAnyValues:{operator} ...)", side.offset
                    )
            if isinstance(left, Values):
                raise ConditionError("the left-hand side must be an attribute", left.offset)
        return Comparison(left, operator, quantifier, right, start)


@lru_cache(maxsize=4096)
def parse(text: str) -> Condition:
    """The condition ``text`` parses to; ConditionError (with the offset) when it does not. Cached: a role
    assignment's condition is parsed once, however many requests it decides."""
    return Condition(text, _Parser(text).parse())


def check_version(version: str | None) -> None:
    """Refuse a ``conditionVersion`` other than 2.0 (Azure answers the same invalid-condition error)."""
    if version is not None and version.strip() != CONDITION_VERSION:
        raise ConditionError(f"conditionVersion {version!r} is not {CONDITION_VERSION!r}", 0)


def validate_for_acr(condition: Condition) -> None:
    """Refuse a condition that ACR does not support: it may only target the Repository roles' data actions
    (``Microsoft.ContainerRegistry/registries/repositories/{content,metadata}/{read,write,delete}``) and test the
    repository name (``@Request[Microsoft.ContainerRegistry/registries/repositories:name]``), per the ACR ABAC
    page; no sub-operations."""
    for node in condition.nodes():
        if isinstance(node, SubOperationMatches):
            raise ConditionError("ACR conditions have no sub-operations", node.offset)
        if isinstance(node, ActionMatches) and not any(matches(node.pattern, a) for a in ACR_REPOSITORY_ACTIONS):
            raise ConditionError(
                f"action {node.pattern!r} is not one of ACR's repository actions "
                "(Microsoft.ContainerRegistry/registries/repositories/content|metadata/read|write|delete)",
                node.offset,
            )
        if isinstance(node, ActionMatches) and not node.pattern.lower().startswith(
            "microsoft.containerregistry/registries/repositories/"
        ):
            raise ConditionError(f"action {node.pattern!r} is outside ACR's repository actions", node.offset)
    for attribute in condition.attributes():
        if attribute.name.casefold() != ACR_REPOSITORY_NAME.casefold():
            raise ConditionError(
                f"attribute {attribute.name!r} is not supported by ACR (only {ACR_REPOSITORY_NAME})", attribute.offset
            )
        if attribute.source not in unconfirmed.ACR_REPOSITORY_NAME_SOURCES:
            problem = f"ACR reads the repository name from @Request, not @{attribute.source}"
            raise ConditionError(problem, attribute.offset)
