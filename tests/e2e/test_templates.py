"""The templates in tests/e2e/templates deployed with the real az: ``az deployment group create`` and
``what-if``, their outputs, and what the network then does (a VM in the VNet resolves the registry
privately; disable-public.json closes the registry to the internet only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import Running
from .templates.generate import expected_outputs, many_resources
from .test_network_seed import dig

pytestmark = [pytest.mark.slow, pytest.mark.az]

TEMPLATES = Path(__file__).parent / "templates"


def group_id(net: Running, group: str) -> str:
    return f"/subscriptions/{net.subscription}/resourceGroups/{group}"


def private_answers(net: Running, vm: str, registry: str, ips: dict[str, str]) -> None:
    """``vm`` resolves each ``registry`` name (suffix -> IP) to the private IP through privatelink."""
    for suffix, ip in ips.items():
        name = f"{registry}{suffix}.azurecr.cn"
        status, records = dig(net, vm, name)
        private = name.replace(".azurecr.cn", ".privatelink.azurecr.cn")
        assert (status, records) == ("NOERROR", [(name, "CNAME", private), (private, "A", ip)]), name


# With the deployment engine ------------------------------------------------------------------------


@pytest.fixture
def deployments(net: Running) -> Running:
    return net


def deploy(net: Running, group: str, template: str | Path, *params: str) -> dict[str, Any]:
    """``az deployment group create``; the outputs' values (the deployment must succeed)."""
    path = template if isinstance(template, Path) else TEMPLATES / f"{template}.json"
    extra = [arg for p in params for arg in ("-p", p)]
    result = net.az_json("deployment", "group", "create", "-g", group, "-f", str(path), *extra)
    assert result["properties"]["provisioningState"] == "Succeeded", result
    return {k: v["value"] for k, v in result["properties"]["outputs"].items()}


def test_seed_template_with_az(deployments: Running) -> None:
    net, group, registry = deployments, "tpl-az", "seedtplreg"  # registryName in params.seed.json
    net.azs(f"group create -n {group} -l chinanorth2")
    outputs = deploy(net, group, "seed", f"@{TEMPLATES / 'params.seed.json'}")
    ips = {"": "10.0.0.4", ".chinanorth2.data": "10.0.0.5", ".chinaeast2.data": "10.0.0.6"}
    assert outputs == {
        "loginServer": f"{registry}.azurecr.cn",
        "registryPrivateIp": "10.0.0.4",
        "registryPrivateIpFromNic": "10.0.0.4",
        "privateIpsByFqdn": {f"{registry}{s}.azurecr.cn": ip for s, ip in ips.items()},
        "replicaDataEndpoints": [f"{registry}.chinaeast2.data.azurecr.cn"],
    }
    net.cli("vm", "create", "tplAzVM", "-g", group, "--vnet-name", "myVNet", "--subnet", "mySubnet")
    private_answers(net, "tplAzVM", registry, ips)

    what_if = net.az_json("deployment", "group", "what-if", "-g", group, "-f", str(TEMPLATES / "disable-public.json"),
                          "-p", f"registryName={registry}", "--no-pretty-print")  # fmt: skip
    [change] = [c for c in what_if["changes"] if c["resourceId"].lower().endswith(f"/registries/{registry}")]
    assert change["changeType"] == "Modify"
    delta = {d["path"]: (d["propertyChangeType"], d.get("before"), d.get("after")) for d in change["delta"]}
    assert delta["properties.publicNetworkAccess"] == ("Modify", "Enabled", "Disabled")

    assert deploy(net, group, "disable-public", f"registryName={registry}") == {"publicNetworkAccess": "Disabled"}
    assert net.cli("check", registry, "--from", "internet", check=False).returncode != 0
    # The VM pulls as the default principal here (``acrlink exec --from``), not as its own identity.
    assert net.cli("check", registry, "--from", "tplAzVM", "--as", "acrlink", check=False).returncode == 0


def test_seed_v2_template_with_az(deployments: Running) -> None:
    net, group, registry = deployments, "tpl-v2-az", "tplv2azreg"
    net.azs(f"group create -n {group} -l chinanorth2")
    net.azs(f"network vnet create -g {group} -n myVNet --address-prefixes 10.1.0.0/16 --subnet-name mySubnet "
            "--subnet-prefixes 10.1.0.0/24")  # fmt: skip
    outputs = deploy(net, group, "seed.v2", f"registryName={registry}", 'replicas=[{"location": "chinaeast2"}]')
    assert outputs == {
        "loginServer": f"{registry}.azurecr.cn",
        "registryPrivateIp": "10.1.0.4",
        "vnetAddressPrefix": "10.1.0.0/16",
        "replicaLocations": ["chinaeast2"],
    }
    net.cli("vm", "create", "tplV2AzVM", "-g", group, "--vnet-name", "myVNet", "--subnet", "mySubnet")
    private_answers(net, "tplV2AzVM", registry, {"": "10.1.0.4", ".chinaeast2.data": "10.1.0.6"})


def test_many_resources_with_az(deployments: Running, tmp_path: Path) -> None:
    net, group = deployments, "tpl-many"
    net.azs(f"group create -n {group} -l chinanorth2")
    template = tmp_path / "many.json"
    template.write_text("// generated\n" + json.dumps(many_resources(40), indent=2))
    assert deploy(net, group, template) == expected_outputs(40)
