"""The managed-identity endpoint: a VM's token is its own identity's, for a header only acrlink can make."""

from __future__ import annotations

import jwt

from acrlink import signing
from acrlink.domain import principals
from acrlink.services.key_material import load_keys

from .conftest import Arm
from .network_world import NET, subnet_id, world

RESOURCE = "https://management.core.chinacloudapi.cn/"


def vm(arm: Arm, name: str, nic: str | None = None) -> dict[str, str]:
    body = {
        "location": "chinanorth2",
        "tags": {"acrlink-vm": name},
        "properties": {"ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet_id(arm)}}}]},
    }
    put = arm.request("PUT", f"{NET}/networkInterfaces/{nic or name + 'nic'}", body)
    assert put.status_code in (200, 201), put.text
    identity: dict[str, str] = put.json()["identity"]
    return identity


def header(arm: Arm, host: str) -> str:
    return signing.host_credential(load_keys(arm.application.store).secret, host)


def mi_token(arm: Arm, credential: str, **params: str) -> tuple[int, dict[str, object]]:
    answer = arm.client.get(
        "/msi/token",
        params={"api-version": "2019-08-01", "resource": RESOURCE, **params},
        headers={"X-IDENTITY-HEADER": credential, "Metadata": "true"},
    )
    return answer.status_code, answer.json()


def claims(body: dict[str, object]) -> dict[str, object]:
    return dict(jwt.decode(str(body["access_token"]), options={"verify_signature": False}))


def test_a_vm_gets_its_own_identity(arm: Arm) -> None:
    world(arm)
    first, second = vm(arm, "vm1"), vm(arm, "vm2")
    assert first["principalId"] != second["principalId"]
    status, body = mi_token(arm, header(arm, "vm1"))
    assert status == 200
    got = claims(body)
    assert got["oid"] == first["principalId"] and got["tid"] == first["tenantId"] and got["aud"] == RESOURCE
    assert got["appid"] == body["client_id"]
    assert principals.object_id(str(got["tid"]), str(got["appid"])) == got["oid"]
    listed = arm.client.get(
        "/subscriptions?api-version=2022-12-01", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert listed.status_code == 200 and listed.json()["value"] == []  # an identity with no roles sees none
    assert mi_token(arm, header(arm, "vm1"), client_id=str(body["client_id"]))[0] == 200
    assert mi_token(arm, header(arm, "vm1"), client_id="someone-else")[0] == 400


def test_headers_cannot_be_forged_or_reused_for_another_host(arm: Arm) -> None:
    world(arm)
    vm(arm, "vm1")
    genuine = header(arm, "vm1")
    assert mi_token(arm, "vm2" + genuine[3:])[0] == 400
    assert mi_token(arm, genuine[:-2] + "AA")[0] == 400
    assert mi_token(arm, signing.host_credential(b"0" * 32, "vm1"))[0] == 400
    no_header = arm.client.get("/msi/token", params={"api-version": "2019-08-01", "resource": RESOURCE})
    assert no_header.status_code == 400


def test_hosts_without_an_identity_get_no_token(arm: Arm) -> None:
    status, body = mi_token(arm, header(arm, "internet"))
    assert (status, body["error_description"]) == (400, "Identity not found")
    assert mi_token(arm, header(arm, "no-such-vm"))[0] == 400


def test_a_recreated_vm_has_a_new_identity(arm: Arm) -> None:
    world(arm)
    before = vm(arm, "vm1")
    again = vm(arm, "vm1")
    assert again["principalId"] == before["principalId"]  # a PUT of the same NIC keeps the VM
    assert arm.request("DELETE", f"{NET}/networkInterfaces/vm1nic").status_code in (200, 202, 204)
    after = vm(arm, "vm1")
    assert after["principalId"] != before["principalId"]
    assert claims(mi_token(arm, header(arm, "vm1"))[1])["oid"] == after["principalId"]
