"""Tokens and scope maps, in process: the ARM shapes and errors, and what a token's credentials get on the
data plane (per repository and action, disabled, expired, deleted, behind the firewall)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from acrlink import signing
from acrlink.arm import permissions, routes
from acrlink.domain import acr
from acrlink.resources.catalog import build_catalog
from tests.api.conftest import Arm, error_code
from tests.api.registry_client import RegistryClient, create_registry

HOST = "myreg.azurecr.cn"
SYSTEM = {
    "_repositories_admin": 5,
    "_repositories_pull": 1,
    "_repositories_pull_metadata_read": 2,
    "_repositories_push": 2,
    "_repositories_push_metadata_write": 4,
}


def maps(arm: Arm, name: str = "", registry: str = "myreg") -> str:
    return arm.registry_path(registry) + "/scopeMaps" + (f"/{name}" if name else "")


def tokens(arm: Arm, name: str = "", registry: str = "myreg") -> str:
    return arm.registry_path(registry) + "/tokens" + (f"/{name}" if name else "")


def put_map(arm: Arm, name: str, *actions: str, registry: str = "myreg") -> httpx.Response:
    return arm.request("PUT", maps(arm, name, registry), {"properties": {"actions": list(actions)}})


def put_token(arm: Arm, name: str, scope_map: str, registry: str = "myreg", **props: Any) -> httpx.Response:
    scope_map_id = arm.sub_id(maps(arm, scope_map, registry))
    return arm.request("PUT", tokens(arm, name, registry), {"properties": {"scopeMapId": scope_map_id, **props}})


def generate(arm: Arm, token: str, **body: Any) -> httpx.Response:
    token_id = arm.sub_id(tokens(arm, token))
    return arm.request("POST", arm.registry_path("myreg") + "/generateCredentials", {"tokenId": token_id, **body})


def token_with(arm: Arm, name: str, *actions: str, **generate_body: Any) -> list[str]:
    """A token on its own scope map of ``actions`` (a built-in map when ``actions`` is one ``_`` name); its
    passwords."""
    if len(actions) == 1 and actions[0].startswith("_"):
        scope_map = actions[0]
    else:
        scope_map = f"{name}-scope-map"
        assert put_map(arm, scope_map, *actions).status_code in (200, 201)
    assert put_token(arm, name, scope_map).status_code in (200, 201)
    response = generate(arm, name, **generate_body)
    assert response.status_code == 200, response.text
    return [p["value"] for p in response.json()["passwords"]]


def login(arm: Arm, username: str, password: str, *scopes: str) -> httpx.Response:
    client = RegistryClient(arm.application, HOST)
    basic = base64.b64encode(f"{username}:{password}".encode()).decode()
    return client.request(
        "GET",
        "/oauth2/token",
        params=[("service", HOST), *(("scope", s) for s in scopes)],
        headers={"Authorization": f"Basic {basic}"},
    )


def as_token(arm: Arm, username: str, password: str, *scopes: str) -> RegistryClient:
    client = RegistryClient(arm.application, HOST)
    client.login(username, password, *scopes)
    return client


@pytest.fixture
def seeded(arm: Arm) -> Arm:
    """myreg (Premium) with images in team/app, team/tools/cli and other/app, pushed by the admin user."""
    password = create_registry(arm, "myreg")
    repos = ("team/app", "team/tools/cli", "other/app")
    admin = RegistryClient(arm.application, HOST)
    admin.login("myreg", password, *(f"repository:{r}:pull,push" for r in repos))
    for repo in repos:
        assert admin.push_manifest(repo, "v1", admin.image(repo)).status_code == 201
    return arm


def refused(response: httpx.Response, kind: str, name: str, action: str) -> None:
    """ACR's answer to a token whose scope map lacks the action: 401 UNAUTHORIZED naming what was needed."""
    assert response.status_code == 401, response.text
    (error,) = response.json()["errors"]
    assert error["code"] == "UNAUTHORIZED"
    assert error["message"].startswith("authentication required, visit https://aka.ms/acr/authorization")
    assert error["detail"] == [{"Type": kind, "Name": name, "Action": action}]


# ARM: scope maps -----------------------------------------------------------------------------------------


def test_every_registry_has_the_system_defined_maps(arm: Arm) -> None:
    create_registry(arm, "myreg")
    listed = arm.request("GET", maps(arm)).json()["value"]
    assert {m["name"]: len(m["properties"]["actions"]) for m in listed} == SYSTEM
    pull = arm.request("GET", maps(arm, "_repositories_pull")).json()
    assert pull["type"] == "Microsoft.ContainerRegistry/registries/scopeMaps"
    assert pull["id"] == arm.sub_id(maps(arm, "_repositories_pull"))
    assert pull["properties"]["type"] == "SystemDefined"
    assert pull["properties"]["actions"] == ["repositories/*/content/read"]
    assert pull["properties"]["provisioningState"] == "Succeeded"
    registry = arm.request("GET", arm.registry_path("myreg")).json()
    assert pull["properties"]["creationDate"] == registry["properties"]["creationDate"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_system_defined_maps_cannot_be_changed(arm: Arm, method: str) -> None:
    create_registry(arm, "myreg")
    before = arm.request("GET", maps(arm, "_repositories_admin")).json()
    body = {"properties": {"actions": ["repositories/x/content/read"]}} if method != "DELETE" else None
    response = arm.request(method, maps(arm, "_repositories_admin"), body)
    assert response.status_code == 400, response.text
    assert error_code(response) == "ScopeMapIsSystemDefined"
    assert arm.request("GET", maps(arm, "_repositories_admin")).json() == before


def test_scope_map_create_update_list_delete(arm: Arm) -> None:
    create_registry(arm, "myreg")
    body = {"properties": {"description": "CI pulls", "actions": ["repositories/team/app/content/read"]}}
    created = arm.request("PUT", maps(arm, "ci-pull"), body)
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["name"] == "ci-pull"
    assert doc["type"] == "Microsoft.ContainerRegistry/registries/scopeMaps"
    props = doc["properties"]
    assert props["type"] == "UserDefined" and props["description"] == "CI pulls"
    assert props["actions"] == ["repositories/team/app/content/read"]
    assert props["provisioningState"] == "Succeeded" and props["creationDate"]
    actions = ["repositories/team/*/content/read", "repositories/team/*/metadata/read"]
    patched = arm.request("PATCH", maps(arm, "ci-pull"), {"properties": {"actions": actions}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"]["actions"] == actions
    assert patched.json()["properties"]["description"] == "CI pulls"
    assert patched.json()["properties"]["creationDate"] == props["creationDate"]
    names = [m["name"] for m in arm.request("GET", maps(arm)).json()["value"]]
    assert "ci-pull" in names and len(names) == len(SYSTEM) + 1
    assert arm.request("DELETE", maps(arm, "ci-pull")).status_code == 200
    assert arm.request("GET", maps(arm, "ci-pull")).status_code == 404


@pytest.mark.parametrize(
    "action",
    [
        "repositories/app/content/execute",
        "repositories/app/pull",
        "repositories//content/read",
        "repositories/team/*/x/content/read",
        "repositories/te*m/content/read",
        "repositories/*/*/content/read",
        "repositories/Team/App/content/read",
        "registry/app/content/read",
        "gateway/cr1/content/read",
        "",
    ],
)
def test_an_invalid_action_is_refused_and_nothing_is_stored(arm: Arm, action: str) -> None:
    create_registry(arm, "myreg")
    response = put_map(arm, "bad-map", "repositories/ok/content/read", action)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "InvalidScopeMapAction"
    assert error["target"] == "properties.actions[1]"
    assert arm.request("GET", maps(arm, "bad-map")).status_code == 404


def test_a_patch_with_an_invalid_action_changes_nothing(arm: Arm) -> None:
    create_registry(arm, "myreg")
    before = put_map(arm, "good-map", "repositories/app/content/read").json()
    response = arm.request("PATCH", maps(arm, "good-map"), {"properties": {"actions": ["repositories/app/run"]}})
    assert error_code(response) == "InvalidScopeMapAction"
    assert arm.request("GET", maps(arm, "good-map")).json() == before


def test_gateway_actions_and_wildcards_are_valid(arm: Arm) -> None:
    create_registry(arm, "myreg")
    actions = ["repositories/*/metadata/read", "repositories/a/b/*/content/delete", "gateway/cr-one/config/read"]
    assert put_map(arm, "mixed", *actions).status_code == 201


def test_empty_actions_are_refused(arm: Arm) -> None:
    create_registry(arm, "myreg")
    assert error_code(put_map(arm, "empty")) == "InvalidScopeMapAction"
    assert error_code(arm.request("PUT", maps(arm, "empty"), {"properties": {}})) == "InvalidRequestContent"


@pytest.mark.parametrize("name", ["abcd", "a" * 51, "has.dot", "has space"])
def test_names_are_5_to_50_letters_digits_dashes_underscores(arm: Arm, name: str) -> None:
    create_registry(arm, "myreg")
    assert error_code(put_map(arm, name, "repositories/app/content/read")) == "InvalidResourceName"
    assert arm.request("GET", maps(arm, name)).status_code in (400, 404)
    assert error_code(put_token(arm, name, "_repositories_pull")) == "InvalidResourceName"


# ARM: tokens --------------------------------------------------------------------------------------------


def test_token_shapes_and_passwords_returned_once(arm: Arm) -> None:
    create_registry(arm, "myreg")
    created = put_token(arm, "ci-token", "_repositories_pull")
    assert created.status_code == 201, created.text
    props = created.json()["properties"]
    assert created.json()["type"] == "Microsoft.ContainerRegistry/registries/tokens"
    assert props["status"] == "enabled"
    assert props["scopeMapId"] == arm.sub_id(maps(arm, "_repositories_pull"))
    assert props["credentials"] == {"certificates": [], "passwords": []}
    assert props["provisioningState"] == "Succeeded" and props["creationDate"]
    expiry = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    answer = generate(arm, "ci-token", expiry=expiry).json()
    assert answer["username"] == "ci-token"
    assert [p["name"] for p in answer["passwords"]] == ["password1", "password2"]
    assert all(p["value"] and p["creationTime"] and p["expiry"].endswith("Z") for p in answer["passwords"])
    shown = arm.request("GET", tokens(arm, "ci-token")).json()["properties"]["credentials"]["passwords"]
    assert [sorted(p) for p in shown] == [["creationTime", "expiry", "name"]] * 2
    assert arm.request("GET", tokens(arm)).json()["value"][0]["name"] == "ci-token"
    listed = arm.request("GET", tokens(arm)).json()["value"][0]["properties"]["credentials"]["passwords"]
    assert all("value" not in p for p in listed)


def test_a_token_needs_a_scope_map_of_its_own_registry(arm: Arm) -> None:
    create_registry(arm, "myreg")
    create_registry(arm, "otherreg")
    assert put_map(arm, "theirs", "repositories/app/content/read", registry="otherreg").status_code == 201
    foreign = arm.sub_id(maps(arm, "theirs", "otherreg"))
    for scope_map_id in (foreign, arm.sub_id(maps(arm, "missing-map")), "not-an-id", None):
        body = {"properties": {"scopeMapId": scope_map_id}}
        response = arm.request("PUT", tokens(arm, "ci-token"), body)
        assert response.status_code == 400, response.text
        assert error_code(response) == "InvalidScopeMapId"
        assert arm.request("GET", tokens(arm, "ci-token")).status_code == 404
    assert put_token(arm, "ci-token", "_repositories_pull").status_code == 201
    response = arm.request("PATCH", tokens(arm, "ci-token"), {"properties": {"scopeMapId": foreign}})
    assert error_code(response) == "InvalidScopeMapId"
    shown = arm.request("GET", tokens(arm, "ci-token")).json()["properties"]["scopeMapId"]
    assert shown == arm.sub_id(maps(arm, "_repositories_pull"))


def test_bad_token_status_and_generate_bodies(arm: Arm) -> None:
    create_registry(arm, "myreg")
    assert error_code(put_token(arm, "ci-token", "_repositories_pull", status="paused")) == "InvalidRequestContent"
    assert put_token(arm, "ci-token", "_repositories_pull").status_code == 201
    assert error_code(generate(arm, "ci-token", name="password3")) == "InvalidRequestContent"
    assert error_code(generate(arm, "ci-token", expiry="soon")) == "InvalidRequestContent"
    missing = generate(arm, "no-such-token")
    assert missing.status_code == 404 and error_code(missing) == "TokenNotFound"
    shown = arm.request("GET", tokens(arm, "ci-token")).json()["properties"]["credentials"]["passwords"]
    assert shown == []


def test_usages_count_scope_maps_and_tokens(arm: Arm) -> None:
    create_registry(arm, "myreg")
    put_map(arm, "ci-pull", "repositories/app/content/read")
    put_token(arm, "ci-token", "ci-pull")
    put_token(arm, "ci-token2", "_repositories_pull")
    usages = arm.request("GET", arm.registry_path("myreg") + "/listUsages").json()["value"]
    rows = {u["name"]: (u["limit"], u["currentValue"], u["unit"]) for u in usages}
    assert rows["ScopeMaps"] == (50_000, 1, "Count")
    assert rows["Tokens"] == (50_000, 2, "Count")


def test_the_sku_limits_new_scope_maps_and_tokens(arm: Arm, monkeypatch: pytest.MonkeyPatch) -> None:
    create_registry(arm, "myreg")
    monkeypatch.setitem(acr.SCOPE_MAPS, "Premium", 1)
    monkeypatch.setitem(acr.TOKENS, "Premium", 1)
    assert put_map(arm, "first-map", "repositories/app/content/read").status_code == 201
    assert error_code(put_map(arm, "second-map", "repositories/app/content/read")) == "QuotaExceeded"
    assert put_map(arm, "first-map", "repositories/app/content/write").status_code == 200, "an update is no new map"
    assert put_token(arm, "first-token", "first-map").status_code == 201
    assert error_code(put_token(arm, "second-token", "first-map")) == "QuotaExceeded"
    assert arm.request("GET", maps(arm, "second-map")).status_code == 404
    assert arm.request("GET", tokens(arm, "second-token")).status_code == 404


def test_generate_credentials_is_an_action_rbac_names() -> None:
    path = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r/generateCredentials"
    route = routes.parse(path, build_catalog())
    needed = permissions.needed(route, "POST")
    assert needed is not None
    assert needed.action == "Microsoft.ContainerRegistry/registries/generateCredentials/action"


def test_deleting_the_registry_takes_its_maps_and_tokens(seeded: Arm) -> None:
    arm = seeded
    password = token_with(arm, "ci-token", "_repositories_pull")[0]
    assert arm.request("DELETE", arm.registry_path("myreg")).status_code == 200
    with arm.application.store.transaction() as tx:
        assert not tx.query(type="Microsoft.ContainerRegistry/registries/scopeMaps")
        assert not tx.query(type="Microsoft.ContainerRegistry/registries/tokens")
        assert not list(tx.kv_items("token-passwords:"))
    create_registry(arm, "myreg")
    assert login(arm, "ci-token", password, "repository:team/app:pull").status_code == 401


# Data plane ---------------------------------------------------------------------------------------------


def test_a_team_wildcard_reader_pulls_only_team_repositories(seeded: Arm) -> None:
    arm = seeded
    password = token_with(arm, "team-reader", "repositories/team/*/content/read")[0]
    client = as_token(arm, "team-reader", password, "repository:team/app:pull,push", "repository:other/app:pull")
    pulled = client.request("GET", "/v2/team/app/manifests/v1")
    assert pulled.status_code == 200, pulled.text
    refused(client.request("GET", "/v2/other/app/manifests/v1"), "repository", "other/app", "pull")
    refused(client.request("POST", "/v2/team/app/blobs/uploads/"), "repository", "team/app", "push")
    client.login("team-reader", password, "repository:team/tools/cli:pull")
    assert client.request("GET", "/v2/team/tools/cli/manifests/v1").status_code == 200, "nested repositories too"
    client.login("team-reader", password, "registry:catalog:*")
    refused(client.request("GET", "/v2/_catalog"), "registry", "catalog", "*")


def test_each_scope_map_action_gives_its_token_action(seeded: Arm) -> None:
    arm = seeded
    actions = [f"repositories/team/app/{a}" for a in ("content/write", "content/delete", "metadata/read")]
    password = token_with(arm, "writer-token", *actions)[0]
    access = login(arm, "writer-token", password, "repository:team/app:pull,push,delete,metadata_read,metadata_write")
    claims = signing.decode(access.json()["access_token"], arm.application.registry.face.key)
    assert claims["access"] == [
        {"type": "repository", "name": "team/app", "actions": ["delete", "metadata_read", "push"]}
    ]
    client = as_token(arm, "writer-token", password, "repository:team/app:metadata_read,metadata_write")
    assert client.request("GET", "/acr/v1/team/app/_tags").status_code == 200
    refused(
        client.request("PATCH", "/acr/v1/team/app", json={"writeEnabled": True}),
        "repository",
        "team/app",
        "metadata_write",
    )


def test_a_registry_wide_map_lists_the_catalog(seeded: Arm) -> None:
    arm = seeded
    password = token_with(arm, "pull-token", "_repositories_pull")[1]
    client = as_token(arm, "pull-token", password, "registry:catalog:*")
    catalog = client.request("GET", "/v2/_catalog")
    assert catalog.status_code == 200, catalog.text
    assert catalog.json()["repositories"] == ["other/app", "team/app", "team/tools/cli"]
    client.login("pull-token", password, "repository:other/app:pull,push")
    assert client.request("GET", "/v2/other/app/manifests/v1").status_code == 200
    refused(client.request("POST", "/v2/other/app/blobs/uploads/"), "repository", "other/app", "push")


def test_the_admin_map_pushes_anywhere(seeded: Arm) -> None:
    arm = seeded
    password = token_with(arm, "admin-token", "_repositories_admin")[0]
    client = as_token(arm, "admin-token", password, "repository:new/repo:pull,push,delete")
    assert client.push_manifest("new/repo", "v1", client.image("new/repo")).status_code == 201
    assert client.request("GET", "/v2/new/repo/manifests/v1").status_code == 200


def test_a_disabled_token_cannot_log_in_until_enabled(seeded: Arm) -> None:
    arm = seeded
    password = token_with(arm, "ci-token", "_repositories_pull")[0]
    assert arm.request("PATCH", tokens(arm, "ci-token"), {"properties": {"status": "disabled"}}).status_code == 200
    response = login(arm, "ci-token", password, "repository:team/app:pull")
    assert response.status_code == 401
    (error,) = response.json()["errors"]
    assert error["code"] == "UNAUTHORIZED" and "disabled" in error["message"]
    assert arm.request("PATCH", tokens(arm, "ci-token"), {"properties": {"status": "enabled"}}).status_code == 200
    assert login(arm, "ci-token", password, "repository:team/app:pull").status_code == 200


def test_an_expired_password_is_refused_the_other_works(seeded: Arm) -> None:
    arm = seeded
    token_with(arm, "ci-token", "_repositories_pull")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    expired = generate(arm, "ci-token", name="password1", expiry=past).json()["passwords"]
    assert [p["name"] for p in expired] == ["password1"]
    response = login(arm, "ci-token", expired[0]["value"], "repository:team/app:pull")
    assert response.status_code == 401
    assert "expired" in response.json()["errors"][0]["message"]
    fresh = generate(arm, "ci-token", name="password2", expiry="2999-01-01T00:00:00Z").json()["passwords"][0]
    assert login(arm, "ci-token", fresh["value"], "repository:team/app:pull").status_code == 200


def test_regenerating_or_deleting_a_password_retires_the_old_value(seeded: Arm) -> None:
    arm = seeded
    first, second = token_with(arm, "ci-token", "_repositories_pull")
    new_first = generate(arm, "ci-token", name="password1").json()["passwords"][0]["value"]
    assert login(arm, "ci-token", first, "repository:team/app:pull").status_code == 401
    assert login(arm, "ci-token", new_first, "repository:team/app:pull").status_code == 200
    # az acr token credential delete --password1: the survivors are listed
    survivors = {"properties": {"credentials": {"passwords": [{"name": "password2"}]}}}
    patched = arm.request("PATCH", tokens(arm, "ci-token"), survivors)
    assert [p["name"] for p in patched.json()["properties"]["credentials"]["passwords"]] == ["password2"]
    assert login(arm, "ci-token", new_first, "repository:team/app:pull").status_code == 401
    assert login(arm, "ci-token", second, "repository:team/app:pull").status_code == 200


def test_a_scope_map_change_counts_from_the_next_access_token(seeded: Arm) -> None:
    arm = seeded
    password = token_with(arm, "ci-token", "repositories/team/app/content/read")[0]
    body = {"properties": {"actions": ["repositories/other/app/content/read"]}}
    assert arm.request("PATCH", maps(arm, "ci-token-scope-map"), body).status_code == 200
    client = as_token(arm, "ci-token", password, "repository:team/app:pull", "repository:other/app:pull")
    refused(client.request("GET", "/v2/team/app/manifests/v1"), "repository", "team/app", "pull")
    assert client.request("GET", "/v2/other/app/manifests/v1").status_code == 200
    assert arm.request("DELETE", maps(arm, "ci-token-scope-map")).status_code == 200
    client.login("ci-token", password, "repository:other/app:pull")
    refused(client.request("GET", "/v2/other/app/manifests/v1"), "repository", "other/app", "pull")


def test_a_deleted_token_and_a_wrong_password_are_bad_logins(seeded: Arm) -> None:
    arm = seeded
    password = token_with(arm, "ci-token", "_repositories_pull")[0]
    assert login(arm, "ci-token", "wrong", "repository:team/app:pull").status_code == 401
    assert login(arm, "CI-TOKEN", password, "repository:team/app:pull").status_code == 200, "names in any case"
    assert arm.request("DELETE", tokens(arm, "ci-token")).status_code == 200
    response = login(arm, "ci-token", password, "repository:team/app:pull")
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "invalid username or password"
    with arm.application.store.transaction() as tx:
        assert not list(tx.kv_items("token-passwords:"))


def test_tokens_pass_the_firewall_like_every_credential(seeded: Arm) -> None:
    arm = seeded
    password = token_with(arm, "ci-token", "_repositories_pull")[0]
    body = {"properties": {"publicNetworkAccess": "Disabled"}}
    assert arm.request("PATCH", arm.registry_path("myreg"), body).status_code == 200
    response = login(arm, "ci-token", password, "repository:team/app:pull")
    assert response.status_code == 403, response.text
    assert response.json()["errors"][0]["code"] == "DENIED"


def test_certificates_are_kept_as_set_and_survive_password_changes(arm: Arm) -> None:
    create_registry(arm, "myreg")
    put_token(arm, "ci-token", "_repositories_pull")
    certificate = {"name": "certificate1", "encodedPemCertificate": "LS0tLS1CRUdJTg=="}
    body = {"properties": {"credentials": {"certificates": [certificate]}}}
    assert arm.request("PATCH", tokens(arm, "ci-token"), body).json()["properties"]["credentials"] == {
        "certificates": [certificate],
        "passwords": [],
    }
    generate(arm, "ci-token")
    credentials = arm.request("GET", tokens(arm, "ci-token")).json()["properties"]["credentials"]
    assert credentials["certificates"] == [certificate]
    assert [p["name"] for p in credentials["passwords"]] == ["password1", "password2"]
    bad = {"properties": {"credentials": {"certificates": [{"name": "certificate3"}]}}}
    assert error_code(arm.request("PATCH", tokens(arm, "ci-token"), bad)) == "InvalidRequestContent"


def test_a_template_deploys_a_scope_map_and_a_token_and_complete_mode_keeps_the_system_maps(arm: Arm) -> None:
    arm.group()
    api = "2025-04-01"
    registry = {"type": "Microsoft.ContainerRegistry/registries", "apiVersion": api, "name": "tplreg",
                "location": "[resourceGroup().location]", "sku": {"name": "Basic"}}  # fmt: skip
    scope_map = {
        "type": "Microsoft.ContainerRegistry/registries/scopeMaps", "apiVersion": api, "name": "tplreg/ci-pull",
        "dependsOn": ["[resourceId('Microsoft.ContainerRegistry/registries', 'tplreg')]"],
        "properties": {"actions": ["repositories/team/*/content/read"]},
    }  # fmt: skip
    token = {
        "type": "Microsoft.ContainerRegistry/registries/tokens", "apiVersion": api, "name": "tplreg/ci-token",
        "dependsOn": ["[resourceId('Microsoft.ContainerRegistry/registries/scopeMaps', 'tplreg', 'ci-pull')]"],
        "properties": {
            "scopeMapId": "[resourceId('Microsoft.ContainerRegistry/registries/scopeMaps', 'tplreg', 'ci-pull')]"
        },
    }  # fmt: skip
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [registry, scope_map, token],
    }
    deployments = "/subscriptions/{sub}/resourcegroups/rg/providers/Microsoft.Resources/deployments"
    for name, mode in (("first", "Incremental"), ("again", "Complete")):
        body = {"properties": {"mode": mode, "template": template, "parameters": {}}}
        answer = arm.request("PUT", f"{deployments}/{name}", body)
        assert answer.json()["properties"]["provisioningState"] == "Succeeded", answer.text
    shown = arm.request("GET", tokens(arm, "ci-token", "tplreg")).json()["properties"]
    assert shown["scopeMapId"] == arm.sub_id(maps(arm, "ci-pull", "tplreg"))
    listed = {m["name"] for m in arm.request("GET", maps(arm, registry="tplreg")).json()["value"]}
    assert listed == {"ci-pull", *SYSTEM}


def test_a_registry_without_system_maps_gets_them_when_a_token_names_one(arm: Arm) -> None:
    """A registry an older acrlink created has no SystemDefined maps until something under it is written."""
    create_registry(arm, "myreg")
    with arm.application.store.transaction() as tx:
        for record in tx.query(type="Microsoft.ContainerRegistry/registries/scopeMaps"):
            tx.delete(record.key)
    assert arm.request("GET", maps(arm)).json()["value"] == []
    assert put_token(arm, "ci-token", "_repositories_pull").status_code == 201
    assert {m["name"] for m in arm.request("GET", maps(arm)).json()["value"]} == set(SYSTEM)
