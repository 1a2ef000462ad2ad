"""Token scopes (acrlink.registry.scopes)."""

from __future__ import annotations

import pytest

from acrlink.errors import AcrlinkError
from acrlink.registry.scopes import ANONYMOUS_ACTIONS, Scope, grantable, parse_scope, parse_scopes, permits


def test_parse() -> None:
    scope = parse_scope("repository:a/b:pull,push")
    assert scope == Scope("repository", "a/b", frozenset({"pull", "push"}))
    assert str(scope) == "repository:a/b:pull,push"
    assert parse_scope("registry:catalog:*") == Scope("registry", "catalog", frozenset({"*"}))
    assert parse_scope("repository(plugin):x:pull").type == "repository"


def test_several_in_one_parameter() -> None:
    found = parse_scopes(["repository:a:pull repository:b:push", "registry:catalog:*"])
    assert [s.name for s in found] == ["a", "b", "catalog"]


@pytest.mark.parametrize("text", ["repository:a", "a:b:c", "repository::pull", "repository:a:"])
def test_invalid(text: str) -> None:
    with pytest.raises(AcrlinkError):
        parse_scope(text)


def test_grants() -> None:
    wanted = parse_scope("repository:a:pull,push,delete,bogus")
    assert grantable(wanted, None).actions == {"pull", "push", "delete"}
    assert grantable(wanted, ANONYMOUS_ACTIONS).actions == {"pull"}
    assert grantable(parse_scope("registry:catalog:*"), ANONYMOUS_ACTIONS).actions == frozenset()


def test_permits() -> None:
    access: list[dict[str, object]] = [{"type": "repository", "name": "a", "actions": ["pull"]}]
    assert permits(access, Scope("repository", "a", frozenset({"pull"})))
    assert not permits(access, Scope("repository", "a", frozenset({"push"})))
    assert not permits(access, Scope("repository", "b", frozenset({"pull"})))
    star: list[dict[str, object]] = [{"type": "registry", "name": "catalog", "actions": ["*"]}]
    assert permits(star, Scope("registry", "catalog", frozenset({"*"})))
