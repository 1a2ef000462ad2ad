"""Deploy a template without a deployment engine: each resource's expressions replaced by values a person
worked out, then one ARM PUT per resource in the template's order (which is a valid dependency order for
the templates here). It checks that acrlink's resource providers accept the bodies the templates will
send, before the engine exists, and that the expected values are what the engine must produce.

    PYTHONPATH=src .venv/bin/python tests/e2e/templates/by_hand.py seed GROUP REGISTRY   (acrlink env set)

``load()`` reads a template as az sends it (JSON with ``//`` and ``/* */`` comments).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

NETWORK = "2025-07-01"
REGISTRY = "2025-11-01"
PRIVATE_DNS = "2024-06-01"
RESOURCES = "2025-04-01"


def strip_comments(text: str) -> str:
    """``text`` without ``//`` and ``/* */`` comments outside strings (line breaks kept, so errors still
    point at the right line)."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.index("*/", i + 2)
            out.append("\n" * text.count("\n", i, end))
            i = end + 2
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def load(name: str) -> dict[str, Any]:
    """``tests/e2e/templates/NAME.json``, comments dropped."""
    return dict(json.loads(strip_comments((HERE / f"{name}.json").read_text())))


Values = dict[str, Any]
"""Expression text -> its value; a callable takes the copy index."""


def fill(node: Any, values: Values, index: int | None) -> Any:
    """``node`` with every expression string replaced from ``values`` (a missing one is an error: the
    table must cover the template)."""
    if isinstance(node, dict):
        return {k: fill(v, values, index) for k, v in node.items()}
    if isinstance(node, list):
        return [fill(v, values, index) for v in node]
    if isinstance(node, str) and node.startswith("[") and node.endswith("]") and not node.startswith("[["):
        if node not in values:
            raise KeyError(f"no hand value for {node}")
        value = values[node]
        return value(index) if callable(value) else value
    return node


def resource_path(group: str, rtype: str, name: str) -> str:
    """``/subscriptions/.../resourceGroups/G/providers/NS/t1/n1/t2/n2`` from a type and a ``n1/n2`` name."""
    namespace, *types = rtype.split("/")
    names = name.split("/")
    if len(types) != len(names):
        raise ValueError(f"{rtype} needs {len(types)} name segments, {name!r} has {len(names)}")
    tail = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"{group}/providers/{namespace}/{tail}"


def instances(template: dict[str, Any], values: Values) -> Iterator[tuple[str, dict[str, Any]]]:
    """(symbolic name or '', filled resource) for every deployed resource, copy loops expanded."""
    resources = template["resources"]
    items = resources.items() if isinstance(resources, dict) else (("", r) for r in resources)
    for symbol, resource in items:
        if resource.get("existing"):
            continue
        copy = resource.get("copy")
        count = fill(copy["count"], values, None) if copy else None
        for index in range(count) if count is not None else [None]:
            body = {k: v for k, v in resource.items() if k not in ("copy", "dependsOn", "condition")}
            yield symbol, fill(body, values, index)


Put = Callable[[str, str, dict[str, Any]], dict[str, Any]]


def deploy(template: dict[str, Any], values: Values, group: str, put: Put) -> list[str]:
    """PUT every resource of ``template`` into ``group`` (its id); the ids, in order."""
    ids = []
    for _, resource in instances(template, values):
        path = resource_path(group, resource["type"], resource["name"])
        body = {k: v for k, v in resource.items() if k not in ("type", "apiVersion", "name")}
        put(path, resource["apiVersion"], body)
        ids.append(path)
    return ids


def seed_values(
    sub: str,
    group: str,
    registry: str,
    replicas: list[str],
    location: str = "chinanorth2",
    vnet: str = "myVNet",
    subnet: str = "mySubnet",
    endpoint: str = "myPrivateEndpoint",
) -> Values:
    """seed.json's expressions worked out by hand, parameters at their defaults except registryName and
    replicaLocations; ``group`` is the group's name."""
    gid = f"/subscriptions/{sub}/resourceGroups/{group}"
    zone = "privatelink.azurecr.cn"
    return {
        "[parameters('vnetName')]": vnet,
        "[parameters('location')]": location,
        "[parameters('addressPrefix')]": "10.0.0.0/16",
        "[parameters('subnetName')]": subnet,
        "[parameters('subnetPrefix')]": "10.0.0.0/24",
        "[parameters('registryName')]": registry,
        "[length(parameters('replicaLocations'))]": len(replicas),
        "[format('{0}/{1}', parameters('registryName'), parameters('replicaLocations')[copyIndex()])]":
            lambda i: f"{registry}/{replicas[i]}",
        "[parameters('replicaLocations')[copyIndex()]]": lambda i: replicas[i],
        "[variables('zoneName')]": zone,
        "[format('{0}/{1}', variables('zoneName'), variables('linkName'))]": f"{zone}/{vnet}-link",
        "[resourceId('Microsoft.Network/virtualNetworks', parameters('vnetName'))]":
            f"{gid}/providers/Microsoft.Network/virtualNetworks/{vnet}",
        "[parameters('endpointName')]": endpoint,
        "[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('vnetName'), parameters('subnetName'))]":
            f"{gid}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}",
        "[parameters('connectionName')]": "myConnection",
        "[resourceId('Microsoft.ContainerRegistry/registries', parameters('registryName'))]":
            f"{gid}/providers/Microsoft.ContainerRegistry/registries/{registry}",
        "[format('{0}/{1}', parameters('endpointName'), 'default')]": f"{endpoint}/default",
        "[replace(variables('zoneName'), '.', '-')]": zone.replace(".", "-"),
        "[resourceId('Microsoft.Network/privateDnsZones', variables('zoneName'))]":
            f"{gid}/providers/Microsoft.Network/privateDnsZones/{zone}",
    }  # fmt: skip


def seed_v2_values(
    sub: str,
    group: str,
    registry: str,
    replicas: list[str],
    location: str = "chinanorth2",
    vnet: str = "myVNet",
    subnet: str = "mySubnet",
    endpoint: str = "myPrivateEndpoint",
) -> Values:
    """seed.v2.json's expressions worked out by hand (the VNet and subnet already exist in ``group``)."""
    gid = f"/subscriptions/{sub}/resourceGroups/{group}"
    zone = "privatelink.azurecr.cn"
    vnet_id = f"{gid}/providers/Microsoft.Network/virtualNetworks/{vnet}"
    return {
        "[parameters('registryName')]": registry,
        "[parameters('location')]": location,
        "[length(parameters('replicas'))]": len(replicas),
        "[format('{0}/{1}', parameters('registryName'), parameters('replicas')[copyIndex()].location)]":
            lambda i: f"{registry}/{replicas[i]}",
        "[parameters('replicas')[copyIndex()].location]": lambda i: replicas[i],
        "[union(createObject('zoneRedundancy', 'Disabled'), parameters('replicas')[copyIndex()]).zoneRedundancy]":
            "Disabled",
        "[variables('zoneName')]": zone,
        "[format('{0}/{1}-link', variables('zoneName'), parameters('vnetName'))]": f"{zone}/{vnet}-link",
        "[reference('vnet', '2025-07-01', 'Full').id]": vnet_id,
        "[parameters('endpointName')]": endpoint,
        "[reference('subnet', '2025-07-01', 'Full').id]": f"{vnet_id}/subnets/{subnet}",
        "[parameters('connectionName')]": "myConnection",
        "[resourceId('Microsoft.ContainerRegistry/registries', parameters('registryName'))]":
            f"{gid}/providers/Microsoft.ContainerRegistry/registries/{registry}",
        "[format('{0}/default', parameters('endpointName'))]": f"{endpoint}/default",
        "[resourceId('Microsoft.Network/privateDnsZones', variables('zoneName'))]":
            f"{gid}/providers/Microsoft.Network/privateDnsZones/{zone}",
    }  # fmt: skip


def arm_put(endpoints: dict[str, Any]) -> tuple[Put, Callable[[str, str], dict[str, Any]]]:
    """PUT and GET against acrlink's ARM face with a client-credentials token; both raise on >= 300."""
    import httpx

    client = httpx.Client(base_url=endpoints["arm"], verify=endpoints["ca"], trust_env=False, timeout=60)
    token = client.post(
        f"/{endpoints['tenantId']}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": "by-hand", "client_secret": "s"},
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"

    def put(path: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = client.put(path, params={"api-version": version}, json=body)
        if answer.status_code >= 300:
            raise RuntimeError(f"PUT {path}: {answer.status_code} {answer.text}")
        return dict(answer.json())

    def get(path: str, version: str) -> dict[str, Any]:
        answer = client.get(path, params={"api-version": version})
        if answer.status_code >= 300:
            raise RuntimeError(f"GET {path}: {answer.status_code} {answer.text}")
        return dict(answer.json())

    return put, get


def main() -> None:
    name, group, registry = sys.argv[1:4]
    data_dir = Path(os.environ.get("ACRLINK_DATA_DIR", Path.home() / ".acrlink"))
    endpoints = json.loads((data_dir / "endpoints.json").read_text())
    sub = endpoints["subscriptionId"]
    put, get = arm_put(endpoints)
    gid = f"/subscriptions/{sub}/resourceGroups/{group}"
    put(gid, RESOURCES, {"location": "chinanorth2"})
    if name == "seed.v2":  # the step before the deployment: az network vnet create ... --subnet-name
        vnet = {
            "location": "chinanorth2",
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
                "subnets": [{"name": "mySubnet", "properties": {"addressPrefix": "10.1.0.0/24"}}],
            },
        }
        put(f"{gid}/providers/Microsoft.Network/virtualNetworks/myVNet", NETWORK, vnet)
        values = seed_v2_values(sub, group, registry, ["chinaeast2"])
    else:
        values = seed_values(sub, group, registry, ["chinaeast2"])
    for path in deploy(load(name), values, gid, put):
        print("PUT", path.split("/providers/", 1)[1], file=sys.stderr)
    endpoint = get(f"{gid}/providers/Microsoft.Network/privateEndpoints/myPrivateEndpoint", NETWORK)
    print(json.dumps({"customDnsConfigs": endpoint["properties"]["customDnsConfigs"]}))


if __name__ == "__main__":
    main()
