"""``acrlink check``'s fixes, applied exactly as printed: each broken step is made, the fix is read from
``check``'s output and run in a shell whose ``az`` is acrlink's, and the check must then pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Running, private_registry

pytestmark = [pytest.mark.slow, pytest.mark.az]

RG, REG, ZONE = "fixrg", "fixreg", "privatelink.azurecr.cn"


def _fix(net: Running, host: str) -> str:
    result = net.cli("check", REG, "--from", host, check=False)
    assert result.returncode == 1, f"the check should fail from {host}:\n{result.stdout}"
    lines = [line for line in result.stdout.splitlines() if line.startswith("fix: ")]
    assert lines, f"a fix is printed:\n{result.stdout}"
    return lines[0].removeprefix("fix: ")


def _apply(net: Running, tmp_path: Path, fix: str) -> None:
    """Run the fix with bash, ``az`` being ``acrlink az`` for this data dir, as a user would paste it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    wrapper = bin_dir / "az"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m acrlink az "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, "ACRLINK_DATA_DIR": str(net.data_dir), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", fix], env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"the fix failed as printed: {fix}\n{done.stdout}\n{done.stderr}"


def _passes(net: Running, host: str) -> None:
    result = net.cli("check", REG, "--from", host, check=False)
    assert result.returncode == 0, f"after the fix, the check still fails from {host}:\n{result.stdout}"


def _fix_and_verify(net: Running, tmp_path: Path, host: str, expected: str) -> str:
    fix = _fix(net, host)
    assert expected in fix, fix
    assert "<" not in fix, f"no placeholders: {fix}"
    _apply(net, tmp_path, fix)
    _passes(net, host)
    return fix


def test_every_fix_check_prints_makes_it_pass(net: Running, tmp_path: Path) -> None:
    private_registry(net, RG, REG, "fixvnet")
    net.cli("vm", "create", "fixVM", "-g", RG, "--vnet-name", "fixvnet", "--subnet", "default")
    # A new VM's managed identity has no role: the identity step's fix gives it AcrPull.
    _fix_and_verify(net, tmp_path, "fixVM", "az role assignment create")

    # Closed by az: it also sets the default action to Deny, so reopening alone would not do.
    net.azs(f"acr update -n {REG} --public-network-enabled false")
    fix = _fix_and_verify(net, tmp_path, "internet", "--public-network-enabled true")
    assert "network-rule add" in fix

    # A trusted Azure service without the bypass.
    net.azs(f"acr update -n {REG} --public-network-enabled false --allow-trusted-services false")
    _fix_and_verify(net, tmp_path, "azure-trusted-service", "--allow-trusted-services true")

    # The VNet loses its zone link: the VM resolves the public address of a closed registry.
    net.azs(f"network private-dns link vnet delete -g {RG} -z {ZONE} -n fixvnet-link --yes")
    _fix_and_verify(net, tmp_path, "fixVM", "private-dns link vnet create")

    # A data endpoint's record goes missing from the zone.
    net.azs(f"network private-dns record-set a delete -g {RG} -z {ZONE} -n {REG}.chinanorth2.data --yes")
    _fix_and_verify(net, tmp_path, "fixVM", "record-set a add-record")

    # A spoke team's VNet, with a zone of its own, requests an endpoint that waits for manual approval.
    spoke = "fixspoke"
    net.azs(f"group create -n {spoke} -l chinanorth2")
    net.azs(
        f"network vnet create -g {spoke} -n fixvnet2 --address-prefixes 10.1.0.0/16 --subnet-name default "
        "--subnet-prefixes 10.1.0.0/24"
    )
    net.azs(f"network private-dns zone create -g {spoke} -n {ZONE}")
    net.azs(f"network private-dns link vnet create -g {spoke} -z {ZONE} -n fixvnet2-link -v fixvnet2 -e false")
    registry_id = net.azs(f"acr show -n {REG} --query id")
    net.azs(
        f"network private-endpoint create -g {spoke} -n pe2 --vnet-name fixvnet2 --subnet default "
        f"--private-connection-resource-id {registry_id} --group-ids registry --connection-name pe2-conn "
        "--manual-request true"
    )
    net.azs(
        f"network private-endpoint dns-zone-group create -g {spoke} --endpoint-name pe2 -n default "
        f"--private-dns-zone {ZONE} --zone-name acr"
    )
    net.cli("vm", "create", "fixVM2", "-g", spoke, "--vnet-name", "fixvnet2", "--subnet", "default")
    _fix_and_verify(net, tmp_path, "fixVM2", "private-endpoint-connection approve")
