"""azure-mgmt-containerregistry against a real acrlink: registries, replications, connections."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from .conftest import Sdk

pytestmark = pytest.mark.slow

PREMIUM = {"location": "chinanorth2", "sku": {"name": "Premium"}}


@pytest.fixture(scope="module")
def group(sdk: Sdk) -> str:
    sdk.resources.resource_groups.create_or_update("rg-sdk-acr", {"location": "chinanorth2"})
    return "rg-sdk-acr"


def test_create_get_list_update_delete(sdk: Sdk, group: str) -> None:
    registries = sdk.acr.registries
    created = registries.begin_create(group, "Lifecycle01", PREMIUM).result()
    assert created.login_server == "lifecycle01.azurecr.cn"
    assert created.name == "Lifecycle01"
    assert created.sku.tier == "Premium"
    assert created.public_network_access == "Enabled"
    assert created.network_rule_set.default_action == "Allow"
    assert created.network_rule_bypass_options == "AzureServices"
    assert created.admin_user_enabled is False
    assert registries.get(group, "lifecycle01").id == created.id
    assert "Lifecycle01" in [r.name for r in registries.list_by_resource_group(group)]
    assert "Lifecycle01" in [r.name for r in registries.list()]
    updated = registries.begin_update(
        group,
        "Lifecycle01",
        {
            "properties": {
                "publicNetworkAccess": "Disabled",
                "networkRuleBypassOptions": "None",
                "dataEndpointEnabled": True,
            },
            "tags": {"env": "test"},
        },
    ).result()
    assert updated.public_network_access == "Disabled"
    assert updated.network_rule_bypass_options == "None"
    assert updated.data_endpoint_host_names == ["lifecycle01.chinanorth2.data.azurecr.cn"]
    assert updated.tags == {"env": "test"}
    assert updated.admin_user_enabled is False, "PATCH keeps what it does not name"
    registries.begin_delete(group, "Lifecycle01").result()
    with pytest.raises(ResourceNotFoundError) as caught:
        registries.get(group, "Lifecycle01")
    assert caught.value.error.code == "ResourceNotFound"


def test_check_name_availability(sdk: Sdk, group: str) -> None:
    sdk.acr.registries.begin_create(group, "takenname1", PREMIUM).result()
    check = sdk.acr.registries.check_name_availability
    taken = check({"name": "TakenName1", "type": "Microsoft.ContainerRegistry/registries"})
    assert (taken.name_available, taken.reason) == (False, "AlreadyExists")
    assert check({"name": "freename77", "type": "Microsoft.ContainerRegistry/registries"}).name_available
    invalid = check({"name": "no-dashes", "type": "Microsoft.ContainerRegistry/registries"})
    assert (invalid.name_available, invalid.reason) == (False, "Invalid")


def test_login_server_names_are_unique_across_groups(sdk: Sdk, group: str) -> None:
    sdk.acr.registries.begin_create(group, "uniquename1", PREMIUM).result()
    sdk.resources.resource_groups.create_or_update("rg-sdk-other", {"location": "chinanorth2"})
    with pytest.raises(ResourceExistsError) as caught:
        sdk.acr.registries.begin_create("rg-sdk-other", "UniqueName1", PREMIUM).result()
    assert caught.value.error.code == "AlreadyInUse"
    assert "uniquename1.azurecr.cn" in caught.value.error.message


def test_usages_private_link_resources_and_credentials(sdk: Sdk, group: str) -> None:
    registries = sdk.acr.registries
    registries.begin_create(group, "usage01", {**PREMIUM, "properties": {"adminUserEnabled": True}}).result()
    usages = {u.name: (u.limit, u.current_value, u.unit) for u in registries.list_usages(group, "usage01").value}
    assert usages["PrivateEndpointConnections"] == (200, 0, "Count")
    assert usages["Size"][2] == "Bytes"
    assert set(usages) >= {"Size", "Webhooks", "Geo-replications", "IPRules", "VNetRules"}
    links = list(registries.list_private_link_resources(group, "usage01"))
    assert [
        (r.properties.group_id, r.properties.required_members, r.properties.required_zone_names) for r in links
    ] == [("registry", ["registry", "registry_data_chinanorth2"], ["privatelink.azurecr.cn"])]
    assert registries.get_private_link_resource(group, "usage01", "registry").properties.group_id == "registry"
    creds = registries.list_credentials(group, "usage01")
    assert creds.username == "usage01"
    first = {p.name: p.value for p in creds.passwords}
    again = registries.regenerate_credential(group, "usage01", {"name": "password2"})
    second = {p.name: p.value for p in again.passwords}
    assert second["password"] == first["password"] and second["password2"] != first["password2"]


def test_legacy_registry_keeps_the_old_private_endpoint_limit(sdk: Sdk, group: str) -> None:
    sdk.acr.registries.begin_create(group, "legacy01", {**PREMIUM, "tags": {"acrlink-created": "2020-05-01"}}).result()
    usages = {u.name: u.limit for u in sdk.acr.registries.list_usages(group, "legacy01").value}
    assert usages["PrivateEndpointConnections"] == 10


def test_credentials_need_the_admin_user(sdk: Sdk, group: str) -> None:
    sdk.acr.registries.begin_create(group, "noadmin01", PREMIUM).result()
    with pytest.raises(HttpResponseError) as caught:
        sdk.acr.registries.list_credentials(group, "noadmin01")
    assert caught.value.status_code == 400


def test_replications(sdk: Sdk, group: str) -> None:
    sdk.acr.registries.begin_create(
        group, "georeg01", {**PREMIUM, "properties": {"dataEndpointEnabled": True}}
    ).result()
    replications = sdk.acr.replications
    replica = replications.begin_create(group, "georeg01", "chinaeast2", {"location": "chinaeast2"}).result()
    assert (replica.location, replica.provisioning_state, replica.status.display_status) == (
        "chinaeast2",
        "Succeeded",
        "Ready",
    )
    assert sorted(r.location for r in replications.list(group, "georeg01")) == ["chinaeast2", "chinanorth2"]
    registry = sdk.acr.registries.get(group, "georeg01")
    assert registry.data_endpoint_host_names == [
        "georeg01.chinanorth2.data.azurecr.cn",
        "georeg01.chinaeast2.data.azurecr.cn",
    ]
    members = sdk.acr.registries.get_private_link_resource(group, "georeg01", "registry").properties.required_members
    assert members == ["registry", "registry_data_chinanorth2", "registry_data_chinaeast2"]
    updated = replications.begin_update(
        group, "georeg01", "chinaeast2", {"properties": {"regionEndpointEnabled": False}, "tags": {"a": "b"}}
    ).result()
    assert (updated.region_endpoint_enabled, updated.tags) == (False, {"a": "b"})
    assert replications.get(group, "georeg01", "chinaeast2").region_endpoint_enabled is False
    with pytest.raises(HttpResponseError) as home:
        replications.begin_create(group, "georeg01", "chinanorth2b", {"location": "chinanorth2"}).result()
    assert home.value.status_code == 400
    with pytest.raises(HttpResponseError) as twice:
        replications.begin_create(group, "georeg01", "eastagain", {"location": "chinaeast2"}).result()
    assert twice.value.status_code == 400
    replications.begin_delete(group, "georeg01", "chinaeast2").result()
    assert list(replications.list(group, "georeg01")) == []
    assert sdk.acr.registries.get(group, "georeg01").data_endpoint_host_names == [
        "georeg01.chinanorth2.data.azurecr.cn"
    ]


def test_replications_are_premium_only(sdk: Sdk, group: str) -> None:
    sdk.acr.registries.begin_create(
        group, "standard01", {"location": "chinanorth2", "sku": {"name": "Standard"}}
    ).result()
    with pytest.raises(HttpResponseError) as caught:
        sdk.acr.replications.begin_create(group, "standard01", "chinaeast2", {"location": "chinaeast2"}).result()
    assert caught.value.error.code == "SkuNotSupported"


def test_disabling_public_access_needs_premium(sdk: Sdk, group: str) -> None:
    """S1: the confirmed code and message, and nothing changes."""
    sdk.acr.registries.begin_create(group, "basic01", {"location": "chinanorth2", "sku": {"name": "Basic"}}).result()
    with pytest.raises(HttpResponseError) as caught:
        sdk.acr.registries.begin_update(group, "basic01", {"properties": {"publicNetworkAccess": "Disabled"}}).result()
    assert caught.value.error.code == "DisablingPublicNetworkAccessNotSupported"
    assert "not supported for the SKU Basic" in caught.value.error.message
    assert sdk.acr.registries.get(group, "basic01").public_network_access == "Enabled"


def test_private_endpoint_connections_routes(sdk: Sdk, group: str) -> None:
    sdk.acr.registries.begin_create(group, "pecroutes1", PREMIUM).result()
    connections = sdk.acr.private_endpoint_connections
    assert list(connections.list(group, "pecroutes1")) == []
    with pytest.raises(ResourceNotFoundError):
        connections.get(group, "pecroutes1", "pecroutes1.0123456789abcdef0123456789abcdef")
    connections.begin_delete(group, "pecroutes1", "pecroutes1.0123456789abcdef0123456789abcdef").result()


def test_group_delete_removes_registries_and_children(sdk: Sdk) -> None:
    """S26."""
    sdk.resources.resource_groups.create_or_update("rg-sdk-gone", {"location": "chinanorth2"})
    sdk.acr.registries.begin_create("rg-sdk-gone", "goneregistry1", PREMIUM).result()
    sdk.acr.replications.begin_create("rg-sdk-gone", "goneregistry1", "chinaeast2", {"location": "chinaeast2"}).result()
    sdk.resources.resource_groups.begin_delete("rg-sdk-gone").result()
    with pytest.raises(ResourceNotFoundError):
        sdk.acr.registries.get("rg-sdk-gone", "goneregistry1")
    assert "goneregistry1" not in [r.name for r in sdk.acr.registries.list()]
    assert sdk.acr.registries.check_name_availability(
        {"name": "goneregistry1", "type": "Microsoft.ContainerRegistry/registries"}
    ).name_available
