"""acrlink's own ARM views for the portal: the network graph document, the reachability matrix (the same
engine as ``acrlink check``) and the what-if of arbitrary ARM requests on a fork (nothing real changes)."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Arm, error_code
from tests.api.network_world import create_endpoint, registry_id, world
from tests.api.test_managed_identity import vm
from tests.api.test_role_assignments import REPO_CONDITION, Caller, assign, owner_id

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


def _identity_cell(arm: Arm, host: str, principal: str | None = None) -> dict[str, Any]:
    query = f"{VIEWS}/reachability?host={host}&name=myregistry.azurecr.cn" + (
        f"&principal={principal}" if principal else ""
    )
    answer = arm.client.get(arm.sub_id(query) + "&api-version=2026-01-01")
    assert answer.status_code == 200, answer.text
    [cell] = answer.json()["value"]
    return cell


def test_a_vms_identity_may_pull_once_the_printed_role_is_assigned(arm: Arm) -> None:
    world(arm)
    identity = vm(arm, "idvm")
    cell = _identity_cell(arm, "idvm")
    assert cell["ok"], cell  # the network lets it through ...
    step = cell["identity"]
    assert step["checked"] and not step["ok"] and step["principalId"] == identity["principalId"]
    assert step["step"]["title"].startswith(f"idvm's managed identity ({identity['principalId']}) may not pull")
    assert step["fix"] == (
        f"az role assignment create --assignee-object-id {identity['principalId']} --assignee-principal-type "
        f"ServicePrincipal --role AcrPull --scope {registry_id(arm)}"
    )
    matrix = arm.request("GET", f"{VIEWS}/reachability", api="2026-01-01").json()["value"]
    assert {c["identityPull"] for c in matrix if c["host"] == "idvm"} == {False}
    assert all("identityPull" not in c for c in matrix if c["host"] == "internet")

    assert assign(arm, registry_id(arm), identity["principalId"], "AcrPull").status_code == 201
    step = _identity_cell(arm, "idvm")["identity"]
    assert step["ok"] and step["fix"] is None
    assert step["step"]["title"].endswith(f"may pull from myregistry (AcrPull at {registry_id(arm)})")
    matrix = arm.request("GET", f"{VIEWS}/reachability", api="2026-01-01").json()["value"]
    assert {c["identityPull"] for c in matrix if c["host"] == "idvm"} == {True}  # recomputed on the role change


def test_a_principal_by_name_client_id_or_object_id(arm: Arm) -> None:
    world(arm)
    internet = _identity_cell(arm, "internet")["identity"]
    assert not internet["checked"] and internet["ok"] and "--as" in internet["note"]
    owner = owner_id(arm)
    by_name = _identity_cell(arm, "internet", "acrlink")["identity"]
    assert by_name["ok"] and by_name["principalId"] == owner and "(Owner at /subscriptions/" in by_name["step"]["title"]
    client = arm.application.tenancy.world.default_client_id
    assert _identity_cell(arm, "internet", client)["identity"]["principalId"] == owner
    assert _identity_cell(arm, "internet", owner)["identity"]["principalId"] == owner
    stranger = Caller(arm)
    refused = _identity_cell(arm, "internet", stranger.client_id)["identity"]
    assert refused["principalId"] == stranger.object_id and not refused["ok"] and refused["fix"]
    unknown = arm.client.get(
        arm.sub_id(f"{VIEWS}/reachability?host=internet&principal=nobody") + "&api-version=2026-01-01"
    )
    assert unknown.status_code == 404 and error_code(unknown) == "PrincipalNotFound"
    alone = arm.client.get(arm.sub_id(f"{VIEWS}/reachability?principal=acrlink") + "&api-version=2026-01-01")
    assert alone.status_code == 400


def test_abac_mode_asks_for_a_repository_role_and_names_a_condition(arm: Arm) -> None:
    world(arm)
    path = arm.registry_path("myregistry")
    patched = arm.request("PATCH", path, {"properties": {"roleAssignmentMode": "AbacRepositoryPermissions"}})
    assert patched.status_code == 200, patched.text
    stranger = Caller(arm)
    refused = _identity_cell(arm, "internet", stranger.client_id)["identity"]
    assert '--role "Container Registry Repository Reader"' in refused["fix"]
    assert "ABAC mode: Container Registry Repository Reader" in refused["step"]["title"]
    made = assign(arm, registry_id(arm), stranger.object_id, "Container Registry Repository Reader",
                  condition=REPO_CONDITION, conditionVersion="2.0")  # fmt: skip
    assert made.status_code == 201, made.text
    allowed = _identity_cell(arm, "internet", stranger.client_id)["identity"]
    assert allowed["ok"] and "only from repositories its condition allows" in allowed["step"]["title"]
    assert any("StringStartsWith 'team/'" in d for d in allowed["step"]["details"])
