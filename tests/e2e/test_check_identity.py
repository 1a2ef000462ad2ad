"""``acrlink check``'s identity step with the real CLI and az: a VM inside the registry's VNet (so the network is
not the reason) whose managed identity has no role fails on that step alone, the printed
``az role assignment create`` run as printed (through ``acrlink az``) makes the next check pass; ``--as`` a
principal from ``acrlink principal create`` is checked the same way, and the internet without ``--as`` says which
identity it did not check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Running, private_registry
from .test_check_fixes import _apply

pytestmark = [pytest.mark.slow, pytest.mark.az]

RG, REG, VNET = "idrg", "idcheckreg", "idvnet"


def _check(net: Running, *args: str) -> tuple[int, list[str]]:
    result = net.cli("check", REG, *args, check=False)
    assert not result.stderr.strip() or result.returncode != 2, result.stderr
    return result.returncode, result.stdout.splitlines()


def _fix(lines: list[str]) -> str:
    [fix] = [line.removeprefix("fix: ") for line in lines if line.startswith("fix: ")]
    return fix


def test_a_vm_identity_without_a_role_fails_only_on_the_identity_step(net: Running, tmp_path: Path) -> None:
    registry_id = private_registry(net, RG, REG, VNET)
    net.cli("vm", "create", "idVM", "-g", RG, "--vnet-name", VNET, "--subnet", "default")
    [host] = [h for h in json.loads(net.cli("hosts", "--json").stdout) if h["name"] == "idVM"]
    oid = host["principalId"]

    code, lines = _check(net, "--from", "idVM")
    assert code == 1, lines
    failed = [line for line in lines if line.startswith("[FAIL]")]
    assert failed == [
        f"[FAIL] idVM's managed identity ({oid}) may not pull from {REG}: no role gives pull on it "
        "(legacy mode: AcrPull, AcrPush, Reader, Contributor or Owner)"
    ], lines
    assert any(line.startswith("[ok]") and "privatelink" not in line for line in lines)  # the network steps pass
    fix = _fix(lines)
    assert fix == (
        f"az role assignment create --assignee-object-id {oid} --assignee-principal-type ServicePrincipal "
        f"--role AcrPull --scope {registry_id}"
    )
    _apply(net, tmp_path, fix)
    code, lines = _check(net, "--from", "idVM")
    assert code == 0, lines
    assert f"[ok] idVM's managed identity ({oid}) may pull from {REG} (AcrPull at {registry_id})" in lines

    # The real az sees the assignment the fix made.
    listed = net.az_json("role", "assignment", "list", "--scope", registry_id)
    assert [a["principalId"] for a in listed if a["roleDefinitionName"] == "AcrPull"] == [oid]


def test_as_a_principal_and_the_internet_without_one(net: Running, tmp_path: Path) -> None:
    registry_id = net.azs(f"acr show -n {REG} --query id") if net.azs(f"group exists -n {RG}") == "true" else (
        private_registry(net, RG, REG, VNET))  # fmt: skip
    created = json.loads(net.cli("principal", "create", "puller").stdout)

    code, lines = _check(net, "--from", "internet")
    assert code == 0, lines  # public access is on and no identity is checked ...
    assert any(line.startswith("[--] identity not checked: internet has no managed identity") and "--as" in line
               for line in lines), lines  # fmt: skip

    for who in ("puller", created["clientId"], created["objectId"]):
        code, lines = _check(net, "--from", "internet", "--as", who)
        assert code == 1, lines
        assert f"[FAIL] principal puller ({created['objectId']}) may not pull from {REG}: no role gives pull" in (
            "\n".join(lines))  # fmt: skip
    fix = _fix(lines)
    assert f"--assignee-object-id {created['objectId']} " in fix and fix.endswith(f"--scope {registry_id}")
    _apply(net, tmp_path, fix)
    code, lines = _check(net, "--from", "internet", "--as", "puller")
    assert code == 0, lines

    unknown = net.cli("check", REG, "--as", "nobody-here", check=False)
    assert unknown.returncode == 2 and "nobody-here" in unknown.stderr
