"""The real-ARM answer style (--arm-async): 201/202 with Azure-AsyncOperation / Location and
Retry-After: 1, driven through the SDK pollers."""

from __future__ import annotations

import ssl

import httpx
import pytest

from .conftest import Running, Sdk, sdk_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def async_sdk(acrlink_async: Running, trust: None) -> Sdk:
    return sdk_for(acrlink_async)


def test_pollers_complete_every_write(async_sdk: Sdk) -> None:
    async_sdk.resources.resource_groups.create_or_update("rg-poll", {"location": "chinanorth2"})
    poller = async_sdk.acr.registries.begin_create(
        "rg-poll", "polled01", {"location": "chinanorth2", "sku": {"name": "Premium"}}
    )
    registry = poller.result()
    assert registry.provisioning_state == "Succeeded", "the final GET shows the finished resource"
    updated = async_sdk.acr.registries.begin_update(
        "rg-poll", "polled01", {"properties": {"adminUserEnabled": True}}
    ).result()
    assert updated.admin_user_enabled is True
    replica = async_sdk.acr.replications.begin_create(
        "rg-poll", "polled01", "chinaeast2", {"location": "chinaeast2"}
    ).result()
    assert replica.provisioning_state == "Succeeded"
    async_sdk.acr.replications.begin_delete("rg-poll", "polled01", "chinaeast2").result()
    async_sdk.acr.registries.begin_delete("rg-poll", "polled01").result()
    assert "polled01" not in [r.name for r in async_sdk.acr.registries.list()]
    async_sdk.resources.resource_groups.begin_delete("rg-poll").result()
    assert async_sdk.resources.resource_groups.check_existence("rg-poll") is False


def test_initial_answers_carry_the_polling_headers(acrlink_async: Running, async_sdk: Sdk) -> None:
    async_sdk.resources.resource_groups.create_or_update("rg-headers", {"location": "chinanorth2"})
    token = async_sdk.acr._config.credential.get_token("https://management.chinacloudapi.cn/.default").token
    base = (
        f"{acrlink_async.arm}/subscriptions/{acrlink_async.subscription}/resourceGroups/rg-headers"
        "/providers/Microsoft.ContainerRegistry/registries/headers01"
    )
    with httpx.Client(
        verify=ssl.create_default_context(cafile=acrlink_async.endpoints["ca"]),
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        put = client.put(f"{base}?api-version=2025-11-01", json={"location": "chinanorth2", "sku": {"name": "Premium"}})
        assert put.status_code == 201
        assert put.headers["Retry-After"] == "1"
        assert put.json()["properties"]["provisioningState"] == "Creating"
        status = client.get(put.headers["Azure-AsyncOperation"])
        assert status.json()["status"] == "Succeeded"
        delete = client.delete(f"{base}?api-version=2025-11-01")
        assert delete.status_code == 202
        assert client.get(delete.headers["Location"]).status_code == 200
