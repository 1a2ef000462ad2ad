"""Token scopes (acrlink.registry.scopes)."""

from __future__ import annotations

import pytest

from acrlink.errors import AcrlinkError
from acrlink.registry.scopes import (
    ANONYMOUS_ACTIONS,
    InsufficientScope,
    Scope,
    everything,
    joined,
    narrowed,
    parse_scope,
    parse_scopes,
    permits,
    repository_actions,
)


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
    assert everything(wanted).actions == {"pull", "push", "delete"}
    anonymous = repository_actions(ANONYMOUS_ACTIONS)
    assert anonymous(wanted).actions == {"pull"}
    assert anonymous(parse_scope("registry:catalog:*")).actions == frozenset()


def test_a_principal_gets_what_it_holds_on_that_repository() -> None:
    """``*`` stands for the actions held, unless the principal holds every one a role gives (Owner)."""
    star = parse_scope("repository:a:*")
    assert narrowed(star, frozenset({"pull", "metadata_read"}), False).actions == {"pull", "metadata_read"}
    assert narrowed(parse_scope("repository:a:pull,push"), frozenset({"pull"}), True).actions == {"pull"}
    assert narrowed(parse_scope("repository:a:pull"), frozenset(), True).actions == frozenset()
    owner = frozenset({"pull", "push", "delete", "metadata_read", "metadata_write"})
    assert narrowed(star, owner, False).actions == {"*"}
    assert narrowed(parse_scope("repository:a:deleted_read"), owner, False).actions == {"deleted_read"}
    catalog = parse_scope("registry:catalog:*")
    assert narrowed(catalog, frozenset(), True).actions == {"*"}
    assert narrowed(catalog, owner, False).actions == frozenset()


def test_joined_grants_give_what_either_gives() -> None:
    push_only = repository_actions(frozenset({"push"}))
    both = joined(push_only, repository_actions(ANONYMOUS_ACTIONS))
    assert both(parse_scope("repository:a:pull,push,delete")).actions == {"pull", "push"}


def test_insufficient_scope_lists_the_needed_actions_as_acr_does() -> None:
    error = InsufficientScope("UNAUTHORIZED", "authentication required", target="repository:team/app:pull")
    assert error.detail() == [{"Type": "repository", "Name": "team/app", "Action": "pull"}]


def test_permits() -> None:
    access: list[dict[str, object]] = [{"type": "repository", "name": "a", "actions": ["pull"]}]
    assert permits(access, Scope("repository", "a", frozenset({"pull"})))
    assert not permits(access, Scope("repository", "a", frozenset({"push"})))
    assert not permits(access, Scope("repository", "b", frozenset({"pull"})))
    star: list[dict[str, object]] = [{"type": "registry", "name": "catalog", "actions": ["*"]}]
    assert permits(star, Scope("registry", "catalog", frozenset({"*"})))
