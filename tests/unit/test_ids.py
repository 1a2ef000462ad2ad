"""ARM resource ids: parsing and the properties of a ResourceRef."""

from __future__ import annotations

import pytest

from acrlink.ids import ResourceRef, group_id, group_ref, new_guid, new_hex, parse_group_id, parse_resource_id

REGISTRY_ID = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ContainerRegistry/registries/MyReg01"
REPLICA_ID = f"{REGISTRY_ID}/replications/chinaeast2"


def _registry() -> ResourceRef:
    return ResourceRef("sub1", "rg1", "Microsoft.ContainerRegistry", (("registries", "MyReg01"),))


# --- parse_resource_id -----------------------------------------------------------------------


def test_parse_top_level_resource() -> None:
    assert parse_resource_id(REGISTRY_ID) == _registry()


def test_parse_child_resource() -> None:
    ref = parse_resource_id(REPLICA_ID)
    segments = (("registries", "MyReg01"), ("replications", "chinaeast2"))
    assert ref == ResourceRef("sub1", "rg1", "Microsoft.ContainerRegistry", segments)


def test_parse_accepts_any_casing_of_the_fixed_segments() -> None:
    ref = parse_resource_id(
        "/SUBSCRIPTIONS/sub1/RESOURCEGROUPS/rg1/PROVIDERS/Microsoft.ContainerRegistry/registries/MyReg01"
    )
    assert ref == _registry()
    assert ref is not None and ref.id == REGISTRY_ID


def test_parse_keeps_the_casing_of_names_and_types() -> None:
    ref = parse_resource_id(
        "/subscriptions/SUB1/resourceGroups/My-RG/providers/microsoft.containerregistry/REGISTRIES/MyReg01"
    )
    assert ref == ResourceRef("SUB1", "My-RG", "microsoft.containerregistry", (("REGISTRIES", "MyReg01"),))


def test_parse_ignores_surrounding_whitespace() -> None:
    assert parse_resource_id(f"  {REGISTRY_ID}\n") == _registry()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "/",
        "/subscriptions/sub1",
        "/subscriptions/sub1/resourceGroups/rg1",
        "/subscriptions/sub1/resourceGroups/rg1/providers",
        "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ContainerRegistry",
        "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ContainerRegistry/registries",
        f"{REGISTRY_ID}/replications",
        f"{REGISTRY_ID}/",
        REGISTRY_ID[1:],
        REGISTRY_ID.replace("/subscriptions/", "/subscription/"),
        REGISTRY_ID.replace("/resourceGroups/", "/groups/"),
        REGISTRY_ID.replace("/providers/", "/provider/"),
        REGISTRY_ID.replace("/rg1/", "//"),
        "/subscriptions//resourceGroups/rg1/providers/Microsoft.ContainerRegistry/registries/r",
        "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ContainerRegistry//r",
        "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ContainerRegistry/registries//x/y",
        "not an id at all",
    ],
)
def test_parse_of_anything_else_is_none(text: str) -> None:
    assert parse_resource_id(text) is None


# --- ResourceRef -----------------------------------------------------------------------------


def test_ref_name_is_the_last_segment_name() -> None:
    assert _registry().name == "MyReg01"
    assert _registry().child("replications", "chinaeast2").name == "chinaeast2"


def test_ref_type_joins_namespace_and_type_segments() -> None:
    assert _registry().type == "Microsoft.ContainerRegistry/registries"
    child_type = _registry().child("replications", "x").type
    assert child_type == "Microsoft.ContainerRegistry/registries/replications"


def test_ref_id_is_the_canonical_id() -> None:
    assert _registry().id == REGISTRY_ID
    assert _registry().child("replications", "chinaeast2").id == REPLICA_ID


def test_ref_key_is_the_lower_cased_id() -> None:
    assert _registry().key == REGISTRY_ID.lower()


def test_refs_differing_only_in_case_share_a_key() -> None:
    other = ResourceRef("SUB1", "RG1", "microsoft.containerregistry", (("REGISTRIES", "myreg01"),))
    assert other.key == _registry().key
    assert other.id != _registry().id


def test_top_level_ref_has_no_parent() -> None:
    assert _registry().parent is None


def test_child_ref_parent_is_the_resource_above() -> None:
    assert _registry().child("replications", "chinaeast2").parent == _registry()


def test_grandchild_parent_is_the_child() -> None:
    child = _registry().child("replications", "a")
    assert child.child("things", "b").parent == child


def test_child_appends_one_segment_and_keeps_the_scope() -> None:
    child = _registry().child("privateEndpointConnections", "MyReg01.abc")
    assert child.segments == (("registries", "MyReg01"), ("privateEndpointConnections", "MyReg01.abc"))
    assert (child.subscription, child.resource_group, child.namespace) == (
        "sub1",
        "rg1",
        "Microsoft.ContainerRegistry",
    )


def test_parse_round_trips_ref_id() -> None:
    child = _registry().child("replications", "chinaeast2")
    assert parse_resource_id(child.id) == child


def test_group_id() -> None:
    assert group_id("sub1", "My-RG") == "/subscriptions/sub1/resourceGroups/My-RG"


def test_new_guid_is_a_fresh_uuid() -> None:
    first, second = new_guid(), new_guid()
    assert first != second
    assert len(first) == 36 and first.count("-") == 4


def test_new_hex_is_32_lower_hex_digits() -> None:
    value = new_hex()
    assert len(value) == 32 and int(value, 16) >= 0 and value == value.lower()


# --- resource groups ---------------------------------------------------------------------------


def test_a_ref_without_segments_is_the_group_itself() -> None:
    group = group_ref("sub1", "My-RG")
    assert group.is_group and not _registry().is_group
    assert (group.name, group.type, group.parent) == ("My-RG", "Microsoft.Resources/resourceGroups", None)
    assert group.id == group_id("sub1", "My-RG") == "/subscriptions/sub1/resourceGroups/My-RG"
    assert group.key == "/subscriptions/sub1/resourcegroups/my-rg"


def test_parse_group_id() -> None:
    assert parse_group_id(" /SUBSCRIPTIONS/sub1/resourcegroups/My-RG ") == group_ref("sub1", "My-RG")
    assert parse_resource_id("/subscriptions/sub1/resourceGroups/My-RG") is None


@pytest.mark.parametrize(
    "text",
    [REGISTRY_ID, "/subscriptions/sub1/resourceGroups", "/subscriptions/sub1/resourceGroups/", "subscriptions/s/resourceGroups/g/",
     "/subscriptions//resourceGroups/g", "/subscriptions/s/providers/g"],
)  # fmt: skip
def test_parse_group_id_refuses_anything_else(text: str) -> None:
    assert parse_group_id(text) is None
