"""azure-mgmt-resource (and the subscriptions client) against a real acrlink, default api-versions."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

from .conftest import CHINA, Running, Sdk, credential, sdk_for

pytestmark = pytest.mark.slow


def test_subscriptions_and_tenants(sdk: Sdk) -> None:
    client = SubscriptionClient(credential(sdk.running), base_url=sdk.running.arm, cloud_setting=CHINA)
    subscriptions = list(client.subscriptions.list())
    ids = [s.subscription_id for s in subscriptions]
    assert ids == sdk.running.endpoints["subscriptions"]
    assert all(s.tenant_id == sdk.running.endpoints["tenantId"] for s in subscriptions)
    assert client.subscriptions.get(ids[1]).display_name == "acrlink-second"
    assert [t.tenant_id for t in client.tenants.list()] == [sdk.running.endpoints["tenantId"]]
    with pytest.raises(ResourceNotFoundError) as caught:
        client.subscriptions.get("00000000-0000-0000-0000-00000000dead")
    assert caught.value.error.code == "SubscriptionNotFound"


def test_resource_group_lifecycle(sdk: Sdk) -> None:
    groups = sdk.resources.resource_groups
    created = groups.create_or_update("rg-life", {"location": "chinanorth2", "tags": {"team": "a"}})
    assert created.id == f"/subscriptions/{sdk.running.subscription}/resourceGroups/rg-life"
    assert created.properties.provisioning_state == "Succeeded"
    assert groups.check_existence("rg-life") is True
    assert groups.check_existence("rg-absent") is False
    assert groups.get("RG-LIFE").name == "rg-life"
    assert groups.update("rg-life", {"tags": {"team": "b"}}).tags == {"team": "b"}
    assert "rg-life" in [g.name for g in groups.list()]
    groups.begin_delete("rg-life").result()
    assert groups.check_existence("rg-life") is False
    with pytest.raises(ResourceNotFoundError) as caught:
        groups.get("rg-life")
    assert caught.value.error.code == "ResourceGroupNotFound"


def test_resource_group_location_cannot_change(sdk: Sdk) -> None:
    sdk.resources.resource_groups.create_or_update("rg-moves", {"location": "chinanorth2"})
    with pytest.raises(ResourceExistsError) as caught:
        sdk.resources.resource_groups.create_or_update("rg-moves", {"location": "chinaeast2"})
    assert caught.value.error.code == "InvalidResourceGroupLocation"


def test_list_is_paged_with_next_link(sdk: Sdk) -> None:
    for index in range(3):
        sdk.resources.resource_groups.create_or_update(f"rg-page-{index}", {"location": "chinaeast2"})
    pages = list(sdk.resources.resource_groups.list(top=None).by_page())
    names = [g.name for page in pages for g in page]
    assert {"rg-page-0", "rg-page-1", "rg-page-2"} <= set(names)
    assert len(names) == len(set(names))


def test_generic_resource_list_filters_by_type(sdk: Sdk) -> None:
    sdk.resources.resource_groups.create_or_update("rg-generic", {"location": "chinanorth2"})
    sdk.acr.registries.begin_create(
        "rg-generic", "genericreg1", {"location": "chinanorth2", "sku": {"name": "Premium"}}
    ).result()
    found = list(sdk.resources.resources.list(filter="resourceType eq 'Microsoft.ContainerRegistry/registries'"))
    mine = [r for r in found if r.name == "genericreg1"]
    assert mine and mine[0].type == "Microsoft.ContainerRegistry/registries"
    assert "/resourceGroups/rg-generic/" in mine[0].id
    in_group = list(sdk.resources.resources.list_by_resource_group("rg-generic"))
    assert [r.name for r in in_group] == ["genericreg1"]


def test_providers(sdk: Sdk) -> None:
    providers = sdk.resources.providers
    namespaces = {p.namespace: p.registration_state for p in providers.list()}
    assert namespaces == {
        "Microsoft.ContainerRegistry": "Registered",
        "Microsoft.Network": "Registered",
        "Microsoft.Resources": "Registered",
        "Acrlink.Network": "Registered",
    }
    acr = providers.get("microsoft.containerregistry")
    assert acr.namespace == "Microsoft.ContainerRegistry"
    assert "registries" in [t.resource_type for t in acr.resource_types]
    with pytest.raises(ResourceNotFoundError):
        providers.get("Microsoft.Nothing")


def test_second_subscription_starts_unregistered_and_registers(acrlink: Running, trust: None) -> None:
    second = sdk_for(acrlink, acrlink.second_subscription)
    states = {p.namespace: p.registration_state for p in second.resources.providers.list()}
    assert states["Microsoft.Network"] == "NotRegistered"
    assert second.resources.providers.register("Microsoft.Network").registration_state == "Registered"
    assert second.resources.providers.unregister("Microsoft.Network").registration_state == "NotRegistered"


def test_sdk_registers_the_provider_after_409_and_retries(fresh_acrlink: Running, trust: None) -> None:
    """S9: the SDK's auto-registration policy reads our 409, registers, waits 10 s, retries.

    (The policy cannot read the body of a streamed LRO answer, so a plain list triggers it, as it
    would against Azure.)"""
    acrlink = fresh_acrlink
    second = sdk_for(acrlink, acrlink.second_subscription)
    assert second.resources.providers.get("Microsoft.ContainerRegistry").registration_state == "NotRegistered"
    second.resources.resource_groups.create_or_update("rg-auto", {"location": "chinaeast2"})
    client = ContainerRegistryManagementClient(
        credential(acrlink), acrlink.second_subscription, base_url=acrlink.arm, cloud_setting=CHINA
    )
    assert list(client.registries.list()) == []
    registry = client.registries.begin_create(
        "rg-auto", "autoregistered1", {"location": "chinaeast2", "sku": {"name": "Basic"}}
    ).result()
    assert registry.provisioning_state == "Succeeded"
    assert second.resources.providers.get("Microsoft.ContainerRegistry").registration_state == "Registered"


def test_unregistering_a_provider_in_use_is_refused(sdk: Sdk) -> None:
    sdk.resources.resource_groups.create_or_update("rg-inuse", {"location": "chinanorth2"})
    sdk.acr.registries.begin_create(
        "rg-inuse", "inusereg1", {"location": "chinanorth2", "sku": {"name": "Basic"}}
    ).result()
    with pytest.raises(HttpResponseError) as caught:
        sdk.resources.providers.unregister("Microsoft.ContainerRegistry")
    assert caught.value.status_code == 409
