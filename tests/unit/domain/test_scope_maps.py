"""Scope-map rules: the action grammar and what a map gives on one repository."""

from __future__ import annotations

import pytest

from acrlink.domain import scope_maps


def test_rules_add_up_and_wildcards_cover_nested_repositories() -> None:
    rules = scope_maps.rules(
        [
            "repositories/team/*/content/read",
            "repositories/team/app/content/write",
            "repositories/*/metadata/read",
            "gateway/connected1/config/read",
        ]
    )
    assert rules.actions_on("team/app") == {"pull", "push", "metadata_read"}
    assert rules.actions_on("team/a/b") == {"pull", "metadata_read"}
    assert rules.actions_on("team") == {"metadata_read"}, "team/* does not cover team itself"
    assert rules.actions_on("teamx/app") == {"metadata_read"}
    assert rules.registry_wide


def test_a_map_without_a_star_rule_is_not_registry_wide() -> None:
    rules = scope_maps.rules(["repositories/team/*/content/read"])
    assert not rules.registry_wide
    assert rules.actions_on("other") == frozenset()
    assert scope_maps.NO_RULES.actions_on("team/app") == frozenset()


def test_each_repository_action_has_its_token_action() -> None:
    for action, token_action in scope_maps.REPOSITORY_ACTIONS.items():
        assert scope_maps.rules([f"repositories/app/{action}"]).actions_on("app") == {token_action}


@pytest.mark.parametrize(
    "action",
    ["repositories/app/content/read", "repositories/*/metadata/write", "repositories/a/b/*/content/delete",
     "gateway/connected1/message/write"],
)  # fmt: skip
def test_valid_actions(action: str) -> None:
    assert scope_maps.action_problem(action) is None


@pytest.mark.parametrize(
    "action",
    ["repositories/app/content/run", "repositories/*a/content/read", "repositories/a/*/b/content/read",
     "repositories/*/*/content/read", "repositories/content/read", "repos/app/content/read",
     "gateway/c/config/read", "gateway/connected1/content/read", "repositories/App/content/read"],
)  # fmt: skip
def test_invalid_actions(action: str) -> None:
    assert scope_maps.action_problem(action) is not None


@pytest.mark.parametrize(("name", "ok"), [("abcde", True), ("a_b-c", True), ("a" * 50, True), ("abcd", False),
                                          ("a" * 51, False), ("a.bcd", False)])  # fmt: skip
def test_names(name: str, ok: bool) -> None:
    assert (scope_maps.name_problem(name) is None) is ok


def test_every_system_map_is_valid() -> None:
    for _description, actions in scope_maps.SYSTEM_MAPS.values():
        assert all(scope_maps.action_problem(a) is None for a in actions)
        assert scope_maps.rules(actions).registry_wide
