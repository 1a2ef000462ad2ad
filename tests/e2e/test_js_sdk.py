"""The Azure SDK for JavaScript (@azure/identity, @azure/arm-*) against a real acrlink: ClientSecretCredential
and EnvironmentCredential through msal-node's authority checks, a registry create (also as a polled LRO), a
private endpoint, paging over nextLink, and ARM's tracing headers as the SDK sees them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Running, start, stop

pytestmark = pytest.mark.slow
JS = Path(__file__).resolve().parent.parent / "js"
APP = "00000000-0000-0000-0000-0000000000aa"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if not found or not (JS / "node_modules" / "@azure" / "identity").is_dir():
        pytest.fail("node and tests/js/node_modules are required: run the README's test command (it runs npm ci).")
    return found


@pytest.fixture(scope="module")
def js_acrlink(tmp_path_factory: pytest.TempPathFactory, acrlink: Running) -> Iterator[Running]:
    """A process answering writes with 201/202 + polling, two items a page."""
    saved = os.environ.get("ACRLINK_PAGE_SIZE")
    os.environ["ACRLINK_PAGE_SIZE"] = "2"
    try:
        running = start(tmp_path_factory.mktemp("js"), "--arm-async", ca_from=acrlink.data_dir)
    finally:
        if saved is None:
            os.environ.pop("ACRLINK_PAGE_SIZE")
        else:
            os.environ["ACRLINK_PAGE_SIZE"] = saved
    yield running
    stop(running)


def run_scenario(node: str, running: Running, scenario: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "ACRLINK_ARM": running.arm,
        "AZURE_AUTHORITY_HOST": running.arm,
        "AZURE_TENANT_ID": running.endpoints["tenantId"],
        "AZURE_CLIENT_ID": running.endpoints["clientId"],
        "AZURE_CLIENT_SECRET": "any-secret",
        "AZURE_SUBSCRIPTION_ID": running.subscription,
        "NODE_EXTRA_CA_CERTS": running.endpoints["ca"],
        "ACRLINK_PREFIX": f"js{uuid.uuid4().hex[:6]}",
    }
    result = subprocess.run(
        [node, "scenario.mjs", scenario], cwd=JS, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"node scenario.mjs {scenario} failed:\n{result.stdout}\n{result.stderr}"
    return dict(json.loads(result.stdout))


def _traced(answer: dict[str, Any]) -> bool:
    return bool(
        answer["requestId"]
        and answer["correlationId"]
        and answer["clientRequestId"]
        and answer["echoedClientRequestId"] == answer["clientRequestId"]
    )


def test_credentials_registry_and_tracing_headers(node: str, acrlink: Running) -> None:
    out = run_scenario(node, acrlink, "basics")
    tenant = acrlink.endpoints["tenantId"]
    for claims in out["tokens"].values():
        assert claims["aud"] == "https://management.chinacloudapi.cn"
        assert claims["tid"] == tenant
        assert claims["iss"] == f"{acrlink.arm}/{tenant}/"
    assert out["registry"]["provisioningState"] == "Succeeded"
    assert out["registry"]["loginServer"].endswith(".azurecr.cn")
    assert out["answers"] and all(_traced(a) for a in out["answers"])
    missing = out["notFound"]
    assert missing["statusCode"] == 404 and missing["code"] == "ResourceNotFound"
    assert missing["requestId"] and missing["correlationId"]
    assert missing["echoedClientRequestId"] == missing["clientRequestId"]


def test_lro_private_endpoint_and_paging(node: str, js_acrlink: Running) -> None:
    out = run_scenario(node, js_acrlink, "async")
    assert out["registry"]["provisioningState"] == "Succeeded"
    assert out["registryPolls"] >= 1, out["answers"]
    assert out["endpoint"] == {"provisioningState": "Succeeded", "connectionStatus": "Approved", "nicCount": 1}
    pages = out["pages"]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert len({name for page in pages for name in page}) == 5
    assert len(out["groups"]) == len(set(out["groups"])) >= 1
    assert all(_traced(a) for a in out["answers"])
