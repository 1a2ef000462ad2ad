"""The ARM edge: numbers in the query, JSON nesting, body size and api-versions are checked before anything
else runs, with ARM's errors, and never give a 500."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from acrlink.arm.edge import MAX_BODY

from .conftest import Arm, error_code, make_arm

GROUPS = "/subscriptions/{sub}/resourcegroups"


@pytest.mark.parametrize("value", ["²", "١٢", "1" * 5000, "-1", "1.5", " 3", "0x10", "", "3 "])
def test_top_must_be_a_plain_decimal(arm: Arm, value: str) -> None:
    arm.group()
    response = arm.client.get(arm.url(GROUPS) + "&" + urlencode({"$top": value}))
    assert response.status_code == 400, response.text
    assert error_code(response) == "InvalidQueryParameterValue"
    assert "$top" in response.json()["error"]["message"]


@pytest.mark.parametrize("value", ["²", "1" * 5000, "-2", "abc"])
def test_skip_token_must_be_one_acrlink_issued(arm: Arm, value: str) -> None:
    arm.group()
    response = arm.client.get(arm.url(GROUPS) + "&" + urlencode({"$skiptoken": value}))
    assert response.status_code == 400, response.text
    assert error_code(response) == "InvalidQueryParameterValue"


def test_deeply_nested_body_is_invalid_content(arm: Arm) -> None:
    arm.group()
    for raw in (b"[" * 100_000, b"[" * 100 + b"]" * 100, b'{"a":' * 70 + b"1" + b"}" * 70):
        response = arm.request("PUT", arm.registry_path("deep0001"), raw=raw)
        assert (response.status_code, error_code(response)) == (400, "InvalidRequestContent"), raw[:10]
    assert arm.request("GET", arm.registry_path("deep0001")).status_code == 404


def test_nesting_within_the_limit_is_read(arm: Arm) -> None:
    arm.group()
    body = {"location": "chinanorth2", "sku": {"name": "Premium"}, "tags": {}}
    assert arm.request("PUT", arm.registry_path("shallow01"), body).status_code == 201


def _stream_64_mib(arm: Arm, name: str, declare_length: bool) -> tuple[httpx.Response, int]:
    """PUT 64 MiB in 1 MiB pieces; the answer and how many bytes the server pulled from the stream."""
    sent = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(64):
            sent += 1 << 20
            yield b" " * (1 << 20)

    async def put() -> httpx.Response:
        transport = httpx.ASGITransport(app=arm.client._app)
        headers = {**arm.client._headers, **({"Content-Length": str(64 << 20)} if declare_length else {})}
        async with httpx.AsyncClient(transport=transport, base_url="https://arm.test") as client:
            path = arm.registry_path(name)
            return await client.put(arm.url(path, arm.api_for(path)), content=stream(), headers=headers)

    response = asyncio.run(put())
    return response, sent


def test_oversized_body_is_refused_from_its_content_length(arm: Arm) -> None:
    arm.group()
    response, sent = _stream_64_mib(arm, "huge0002", declare_length=True)
    assert (response.status_code, error_code(response)) == (413, "RequestContentTooLarge")
    assert "4 MB" in response.json()["error"]["message"]
    assert sent <= MAX_BODY + (2 << 20), "the body was read although its Content-Length was over the limit"


def test_oversized_body_without_length_stops_at_the_limit(arm: Arm) -> None:
    arm.group()
    response, sent = _stream_64_mib(arm, "huge0003", declare_length=False)
    assert (response.status_code, error_code(response)) == (413, "RequestContentTooLarge")
    assert sent <= MAX_BODY + (2 << 20), "reading went on past the limit"


def test_provider_types_refuse_versions_they_do_not_have(arm: Arm) -> None:
    arm.group()
    body = {"location": "chinanorth2", "sku": {"name": "Premium"}}
    refused = arm.request("PUT", arm.registry_path("apiver01"), body, api="2099-01-01")
    assert (refused.status_code, error_code(refused)) == (400, "NoRegisteredProviderFound")
    message = refused.json()["error"]["message"]
    assert message.startswith(
        "No registered resource provider found for location 'chinanorth2' and API version '2099-01-01' for type "
        "'registries'. The supported api-versions are '2016-06-27-preview, 2017-03-01, "
    )
    assert "2025-11-01, 2026-09-01-preview'. The supported locations are 'chinanorth, chinanorth2, " in message
    assert arm.request("GET", arm.registry_path("apiver01")).status_code == 404
    for version in ("2019-05-01", "2023-07-01", "2025-11-01", "2026-09-01-preview"):
        assert arm.request("PUT", arm.registry_path("apiver01"), body, api=version).status_code in (200, 201)
    stored = arm.request("GET", arm.registry_path("apiver01"), api="2025-13-01")
    assert "for location 'chinanorth2'" in stored.json()["error"]["message"]
    replica = arm.request("GET", arm.registry_path("apiver01") + "/replications", api="2017-03-01")
    assert error_code(replica) == "NoRegisteredProviderFound", "replications came with 2017-06-01-preview"
    assert "for type 'registries/replications'" in replica.json()["error"]["message"]


def test_private_dns_and_network_versions_differ(arm: Arm) -> None:
    arm.group()
    zone = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/z.example"
    refused = arm.request("PUT", zone, {"location": "global"}, api="2024-07-01")
    assert (refused.status_code, error_code(refused)) == (400, "NoRegisteredProviderFound")
    assert "for location 'global'" in refused.json()["error"]["message"]
    assert "The supported locations are 'global'." in refused.json()["error"]["message"]
    assert arm.request("PUT", zone, {"location": "global"}, api="2018-09-01").status_code == 201
    vnet = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
    body = {"location": "chinanorth2", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}
    assert error_code(arm.request("PUT", vnet, body, api="2024-06-01")) == "NoRegisteredProviderFound"
    assert arm.request("PUT", vnet, body, api="2026-03-01").status_code == 201


def test_provider_listing_shows_each_types_versions(arm: Arm) -> None:
    doc = arm.request("GET", "/subscriptions/{sub}/providers/Microsoft.ContainerRegistry").json()
    by_type = {t["resourceType"]: t["apiVersions"] for t in doc["resourceTypes"]}
    assert by_type["registries"][0] == "2026-09-01-preview" and "2019-05-01" in by_type["registries"]
    assert by_type["registries/privateEndpointConnections"][-1] == "2019-12-01-preview"
    network = arm.request("GET", "/subscriptions/{sub}/providers/Microsoft.Network").json()
    versions = {t["resourceType"]: t["apiVersions"] for t in network["resourceTypes"]}
    assert versions["privateDnsZones"] == ["2024-06-01", "2020-06-01", "2020-01-01", "2018-09-01"]
    assert "2026-03-01" in versions["virtualNetworks"]


def test_operation_polls_take_the_version_of_the_request_that_started_them(tmp_path: Path) -> None:
    for arm in make_arm(tmp_path, arm_async=True):
        arm.group()
        zone = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/poll.example"
        for version in ("2018-09-01", "2024-06-01"):
            put = arm.request("PUT", zone, {"location": "global"}, api=version)
            assert put.status_code in (200, 201), put.text
            poll = put.headers.get("Azure-AsyncOperation") or put.headers.get("Location")
            assert poll and f"api-version={version}" in poll
            assert arm.client.get(poll).status_code == 200, arm.client.get(poll).text


def test_refusals_name_the_type_in_its_casing(arm: Arm) -> None:
    arm.group()
    arm.request("PUT", arm.registry_path("casing01"), {"location": "chinanorth2", "sku": {"name": "Premium"}})
    refused = arm.request("GET", arm.registry_path("casing01") + "/privateEndpointConnections", api="2019-05-01")
    assert "for type 'registries/privateEndpointConnections'" in refused.json()["error"]["message"]
