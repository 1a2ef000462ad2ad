"""On-premises clients over the gateway (S5) and DNS forwarding to Azure DNS (S16), with real dig and
skopeo through acrlink exec."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import Running, private_registry

pytestmark = [pytest.mark.slow, pytest.mark.az]

REG = "onpremreg"
RG = "onprem"


def _dig(net: Running, host: str, name: str) -> str:
    port = json.loads((net.data_dir / "dns-views.json").read_text())[host.lower()]
    answer = subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(port), name, "+short"], capture_output=True, text=True, check=True
    )
    return answer.stdout.split()[-1]


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
    private_registry(net, RG, REG, "hub", admin=True)
    password = net.azs(f"acr credential show -n {REG} --query passwords[0].value")
    net.azs(f"acr update -n {REG} --public-network-enabled false")
    # A DNS forwarder VM in the hub (forwards to 168.63.129.16), an on-premises DNS server forwarding to
    # it, an office machine asking that server, and a lab machine asking a server that resolves publicly.
    net.cli("vm", "create", "dnsvm", "-g", RG, "--vnet-name", "hub", "--subnet", "default", "--dns-forwarder")
    dns_vm_ip = net.azs(f"network nic show -g {RG} -n dnsvmVMNic --query ipConfigurations[0].privateIPAddress")
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
