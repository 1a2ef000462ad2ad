"""The Microsoft Graph face in-process: what az's ``ad sp`` and ``role assignment`` commands send, its tokens,
its permissions, and the Entra token endpoint checking the secrets it hands out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from acrlink.domain import principals

from .conftest import Arm
from .network_world import NET, subnet_id, world

BASE = "https://arm.test"
ARM_AUDIENCE = "https://management.core.chinacloudapi.cn/"


def token(arm: Arm, audience: str, app_id: str | None = None, tenant: str | None = None) -> str:
    world_ = arm.application.tenancy.world
    issued, _ = arm.application.identity.issue(app_id or world_.default_client_id, audience, tenant_id=tenant)
    return issued


def graph(arm: Arm, method: str, path: str, body: Any = None, bearer: str | None = None, **kw: Any) -> httpx.Response:
    bearer = bearer or token(arm, BASE)
    return arm.client.request(method, path, json=body, headers={"Authorization": f"Bearer {bearer}"}, **kw)


def create(arm: Arm, name: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    app = graph(arm, "POST", "/v1.0/applications", {"displayName": name})
    assert app.status_code == 201, app.text
    secret = graph(arm, "POST", f"/v1.0/applications/{app.json()['id']}/addPassword", {"passwordCredential": {}})
    assert secret.status_code == 200, secret.text
    sp = graph(arm, "POST", "/v1.0/servicePrincipals", {"appId": app.json()["appId"]})
    assert sp.status_code == 201, sp.text
    return app.json(), secret.json()["secretText"], sp.json()


def sign_in(arm: Arm, client_id: str, secret: str, tenant: str | None = None) -> httpx.Response:
    tenant = tenant or arm.application.tenancy.world.tenant_id
    return arm.client.post(
        f"/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": f"{ARM_AUDIENCE}.default",
        },
    )


def test_metadata_names_the_graph_face(arm: Arm) -> None:
    cloud = arm.client.get("/metadata/endpoints?api-version=2022-09-01").json()
    assert cloud["microsoftGraphResourceId"] == BASE
    assert cloud["graph"] == f"{BASE}/"


def test_create_for_rbac_sequence_and_lookups(arm: Arm) -> None:
    tenant = arm.application.tenancy.world.tenant_id
    assert graph(arm, "GET", "/v1.0/servicePrincipals", params={"$filter": "displayName eq 'ci'"}).json()["value"] == []
    app, secret, sp = create(arm, "ci")
    assert sp["id"] == principals.object_id(tenant, app["appId"]) and sp["servicePrincipalNames"] == [app["appId"]]
    assert app["id"] != sp["id"] and len(secret) == 40 and app["passwordCredentials"] == []
    by_spn = graph(
        arm, "GET", "/v1.0/servicePrincipals", params={"$filter": f"servicePrincipalNames/any(c:c eq '{app['appId']}')"}
    )
    assert [s["id"] for s in by_spn.json()["value"]] == [sp["id"]]
    by_name = graph(arm, "GET", "/v1.0/servicePrincipals", params={"$filter": "startswith(displayName,'C')"})
    assert [s["displayName"] for s in by_name.json()["value"]] == ["ci"]
    shown = graph(arm, "GET", f"/v1.0/servicePrincipals/{sp['id']}")
    assert shown.status_code == 200 and shown.json()["appId"] == app["appId"]
    listed = graph(arm, "GET", "/v1.0/applications", params={"$filter": f"appId eq '{app['appId']}'"}).json()["value"]
    assert len(listed) == 1 and listed[0]["passwordCredentials"][0]["hint"] == secret[:3]
    assert "secretText" not in listed[0]["passwordCredentials"][0] and "hash" not in listed[0]["passwordCredentials"][0]
    default_oid = principals.object_id(tenant, arm.application.tenancy.world.default_client_id)
    found = graph(arm, "POST", "/v1.0/directoryObjects/getByIds", {"ids": [default_oid, sp["id"], "nope"], "types": []})
    assert [(o["@odata.type"], o["id"]) for o in found.json()["value"]] == [
        ("#microsoft.graph.servicePrincipal", default_oid),
        ("#microsoft.graph.servicePrincipal", sp["id"]),
    ]
    users = graph(arm, "GET", "/v1.0/users", params={"$filter": "userPrincipalName eq 'a@b.c'"})
    assert users.status_code == 200 and users.json()["value"] == []


def test_secrets_are_checked_by_the_token_endpoint(arm: Arm) -> None:
    app, secret, _sp = create(arm, "checked")
    good = sign_in(arm, app["appId"], secret)
    assert good.status_code == 200, good.text
    bad = sign_in(arm, app["appId"], secret + "x")
    assert bad.status_code == 401 and "AADSTS7000215" in bad.json()["error_description"]
    assert sign_in(arm, "11111111-2222-3333-4444-555555555555", "anything").status_code == 200
    removed = graph(arm, "POST", f"/v1.0/applications/{app['id']}/removePassword", {"keyId": _key_id(arm, app["id"])})
    assert removed.status_code == 204
    assert sign_in(arm, app["appId"], secret).status_code == 401


def _key_id(arm: Arm, object_id: str) -> str:
    return str(graph(arm, "GET", f"/v1.0/applications/{object_id}").json()["passwordCredentials"][0]["keyId"])


def test_an_expired_secret_is_refused(arm: Arm) -> None:
    app = graph(arm, "POST", "/v1.0/applications", {"displayName": "old"}).json()
    body = {"passwordCredential": {"startDateTime": "2020-01-01T00:00:00Z", "endDateTime": "2021-01-01T00:00:00Z"}}
    secret = graph(arm, "POST", f"/v1.0/applications/{app['id']}/addPassword", body).json()["secretText"]
    assert sign_in(arm, app["appId"], secret).status_code == 401


def test_names_are_unique_and_the_second_sp_is_refused(arm: Arm) -> None:
    app, _secret, _sp = create(arm, "twice")
    again = graph(arm, "POST", "/v1.0/applications", {"displayName": "TWICE"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "Request_BadRequest"
    assert graph(arm, "POST", "/v1.0/servicePrincipals", {"appId": app["appId"]}).status_code == 409
    unknown = graph(arm, "POST", "/v1.0/servicePrincipals", {"appId": "00000000-0000-0000-0000-000000000001"})
    assert unknown.status_code == 400 and "does not reference" in unknown.json()["error"]["message"]


def test_only_the_default_principal_writes_the_directory(arm: Arm) -> None:
    app, secret, sp = create(arm, "reader")
    bearer = token(arm, BASE, app["appId"])
    refused = graph(arm, "POST", "/v1.0/applications", {"displayName": "mine"}, bearer=bearer)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "Authorization_RequestDenied"
    read = graph(arm, "GET", "/v1.0/servicePrincipals", bearer=bearer)
    assert read.status_code == 200 and sp["id"] in [s["id"] for s in read.json()["value"]]


def test_tenants_have_their_own_directories(arm: Arm) -> None:
    second = arm.application.tenancy.world.tenants[1].tenant_id
    app, _secret, _sp = create(arm, "home-only")
    there = graph(arm, "GET", "/v1.0/applications", bearer=token(arm, BASE, tenant=second)).json()["value"]
    assert app["appId"] not in [a["appId"] for a in there]
    created = graph(arm, "POST", "/v1.0/applications", {"displayName": "away"}, bearer=token(arm, BASE, tenant=second))
    assert created.status_code == 201
    sp = graph(
        arm,
        "POST",
        "/v1.0/servicePrincipals",
        {"appId": created.json()["appId"]},
        bearer=token(arm, BASE, tenant=second),
    )
    assert sp.json()["id"] == principals.object_id(second, created.json()["appId"])


@pytest.mark.parametrize(
    ("bearer_audience", "path"),
    [(ARM_AUDIENCE, "/v1.0/servicePrincipals"), (BASE, "/subscriptions?api-version=2022-12-01")],
)
def test_graph_and_arm_tokens_do_not_cross(arm: Arm, bearer_audience: str, path: str) -> None:
    answer = arm.client.get(path, headers={"Authorization": f"Bearer {token(arm, bearer_audience)}"})
    assert answer.status_code == 401
    code = answer.json()["error"]["code"]
    assert code in ("InvalidAuthenticationToken", "InvalidAuthenticationTokenAudience")


def test_graph_refusals(arm: Arm) -> None:
    assert arm.client.get("/v1.0/servicePrincipals", headers={"Authorization": ""}).status_code == 401
    bad_filter = graph(arm, "GET", "/v1.0/servicePrincipals", params={"$filter": "appId ne 'x'"})
    assert bad_filter.status_code == 400 and bad_filter.json()["error"]["code"] == "Request_UnsupportedQuery"
    missing = graph(arm, "GET", "/v1.0/servicePrincipals/00000000-0000-0000-0000-000000000009")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "Request_ResourceNotFound"
    assert graph(arm, "GET", "/v1.0/nothing").status_code == 400


def test_vm_identities_are_in_the_directory(arm: Arm) -> None:
    world(arm)
    nic = {
        "location": "chinanorth2",
        "tags": {"acrlink-vm": "vm1"},
        "properties": {"ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet_id(arm)}}}]},
    }
    put = arm.request("PUT", f"{NET}/networkInterfaces/vm1nic", nic)
    assert put.status_code in (200, 201), put.text
    identity = put.json()["identity"]
    assert identity["type"] == "SystemAssigned"
    assert identity["tenantId"] == arm.application.tenancy.world.tenant_id
    found = graph(arm, "POST", "/v1.0/directoryObjects/getByIds", {"ids": [identity["principalId"]]}).json()["value"]
    assert [(o["displayName"], o["servicePrincipalType"]) for o in found] == [("vm1", "ManagedIdentity")]
