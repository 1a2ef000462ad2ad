"""ARM: generated paths, query strings, headers and JSON bodies get ARM's 4xx error shape, never a 5xx,
and a refused request changes nothing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.api.conftest import Arm
from tests.api.network_world import NET, world

from .conftest import state

PATHS = [
    "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myregistry",
    "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/fuzzreg",
    "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myregistry/replications/chinaeast2",
    "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myregistry/privateEndpointConnections/c",
    "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myregistry/listCredentials",
    "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myregistry/importImage",
    "/subscriptions/{sub}/providers/Microsoft.ContainerRegistry/checkNameAvailability",
    "/subscriptions/{sub}/providers/Microsoft.ContainerRegistry/registries",
    f"{NET}/virtualNetworks/myvnet",
    f"{NET}/virtualNetworks/myvnet/subnets/mysubnet",
    f"{NET}/virtualNetworks/myvnet/virtualNetworkPeerings/p",
    f"{NET}/networkInterfaces/fuzznic",
    f"{NET}/privateEndpoints/fuzzpe",
    f"{NET}/privateEndpoints/fuzzpe/privateDnsZoneGroups/default",
    f"{NET}/privateDnsZones/fuzz.example",
    f"{NET}/privateDnsZones/fuzz.example/virtualNetworkLinks/l",
    f"{NET}/privateDnsZones/fuzz.example/A/www",
    f"{NET}/privateDnsZones/fuzz.example/TXT/t",
    f"{NET}/privateDnsZones/fuzz.example/CNAME/c",
    "/subscriptions/{sub}/resourceGroups/rg",
    "/subscriptions/{sub}/resourcegroups",
    "/subscriptions/{sub}/resources",
    "/subscriptions/{sub}/providers",
    "/subscriptions",
]

KEYS = [
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
    "txtRecords",
    "value",
    "ttl",
    "virtualNetwork",
    "groupIds",
    "privateLinkServiceId",
    "addressPrefix",
    "privateIPAddress",
    "cnameRecord",
    "cname",
    "networkRuleSet",
    "ipRules",
    "defaultAction",
    "publicNetworkAccess",
    "source",
    "targetTags",
]

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(
        [
            "chinanorth2",
            "Premium",
            "10.0.0.0/24",
            "10.0.0.4",
            "registry",
            "Enabled",
            "Deny",
            "a..b",
            "/subscriptions/x",
            "x" * 300,
            "\u00b2",
            "\x00",
        ]
    ),
)
documents = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=5),
    ),
    max_leaves=25,
)
numbers = st.one_of(
    st.integers(min_value=-5, max_value=10**6).map(str),
    st.sampled_from(["", "0", "-1", "\u00b2", "\u0663", "1e3", "1.5", "9" * 5000, " 5", "0x10", "nan"]),
    st.text(max_size=6),
)
api_versions = st.one_of(
    st.sampled_from(
        [
            "2025-04-01",
            "2023-07-01",
            "2024-05-01",
            "2024-06-01",
            "2022-12-01",
            "2020-11-01-preview",
            "2025-05-01-preview",
            "garbage",
            "",
            "2019-13-45",
            "2024-05-01;x",
        ]
    ),
    st.text(max_size=12),
)


def _sub(arm: Arm, path: str) -> str:
    return path.replace("{sub}", arm.sub)


@given(
    method=st.sampled_from(["GET", "PUT", "PATCH", "POST", "DELETE", "HEAD", "OPTIONS"]),
    path=st.sampled_from(PATHS),
    api=api_versions,
    top=st.none() | numbers,
    skiptoken=st.none() | numbers | st.text(max_size=30),
    body=st.one_of(
        documents.map(lambda d: json.dumps(d).encode()),
        st.binary(max_size=200),
        st.integers(min_value=1, max_value=200_000).map(lambda n: b"[" * n),
    ),
)
def test_arm_requests_never_get_a_5xx_and_refusals_change_nothing(
    fuzz_arm: Arm, method: str, path: str, api: str, top: str | None, skiptoken: str | None, body: bytes
) -> None:
    arm = fuzz_arm
    _world_once(arm)
    params: dict[str, Any] = {"api-version": api}
    if top is not None:
        params["$top"] = top
    if skiptoken is not None:
        params["$skipToken"] = skiptoken
    before = state(arm.application.settings.data_dir)
    response = arm.client.request(
        method,
        _sub(arm, path),
        params=params,
        content=body if method in ("PUT", "PATCH", "POST") else None,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code < 500, (method, path, params, body[:200], response.text[:500])
    if response.status_code >= 400:
        if method != "HEAD":
            assert response.json()["error"]["code"], response.text
        assert state(arm.application.settings.data_dir) == before, (method, path, params, body[:200], response.text)


@given(
    name=st.sampled_from(
        [
            "Authorization",
            "Content-Length",
            "Content-Type",
            "If-Match",
            "If-None-Match",
            "x-ms-client-request-id",
            "x-ms-correlation-request-id",
            "Accept-Language",
        ]
    ),
    value=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
)
def test_arm_headers_never_get_a_5xx(fuzz_arm: Arm, name: str, value: str) -> None:
    arm = fuzz_arm
    _world_once(arm)
    path = _sub(arm, PATHS[0])
    before = state(arm.application.settings.data_dir)
    response = arm.client.request(
        "PUT",
        path,
        params={"api-version": "2023-07-01"},
        headers={name: value},
        json={"location": "chinanorth2", "sku": {"name": "Premium"}},
    )
    assert response.status_code < 500, (name, value, response.text[:500])
    if response.status_code >= 400:
        assert state(arm.application.settings.data_dir) == before


_BUILT: set[int] = set()


def _world_once(arm: Arm) -> None:
    if id(arm) not in _BUILT:
        world(arm)
        arm.request("PUT", f"{NET}/privateDnsZones/fuzz.example", {"location": "global"})
        _BUILT.add(id(arm))
