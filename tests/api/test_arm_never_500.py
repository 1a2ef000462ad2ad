"""Whatever the body, every ARM write answers a 4xx with Azure's error shape, never a 500, and leaves
nothing half-written."""

from __future__ import annotations

import random
from typing import Any

from .conftest import Arm
from .network_world import NET, world

PATHS = [
    "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/fuzzreg1",
    "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myregistry/replications/chinaeast2",
    "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myregistry/privateEndpointConnections/myregistry.x",
    f"{NET}/virtualNetworks/fuzzvnet",
    f"{NET}/virtualNetworks/myvnet/subnets/fuzzsubnet",
    f"{NET}/virtualNetworks/myvnet/virtualNetworkPeerings/fuzzpeer",
    f"{NET}/networkInterfaces/fuzznic",
    f"{NET}/privateEndpoints/fuzzpe",
    f"{NET}/privateEndpoints/fuzzpe/privateDnsZoneGroups/default",
    f"{NET}/privateDnsZones/fuzz.example",
    f"{NET}/privateDnsZones/fuzz.example/virtualNetworkLinks/l",
    f"{NET}/privateDnsZones/fuzz.example/A/www",
    f"{NET}/privateDnsZones/fuzz.example/CNAME/alias",
    "/subscriptions/{sub}/resourceGroups/rg/providers/Acrlink.Network/onPremisesHosts/fuzzhost",
]


def _junk(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["str", "int", "bool", "none", "float", "list", "dict"] if depth < 3 else ["str", "int", "none"]
    kind = rng.choice(kinds)
    if kind == "str":
        return rng.choice(
            [
                "",
                "x",
                "10.0.0.0/24",
                "chinanorth2",
                "Premium",
                "Enabled",
                "/subscriptions/x",
                "é" * 3,
                "10.0.0.300",
                "*",
                "registry",
            ]
        )
    if kind == "int":
        return rng.choice([0, -1, 2**40, 7])
    if kind == "bool":
        return rng.choice([True, False])
    if kind == "float":
        return 1.5
    if kind == "none":
        return None
    if kind == "list":
        return [_junk(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = [
        "location",
        "sku",
        "name",
        "properties",
        "tags",
        "addressSpace",
        "addressPrefixes",
        "subnet",
        "id",
        "privateLinkServiceConnections",
        "ipConfigurations",
        "aRecords",
        "ttl",
        "virtualNetwork",
        "groupIds",
        "privateLinkServiceId",
        "addressPrefix",
        "privateIPAddress",
        "remoteVirtualNetwork",
        "privateDnsZoneConfigs",
        "privateDnsZoneId",
        "dnsServers",
        "networkRuleSet",
        "ipRules",
        "value",
        "cname",
        "cnameRecord",
    ]
    return {rng.choice(keys): _junk(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def test_random_bodies_get_client_errors_only(arm: Arm) -> None:
    world(arm)
    arm.request("PUT", f"{NET}/privateDnsZones/fuzz.example", {"location": "global"})
    rng = random.Random(20261129)
    for _ in range(400):
        path = rng.choice(PATHS)
        method = rng.choice(["PUT", "PATCH", "PUT"])
        body = _junk(rng)
        response = arm.request(method, path, body)
        assert response.status_code < 500, (method, path, body, response.text)
        if response.status_code >= 400:
            assert response.json()["error"]["code"], (method, path, body, response.text)


VALID: dict[str, Any] = {
    PATHS[0]: {
        "location": "chinanorth2",
        "sku": {"name": "Premium"},
        "properties": {"networkRuleSet": {"defaultAction": "Deny", "ipRules": [{"value": "1.2.3.4"}]}},
    },
    PATHS[3]: {
        "location": "chinanorth2",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.5.0.0/16"]},
            "subnets": [{"name": "s", "properties": {"addressPrefix": "10.5.0.0/24"}}],
        },
    },
    PATHS[4]: {"properties": {"addressPrefix": "10.0.9.0/24"}},
    PATHS[6]: {
        "location": "chinanorth2",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "c",
                    "properties": {
                        "subnet": {
                            "id": "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/myvnet/subnets/mysubnet"
                        }
                    },
                }
            ]
        },
    },
    PATHS[7]: {
        "location": "chinanorth2",
        "properties": {
            "subnet": {
                "id": "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/myvnet/subnets/mysubnet"
            },
            "privateLinkServiceConnections": [
                {
                    "name": "c",
                    "properties": {
                        "privateLinkServiceId": "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myregistry",
                        "groupIds": ["registry"],
                    },
                }
            ],
        },
    },
    PATHS[11]: {"properties": {"ttl": 10, "aRecords": [{"ipv4Address": "10.0.0.4"}]}},
}


def _mutate(rng: random.Random, value: Any) -> Any:
    """The same document with one leaf (or one key) replaced by junk."""
    if isinstance(value, dict) and value:
        key = rng.choice(list(value))
        return {**value, key: _mutate(rng, value[key]) if rng.random() < 0.7 else _junk(rng)}
    if isinstance(value, list) and value:
        index = rng.randrange(len(value))
        return [*value[:index], _mutate(rng, value[index]), *value[index + 1 :]]
    return _junk(rng)


def _fill(value: Any, sub: str) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, sub) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, sub) for v in value]
    return value.replace("{sub}", sub) if isinstance(value, str) else value


def test_mutated_valid_bodies_get_client_errors_or_succeed(arm: Arm) -> None:
    world(arm)
    rng = random.Random(7)
    for _ in range(600):
        path = rng.choice(list(VALID))
        body = _mutate(rng, _fill(VALID[path], arm.sub))
        response = arm.request("PUT", path, body)
        assert response.status_code < 500, (path, body, response.text)
        if response.status_code < 300:
            arm.request("DELETE", path)
