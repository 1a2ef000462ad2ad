"""Azure RBAC on the registry's data plane, in process: an Entra token exchanged for a refresh token carries
only what the principal's role assignments on the registry allow, decided anew for every access token.

Assignments are written to the store the way the ARM face keeps them (``services/role_assignments``) and the
change signal bumped, as every committed write does.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from acrlink import signing
from acrlink.domain import builtin_roles
from acrlink.domain.principals import object_id
from acrlink.services import role_assignments
from acrlink.services.registry_rights import RegistryRights
from acrlink.store.base import WORLD
from tests.api.conftest import Arm
from tests.api.registry_client import RegistryClient, create_registry

HOST = "myreg.azurecr.cn"
ACR_AUDIENCE = "https://containerregistry.azure.net"
TEAM_ONLY = (
    "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'}) AND "
    "!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/read'})) OR "
    "(@Resource[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith 'team/'))"
)


def registry_id(arm: Arm, name: str = "myreg") -> str:
    return arm.sub_id(arm.registry_path(name))


def assign(arm: Arm, client_id: str, role: str, scope: str, condition: str | None = None) -> None:
    """A role assignment for ``client_id``'s principal in the home tenant, committed and signalled."""
    found = builtin_roles.by_name(role)
    assert found is not None, role
    principal = object_id(arm.application.tenancy.world.tenant_id, client_id)
    doc = role_assignments.document(
        scope,
        str(uuid.uuid4()),
        role_assignments.role_definition_id(arm.sub, found.guid),
        principal,
        "ServicePrincipal",
        "tests",
        "2026-01-01T00:00:00Z",
        condition=condition,
        condition_version="2.0" if condition else None,
    )
    with arm.application.store.transaction() as tx:
        role_assignments.save(tx, doc)
        tx.changed(WORLD)


class Principal:
    """A client id that exchanges its Entra token and asks the token service for access tokens."""

    def __init__(self, arm: Arm, client_id: str | None = None, tenant: str | None = None) -> None:
        self.arm = arm
        self.client_id = client_id or str(uuid.uuid4())
        self.client = RegistryClient(arm.application, HOST)
        self.entra, _ = arm.application.identity.issue(self.client_id, ACR_AUDIENCE, tenant_id=tenant)

    def exchange(self, **extra: str) -> httpx.Response:
        form = {"grant_type": "access_token", "service": HOST, "access_token": self.entra, **extra}
        return self.client.request("POST", "/oauth2/exchange", data=form)

    def refresh_token(self) -> str:
        response = self.exchange()
        assert response.status_code == 200, response.text
        return str(response.json()["refresh_token"])

    def access(self, refresh: str, *scopes: str) -> list[dict[str, Any]]:
        """A new access token for ``scopes`` (kept for the next requests); its granted access."""
        form = {"grant_type": "refresh_token", "service": HOST, "scope": " ".join(scopes), "refresh_token": refresh}
        response = self.client.request("POST", "/oauth2/token", data=form)
        assert response.status_code == 200, response.text
        self.client.token = str(response.json()["access_token"])
        claims = signing.decode(self.client.token, self.arm.application.registry.face.key)
        return list(claims["access"])

    def login(self, *scopes: str) -> list[dict[str, Any]]:
        return self.access(self.refresh_token(), *scopes)


def seeded(arm: Arm, *repositories: str, **properties: Any) -> RegistryClient:
    """The registry with an image in each repository, pushed by the admin user."""
    password = create_registry(arm, "myreg", **properties)
    admin = RegistryClient(arm.application, HOST)
    admin.login("myreg", password, *(f"repository:{r}:pull,push" for r in repositories))
    for repository in repositories:
        assert admin.push_manifest(repository, "v1", admin.image(repository)).status_code == 201
    return admin


def refused(response: httpx.Response, repository: str, action: str) -> None:
    """ACR's answer to a principal whose roles lack the action: 401 UNAUTHORIZED naming what was needed."""
    assert response.status_code == 401, response.text
    (error,) = response.json()["errors"]
    assert error["code"] == "UNAUTHORIZED"
    assert error["message"].startswith("authentication required, visit https://aka.ms/acr/authorization")
    assert error["detail"] == [{"Type": "repository", "Name": repository, "Action": action}]
    assert f'scope="repository:{repository}:{action}"' in response.headers["www-authenticate"]


def test_no_role_logs_in_but_cannot_pull(arm: Arm) -> None:
    seeded(arm, "app")
    nobody = Principal(arm)
    access = nobody.login("repository:app:pull,push")
    assert access == [{"type": "repository", "name": "app", "actions": []}]
    assert nobody.client.request("GET", "/v2/").status_code == 200, "az acr login itself succeeds"
    refused(nobody.client.request("GET", "/v2/app/manifests/v1"), "app", "pull")


def test_acrpull_pulls_and_cannot_push_acrpush_pushes(arm: Arm) -> None:
    admin = seeded(arm, "app")
    puller, pusher = Principal(arm), Principal(arm)
    assign(arm, puller.client_id, "AcrPull", registry_id(arm))
    assign(arm, pusher.client_id, "AcrPush", registry_id(arm))
    assert puller.login("repository:app:pull,push") == [{"type": "repository", "name": "app", "actions": ["pull"]}]
    assert puller.client.request("GET", "/v2/app/manifests/v1").status_code == 200
    refused(puller.client.request("POST", "/v2/app/blobs/uploads/"), "app", "push")
    refused(puller.client.request("DELETE", "/v2/app/manifests/v1"), "app", "delete")

    pusher.login("repository:app:pull,push,delete")
    assert pusher.client.push_manifest("app", "v2", pusher.client.image("app", b"pusher's")).status_code == 201
    assert pusher.client.request("GET", "/v2/app/manifests/v2").status_code == 200
    refused(pusher.client.request("DELETE", "/v2/app/manifests/v2"), "app", "delete")
    assert admin.request("GET", "/v2/app/manifests/v2").status_code == 200


def test_a_role_on_the_group_or_subscription_is_inherited(arm: Arm) -> None:
    seeded(arm, "app")
    on_group, on_subscription = Principal(arm), Principal(arm)
    assign(arm, on_group.client_id, "AcrPull", arm.sub_id("/subscriptions/{sub}/resourceGroups/rg"))
    assign(arm, on_subscription.client_id, "AcrPush", arm.sub_id("/subscriptions/{sub}"))
    on_group.login("repository:app:pull")
    assert on_group.client.request("GET", "/v2/app/manifests/v1").status_code == 200
    on_subscription.login("repository:app:pull,push")
    assert on_subscription.client.request("POST", "/v2/app/blobs/uploads/").status_code == 202
    elsewhere = Principal(arm)
    assign(arm, elsewhere.client_id, "AcrPush", arm.sub_id("/subscriptions/{sub}/resourceGroups/rg2"))
    assert elsewhere.login("repository:app:pull") == [{"type": "repository", "name": "app", "actions": []}]


def test_a_role_granted_after_login_counts_from_the_next_access_token(arm: Arm) -> None:
    seeded(arm, "app")
    late = Principal(arm)
    refresh = late.refresh_token()
    assert late.access(refresh, "repository:app:pull")[0]["actions"] == []
    refused(late.client.request("GET", "/v2/app/manifests/v1"), "app", "pull")
    assign(arm, late.client_id, "AcrPull", registry_id(arm))
    assert late.access(refresh, "repository:app:pull")[0]["actions"] == ["pull"]
    assert late.client.request("GET", "/v2/app/manifests/v1").status_code == 200


def test_the_realm_computes_the_grant_for_the_null_user_too(arm: Arm) -> None:
    """docker's token request after ``az acr login``: Basic null user with the refresh token as password."""
    seeded(arm, "app")
    puller = Principal(arm)
    refresh = puller.refresh_token()
    client = puller.client
    assert client.login("00000000-0000-0000-0000-000000000000", refresh, "repository:app:pull,push")
    refused(client.request("POST", "/v2/app/blobs/uploads/"), "app", "push")
    refused(client.request("GET", "/v2/app/manifests/v1"), "app", "pull")
    assign(arm, puller.client_id, "AcrPull", registry_id(arm))
    client.login("00000000-0000-0000-0000-000000000000", refresh, "repository:app:pull,push")
    assert client.request("GET", "/v2/app/manifests/v1").status_code == 200


def test_owner_does_everything_and_reader_as_acr_documents(arm: Arm) -> None:
    seeded(arm, "app")
    owner = Principal(arm, arm.application.tenancy.world.default_client_id)
    assert owner.login("repository:app:*", "registry:catalog:*") == [
        {"type": "repository", "name": "app", "actions": ["*"]},
        {"type": "registry", "name": "catalog", "actions": ["*"]},
    ]
    contributor, reader = Principal(arm), Principal(arm)
    assign(arm, contributor.client_id, "Contributor", registry_id(arm))
    assign(arm, reader.client_id, "Reader", registry_id(arm))
    assert contributor.login("repository:app:pull,push,delete")[0]["actions"] == ["delete", "pull", "push"]
    expected = sorted(builtin_roles.role_token_actions(reader_role(), builtin_roles.LEGACY_MODE) - {"catalog"})
    assert reader.login("repository:app:pull,push,delete,metadata_read")[0]["actions"] == expected
    assert "push" not in expected


def reader_role() -> Any:
    role = builtin_roles.by_name("Reader")
    assert role is not None
    return role


def test_a_second_tenant_token_is_refused_at_the_exchange(arm: Arm) -> None:
    create_registry(arm, "myreg")
    world = arm.application.tenancy.world
    other_tenant = world.tenants[1].tenant_id
    stranger = Principal(arm, world.default_client_id, tenant=other_tenant)
    refusal = stranger.exchange()
    assert refusal.status_code == 401, refusal.text
    (error,) = refusal.json()["errors"]
    assert error["code"] == "UNAUTHORIZED"
    assert other_tenant in error["message"] and world.tenant_id in error["message"] and HOST in error["message"]

    home = Principal(arm)
    mismatch = home.exchange(tenant=other_tenant)
    assert mismatch.status_code == 401 and other_tenant in mismatch.json()["errors"][0]["message"]
    assert home.exchange(tenant=world.tenant_id).status_code == 200


def test_the_refresh_token_records_the_principal_and_its_tenant(arm: Arm) -> None:
    create_registry(arm, "myreg")
    someone = Principal(arm)
    claims = signing.decode(someone.refresh_token(), arm.application.registry.face.key)
    world = arm.application.tenancy.world
    assert claims["sub"] == object_id(world.tenant_id, someone.client_id)
    assert claims["tenant"] == world.tenant_id
    assert "access" not in claims


def test_abac_mode_limits_a_repository_reader_to_its_condition(arm: Arm) -> None:
    seeded(arm, "team/app", "other/app", roleAssignmentMode="AbacRepositoryPermissions")
    reader = Principal(arm)
    assign(arm, reader.client_id, "Container Registry Repository Reader", registry_id(arm), TEAM_ONLY)
    access = reader.login("repository:team/app:pull,push", "repository:other/app:pull", "registry:catalog:*")
    assert access == [
        {"type": "repository", "name": "team/app", "actions": ["pull"]},
        {"type": "repository", "name": "other/app", "actions": []},
        {"type": "registry", "name": "catalog", "actions": []},
    ]
    assert reader.client.request("GET", "/v2/team/app/manifests/v1").status_code == 200
    assert reader.client.request("GET", "/v2/team/app/tags/list").status_code == 200
    refused(reader.client.request("GET", "/v2/other/app/manifests/v1"), "other/app", "pull")
    refused(reader.client.request("POST", "/v2/team/app/blobs/uploads/"), "team/app", "push")
    catalog = reader.client.request("GET", "/v2/_catalog")
    assert catalog.status_code == 401
    assert catalog.json()["errors"][0]["detail"] == [{"Type": "registry", "Name": "catalog", "Action": "*"}]

    assign(arm, reader.client_id, "Container Registry Repository Catalog Lister", registry_id(arm))
    reader.login("registry:catalog:*")
    listed = reader.client.request("GET", "/v2/_catalog")
    assert listed.status_code == 200 and listed.json()["repositories"] == ["other/app", "team/app"]


def test_abac_mode_ignores_the_legacy_roles(arm: Arm) -> None:
    seeded(arm, "team/app", roleAssignmentMode="AbacRepositoryPermissions")
    puller = Principal(arm)
    for role in ("AcrPull", "AcrPush", "Reader", "Contributor"):
        assign(arm, puller.client_id, role, registry_id(arm))
    assert puller.login("repository:team/app:pull,push", "registry:catalog:*") == [
        {"type": "repository", "name": "team/app", "actions": []},
        {"type": "registry", "name": "catalog", "actions": []},
    ]
    writer = Principal(arm)
    assign(arm, writer.client_id, "Container Registry Repository Writer", registry_id(arm))
    assert writer.login("repository:team/app:pull,push,delete")[0]["actions"] == ["pull", "push"]


def test_switching_the_mode_applies_to_the_next_token(arm: Arm) -> None:
    seeded(arm, "app")
    puller = Principal(arm)
    assign(arm, puller.client_id, "AcrPull", registry_id(arm))
    refresh = puller.refresh_token()
    assert puller.access(refresh, "repository:app:pull")[0]["actions"] == ["pull"]
    patch = {"properties": {"roleAssignmentMode": "AbacRepositoryPermissions"}}
    assert arm.request("PATCH", arm.registry_path("myreg"), patch).status_code == 200
    assert puller.access(refresh, "repository:app:pull")[0]["actions"] == []


def test_admin_and_anonymous_pull_keep_working(arm: Arm) -> None:
    admin = seeded(arm, "app", anonymousPullEnabled=True)
    assert admin.push_manifest("app", "v2", admin.image("app", b"admin")).status_code == 201
    nobody = Principal(arm)
    assert nobody.login("repository:app:pull,push")[0]["actions"] == ["pull"], "anonymous pull, for a principal too"
    assert nobody.client.request("GET", "/v2/app/manifests/v1").status_code == 200
    anonymous = RegistryClient(arm.application, HOST)
    anonymous.token = anonymous.request("GET", "/oauth2/token", params={"scope": "repository:app:pull,push"}).json()[
        "access_token"
    ]
    denied = anonymous.push_manifest("app", "v3", {"schemaVersion": 2})
    assert denied.status_code == 403 and denied.json()["errors"][0]["code"] == "DENIED"


def test_rights_are_cached_until_the_store_changes(arm: Arm) -> None:
    create_registry(arm, "myreg")
    rights = RegistryRights(arm.application.service.authorization)
    oid = object_id(arm.application.tenancy.world.tenant_id, "cached")
    first = rights.of(oid, registry_id(arm), builtin_roles.LEGACY_MODE)
    assert rights.of(oid.upper(), registry_id(arm).upper(), builtin_roles.LEGACY_MODE) is first
    assert first.repository("app") == frozenset()
    assign(arm, "cached", "AcrPull", registry_id(arm))
    again = rights.of(oid, registry_id(arm), builtin_roles.LEGACY_MODE)
    assert again is not first and "pull" in again.repository("app")


def test_abac_request_attributes_name_the_repository_too(arm: Arm) -> None:
    """A Writer whose condition limits pushes (``@Request``) to ``team/``: pulls anywhere, pushes there only."""
    seeded(arm, "team/app", "other/app", roleAssignmentMode="AbacRepositoryPermissions")
    writer = Principal(arm)
    condition = (
        "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/write'})) OR "
        "(@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith 'team/'))"
    )
    assign(arm, writer.client_id, "Container Registry Repository Writer", registry_id(arm), condition)
    assert writer.login("repository:team/app:pull,push", "repository:other/app:pull,push") == [
        {"type": "repository", "name": "team/app", "actions": ["pull", "push"]},
        {"type": "repository", "name": "other/app", "actions": ["pull"]},
    ]
