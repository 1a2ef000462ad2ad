"""The seed, verified end to end with real tools only: az (through acrlink az), dig, and skopeo (through
acrlink exec), from the internet, from a VM in the VNet, and from a peered VNet (S11-S18, S21-S23)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Running, start, stop

pytestmark = [pytest.mark.slow, pytest.mark.az]

REG = "seednetreg"
RG = "seed-net"
ZONE = "privatelink.azurecr.cn"


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory, acrlink: Running, az_path: str) -> Iterator[Running]:
    os.environ["ACRLINK_AZ"] = az_path
    running = start(tmp_path_factory.mktemp("seed-net"), "--blackhole-seconds", "1", ca_from=acrlink.data_dir)
    yield running
    stop(running)


def az(net: Running, *args: str) -> str:
    return net.az(*args, "-o", "tsv").stdout.strip()


def acting(net: Running, host: str, *command: str) -> subprocess.CompletedProcess[str]:
    """A command run as ``host`` (acrlink exec --from HOST -- ...)."""
    return subprocess.run(
        [sys.executable, "-m", "acrlink", "exec", "--from", host, "--", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "ACRLINK_DATA_DIR": str(net.data_dir)},
        timeout=120,
    )


def dig(net: Running, host: str, name: str) -> tuple[str, list[tuple[str, str, str]]]:
    """Real dig against the host's DNS port: (status, [(name, type, value)])."""
    port = json.loads((net.data_dir / "dns-views.json").read_text())[host.lower()]
    out = subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(port), name, "+noall", "+comments", "+answer"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    status = out.split("status: ", 1)[1].split(",", 1)[0]
    records = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 5 and not line.startswith(";"):
            records.append((fields[0].rstrip("."), fields[3], fields[4].rstrip(".")))
    return status, records


def pull(net: Running, host: str, image: str = "hello-world:v1") -> subprocess.CompletedProcess[str]:
    token = acting(
        net, host, "az", "acr", "login", "--name", REG, "--expose-token", "--query", "accessToken", "-o", "tsv"
    )
    creds = f"00000000-0000-0000-0000-000000000000:{token.stdout.strip()}" if token.returncode == 0 else "x:y"
    target = Path(net.data_dir) / f"pulled-{host}"
    subprocess.run(["rm", "-rf", str(target)], check=True)
    return acting(
        net,
        host,
        "skopeo",
        "copy",
        "--retry-times",
        "0",
        "--src-creds",
        creds,
        f"docker://{REG}.azurecr.cn/{image}",
        f"dir:{target}",
    )


def manifest(net: Running, host: str) -> subprocess.CompletedProcess[str]:
    token = acting(
        net, host, "az", "acr", "login", "--name", REG, "--expose-token", "--query", "accessToken", "-o", "tsv"
    )
    return acting(
        net,
        host,
        "skopeo",
        "inspect",
        "--retry-times",
        "0",
        "--raw",
        "--creds",
        f"00000000-0000-0000-0000-000000000000:{token.stdout.strip()}",
        f"docker://{REG}.azurecr.cn/hello-world:v1",
    )


def test_seed_network_scenario(net: Running) -> None:
    # The world: a Premium registry with the sample image, a VNet with a VM, a linked private zone, an
    # endpoint with zone-group records, and a peered VNet with a VM of its own.
    net.az("group", "create", "-n", RG, "-l", "chinanorth2", "-o", "none")
    net.az("acr", "create", "-n", REG, "-g", RG, "--sku", "Premium", "-o", "none")
    net.az("acr", "import", "-n", REG, "--source", "mcr.microsoft.com/hello-world:latest", "--image", "hello-world:v1")
    net.az(
        "network",
        "vnet",
        "create",
        "-g",
        RG,
        "-n",
        "vnet1",
        "--address-prefixes",
        "10.0.0.0/16",
        "--subnet-name",
        "default",
        "--subnet-prefixes",
        "10.0.0.0/24",
        "-o",
        "none",
    )
    net.az("network", "private-dns", "zone", "create", "-g", RG, "-n", ZONE, "-o", "none")
    net.az(
        "network",
        "private-dns",
        "link",
        "vnet",
        "create",
        "-g",
        RG,
        "-z",
        ZONE,
        "-n",
        "link1",
        "-v",
        "vnet1",
        "-e",
        "false",
        "-o",
        "none",
    )
    registry_id = az(net, "acr", "show", "-n", REG, "--query", "id")
    net.az(
        "network",
        "private-endpoint",
        "create",
        "-g",
        RG,
        "-n",
        "pe1",
        "--vnet-name",
        "vnet1",
        "--subnet",
        "default",
        "--private-connection-resource-id",
        registry_id,
        "--group-ids",
        "registry",
        "--connection-name",
        "c1",
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
        "pe1",
        "-n",
        "default",
        "--private-dns-zone",
        ZONE,
        "--zone-name",
        "acr",
        "-o",
        "none",
    )
    net.cli("vm", "create", "myVM", "-g", RG, "--vnet-name", "vnet1", "--subnet", "default")
    net.az(
        "network",
        "vnet",
        "create",
        "-g",
        RG,
        "-n",
        "vnet2",
        "--address-prefixes",
        "10.1.0.0/16",
        "--subnet-name",
        "default",
        "--subnet-prefixes",
        "10.1.0.0/24",
        "-o",
        "none",
    )
    net.az(
        "network",
        "vnet",
        "peering",
        "create",
        "-g",
        RG,
        "-n",
        "one-two",
        "--vnet-name",
        "vnet1",
        "--remote-vnet",
        "vnet2",
        "--allow-vnet-access",
        "-o",
        "none",
    )
    net.az(
        "network",
        "vnet",
        "peering",
        "create",
        "-g",
        RG,
        "-n",
        "two-one",
        "--vnet-name",
        "vnet2",
        "--remote-vnet",
        "vnet1",
        "--allow-vnet-access",
        "-o",
        "none",
    )
    net.cli("vm", "create", "peerVM", "-g", RG, "--vnet-name", "vnet2", "--subnet", "default")

    # S12: inside the VNet, the CNAME and the private address (TTL 10 from the zone group).
    status, records = dig(net, "myVM", f"{REG}.azurecr.cn")
    assert status == "NOERROR"
    assert records == [
        (f"{REG}.azurecr.cn", "CNAME", f"{REG}.privatelink.azurecr.cn"),
        (f"{REG}.privatelink.azurecr.cn", "A", "10.0.0.4"),
    ]
    # S11: from the internet, the public chain to a public address.
    status, records = dig(net, "internet", f"{REG}.azurecr.cn")
    assert [r[1] for r in records] == ["CNAME", "CNAME", "CNAME", "CNAME", "A"]
    assert records[1][2].endswith(".azcr.io") and records[2][2].endswith(".trafficmanager.cn")
    assert records[3][2].endswith(".cloudapp.chinacloudapi.cn")

    # S23: the VM logs in and pulls.
    assert pull(net, "myVM").returncode == 0

    # S18: public access off: the internet is refused with ACR's firewall error, listing fails too;
    # the VM still pulls.
    net.az("acr", "update", "-n", REG, "--public-network-enabled", "false", "-o", "none")
    refused = pull(net, "internet")
    assert refused.returncode != 0 and "403" in refused.stderr
    listing = acting(net, "internet", "az", "acr", "repository", "list", "-n", REG)
    assert listing.returncode != 0
    assert pull(net, "myVM").returncode == 0

    # The classic mistake: the peered VNet has no zone link, resolves the public address and is refused.
    status, records = dig(net, "peerVM", f"{REG}.azurecr.cn")
    assert records[-1][1] == "A" and not records[-1][2].startswith("10.")
    assert pull(net, "peerVM").returncode != 0
    check = net.cli("check", REG, "--from", "peerVM", check=False)
    assert check.returncode == 1 and "private-dns link vnet create" in check.stdout

    # S14: without the data endpoint's record the manifest still comes, the blob download does not.
    net.az(
        "network",
        "private-dns",
        "record-set",
        "a",
        "delete",
        "-g",
        RG,
        "-z",
        ZONE,
        "-n",
        f"{REG}.chinanorth2.data",
        "--yes",
    )
    status, _ = dig(net, "myVM", f"{REG}.chinanorth2.data.azurecr.cn")
    assert status == "NXDOMAIN"
    assert manifest(net, "myVM").returncode == 0
    failed = pull(net, "myVM")
    assert failed.returncode != 0 and f"{REG}.chinanorth2.data.azurecr.cn" in failed.stderr
    net.az(
        "network",
        "private-dns",
        "record-set",
        "a",
        "add-record",
        "-g",
        RG,
        "-z",
        ZONE,
        "-n",
        f"{REG}.chinanorth2.data",
        "--ipv4-address",
        "10.0.0.5",
        "-o",
        "none",
    )
    assert pull(net, "myVM").returncode == 0

    # S22: a new replica puts the connection back to Pending; pulls fail (black hole) until approved.
    net.az("acr", "replication", "create", "-r", REG, "-l", "chinaeast2", "-o", "none")
    connection = az(net, "acr", "private-endpoint-connection", "list", "-r", REG, "--query", "[0].name")
    assert (
        az(
            net,
            "acr",
            "private-endpoint-connection",
            "show",
            "-r",
            REG,
            "-n",
            connection,
            "--query",
            "privateLinkServiceConnectionState.status",
        )
        == "Pending"
    )
    blocked = pull(net, "myVM")
    assert blocked.returncode != 0
    net.az("acr", "private-endpoint-connection", "approve", "-r", REG, "-n", connection, "-o", "none")
    status, records = dig(net, "myVM", f"{REG}.chinaeast2.data.azurecr.cn")
    assert (status, records[-1][2]) == ("NOERROR", "10.0.0.7"), "the zone group recorded the new member"
    assert pull(net, "myVM").returncode == 0

    # S21: a manual-approval endpoint carries nothing until approved.
    net.az(
        "network",
        "vnet",
        "create",
        "-g",
        RG,
        "-n",
        "vnet3",
        "--address-prefixes",
        "10.2.0.0/16",
        "--subnet-name",
        "default",
        "--subnet-prefixes",
        "10.2.0.0/24",
        "-o",
        "none",
    )
    net.az("group", "create", "-n", "seed-net-3", "-l", "chinanorth2", "-o", "none")
    net.az("network", "private-dns", "zone", "create", "-g", "seed-net-3", "-n", ZONE, "-o", "none")
    vnet3 = az(net, "network", "vnet", "show", "-g", RG, "-n", "vnet3", "--query", "id")
    net.az(
        "network",
        "private-dns",
        "link",
        "vnet",
        "create",
        "-g",
        "seed-net-3",
        "-z",
        ZONE,
        "-n",
        "link3",
        "-v",
        vnet3,
        "-e",
        "false",
        "-o",
        "none",
    )
    net.az(
        "network",
        "private-endpoint",
        "create",
        "-g",
        RG,
        "-n",
        "pe3",
        "--vnet-name",
        "vnet3",
        "--subnet",
        "default",
        "--private-connection-resource-id",
        registry_id,
        "--group-ids",
        "registry",
        "--connection-name",
        "c3",
        "--manual-request",
        "--request-message",
        "from vnet3",
        "-o",
        "none",
    )
    zone3 = f"/subscriptions/{net.subscription}/resourceGroups/seed-net-3/providers/Microsoft.Network/privateDnsZones/{ZONE}"
    net.az(
        "network",
        "private-endpoint",
        "dns-zone-group",
        "create",
        "-g",
        RG,
        "--endpoint-name",
        "pe3",
        "-n",
        "default",
        "--private-dns-zone",
        zone3,
        "--zone-name",
        "acr",
        "-o",
        "none",
    )
    nic = az(net, "network", "private-endpoint", "show", "-g", RG, "-n", "pe3", "--query", "networkInterfaces[0].id")
    for member in ("registry", "registry_data_chinanorth2", "registry_data_chinaeast2"):
        address = az(
            net,
            "network",
            "nic",
            "show",
            "--ids",
            nic,
            "--query",
            f"ipConfigurations[?privateLinkConnectionProperties.requiredMemberName=='{member}'].privateIPAddress",
        )
        fqdn = az(
            net,
            "network",
            "nic",
            "show",
            "--ids",
            nic,
            "--query",
            f"ipConfigurations[?privateLinkConnectionProperties.requiredMemberName=='{member}'].privateLinkConnectionProperties.fqdns[0]",
        )
        net.az(
            "network",
            "private-dns",
            "record-set",
            "a",
            "add-record",
            "-g",
            "seed-net-3",
            "-z",
            ZONE,
            "-n",
            fqdn.removesuffix(".azurecr.cn"),
            "--ipv4-address",
            address,
            "-o",
            "none",
        )
    net.cli("vm", "create", "vm3", "-g", RG, "--vnet-name", "vnet3", "--subnet", "default")
    pending = pull(net, "vm3")
    assert pending.returncode != 0
    manual = az(
        net,
        "acr",
        "private-endpoint-connection",
        "list",
        "-r",
        REG,
        "--query",
        "[?privateLinkServiceConnectionState.status=='Pending'].name | [0]",
    )
    net.az("acr", "private-endpoint-connection", "approve", "-r", REG, "-n", manual, "-o", "none")
    assert pull(net, "vm3").returncode == 0

    # S15: the endpoint deleted while the link stays: the name no longer resolves in the VNet.
    net.az("network", "private-endpoint", "delete", "-g", RG, "-n", "pe1")
    status, _ = dig(net, "myVM", f"{REG}.azurecr.cn")
    assert status == "NXDOMAIN"
    gone = pull(net, "myVM")
    assert gone.returncode != 0

    # S26.
    net.az("group", "delete", "-n", RG, "--yes")
    net.az("group", "delete", "-n", "seed-net-3", "--yes")
    assert az(net, "group", "exists", "-n", RG) == "false"
