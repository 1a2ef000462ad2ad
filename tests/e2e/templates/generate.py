"""Templates of any size for tests and benchmarks of the deployment engine, and the same resources as
plain ARM requests (what an engine must end up sending, and the reference a benchmark times it against).

``many_resources(n)`` is a classic template with exactly ``n`` resources that acrlink supports, cheap to
create, and valid in an empty resource group: one private DNS zone, VNets with one inline subnet each,
and A and TXT record sets in the zone, in copy loops whose names, addresses, TTLs and values come from a
mix of expressions (``format``, ``padLeft``, ``copyIndex`` with an offset, ``add``/``mod``/``div``/``mul``,
``string``, ``concat``, ``toLower``, ``variables``, ``parameters``, ``resourceId`` in ``dependsOn``).
``direct_requests(n, subscription, group)`` lists the same resources as ``(method, path, body)`` with
every expression worked out in Python, in an order that satisfies the dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NETWORK = "2025-07-01"
PRIVATE_DNS = "2024-06-01"
ZONE = "bench.acrlink.test"
PREFIX = "rec"
MAX_RESOURCES = 800
"""ARM's limit of resources in one template (after copy expansion)."""


@dataclass(frozen=True)
class Counts:
    """How ``n`` resources split: one zone, ``vnets`` VNets, ``a`` A record sets, ``txt`` TXT record sets."""

    vnets: int
    a: int
    txt: int

    @property
    def total(self) -> int:
        return 1 + self.vnets + self.a + self.txt


def counts(n: int) -> Counts:
    """A tenth of the rest VNets (at most 250: one /16 each in 10.0.0.0/8 below 10.250), a third of what
    is left TXT, the remainder A."""
    if not 1 <= n <= MAX_RESOURCES:
        raise ValueError(f"n must be 1..{MAX_RESOURCES} (ARM's limit per template), not {n}")
    rest = n - 1
    vnets = min(rest // 10, 250)
    txt = (rest - vnets) // 3
    return Counts(vnets, rest - vnets - txt, txt)


def many_resources(n: int) -> dict[str, Any]:
    """A deployable template of exactly ``n`` resources (see the module docstring)."""
    split = counts(n)
    zone_id = "[resourceId('Microsoft.Network/privateDnsZones', parameters('zoneName'))]"
    resources: list[dict[str, Any]] = [
        {
            "type": "Microsoft.Network/privateDnsZones",
            "apiVersion": PRIVATE_DNS,
            "name": "[parameters('zoneName')]",
            "location": "global",
            "tags": {"purpose": "[variables('purpose')]"},
            "properties": {},
        }
    ]
    if split.vnets:
        resources.append(
            {
                "type": "Microsoft.Network/virtualNetworks",
                "apiVersion": NETWORK,
                "name": "[format('{0}-vnet-{1}', parameters('prefix'), padLeft(copyIndex(), 3, '0'))]",
                "location": "[parameters('location')]",
                "copy": {"name": "vnets", "count": "[parameters('vnetCount')]"},
                "tags": {"purpose": "[variables('purpose')]", "index": "[string(copyIndex())]"},
                "properties": {
                    "addressSpace": {"addressPrefixes": ["[format('10.{0}.0.0/16', copyIndex())]"]},
                    "subnets": [
                        {
                            "name": "default",
                            "properties": {"addressPrefix": "[format('10.{0}.0.0/24', copyIndex())]"},
                        }
                    ],
                },
            }
        )
    if split.a:
        resources.append(
            {
                "type": "Microsoft.Network/privateDnsZones/A",
                "apiVersion": PRIVATE_DNS,
                "name": "[format('{0}/{1}-{2}', parameters('zoneName'), parameters('prefix'), padLeft(copyIndex(1), 4, '0'))]",
                "copy": {"name": "aRecords", "count": "[parameters('aCount')]"},
                "properties": {
                    "ttl": "[add(300, mul(mod(copyIndex(), 5), 60))]",
                    "metadata": {"index": "[string(copyIndex())]"},
                    "aRecords": [
                        {"ipv4Address": "[format('10.255.{0}.{1}', div(copyIndex(), 250), add(mod(copyIndex(), 250), 1))]"}
                    ],
                },
                "dependsOn": [zone_id],
            }
        )  # fmt: skip
    if split.txt:
        resources.append(
            {
                "type": "Microsoft.Network/privateDnsZones/TXT",
                "apiVersion": PRIVATE_DNS,
                "name": "[concat(parameters('zoneName'), '/', toLower(format('TXT-{0}', copyIndex())))]",
                "copy": {"name": "txtRecords", "count": "[parameters('txtCount')]"},
                "properties": {
                    "ttl": 3600,
                    "txtRecords": [{"value": ["[concat(variables('purpose'), ' ', string(copyIndex()))]"]}],
                },
                "dependsOn": [zone_id],
            }
        )
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": {"generator": "tests/e2e/templates/generate.py", "resources": n},
        "parameters": {
            "zoneName": {"type": "string", "defaultValue": ZONE},
            "prefix": {"type": "string", "defaultValue": PREFIX},
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
            "vnetCount": {"type": "int", "defaultValue": split.vnets, "minValue": 0, "maxValue": 250},
            "aCount": {"type": "int", "defaultValue": split.a, "minValue": 0},
            "txtCount": {"type": "int", "defaultValue": split.txt, "minValue": 0},
        },
        "variables": {"purpose": "[format('bench of {0} resources', add(add(1, parameters('vnetCount')), add(parameters('aCount'), parameters('txtCount'))))]"},
        "resources": resources,
        "outputs": {
            "recordSets": {
                # the SOA record set counts too
                "type": "int",
                "value": f"[reference({zone_id[1:-1]}, '{PRIVATE_DNS}').numberOfRecordSets]",
            },
            "firstVnet": {
                "type": "string",
                "value": "[if(greater(parameters('vnetCount'), 0), format('{0}-vnet-000', parameters('prefix')), '')]",
            },
        },
    }  # fmt: skip


Request = tuple[str, str, dict[str, Any]]
"""(method, path with ``?api-version=``, JSON body)."""


def direct_requests(n: int, subscription: str, group: str, location: str = "chinanorth2") -> list[Request]:
    """``many_resources(n)``'s resources as ARM PUTs into ``group`` (its location ``location``), every
    expression worked out here; the zone first, then what depends on it."""
    split = counts(n)
    gid = f"/subscriptions/{subscription}/resourceGroups/{group}"
    zone = f"{gid}/providers/Microsoft.Network/privateDnsZones/{ZONE}"
    purpose = f"bench of {split.total} resources"
    requests: list[Request] = [
        ("PUT", f"{zone}?api-version={PRIVATE_DNS}", {"location": "global", "tags": {"purpose": purpose}, "properties": {}})
    ]  # fmt: skip
    for i in range(split.vnets):
        body = {
            "location": location,
            "tags": {"purpose": purpose, "index": str(i)},
            "properties": {
                "addressSpace": {"addressPrefixes": [f"10.{i}.0.0/16"]},
                "subnets": [{"name": "default", "properties": {"addressPrefix": f"10.{i}.0.0/24"}}],
            },
        }
        path = f"{gid}/providers/Microsoft.Network/virtualNetworks/{PREFIX}-vnet-{i:03d}?api-version={NETWORK}"
        requests.append(("PUT", path, body))
    for i in range(split.a):
        body = {
            "properties": {
                "ttl": 300 + (i % 5) * 60,
                "metadata": {"index": str(i)},
                "aRecords": [{"ipv4Address": f"10.255.{i // 250}.{i % 250 + 1}"}],
            }
        }
        requests.append(("PUT", f"{zone}/A/{PREFIX}-{i + 1:04d}?api-version={PRIVATE_DNS}", body))
    for i in range(split.txt):
        body = {"properties": {"ttl": 3600, "txtRecords": [{"value": [f"{purpose} {i}"]}]}}
        requests.append(("PUT", f"{zone}/TXT/txt-{i}?api-version={PRIVATE_DNS}", body))
    return requests


def expected_outputs(n: int) -> dict[str, Any]:
    """The outputs a deployment of ``many_resources(n)`` into an empty group must report."""
    split = counts(n)
    return {"recordSets": split.a + split.txt + 1, "firstVnet": f"{PREFIX}-vnet-000" if split.vnets else ""}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(many_resources(int(sys.argv[1]) if len(sys.argv) > 1 else 200), indent=2))
