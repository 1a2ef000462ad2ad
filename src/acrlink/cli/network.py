"""``acrlink hosts | vm create | dig | check``: the network as one host sees it."""

from __future__ import annotations

import json
import ssl
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from acrlink import signing
from acrlink.cli.azure import host_config_dir
from acrlink.domain.cloud import find_cloud
from acrlink.domain.netgraph import INTERNET_HOST, Graph, Host
from acrlink.resources.hostnames import VM_TAG
from acrlink.resources.network.nic import DNS_FORWARDER_TAG
from acrlink.services.netgraph import build
from acrlink.store.base import Store

if TYPE_CHECKING:
    import httpx

PYRESOLVER = Path(__file__).resolve().parent.parent / "netsim" / "pyresolver"


def running_store(data_dir: Path, endpoints: dict[str, Any]) -> Store:
    """The running acrlink's store (``store.urls.open_running_store``: the backend its ``endpoints.json`` names)."""
    from acrlink.store.urls import open_running_store

    return open_running_store(data_dir, endpoints)


def graph(data_dir: Path, endpoints: dict[str, Any]) -> Graph:
    """The network as the running acrlink sees it, read from its store."""
    store = running_store(data_dir, endpoints)
    try:
        with store.transaction() as tx:
            return build(tx, find_cloud(str(endpoints["cloud"])), str(endpoints.get("internetIp", "203.0.113.50")))
    finally:
        store.close()


def host_key(data_dir: Path, endpoints: dict[str, Any]) -> bytes:
    """The secret the running acrlink signs host credentials with (its store's, shared by its processes)."""
    from acrlink.services.key_material import load_keys

    store = running_store(data_dir, endpoints)
    try:
        return load_keys(store).secret
    finally:
        store.close()


def dns_ports(data_dir: Path) -> dict[str, int]:
    path = data_dir / "dns-views.json"
    return {k.lower(): int(v) for k, v in json.loads(path.read_text()).items()} if path.exists() else {}


VIEW_WAIT_SECONDS = 5.0
"""How long ``vm create`` and ``onprem create`` wait for the new host's DNS view to be listed."""


def wait_for_view(data_dir: Path, name: str, seconds: float = VIEW_WAIT_SECONDS) -> bool:
    """Wait until the data dir's ``dns-views.json`` lists host ``name``: the process adds a host's view once its
    change signal sees the host, which behind a load balancer may be another process's write of an instant
    ago, so a command run as the host right after its creation finds its view. Whether it is listed."""
    deadline = time.monotonic() + seconds
    while name.lower() not in dns_ports(data_dir):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def host_environment(data_dir: Path, endpoints: dict[str, Any], host: Host) -> dict[str, str]:
    """Acting as ``host``: the proxy with the host as its user (common clients read either casing), the
    emulator's control endpoints direct, and Python name resolution through the host's DNS view. A host other
    than the internet has its own az config dir; a VM also has its managed identity, App Service style
    (``IDENTITY_ENDPOINT`` + ``IDENTITY_HEADER``, which MSAL, az's ``login --identity`` and azure-identity's
    ``ManagedIdentityCredential`` read first), the header proving the host to the endpoint."""
    # "HOST:@" rather than "HOST@": Python's requests sends no proxy credentials without the colon.
    proxy = str(endpoints["proxy"]).replace("://", f"://{quote(host.name)}:@", 1)
    direct = "127.0.0.1,localhost"
    port = dns_ports(data_dir).get(host.name.lower())
    variables = {
        "HTTPS_PROXY": proxy,
        "https_proxy": proxy,
        "NO_PROXY": direct,
        "no_proxy": direct,
        "ACRLINK_HOST": host.name,
    }
    if host.name.lower() != INTERNET_HOST:
        variables["AZURE_CONFIG_DIR"] = str(host_config_dir(data_dir, host.name))
    if host.identity is not None:
        key = host_key(data_dir, endpoints)
        variables["IDENTITY_ENDPOINT"] = f"{endpoints['arm']}/msi/token"
        variables["IDENTITY_HEADER"] = signing.host_credential(key, host.name)
    if port is not None:
        cloud = find_cloud(str(endpoints["cloud"]))
        variables["ACRLINK_DNS"] = f"127.0.0.1:{port}"
        variables["ACRLINK_RESOLVE_SUFFIXES"] = cloud.acr_suffix
        variables["PYTHONPATH"] = str(PYRESOLVER)
    return variables


def host_rows(g: Graph, ports: dict[str, int]) -> list[dict[str, Any]]:
    """Every host as ``acrlink hosts --json`` lists it, with its managed identity (null ids for a host
    without one)."""
    rows = []
    for host in g.hosts.values():
        vnet = g.vnets.get((host.vnet_id or "").lower())
        identity = host.identity
        rows.append(
            {
                "name": host.name,
                "kind": host.kind,
                "privateIp": host.private_ip,
                "publicIp": host.public_ip,
                "vnet": vnet.name if vnet else None,
                "region": host.region or (vnet.location if vnet else None),
                "dnsPort": ports.get(host.name.lower()),
                "principalId": identity.principal_id if identity else None,
                "clientId": identity.client_id if identity else None,
                "tenantId": identity.tenant_id if identity else None,
            }
        )
    return rows


def hosts_table(g: Graph, ports: dict[str, int]) -> str:
    columns = ("name", "kind", "privateIp", "publicIp", "vnet", "region", "dnsPort", "principalId")
    rows = [("NAME", "KIND", "PRIVATE IP", "PUBLIC IP", "VNET", "REGION", "DNS PORT", "PRINCIPAL ID")]
    for row in host_rows(g, ports):
        rows.append(tuple("-" if row[c] is None else str(row[c]) for c in columns))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def tenant_of(endpoints: dict[str, Any], subscription: str | None) -> str:
    """The tenant that holds ``subscription`` (the home tenant when none is named or none holds it): ARM
    accepts a token only from the tenant of the subscription addressed."""
    if subscription:
        for tenant in endpoints.get("tenants", []):
            if subscription.lower() in (s.lower() for s in tenant["subscriptions"]):
                return str(tenant["tenantId"])
    return str(endpoints["tenantId"])


def arm_client(endpoints: dict[str, Any], subscription: str | None = None) -> httpx.Client:
    """An ARM client logged in as the default principal, with a token from ``subscription``'s tenant."""
    import httpx  # only the commands that call ARM pay for it

    verify = ssl.create_default_context(cafile=str(endpoints["ca"]))
    token = httpx.post(
        f"{endpoints['arm']}/{tenant_of(endpoints, subscription)}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": endpoints["clientId"], "client_secret": "acrlink"},
        verify=verify,
    ).json()["access_token"]
    return httpx.Client(
        base_url=str(endpoints["arm"]), verify=verify, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def create_vm(
    endpoints: dict[str, Any],
    name: str,
    group: str,
    vnet: str,
    subnet: str,
    dns_forwarder: bool,
    subscription: str | None = None,
) -> dict[str, Any]:
    """A VM is a NIC in a subnet, tagged as the VM's: made through ARM like any NIC."""
    sub = subscription or str(endpoints["subscriptionId"])
    base = f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Network"
    with arm_client(endpoints, sub) as client:
        network = client.get(f"{base}/virtualNetworks/{vnet}?api-version=2025-07-01")
        if network.status_code != 200:
            raise RuntimeError(network.json()["error"]["message"])
        tags = {VM_TAG: name, **({DNS_FORWARDER_TAG: "true"} if dns_forwarder else {})}
        body = {
            "location": network.json()["location"],
            "tags": tags,
            "properties": {
                "ipConfigurations": [
                    {"name": "ipconfig1", "properties": {"subnet": {"id": f"{network.json()['id']}/subnets/{subnet}"}}}
                ]
            },
        }
        response = client.put(f"{base}/networkInterfaces/{name}VMNic?api-version=2023-11-01", json=body)
        if response.status_code not in (200, 201):
            raise RuntimeError(response.json()["error"]["message"])
        result: dict[str, Any] = response.json()
        return result


def create_onprem(
    endpoints: dict[str, Any],
    name: str,
    group: str,
    vnet: str,
    address: str,
    dns_servers: list[str],
    dns_forwarder: bool,
    connection: str,
) -> dict[str, Any]:
    """An on-premises machine behind the VNet's gateway, through ARM (``Acrlink.Network/onPremisesHosts``)."""
    sub = str(endpoints["subscriptionId"])
    group_path = f"/subscriptions/{sub}/resourceGroups/{group}/providers"
    vnet_id = f"{group_path}/Microsoft.Network/virtualNetworks/{vnet}"
    body = {
        "properties": {
            "virtualNetwork": {"id": vnet_id},
            "privateIPAddress": address,
            "dnsServers": dns_servers,
            "dnsForwarder": dns_forwarder,
            "connectionType": connection,
        }
    }
    with arm_client(endpoints) as client:
        response = client.put(f"{group_path}/Acrlink.Network/onPremisesHosts/{name}?api-version=2026-01-01", json=body)
    if response.status_code not in (200, 201):
        raise RuntimeError(response.json()["error"]["message"])
    result: dict[str, Any] = response.json()
    return result


def dig(port: int, name: str, qtype: str, tcp: bool) -> str:
    """A real DNS query to the host's port, printed the way dig prints it."""
    import dns.flags  # only dig pays for dnspython
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    query = dns.message.make_query(name, dns.rdatatype.from_text(qtype), use_edns=0)
    response = (dns.query.tcp if tcp else dns.query.udp)(query, "127.0.0.1", port=port, timeout=5)
    flags = dns.flags.to_text(response.flags).lower()
    counts = (len(response.question), len(response.answer), len(response.authority), len(response.additional) + 1)
    lines = [
        f"; <<>> acrlink dig <<>> {name} {qtype}",
        ";; ->>HEADER<<- opcode: QUERY, status: " + dns.rcode.to_text(response.rcode()) + f", id: {response.id}",
        f";; flags: {flags}; QUERY: {counts[0]}, ANSWER: {counts[1]}, AUTHORITY: {counts[2]}, ADDITIONAL: {counts[3]}",
        "",
        ";; QUESTION SECTION:",
        *(f";{rrset.to_text()}" for rrset in response.question),
    ]
    for title, section in (("ANSWER", response.answer), ("AUTHORITY", response.authority)):
        if section:
            lines += ["", f";; {title} SECTION:", *(rrset.to_text() for rrset in section)]
    lines += ["", f";; SERVER: 127.0.0.1#{port}({'TCP' if tcp else 'UDP'})"]
    return "\n".join(lines)


VIEW_API = "2026-01-01"


class ViewError(RuntimeError):
    """The reachability view refused the question (an unknown principal, say); the message is ARM's."""


def identity_step(
    endpoints: dict[str, Any], host: str, login_server: str, principal: str | None
) -> dict[str, Any] | None:
    """``check``'s identity step, asked of the running acrlink's ``Acrlink.Network/reachability`` view (the
    server holds the role assignments and computes the rights with the registry's own code), for ``principal``
    or else the host's managed identity; None when the view has no cell for that host and name."""
    path = f"/subscriptions/{endpoints['subscriptionId']}/providers/Acrlink.Network/reachability"
    params = {"api-version": VIEW_API, "host": host, "name": login_server}
    if principal:
        params["principal"] = principal
    with arm_client(endpoints) as client:
        answer = client.get(path, params=params)
    if answer.status_code != 200:
        raise ViewError(str(answer.json().get("error", {}).get("message") or answer.text))
    cells = answer.json().get("value") or []
    found: dict[str, Any] | None = cells[0].get("identity") if cells else None
    return found
