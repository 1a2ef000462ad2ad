"""ABAC conditions: the ACR page's examples, the operators, malformed input, ACR's restrictions, and a fuzz."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acrlink.domain import abac
from acrlink.domain.abac import ConditionError, parse, validate_for_acr

REPO = "Microsoft.ContainerRegistry/registries/repositories:name"
READ = "Microsoft.ContainerRegistry/registries/repositories/content/read"
META_READ = "Microsoft.ContainerRegistry/registries/repositories/metadata/read"
WRITE = "Microsoft.ContainerRegistry/registries/repositories/content/write"

# The three conditions of https://learn.microsoft.com/azure/container-registry/container-registry-rbac-abac-repository-permissions,
# as the page prints them (multi-line) and as az echoes them back (one line, double spaces).
ONE_REPOSITORY = """(
 (
  !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})
  AND
  !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/read'})
 )
 OR
 (
  @Request[Microsoft.ContainerRegistry/registries/repositories:name] StringEqualsIgnoreCase 'nginx'
 )
)"""
PREFIX_ONE_LINE = (
    "( (  !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})  AND  "
    "!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/read'}) ) OR  (  "
    "@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWithIgnoreCase 'backend/' ))"
)
TWO_PREFIXES = """(
 (
  !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})
  AND
  !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/read'})
 )
 OR
 (
  @Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWithIgnoreCase 'backend/'
  OR
  @Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWithIgnoreCase 'frontend/js/'
 )
)"""


def holds(text: str, action: str = READ, repo: str | None = None, **attrs: str) -> bool:
    request = dict(attrs)
    if repo is not None:
        request[REPO] = repo
    return parse(text).evaluate(action, request, {})


def error(text: str) -> ConditionError:
    with pytest.raises(ConditionError) as caught:
        parse(text)
    return caught.value


# The ACR examples --------------------------------------------------------------------------------------------


def test_single_repository_example() -> None:
    validate_for_acr(parse(ONE_REPOSITORY))
    assert holds(ONE_REPOSITORY, READ, "nginx")
    assert holds(ONE_REPOSITORY, META_READ, "NGINX")  # IgnoreCase
    assert not holds(ONE_REPOSITORY, READ, "nginx2")
    assert not holds(ONE_REPOSITORY, READ, "backend/nginx")
    assert not holds(ONE_REPOSITORY, READ)  # no repository name: the comparison fails
    assert holds(ONE_REPOSITORY, WRITE, "anything")  # an action the condition does not target passes


def test_prefix_example_as_az_prints_it() -> None:
    validate_for_acr(parse(PREFIX_ONE_LINE))
    assert holds(PREFIX_ONE_LINE, READ, "backend/nginx")
    assert holds(PREFIX_ONE_LINE, READ, "Backend/redis")
    assert not holds(PREFIX_ONE_LINE, READ, "backend-infra/k8s")
    assert not holds(PREFIX_ONE_LINE, READ, "backend")


def test_two_prefixes_example() -> None:
    validate_for_acr(parse(TWO_PREFIXES))
    assert holds(TWO_PREFIXES, META_READ, "frontend/js/react")
    assert holds(TWO_PREFIXES, READ, "backend/x")
    assert not holds(TWO_PREFIXES, READ, "frontend/css/x")


def test_starts_with_team_prefix_from_the_issue() -> None:
    text = "@Resource[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith 'team/'"
    condition = parse(text)
    validate_for_acr(condition)
    assert condition.evaluate(READ, {}, {REPO: "team/app"})
    assert not condition.evaluate(READ, {}, {REPO: "Team/app"})  # case-sensitive
    assert not condition.evaluate(READ, {REPO: "team/app"}, {})  # looked up in the resource, not the request


def test_attribute_names_are_looked_up_case_insensitively() -> None:
    assert holds("@Request[x:Name] StringEquals 'a'", READ, **{"X:NAME": "a"})


# Operators ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "wanted", "expected"),
    [
        ("StringEquals", "abc", "abc", True),
        ("StringEquals", "abc", "ABC", False),
        ("StringEqualsIgnoreCase", "abc", "ABC", True),
        ("StringNotEquals", "abc", "abd", True),
        ("StringNotEquals", "abc", "abc", False),
        ("StringNotEqualsIgnoreCase", "abc", "ABC", False),
        ("StringStartsWith", "team/app", "team/", True),
        ("StringStartsWith", "team/app", "TEAM/", False),
        ("StringStartsWithIgnoreCase", "team/app", "TEAM/", True),
        ("StringNotStartsWith", "team/app", "other/", True),
        ("StringNotStartsWithIgnoreCase", "team/app", "TEAM/", False),
        ("StringLike", "abcd", "a*c?", True),
        ("StringLike", "abcd", "A*C?", False),
        ("StringLike", "abcd", "a*c", False),
        ("StringLikeIgnoreCase", "abcd", "A*C?", True),
        ("StringLike", "a*b", "a\\*b", True),
        ("StringLike", "axb", "a\\*b", False),
        ("StringLike", "a?b", "a\\?b", True),
        ("StringLike", "a.b", "a?b", True),
        ("StringLike", "a\nb", "a*b", True),
        ("StringLike", "team/x/y", "team/*", True),
        ("StringNotLike", "abcd", "a*", False),
        ("StringNotLikeIgnoreCase", "abcd", "X*", True),
    ],
)
def test_string_operator(operator: str, value: str, wanted: str, expected: bool) -> None:
    text = f"@Request[attr] {operator} '{wanted}'"
    assert holds(text, attr=value) is expected


def test_operators_are_case_insensitive() -> None:
    assert holds("@request[attr] stringequals 'a'", attr="a")


def test_missing_attribute_fails_even_negated_operators() -> None:
    assert not holds("@Request[attr] StringNotEquals 'a'")
    assert holds("NOT @Request[attr] StringNotEquals 'a'")


def test_cross_product_operators_and_lists() -> None:
    assert holds("{'red', 'blue'} ForAnyOfAnyValues:StringEquals {'blue', 'green'}")
    assert not holds("{'red', 'blue'} ForAnyOfAnyValues:StringEquals {'orange', 'green'}")
    assert holds("{'red', 'blue'} ForAllOfAnyValues:StringEquals {'orange', 'red', 'blue'}")
    assert not holds("{'red', 'blue'} ForAllOfAnyValues:StringEquals {'red', 'green'}")
    assert holds("{'ab', 'ac'} ForAllOfAllValues:StringStartsWith {'a'}")
    assert not holds("{'ab', 'b'} ForAnyOfAllValues:StringStartsWith {'a', 'b'}")
    assert holds("@Request[attr] ForAnyOfAnyValues:StringEquals {'x', 'y'}", attr="y")
    assert not holds("@Request[attr] ForAnyOfAnyValues:StringEquals {'x', 'y'}")


def test_sub_operation_matches_only_when_named() -> None:
    text = "SubOperationMatches{'Blob.List'}"
    assert not parse(text).evaluate(READ, {}, {})
    assert parse(text).evaluate(READ, {}, {}, sub_operation="blob.list")


def test_principal_and_environment_sources() -> None:
    condition = parse("@Principal[tag] StringEquals 'x' AND @Environment[isPrivateLink] StringEquals 'true'")
    assert not condition.evaluate(READ, {}, {})
    assert condition.evaluate(READ, {}, {}, principal={"tag": "x"}, environment={"isPrivateLink": "true"})


def test_action_matches_takes_wildcards() -> None:
    assert holds("ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/*'}", READ)
    assert not holds("ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/*/write'}", READ)


# Boolean structure -------------------------------------------------------------------------------------------

A = "@Request[a] StringEquals '1'"
B = "@Request[b] StringEquals '1'"
C = "@Request[c] StringEquals '1'"


@pytest.mark.parametrize(
    ("text", "attrs", "expected"),
    [
        (f"{A} AND {B}", {"a": "1", "b": "1"}, True),
        (f"{A} && {B}", {"a": "1"}, False),
        (f"{A} or {B}", {"b": "1"}, True),
        (f"{A} || {B}", {}, False),
        (f"{A} OR {B} OR {C}", {"c": "1"}, True),
        (f"({A} AND {B}) OR {C}", {"c": "1"}, True),
        (f"{A} AND ({B} OR {C})", {"c": "1"}, False),
        (f"NOT ({A} AND {B})", {"a": "1"}, True),
        (f"!({A}) AND !({B})", {}, True),
        (f"not not {A}", {"a": "1"}, True),
        (f"!!({A})", {}, False),
        (f"((({A})))", {"a": "1"}, True),
        (f"\n\t( {A}\n)\r\nAND(\n{B})  ", {"a": "1", "b": "1"}, True),
        (f"NOT(({A} OR {B}) AND NOT {C})", {"a": "1", "c": "1"}, True),
    ],
)
def test_nested_and_or_not(text: str, attrs: dict[str, str], expected: bool) -> None:
    assert holds(text, **attrs) is expected


def test_mixing_and_or_without_parentheses_is_refused() -> None:
    e = error(f"{A} AND {B} OR {C}")
    assert "mixed without parentheses" in str(e)
    assert e.offset == len(f"{A} AND {B} ")


# Malformed input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "offset", "words"),
    [
        ("", 0, "empty condition"),
        ("   \n ", 0, "empty condition"),
        (f"({A}", 0, "unbalanced '('"),
        (f"(({A})", 0, "unbalanced '('"),
        (f"{A})", len(A), "unbalanced ')'"),
        ("()", 0, "empty parentheses"),
        ("@Request[a] StringEqualz '1'", 12, "unknown operator 'StringEqualz'"),
        ("@Request[a] NumericEquals '1'", 12, "unsupported operator"),
        ("@Request[a] ForSomeValues:StringEquals '1'", 12, "unknown operator prefix"),
        ("@Request[a] StringEquals '1", 25, "unterminated string"),
        ("ActionMatches{'x", 14, "unterminated string"),
        (f"{A} junk", len(A) + 1, "'junk' after a complete expression"),
        (f"{A} '2'", len(A) + 1, "the string '2' after"),
        (f"{A} AND", len(A) + 4, "found the end"),
        ("AND", 0, "expected an expression"),
        ("@Request[a] StringEquals", 24, "expected an attribute or a value"),
        ("@Request[a]", 11, "expected an operator"),
        ("@Request[a StringEquals '1'", 0, "unterminated attribute"),
        ("@Query[a] StringEquals '1'", 0, "unknown attribute source 'Query'"),
        ("@Request[] StringEquals '1'", 0, "empty attribute name"),
        ("@[a] StringEquals '1'", 0, "@Source[name]"),
        ("@Request[a] StringEquals {'1', '2'}", 25, "cross-product"),
        ("'1' StringEquals '1'", 0, "left-hand side"),
        ("@Request[a] StringEquals @Request[b]", 25, "right-hand side"),
        ("@Request[a] ForAnyOfAnyValues:StringEquals {'1' '2'}", 48, "',' or '}'"),
        ("@Request[a] ForAnyOfAnyValues:StringEquals {}", 44, "quoted value in the list"),
        ("ActionMatches 'x'", 14, "'{' after ActionMatches"),
        ("ActionMatches{x}", 14, "one quoted value"),
        ("ActionMatches{'x'", 17, "'}' closing"),
        ("# comment", 0, "unexpected character '#'"),
        ("@Request[a] StringEquals '1' & B", 29, "unexpected character '&'"),
    ],
)
def test_malformed_conditions_name_the_position(text: str, offset: int, words: str) -> None:
    e = error(text)
    assert words in str(e)
    assert e.offset == offset
    assert str(e).endswith(f"at character {offset + 1}")
    assert isinstance(e, ValueError)


def test_nesting_is_bounded() -> None:
    deep = "(" * 1000 + A + ")" * 1000
    assert "nested more than" in str(error(deep))
    assert "nested more than" in str(error("!" * 5000 + A))
    shallow = "(" * 30 + A + ")" * 30
    assert holds(shallow, a="1")


def test_escaped_quote_stays_in_the_string() -> None:
    assert holds("@Request[a] StringEquals 'it\\'s'", a="it's")


def test_version() -> None:
    abac.check_version("2.0")
    abac.check_version(None)
    with pytest.raises(ConditionError, match="conditionVersion '1.0'"):
        abac.check_version("1.0")


# ACR's restrictions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("@Request[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'x'", "not supported"),
        ("@Principal[Microsoft.ContainerRegistry/registries/repositories:name] StringEquals 'x'", "@Principal"),
        ("!(ActionMatches{'Microsoft.ContainerRegistry/registries/pull/read'}) OR " + A, "not one of ACR"),
        ("!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})", "not one of"),
        ("!(ActionMatches{'*'})", "outside ACR's repository actions"),
        ("!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'}) OR " + A, "'a'"),
        ("SubOperationMatches{'x'}", "sub-operations"),
    ],
)
def test_validate_for_acr_refuses_what_acr_does_not_support(text: str, words: str) -> None:
    with pytest.raises(ConditionError, match=words.replace("(", r"\(").replace("*", r"\*")) as caught:
        validate_for_acr(parse(text))
    assert 0 <= caught.value.offset < len(text)


def test_validate_for_acr_accepts_repository_wildcards() -> None:
    validate_for_acr(
        parse(
            "!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/*'}) OR "
            f"@Request[{REPO}] StringLike 'team/*'"
        )
    )


def test_condition_lists_its_attributes_and_actions() -> None:
    condition = parse(TWO_PREFIXES)
    assert [(a.source, a.name) for a in condition.attributes()] == [("Request", REPO)] * 2
    assert [a.pattern for a in condition.action_patterns()] == [READ, META_READ]


# Fuzz ----------------------------------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "(",
        ")",
        "!",
        "NOT ",
        " AND ",
        " OR ",
        "&&",
        "||",
        "{",
        "}",
        ",",
        "'",
        "'x'",
        "\\'",
        "@Request[",
        "@Resource[a]",
        "]",
        " StringEquals ",
        " ForAnyOfAnyValues:StringLike ",
        " NumericEquals ",
        "ActionMatches{",
        "SubOperationMatches",
        REPO,
        " ",
        "\n",
        "Foo:",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_parse_raises_only_condition_errors_on_token_soup(text: str) -> None:
    try:
        condition = parse(text)
    except ConditionError as e:
        assert 0 <= e.offset <= len(text)
        return
    assert isinstance(condition.evaluate(READ, {REPO: "x"}, {"a": "x"}), bool)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_parse_raises_only_condition_errors_on_any_text(text: str) -> None:
    try:
        parse(text)
    except ConditionError as e:
        assert 0 <= e.offset <= len(text)
