"""Azure RBAC's decision: action patterns, scope inheritance, NotActions, data actions and conditions."""

from __future__ import annotations

import pytest

from acrlink.domain import rbac
from acrlink.domain.builtin_roles import BY_GUID, by_name
from acrlink.domain.rbac import Assignment, Permission, RoleDefinition, allowing, decide, matches

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = SUB + "/resourceGroups/rg"
REGISTRY = RG + "/providers/Microsoft.ContainerRegistry/registries/myregistry"
READ = "Microsoft.ContainerRegistry/registries/repositories/content/read"
REPO = "Microsoft.ContainerRegistry/registries/repositories:name"


def guid(name: str) -> str:
    role = by_name(name)
    assert role is not None
    return role.guid


def assignment(role: str, scope: str, condition: str | None = None, version: str | None = None) -> Assignment:
    return Assignment(
        id="a", scope=scope, role=guid(role), principal_id="p", condition=condition, condition_version=version
    )


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("*", "Microsoft.Anything/at/all", True),
        ("*/read", "Microsoft.ContainerRegistry/registries/pull/read", True),
        ("*/read", "Microsoft.ContainerRegistry/registries/write", False),
        ("*/read", "Microsoft.ContainerRegistry/registries/read/action", False),
        ("Microsoft.Network/*", "microsoft.network/privateEndpoints/write", True),
        ("Microsoft.Network/*", "Microsoft.NetworkFunction/x/read", False),
        ("Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write", True),
        ("Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/writer", False),
        ("Microsoft.ContainerRegistry/registries/read", "MICROSOFT.CONTAINERREGISTRY/REGISTRIES/READ", True),
        ("Microsoft.ContainerRegistry/registries/read", "Microsoft.ContainerRegistry/registries/read2", False),
        ("a.b/*", "aXb/c", False),  # the dot is literal
        ("*/read", "x/read\n", False),  # the whole action, not up to a trailing newline
        ("*/write", "x/read\nMicrosoft.Fake/write", True),  # '*' spans any character, a newline too
    ],
)
def test_matches(pattern: str, action: str, expected: bool) -> None:
    assert matches(pattern, action) is expected


def test_not_actions_only_subtract_within_the_same_block() -> None:
    role = RoleDefinition(
        guid="11111111-1111-1111-1111-111111111111",
        name="two blocks",
        description="",
        permissions=(
            Permission(actions=("*",), not_actions=("Microsoft.Authorization/*",)),
            Permission(actions=("Microsoft.Authorization/roleAssignments/read",)),
        ),
        role_type="CustomRole",
    )
    assert role.allows("Microsoft.Authorization/roleAssignments/read")
    assert not role.allows("Microsoft.Authorization/roleAssignments/write")
    assert role.allows("Microsoft.Network/virtualNetworks/write")


def test_not_data_actions_subtract_from_data_actions_only() -> None:
    block = Permission(
        data_actions=("Microsoft.ContainerRegistry/registries/repositories/*",),
        not_data_actions=("*/delete",),
        not_actions=("*",),
    )
    assert block.allows(READ, data=True)
    assert not block.allows("Microsoft.ContainerRegistry/registries/repositories/content/delete", data=True)
    assert not block.allows(READ, data=False)


def test_scope_inheritance_runs_downwards_along_whole_segments() -> None:
    a = [assignment("Reader", RG)]
    assert decide(a, BY_GUID, "Microsoft.ContainerRegistry/registries/read", REGISTRY).allowed
    assert decide(a, BY_GUID, "Microsoft.Resources/subscriptions/resourceGroups/read", RG + "/").allowed
    assert not decide(a, BY_GUID, "Microsoft.Resources/subscriptions/read", SUB).allowed
    assert not decide(a, BY_GUID, "Microsoft.ContainerRegistry/registries/read", SUB + "/resourceGroups/rg2").allowed
    assert decide([assignment("Reader", RG.upper())], BY_GUID, "x/read", REGISTRY.lower()).allowed
    assert decide([assignment("Reader", "/")], BY_GUID, "x/read", REGISTRY).allowed


def test_decide_names_the_allowing_assignments_and_ignores_unknown_roles() -> None:
    reader = assignment("Reader", SUB)
    unknown = Assignment(id="u", scope=SUB, role="99999999-9999-9999-9999-999999999999", principal_id="p")
    owner = assignment("Owner", REGISTRY)
    decision = decide([unknown, reader, owner], BY_GUID, "x/read", REGISTRY)
    assert decision.allowed and decision.by == (reader, owner)
    refused = decide([unknown], BY_GUID, "x/read", REGISTRY)
    assert not refused.allowed and refused.by == ()


def test_role_guid_and_normalise_scope() -> None:
    assert rbac.role_guid(
        SUB + "/providers/Microsoft.Authorization/roleDefinitions/ACDD72A7-3385-48EF-BD42-F606FBA81AE7/"
    ) == ("acdd72a7-3385-48ef-bd42-f606fba81ae7")
    assert rbac.normalise_scope(" / ") == "/"
    assert rbac.normalise_scope(RG.upper() + "/") == RG.lower()


def test_reaches_into() -> None:
    assert rbac.reaches_into([assignment("AcrPull", REGISTRY)], SUB)
    assert rbac.reaches_into([assignment("Owner", SUB)], REGISTRY)
    assert not rbac.reaches_into([assignment("Owner", SUB)], "/subscriptions/other")


ONLY_TEAM = "(!(ActionMatches{'" + READ + "'})) OR (@Request[" + REPO + "] StringStartsWith 'team/')"


def test_allowing_applies_conditions_to_data_actions() -> None:
    a = [assignment("Container Registry Repository Reader", REGISTRY, ONLY_TEAM, "2.0")]
    assert allowing(a, BY_GUID, READ, REGISTRY, request={REPO: "team/app"}).allowed
    assert not allowing(a, BY_GUID, READ, REGISTRY, request={REPO: "other/app"}).allowed
    assert not allowing(a, BY_GUID, READ, REGISTRY).allowed
    meta = "Microsoft.ContainerRegistry/registries/repositories/metadata/read"
    assert allowing(a, BY_GUID, meta, REGISTRY, request={REPO: "other/app"}).allowed  # not targeted
    assert decide(a, BY_GUID, READ, REGISTRY, data=True).allowed  # decide ignores conditions


def test_allowing_adds_unconditioned_assignments() -> None:
    conditioned = assignment("Container Registry Repository Reader", REGISTRY, ONLY_TEAM)
    plain = assignment("Container Registry Repository Writer", RG)
    decision = allowing([conditioned, plain], BY_GUID, READ, REGISTRY, request={REPO: "other"})
    assert decision.allowed and decision.by == (plain,)


def test_allowing_fails_closed_on_a_bad_condition_or_version() -> None:
    broken = [assignment("Container Registry Repository Reader", REGISTRY, "(((", "2.0")]
    assert not allowing(broken, BY_GUID, READ, REGISTRY, request={REPO: "team/x"}).allowed
    old = [assignment("Container Registry Repository Reader", REGISTRY, ONLY_TEAM, "1.0")]
    assert not allowing(old, BY_GUID, READ, REGISTRY, request={REPO: "team/x"}).allowed
    blank = [assignment("Container Registry Repository Reader", REGISTRY, "  ")]
    assert allowing(blank, BY_GUID, READ, REGISTRY).allowed


def test_allowing_ignores_conditions_for_control_plane_actions() -> None:
    a = [assignment("Reader", REGISTRY, "(((")]
    assert allowing(a, BY_GUID, "Microsoft.ContainerRegistry/registries/read", REGISTRY, data=False).allowed
