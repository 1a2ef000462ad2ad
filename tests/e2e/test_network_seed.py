"""The seed, verified end to end with real tools only: az (through acrlink az), dig, and skopeo (through
acrlink exec), from the internet, from a VM in the VNet, and from a peered VNet (S11-S18, S21-S23)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import Running, private_registry

pytestmark = [pytest.mark.slow, pytest.mark.az]

REG = "seednetreg"
RG = "seed-net"
ZONE = "privatelink.azurecr.cn"


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


def token(net: Running, host: str) -> str:
    login = acting(
        net, host, "az", "acr", "login", "--name", REG, "--expose-token", "--query", "accessToken", "-o", "tsv"
    )
    return f"00000000-0000-0000-0000-000000000000:{login.stdout.strip()}" if login.returncode == 0 else "x:y"


def pull(net: Running, host: str) -> subprocess.CompletedProcess[str]:
    target = net.data_dir / f"pulled-{host}"
    subprocess.run(["rm", "-rf", str(target)], check=True)
    return acting(
        net,
        host,
        "skopeo",
        "copy",
        "--retry-times",
        "0",
        "--src-creds",
        token(net, host),
        f"docker://{REG}.azurecr.cn/hello-world:v1",
        f"dir:{target}",
    )


def manifest(net: Running, host: str) -> subprocess.CompletedProcess[str]:
    return acting(
        net,
        host,
        "skopeo",
        "inspect",
        "--retry-times",
        "0",
        "--raw",
        "--creds",
        token(net, host),
        f"docker://{REG}.azurecr.cn/hello-world:v1",
    )


def test_seed_network_scenario(net: Running) -> None:
    # The world: the seed's registry, VNet, linked zone and endpoint with zone-group records; a VM in the
    # VNet; a peered VNet with a VM of its own.
    registry_id = private_registry(net, RG, REG, "vnet1", endpoint="pe1")
    net.cli("vm", "create", "myVM", "-g", RG, "--vnet-name", "vnet1", "--subnet", "default")
    net.azs(
        f"network vnet create -g {RG} -n vnet2 --address-prefixes 10.1.0.0/16 --subnet-name default "
        "--subnet-prefixes 10.1.0.0/24"
    )
    net.azs(f"network vnet peering create -g {RG} -n one-two --vnet-name vnet1 --remote-vnet vnet2 --allow-vnet-access")
    net.azs(f"network vnet peering create -g {RG} -n two-one --vnet-name vnet2 --remote-vnet vnet1 --allow-vnet-access")
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
    net.azs(f"acr update -n {REG} --public-network-enabled false")
    refused = pull(net, "internet")
    assert refused.returncode != 0 and "403" in refused.stderr
    assert acting(net, "internet", "az", "acr", "repository", "list", "-n", REG).returncode != 0
    assert pull(net, "myVM").returncode == 0

    # The classic mistake: the peered VNet has no zone link, resolves the public address and is refused.
    status, records = dig(net, "peerVM", f"{REG}.azurecr.cn")
    assert records[-1][1] == "A" and not records[-1][2].startswith("10.")
    assert pull(net, "peerVM").returncode != 0
    check = net.cli("check", REG, "--from", "peerVM", check=False)
    assert check.returncode == 1 and "private-dns link vnet create" in check.stdout

    # S14: without the data endpoint's record the manifest still comes, the blob download does not.
    net.azs(f"network private-dns record-set a delete -g {RG} -z {ZONE} -n {REG}.chinanorth2.data --yes")
    assert dig(net, "myVM", f"{REG}.chinanorth2.data.azurecr.cn")[0] == "NXDOMAIN"
    assert manifest(net, "myVM").returncode == 0
    failed = pull(net, "myVM")
    assert failed.returncode != 0 and f"{REG}.chinanorth2.data.azurecr.cn" in failed.stderr
    net.azs(
        f"network private-dns record-set a add-record -g {RG} -z {ZONE} -n {REG}.chinanorth2.data "
        "--ipv4-address 10.0.0.5"
    )
    assert pull(net, "myVM").returncode == 0

    # S22: a new replica puts the connection back to Pending; pulls fail (black hole) until approved.
    net.azs(f"acr replication create -r {REG} -l chinaeast2")
    connection = net.azs(f"acr private-endpoint-connection list -r {REG} --query [0].name")
    state = f"acr private-endpoint-connection show -r {REG} -n {connection} --query privateLinkServiceConnectionState.status"
    assert net.azs(state) == "Pending"
    assert pull(net, "myVM").returncode != 0
    net.azs(f"acr private-endpoint-connection approve -r {REG} -n {connection}")
    status, records = dig(net, "myVM", f"{REG}.chinaeast2.data.azurecr.cn")
    assert (status, records[-1][2]) == ("NOERROR", "10.0.0.7"), "the zone group recorded the new member"
    assert pull(net, "myVM").returncode == 0

    # S21: a manual-approval endpoint (its records written by hand, S13) carries nothing until approved.
    net.azs(
        f"network vnet create -g {RG} -n vnet3 --address-prefixes 10.2.0.0/16 --subnet-name default "
        "--subnet-prefixes 10.2.0.0/24"
    )
    net.azs("group create -n seed-net-3 -l chinanorth2")
    net.azs(f"network private-dns zone create -g seed-net-3 -n {ZONE}")
    vnet3 = net.azs(f"network vnet show -g {RG} -n vnet3 --query id")
    net.azs(f"network private-dns link vnet create -g seed-net-3 -z {ZONE} -n link3 -v {vnet3} -e false")
    net.azs(
        f"network private-endpoint create -g {RG} -n pe3 --vnet-name vnet3 --subnet default "
        f"--private-connection-resource-id {registry_id} --group-ids registry --connection-name c3 "
        "--manual-request --request-message from-vnet3"
    )
    nic = net.azs(f"network private-endpoint show -g {RG} -n pe3 --query networkInterfaces[0].id")
    for member in ("registry", "registry_data_chinanorth2", "registry_data_chinaeast2"):
        where = f"ipConfigurations[?privateLinkConnectionProperties.requiredMemberName=='{member}']"
        address = net.azs(f'network nic show --ids {nic} --query "{where}.privateIPAddress"')
        fqdn = net.azs(f'network nic show --ids {nic} --query "{where}.privateLinkConnectionProperties.fqdns[0]"')
        net.azs(
            f"network private-dns record-set a add-record -g seed-net-3 -z {ZONE} "
            f"-n {fqdn.removesuffix('.azurecr.cn')} --ipv4-address {address}"
        )
    net.cli("vm", "create", "vm3", "-g", RG, "--vnet-name", "vnet3", "--subnet", "default")
    assert pull(net, "vm3").returncode != 0
    manual = net.azs(
        f"acr private-endpoint-connection list -r {REG} "
        "--query \"[?privateLinkServiceConnectionState.status=='Pending'].name | [0]\""
    )
    net.azs(f"acr private-endpoint-connection approve -r {REG} -n {manual}")
    assert pull(net, "vm3").returncode == 0

    # S15: the endpoint deleted while the link stays: the name no longer resolves in the VNet.
    net.azs(f"network private-endpoint delete -g {RG} -n pe1")
    assert dig(net, "myVM", f"{REG}.azurecr.cn")[0] == "NXDOMAIN"
    assert pull(net, "myVM").returncode != 0

    # S26.
    net.azs(f"group delete -n {RG} --yes")
    net.azs("group delete -n seed-net-3 --yes")
    assert net.azs(f"group exists -n {RG}") == "false"
