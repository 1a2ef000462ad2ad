"""On-premises clients over the gateway (S5) and DNS forwarding to Azure DNS (S16), with real dig and
skopeo through acrlink exec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from .conftest import Running, start, stop

pytestmark = [pytest.mark.slow, pytest.mark.az]

REG = "onpremreg"
RG = "onprem"


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory, acrlink: Running, az_path: str) -> Iterator[Running]:
    os.environ["ACRLINK_AZ"] = az_path
    running = start(tmp_path_factory.mktemp("onprem"), "--blackhole-seconds", "1", ca_from=acrlink.data_dir)
    yield running
    stop(running)


def _dig(net: Running, host: str, name: str) -> str:
    port = json.loads((net.data_dir / "dns-views.json").read_text())[host.lower()]
    return subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(port), name, "+short"], capture_output=True, text=True, check=True
    ).stdout.split()[-1]


def _inspect(net: Running, host: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "acrlink",
            "exec",
            "--from",
            host,
            "--",
            "skopeo",
            "inspect",
            "--retry-times",
            "0",
            "--creds",
            f"{REG}:{password}",
            f"docker://{REG}.azurecr.cn/hello-world:v1",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "ACRLINK_DATA_DIR": str(net.data_dir)},
        timeout=60,
    )


def test_onprem_reaches_the_registry_privately_only_through_a_forwarding_dns_chain(net: Running) -> None:
    net.az("group", "create", "-n", RG, "-l", "chinanorth2", "-o", "none")
    net.az("acr", "create", "-n", REG, "-g", RG, "--sku", "Premium", "--admin-enabled", "true", "-o", "none")
    net.az("acr", "import", "-n", REG, "--source", "mcr.microsoft.com/hello-world:latest", "--image", "hello-world:v1")
    password = net.az(
        "acr", "credential", "show", "-n", REG, "--query", "passwords[0].value", "-o", "tsv"
    ).stdout.strip()
    net.az(
        "network",
        "vnet",
        "create",
        "-g",
        RG,
        "-n",
        "hub",
        "--address-prefixes",
        "10.0.0.0/16",
        "--subnet-name",
        "default",
        "--subnet-prefixes",
        "10.0.0.0/24",
        "-o",
        "none",
    )
    net.az("network", "private-dns", "zone", "create", "-g", RG, "-n", "privatelink.azurecr.cn", "-o", "none")
    net.az(
        "network",
        "private-dns",
        "link",
        "vnet",
        "create",
        "-g",
        RG,
        "-z",
        "privatelink.azurecr.cn",
        "-n",
        "hub",
        "-v",
        "hub",
        "-e",
        "false",
        "-o",
        "none",
    )
    registry_id = net.az("acr", "show", "-n", REG, "--query", "id", "-o", "tsv").stdout.strip()
    net.az(
        "network",
        "private-endpoint",
        "create",
        "-g",
        RG,
        "-n",
        "pe",
        "--vnet-name",
        "hub",
        "--subnet",
        "default",
        "--private-connection-resource-id",
        registry_id,
        "--group-ids",
        "registry",
        "--connection-name",
        "c",
        "-o",
        "none",
    )
    net.az(
        "network",
        "private-endpoint",
        "dns-zone-group",
        "create",
        "-g",
        RG,
        "--endpoint-name",
        "pe",
        "-n",
        "default",
        "--private-dns-zone",
        "privatelink.azurecr.cn",
        "--zone-name",
        "acr",
        "-o",
        "none",
    )
    net.az("acr", "update", "-n", REG, "--public-network-enabled", "false", "-o", "none")
    # A DNS forwarder VM in the hub (forwards to 168.63.129.16), an on-premises DNS server forwarding to
    # it, an office machine asking that server, and a lab machine asking a server that resolves publicly.
    net.cli("vm", "create", "dnsvm", "-g", RG, "--vnet-name", "hub", "--subnet", "default", "--dns-forwarder")
    dns_vm = json.loads(net.az("network", "nic", "show", "-g", RG, "-n", "dnsvmVMNic", "-o", "json").stdout)
    dns_vm_ip = dns_vm["ipConfigurations"][0]["privateIPAddress"]
    net.cli(
        "onprem",
        "create",
        "corpdns",
        "-g",
        RG,
        "--vnet-name",
        "hub",
        "--address",
        "192.168.0.53",
        "--dns-server",
        dns_vm_ip,
        "--dns-forwarder",
    )
    net.cli(
        "onprem",
        "create",
        "office",
        "-g",
        RG,
        "--vnet-name",
        "hub",
        "--address",
        "192.168.1.10",
        "--dns-server",
        "192.168.0.53",
        "--connection",
        "ExpressRoute",
    )
    net.cli("onprem", "create", "publicdns", "-g", RG, "--vnet-name", "hub", "--address", "192.168.0.54")
    net.cli(
        "onprem",
        "create",
        "lab",
        "-g",
        RG,
        "--vnet-name",
        "hub",
        "--address",
        "192.168.2.10",
        "--dns-server",
        "192.168.0.54",
    )
    assert "office" in net.cli("hosts").stdout

    assert _dig(net, "office", f"{REG}.azurecr.cn") == "10.0.0.4"
    assert _inspect(net, "office", password).returncode == 0, "S5: over the gateway, the private path"
    assert not _dig(net, "lab", f"{REG}.azurecr.cn").startswith("10."), "S16: no forwarding, public answer"
    refused = _inspect(net, "lab", password)
    assert refused.returncode != 0 and "403" in refused.stderr
    outside = net.cli("onprem", "create", "bad", "-g", RG, "--vnet-name", "hub", "--address", "10.0.0.99", check=False)
    assert outside.returncode == 1 and "address space" in outside.stderr
