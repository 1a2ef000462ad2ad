"""The built-in role data and ACR's role-to-token-action rules."""

from __future__ import annotations

import re

import pytest

from acrlink.domain import builtin_roles as br
from acrlink.domain.builtin_roles import ABAC_MODE, BUILTIN_ROLES, BY_GUID, LEGACY_MODE, by_name, role_token_actions
from acrlink.domain.rbac import Assignment, decide

CR = "Microsoft.ContainerRegistry/registries/"
REGISTRY = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myregistry"

REQUIRED = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "AcrDelete": "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
    "AcrImageSigner": "6cef56e8-d556-48e5-a04f-b8e64114680f",
    "AcrQuarantineReader": "cdda3590-29a3-44f6-95f2-9f980659eb04",
    "AcrQuarantineWriter": "c8d4ff99-41c3-41a8-9f60-21dfdad59608",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "Private DNS Zone Contributor": "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
    "Container Registry Repository Reader": "b93aa761-3e63-49ed-ac28-beffa264f7ac",
    "Container Registry Repository Writer": "2a1e307c-b015-4ebd-883e-5b7698a07328",
    "Container Registry Repository Contributor": "2efddaa5-3f1f-4df3-97df-af3f13818f4c",
    "Container Registry Repository Catalog Lister": "bfdb9389-c9a5-478a-bb2f-ba9ca092c3c7",
    "Container Registry Contributor and Data Access Configuration Administrator": "3bc748fc-213d-45c1-8d91-9da5725539b9",
    "Container Registry Data Importer and Data Reader": "577a9874-89fd-4f24-9dbd-b5034d0ad23a",
    "Container Registry Tasks Contributor": "fb382eab-e894-4461-af04-94435c366c3f",
}
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def role(name: str):  # type: ignore[no-untyped-def]
    found = by_name(name)
    assert found is not None, name
    return found


def allows(name: str, action: str, data: bool = False, scope: str = REGISTRY) -> bool:
    guid = role(name).guid
    assignment = Assignment(id="a1", scope="/subscriptions/s1", role=guid, principal_id="p1")
    return decide([assignment], BY_GUID, action, scope, data).allowed


# The data ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "guid"), sorted(REQUIRED.items()))
def test_every_required_role_is_there_with_its_real_id(name: str, guid: str) -> None:
    assert role(name).guid == guid
    assert BY_GUID[guid] is role(name)
    assert role(name).role_type == "BuiltInRole"


def test_ids_are_unique_lower_case_guids_and_names_unique() -> None:
    guids = [r.guid for r in BUILTIN_ROLES]
    assert len(set(guids)) == len(guids) == len(BY_GUID)
    assert all(GUID.match(g) for g in guids)
    names = [r.name.casefold() for r in BUILTIN_ROLES]
    assert len(set(names)) == len(names)


def test_every_role_has_a_description_and_a_permission_block() -> None:
    for r in BUILTIN_ROLES:
        assert r.description.strip(), r.name
        assert r.permissions, r.name
        for p in r.permissions:
            for group in (p.actions, p.not_actions, p.data_actions, p.not_data_actions):
                assert all(a == a.strip() and a for a in group), r.name


def test_descriptions_are_azure_s_role_description_property() -> None:
    assert role("AcrPull").description == "acr pull"
    assert role("Reader").description == "View all resources, but does not allow you to make any changes."
    assert role("AcrImageSigner").description.startswith("Planned DEPRECATION on March 31, 2028.")


def test_by_name_is_case_insensitive_and_none_for_unknown() -> None:
    assert role("acrpull") is role("AcrPull") is role("  ACRPULL ")
    assert by_name("container registry repository reader") is role("Container Registry Repository Reader")
    assert by_name("AcrPuller") is None
    assert by_name("") is None


def test_only_the_three_repository_roles_are_abac_enabled() -> None:
    assert {r.name for r in BUILTIN_ROLES if r.abac_repository_role} == {
        "Container Registry Repository Reader",
        "Container Registry Repository Writer",
        "Container Registry Repository Contributor",
    }


def test_exact_permission_blocks_of_key_roles() -> None:
    assert role("AcrPush").permissions[0].actions == (CR + "pull/read", CR + "push/write")
    assert role("Owner").permissions[0].actions == ("*",)
    assert role("Reader").permissions[0].actions == ("*/read",)
    assert role("User Access Administrator").permissions[0].actions == (
        "*/read",
        "Microsoft.Authorization/*",
        "Microsoft.Support/*",
    )
    assert role("Container Registry Repository Writer").data_actions == (
        CR + "repositories/metadata/read",
        CR + "repositories/content/read",
        CR + "repositories/metadata/write",
        CR + "repositories/content/write",
    )
    assert role("Container Registry Repository Catalog Lister").permissions[0].actions == ()
    assert role("Container Registry Repository Catalog Lister").data_actions == (CR + "catalog/read",)
    contributor = role("Contributor").permissions[0]
    assert contributor.not_actions[:3] == (
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
    )


# Decisions through rbac.decide -------------------------------------------------------------------------------


def test_acrpull_allows_pull_and_not_push() -> None:
    assert allows("AcrPull", CR + "pull/read")
    assert not allows("AcrPull", CR + "push/write")
    assert not allows("AcrPull", CR + "read")
    assert not allows("AcrPull", CR + "pull/read", data=True)  # an action, not a data action


def test_acrpush_pushes_and_pulls() -> None:
    assert allows("AcrPush", CR + "push/write") and allows("AcrPush", CR + "pull/read")
    assert not allows("AcrPush", CR + "artifacts/delete")


def test_contributor_cannot_write_role_assignments() -> None:
    assert not allows("Contributor", "Microsoft.Authorization/roleAssignments/write")
    assert not allows("Contributor", "microsoft.authorization/ROLEASSIGNMENTS/WRITE")  # NotActions match any case
    assert not allows("Contributor", "Microsoft.Authorization/roleAssignments/delete")
    assert allows("Contributor", "Microsoft.Authorization/roleAssignments/read")
    assert allows("Contributor", CR + "write")
    assert allows("Contributor", "Microsoft.Network/privateEndpoints/write")
    assert not allows("Contributor", CR + "repositories/content/read", data=True)  # "*" is not a data action


def test_owner_and_access_administrators_write_role_assignments() -> None:
    for name in ("Owner", "User Access Administrator", "Role Based Access Control Administrator"):
        assert allows(name, "Microsoft.Authorization/roleAssignments/write"), name
    assert not allows("Role Based Access Control Administrator", "Microsoft.Authorization/roleDefinitions/write")
    assert allows("User Access Administrator", "Microsoft.Authorization/roleDefinitions/write")
    assert not allows("User Access Administrator", CR + "write")


def test_reader_reads_and_does_not_write() -> None:
    assert allows("Reader", CR + "read")
    assert allows("Reader", "microsoft.containerregistry/REGISTRIES/read")
    assert not allows("Reader", CR + "write")
    assert not allows("Reader", CR + "listCredentials/action")
    assert allows("Reader", CR + "pull/read")  # "*/read" covers it


def test_network_roles() -> None:
    assert allows("Network Contributor", "Microsoft.Network/privateEndpoints/write")
    assert allows("Network Contributor", "Microsoft.Network/virtualNetworks/subnets/join/action")
    assert not allows("Network Contributor", CR + "write")
    assert allows("Private DNS Zone Contributor", "Microsoft.Network/privateDnsZones/A/write")
    assert allows("Private DNS Zone Contributor", "Microsoft.Network/privateDnsZones/virtualNetworkLinks/write")
    assert allows("Private DNS Zone Contributor", "Microsoft.Network/virtualNetworks/join/action")
    assert not allows("Private DNS Zone Contributor", "Microsoft.Network/virtualNetworks/write")


def test_registry_contributor_approves_private_endpoints_but_cannot_pull() -> None:
    name = "Container Registry Contributor and Data Access Configuration Administrator"
    assert allows(name, CR + "privateEndpointConnectionsApproval/action")
    assert allows(name, CR + "write")
    assert not allows(name, CR + "pull/read")
    assert role_token_actions(role(name), LEGACY_MODE) == frozenset()


# Token actions per role and mode -----------------------------------------------------------------------------

ALL = frozenset(br.TOKEN_ACTIONS)
LEGACY = {
    "Owner": ALL,
    "Contributor": ALL,
    "Reader": {"pull", "metadata_read", "catalog"},
    "AcrPull": {"pull", "metadata_read", "catalog"},
    "AcrPush": {"pull", "push", "metadata_read", "catalog"},
    "AcrDelete": {"delete"},
    "AcrImageSigner": set(),
    "Container Registry Data Importer and Data Reader": {"pull", "metadata_read", "catalog"},
    "Container Registry Repository Reader": set(),
    "Container Registry Repository Catalog Lister": set(),
    "Container Registry Tasks Contributor": set(),
    "User Access Administrator": {"pull", "metadata_read", "catalog"},  # its "*/read" matches pull/read
    "Network Contributor": set(),
}
ABAC = {
    "Owner": set(),
    "Contributor": set(),
    "Reader": set(),
    "AcrPull": set(),
    "AcrPush": set(),
    "AcrDelete": set(),
    "Container Registry Repository Reader": {"pull", "metadata_read"},
    "Container Registry Repository Writer": {"pull", "push", "metadata_read", "metadata_write"},
    "Container Registry Repository Contributor": {"pull", "push", "delete", "metadata_read", "metadata_write"},
    "Container Registry Repository Catalog Lister": {"catalog"},
    "Container Registry Data Importer and Data Reader": {"pull", "metadata_read", "catalog"},
    "Container Registry Tasks Contributor": set(),
}


@pytest.mark.parametrize(("name", "expected"), sorted(LEGACY.items()))
def test_token_actions_in_legacy_mode(name: str, expected: set[str]) -> None:
    assert role_token_actions(role(name), LEGACY_MODE) == frozenset(expected)
    assert role_token_actions(role(name), "rbac") == frozenset(expected)
    assert role_token_actions(role(name), None) == frozenset(expected)


@pytest.mark.parametrize(("name", "expected"), sorted(ABAC.items()))
def test_token_actions_in_abac_mode(name: str, expected: set[str]) -> None:
    assert role_token_actions(role(name), ABAC_MODE) == frozenset(expected)
    assert role_token_actions(role(name), "rbac-abac") == frozenset(expected)


def test_token_actions_take_any_allows_callable() -> None:
    asked: list[tuple[str, bool]] = []

    def only_content_read(action: str, data: bool) -> bool:
        asked.append((action, data))
        return data and action == CR + "repositories/content/read"

    assert br.token_actions(only_content_read, ABAC_MODE) == {"pull"}
    assert all(data for _, data in asked)
    assert br.token_actions(lambda a, d: True, LEGACY_MODE) == ALL
    assert br.token_actions(lambda a, d: False, ABAC_MODE) == frozenset()


def test_mode_names() -> None:
    assert br.role_assignment_mode("rbac") == br.role_assignment_mode("legacyregistrypermissions") == LEGACY_MODE
    assert br.role_assignment_mode(" RBAC-ABAC ") == br.role_assignment_mode(ABAC_MODE) == ABAC_MODE
    with pytest.raises(ValueError, match="unknown role assignment mode"):
        br.role_assignment_mode("abac")
    with pytest.raises(ValueError):
        br.token_actions(lambda a, d: True, "Open")


def test_data_plane_table_covers_every_token_action_in_both_modes() -> None:
    for mode in (LEGACY_MODE, ABAC_MODE):
        assert set(br.DATA_PLANE[mode]) == ALL
        assert all(br.DATA_PLANE[mode][token] for token in ALL)
    assert all(data for ways in br.DATA_PLANE[ABAC_MODE].values() for _, data in ways)
