"""The $filter subset az sends to Microsoft Graph."""

from __future__ import annotations

import pytest

from acrlink.domain import graph_filter
from acrlink.domain.graph_filter import ANY_EQ, EQ, STARTS_WITH, Clause

SP = {"appId": "AbC", "displayName": "ci-bot", "servicePrincipalNames": ["abc", "api://x"]}


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("appId eq 'x'", (Clause(EQ, "appId", "x"),)),
        ("startswith(displayName,'ci')", (Clause(STARTS_WITH, "displayName", "ci"),)),
        ("servicePrincipalNames/any(c:c eq 'x')", (Clause(ANY_EQ, "servicePrincipalNames", "x"),)),
        ("displayName eq 'a and b' and appId eq 'c'", (Clause(EQ, "displayName", "a and b"), Clause(EQ, "appId", "c"))),
        ("displayName eq 'o''brien'", (Clause(EQ, "displayName", "o'brien"),)),
    ],
)
def test_parse(text: str, clauses: tuple[Clause, ...]) -> None:
    assert graph_filter.parse(text) == clauses


@pytest.mark.parametrize(
    "text", ["appId ne 'x'", "appId eq x", "names/any(c:d eq 'x')", "", "appId eq 'x' or a eq 'b'"]
)
def test_unsupported_filters_are_refused(text: str) -> None:
    with pytest.raises(graph_filter.FilterError):
        graph_filter.parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("appId eq 'abc'", True),
        ("APPID eq 'abd'", False),
        ("startswith(displayName,'CI')", True),
        ("startswith(displayName,'bot')", False),
        ("servicePrincipalNames/any(s:s eq 'API://X')", True),
        ("servicePrincipalNames/any(s:s eq 'api')", False),
        ("appId eq 'abc' and displayName eq 'other'", False),
        ("userPrincipalName eq 'a@b'", False),
        ("displayName/any(c:c eq 'ci-bot')", False),
    ],
)
def test_matches(text: str, expected: bool) -> None:
    assert graph_filter.matches(SP, graph_filter.parse(text)) is expected
