"""``acrlink check``'s identity step: the wording, and the ``az role assignment create`` that fixes it."""

from __future__ import annotations

import pytest

from acrlink.domain import builtin_roles, pull_access
from acrlink.domain.pull_access import Identity, PullGrant, RegistryFacts

OID = "11111111-2222-3333-4444-555555555555"
TENANT, OTHER = "t-home", "t-other"
REG_ID = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myreg"
WHO = Identity(pull_access.managed_label("myVM", OID), OID, TENANT)


def facts(mode: str = builtin_roles.LEGACY_MODE, anonymous: bool = False, tenant: str = TENANT) -> RegistryFacts:
    return RegistryFacts("myreg", REG_ID, mode, tenant, anonymous)


def test_no_role_fails_naming_the_roles_and_printing_the_fix() -> None:
    result = pull_access.check(WHO, facts(), ())
    assert result.step is not None and not result.ok
    assert result.step.title == (
        f"myVM's managed identity ({OID}) may not pull from myreg: no role gives pull on it "
        "(legacy mode: AcrPull, AcrPush, Reader, Contributor or Owner)"
    )
    assert result.fix == (
        f"az role assignment create --assignee-object-id {OID} --assignee-principal-type ServicePrincipal "
        f"--role AcrPull --scope {REG_ID}"
    )


def test_abac_mode_asks_for_the_repository_reader() -> None:
    result = pull_access.check(WHO, facts(builtin_roles.ABAC_MODE), ())
    assert result.step is not None
    assert result.step.title.endswith(
        "(ABAC mode: Container Registry Repository Reader, Container Registry Repository Writer or Container "
        "Registry Repository Contributor, optionally with a condition)"
    )
    assert result.fix is not None and '--role "Container Registry Repository Reader" --scope' in result.fix


def test_a_grant_is_named_with_its_scope_and_unconditional_grants_come_first() -> None:
    grants = (
        PullGrant("Container Registry Repository Reader", REG_ID, "cond"),
        PullGrant("AcrPull", "/subscriptions/s1"),
    )
    result = pull_access.check(WHO, facts(), grants)
    assert result.ok and result.fix is None and result.step is not None
    assert result.step.title == f"myVM's managed identity ({OID}) may pull from myreg (AcrPull at /subscriptions/s1)"
    assert f"also: Container Registry Repository Reader at {REG_ID}, when cond" in result.step.details


def test_only_conditional_grants_say_so() -> None:
    result = pull_access.check(
        WHO, facts(builtin_roles.ABAC_MODE), (PullGrant("Container Registry Repository Reader", REG_ID, "c"),)
    )
    assert result.ok and result.step is not None and "only from repositories its condition allows" in result.step.title


def test_anonymous_pull_and_another_tenant() -> None:
    assert pull_access.check(WHO, facts(anonymous=True), ()).ok
    foreign = pull_access.check(WHO, facts(tenant=OTHER), (PullGrant("AcrPull", REG_ID),))
    assert not foreign.ok and foreign.fix is None and foreign.hint and OTHER in foreign.hint


def test_a_host_without_identity_is_not_checked_and_says_how() -> None:
    result = pull_access.unchecked("internet")
    assert result.step is None and result.ok and result.note and "--as NAME" in result.note
    assert pull_access.as_json(None, result)["checked"] is False


@pytest.mark.parametrize("mode", [builtin_roles.LEGACY_MODE, builtin_roles.ABAC_MODE])
def test_every_role_named_really_gives_pull_and_the_fix_role_does(mode: str) -> None:
    for name in (*pull_access.PULL_ROLES[mode], pull_access.FIX_ROLE[mode]):
        role = builtin_roles.by_name(name)
        assert role is not None, name
        assert "pull" in builtin_roles.role_token_actions(role, mode), (name, mode)
