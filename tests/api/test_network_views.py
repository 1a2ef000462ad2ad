"""acrlink's own ARM views for the portal: the network graph document, the reachability matrix (the same
engine as ``acrlink check``) and the what-if of arbitrary ARM requests on a fork (nothing real changes)."""

from __future__ import annotations

from tests.api.conftest import Arm, error_code
from tests.api.network_world import create_endpoint, registry_id, world

VIEWS = "/subscriptions/{sub}/providers/Acrlink.Network"


def test_the_network_graph_document(arm: Arm) -> None:
    world(arm)
    assert create_endpoint(arm).status_code == 201
    doc = arm.request("GET", f"{VIEWS}/networkGraph", api="2026-01-01").json()
    assert [v["name"] for v in doc["vnets"]] == ["myvnet"]
    assert [s["name"] for s in doc["vnets"][0]["subnets"]] == ["mysubnet"]
    [endpoint] = doc["endpoints"]
    assert endpoint["registryId"].lower() == registry_id(arm).lower()
    assert endpoint["addresses"]["myregistry.azurecr.cn"] == "10.0.0.4"
    assert {h["name"] for h in doc["hosts"]} >= {"internet", "azure-trusted-service"}
    assert doc["registries"][0]["loginServer"] == "myregistry.azurecr.cn"


def test_the_reachability_matrix_is_the_check_engines(arm: Arm) -> None:
    world(arm)
    cells = arm.request("GET", f"{VIEWS}/reachability", api="2026-01-01").json()["value"]
    internet = next(c for c in cells if c["host"] == "internet" and c["name"] == "myregistry.azurecr.cn")
    assert internet["ok"] and internet["path"] == "public"
    path = arm.registry_path("myregistry")
    assert arm.request("PATCH", path, {"properties": {"publicNetworkAccess": "Disabled"}}).status_code == 200
    cells = arm.request("GET", f"{VIEWS}/reachability", api="2026-01-01").json()["value"]
    internet = next(c for c in cells if c["host"] == "internet" and c["name"] == "myregistry.azurecr.cn")
    assert not internet["ok"] and internet["verdict"].startswith("denied")
    assert "steps" not in internet  # the whole matrix is compact; one host's cells carry the diagnosis
    one = f"{VIEWS}/reachability?host=internet&name=myregistry.azurecr.cn"
    [internet] = arm.client.get(arm.sub_id(one) + "&api-version=2026-01-01").json()["value"]
    assert internet["fix"] and "az acr update" in internet["fix"]
    assert any(not s["ok"] for s in internet["steps"])


def test_what_if_of_requests_says_who_loses_access_and_changes_nothing(arm: Arm) -> None:
    world(arm)
    path = arm.sub_id(arm.registry_path("myregistry"))
    body = {"requests": [{"method": "PATCH", "path": path, "apiVersion": "2025-11-01",
                          "body": {"properties": {"publicNetworkAccess": "Disabled"}}}]}  # fmt: skip
    result = arm.request("POST", f"{VIEWS}/whatIf", body, api="2026-01-01").json()
    assert result["status"] == "Succeeded", result
    summaries = [c["summary"] for c in result["properties"]["reachability"]]
    assert "internet: myregistry.azurecr.cn loses access: public network access disabled" in summaries
    registry = arm.request("GET", arm.registry_path("myregistry")).json()
    assert registry["properties"]["publicNetworkAccess"] == "Enabled"
    refused = {"requests": [{"method": "DELETE", "path": f"{path}/privateEndpointConnections/nope",
                             "apiVersion": "2025-11-01"}]}  # fmt: skip
    answer = arm.request("POST", f"{VIEWS}/whatIf", refused, api="2026-01-01").json()
    assert answer["status"] in ("Failed", "Succeeded")
    bad = arm.request("POST", f"{VIEWS}/whatIf", {"requests": [{"method": "GET"}]}, api="2026-01-01")
    assert error_code(bad) == "InvalidRequestContent"
    assert arm.request("GET", f"{VIEWS}/whatIf", api="2026-01-01").status_code == 405
