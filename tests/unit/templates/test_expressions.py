"""The expression grammar: what is an expression, the tree, and ARM-style syntax errors."""

from __future__ import annotations

import pytest

from acrlink.domain.templates.expressions import (
    Call,
    Index,
    Literal,
    Member,
    is_expression,
    iter_calls,
    literal,
    parse,
)
from acrlink.errors import BadRequest


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("[concat('a')]", True),
        ("[[concat('a')]", False),
        ("[test] value", False),
        ("value [x]", False),
        ("[", False),
        ("]", False),
        ("[]", True),
        ("", False),
    ],
)
def test_is_expression(s: str, expected: bool) -> None:
    assert is_expression(s) is expected


def test_literal_escape_drops_one_bracket() -> None:
    assert literal("[[concat('a')]") == "[concat('a')]"
    assert literal("[[[x]") == "[[x]"
    assert literal("[[open") == "[[open"
    assert literal("plain") == "plain"


def test_tree_of_calls_members_and_indexes() -> None:
    node = parse("[concat(parameters('a'), 'it''s', -12)[0].Name]")
    assert node == Member(
        Index(
            Call("concat", (Call("parameters", (Literal("a", 18),), 7), Literal("it's", 24), Literal(-12, 33)), 0),
            Literal(0, 38),
            37,
        ),
        "Name",
        40,
    )


def test_function_names_keep_case_and_lower_key() -> None:
    node = parse("[ToLower('X')]")
    assert isinstance(node, Call)
    assert (node.name, node.key) == ("ToLower", "tolower")


def test_whitespace_between_tokens() -> None:
    assert parse("[ concat ( 'a' , 'b' ) ]") == Call("concat", (Literal("a", 10), Literal("b", 16)), 1)


def test_namespaced_user_function() -> None:
    node = parse("[contoso.uniqueName(parameters('x'))]")
    assert isinstance(node, Call) and node.name == "contoso.uniqueName"


def test_index_with_expression() -> None:
    node = parse("[variables('m')[parameters('k')]]")
    assert isinstance(node, Index) and isinstance(node.index, Call)


def test_iter_calls_depth_first() -> None:
    node = parse("[concat(reference('a').x, listKeys(resourceId('t/u', 'n'), '2020')[0], if(true(), 'a', 'b'))]")
    assert [c.key for c in iter_calls(node)] == ["concat", "reference", "listkeys", "resourceid", "if", "true"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[concat('a' 'b')]",
            "Unable to parse language expression 'concat('a' 'b')': expected token 'RightParenthesis' and actual 'String'.",
        ),
        (
            "[concat('a', ]",
            "Unable to parse language expression 'concat('a', ': expected token 'Identifier' and actual 'EndOfData'.",
        ),
        (
            "[true]",
            "Unable to parse language expression 'true': expected token 'LeftParenthesis' and actual 'EndOfData'.",
        ),
        ("[]", "Unable to parse language expression '': expected token 'Identifier' and actual 'EndOfData'."),
        (
            "[a() b()]",
            "Unable to parse language expression 'a() b()': expected token 'EndOfData' and actual 'Identifier'.",
        ),
        (
            "[concat('a') # x]",
            "The language expression 'concat('a') # x' is not valid: the string character '#' at position '12' is not expected.",
        ),
        (
            "[concat('abc)]",
            "The language expression 'concat('abc)' is not valid: the string character ''' at position '7' is not expected.",
        ),
        (
            "[add(1.5, 2)]",
            "Unable to parse language expression 'add(1.5, 2)': expected token 'Identifier' and actual 'Integer'.",
        ),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(BadRequest) as e:
        parse(text)
    assert (e.value.code, e.value.message) == ("InvalidTemplate", message)


def test_length_limit() -> None:
    ok = "[concat('" + "a" * (24576 - 12) + "')]"
    assert len(ok) == 24576
    parse(ok)
    with pytest.raises(BadRequest) as e:
        parse("[concat('" + "a" * (24576 - 11) + "')]")
    assert e.value.message == "The language expression literal limit exceeded. Limit: '24576' and actual: '24577'."


def test_parse_is_cached() -> None:
    text = "[concat('cached')]"
    assert parse(text) is parse(text)
