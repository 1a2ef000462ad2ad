"""Response shapes and protocol details that clients depend on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Arm, make_arm

PREMIUM = {"location": "chinanorth2", "sku": {"name": "Premium"}}


@pytest.fixture
def small_pages(tmp_path: Path) -> Iterator[Arm]:
    yield from make_arm(tmp_path, page_size=2)


def test_collections_page_through_next_link(small_pages: Arm) -> None:
    for index in range(5):
        small_pages.group(f"rg{index}")
    first = small_pages.request("GET", "/subscriptions/{sub}/resourcegroups").json()
    names = [g["name"] for g in first["value"]]
    link = first["nextLink"]
    while link:
        page = small_pages.client.get(link).json()
        names += [g["name"] for g in page["value"]]
        link = page.get("nextLink")
    assert names == [f"rg{i}" for i in range(5)]


def test_registry_shape(arm: Arm) -> None:
    arm.group()
    doc = arm.request("PUT", arm.registry_path("Shape01"), PREMIUM).json()
    assert doc["id"].endswith("/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/Shape01")
    assert doc["type"] == "Microsoft.ContainerRegistry/registries"
    assert doc["sku"] == {"name": "Premium", "tier": "Premium"}
    props = doc["properties"]
    assert props["loginServer"] == "shape01.azurecr.cn"
    assert props["provisioningState"] == "Succeeded"
    assert props["networkRuleSet"] == {"defaultAction": "Allow", "ipRules": []}
    assert props["publicNetworkAccess"] == "Enabled"
    assert props["networkRuleBypassOptions"] == "AzureServices"
    assert props["dataEndpointHostNames"] == [] and props["privateEndpointConnections"] == []
    assert props["creationDate"].endswith("Z")
    assert set(doc["systemData"]) == {
        "createdBy",
        "createdByType",
        "createdAt",
        "lastModifiedBy",
        "lastModifiedByType",
        "lastModifiedAt",
    }


def test_case_insensitive_routes_keep_the_callers_names(arm: Arm) -> None:
    arm.group("MyGroup")
    arm.request("PUT", arm.registry_path("CaseReg01", "MyGroup"), PREMIUM)
    doc = arm.request(
        "GET",
        "/SUBSCRIPTIONS/{sub}/RESOURCEGROUPS/mygroup/PROVIDERS/microsoft.containerregistry/REGISTRIES/casereg01",
    ).json()
    assert doc["name"] == "CaseReg01"
    assert "/resourceGroups/MyGroup/providers/Microsoft.ContainerRegistry/registries/CaseReg01" in doc["id"]


def test_provider_registration_is_per_subscription(arm: Arm) -> None:
    second = arm.application.tenancy.world.subscriptions[1]
    arm.request("PUT", f"/subscriptions/{second}/resourcegroups/rg", {"location": "chinanorth2"})
    refused = arm.request(
        "PUT",
        f"/subscriptions/{second}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/second01",
        PREMIUM,
    )
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "MissingSubscriptionRegistration"
    assert "'Microsoft.ContainerRegistry'" in error["message"]
    assert (
        arm.request("POST", f"/subscriptions/{second}/providers/Microsoft.ContainerRegistry/register").json()[
            "registrationState"
        ]
        == "Registered"
    )
    created = arm.request(
        "PUT",
        f"/subscriptions/{second}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/second01",
        PREMIUM,
    )
    assert created.status_code == 201


def test_cloud_metadata_forms(arm: Arm) -> None:
    listed = arm.client.get("/metadata/endpoints?api-version=2019-05-01").json()
    assert isinstance(listed, list) and listed[0]["suffixes"]["acrLoginServer"] == "azurecr.cn"
    single = arm.client.get("/metadata/endpoints?api-version=2022-09-01").json()
    assert single["resourceManager"] == "https://arm.test/"
    assert single["authentication"]["loginEndpoint"] == "https://arm.test"


def test_token_endpoint(arm: Arm) -> None:
    tenant = arm.application.tenancy.world.tenant_id
    url = f"/{tenant}/oauth2/v2.0/token"
    good = arm.client.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": "app",
            "client_secret": "s",
            "scope": "https://management.chinacloudapi.cn/.default",
        },
    )
    assert good.status_code == 200 and good.json()["token_type"] == "Bearer"
    import base64
    import json

    payload = good.json()["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["tid"] == tenant and claims["appid"] == "app" and claims["oid"] and claims["exp"]
    no_client = arm.client.post(url, data={"grant_type": "client_credentials", "client_secret": "s"})
    assert (no_client.status_code, no_client.json()["error"]) == (400, "invalid_request")
    no_secret = arm.client.post(url, data={"grant_type": "client_credentials", "client_id": "app"})
    assert (no_secret.status_code, no_secret.json()["error"]) == (401, "invalid_client")
    grant = arm.client.post(url, data={"grant_type": "password", "client_id": "app", "client_secret": "s"})
    assert grant.json()["error"] == "unsupported_grant_type"
    tenant_unknown = arm.client.post("/not-a-tenant/oauth2/v2.0/token", data={"grant_type": "client_credentials"})
    assert tenant_unknown.status_code == 400
    config = arm.client.get(f"/{tenant}/v2.0/.well-known/openid-configuration").json()
    assert config["token_endpoint"] == f"https://arm.test/{tenant}/oauth2/v2.0/token"


def test_managed_identity_endpoint_refuses_a_forged_header(arm: Arm) -> None:
    """Who gets which identity's token is ``test_managed_identity.py``'s; here: no header, no token."""
    refused = arm.client.get("/msi/token?api-version=2019-08-01&resource=https://management.chinacloudapi.cn")
    assert refused.status_code == 400
    forged = arm.client.get(
        "/msi/token?api-version=2019-08-01&resource=https://management.chinacloudapi.cn",
        headers={"X-IDENTITY-HEADER": "x"},
    )
    assert forged.status_code == 400 and forged.json()["error"] == "invalid_request"


def test_group_delete_is_atomic_and_complete(arm: Arm) -> None:
    arm.group()
    arm.request("PUT", arm.registry_path("gone0001"), PREMIUM)
    arm.request("PUT", arm.registry_path("gone0001") + "/replications/chinaeast2", {"location": "chinaeast2"})
    assert arm.request("DELETE", "/subscriptions/{sub}/resourcegroups/rg").status_code == 200
    with arm.application.store.transaction() as tx:
        assert tx.query(subscription=arm.sub) == []
        assert list(tx.kv_items("registry-credentials:")) == []
    assert arm.request("HEAD", "/subscriptions/{sub}/resourcegroups/rg").status_code == 404


def test_locations_are_the_clouds_regions(arm: Arm) -> None:
    names = [loc["name"] for loc in arm.request("GET", "/subscriptions/{sub}/locations").json()["value"]]
    assert names == ["chinanorth", "chinanorth2", "chinanorth3", "chinaeast", "chinaeast2", "chinaeast3"]
