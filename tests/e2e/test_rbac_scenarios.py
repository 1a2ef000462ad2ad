"""Issue 13's "Done means" scenarios that need every RBAC piece together, with the real clients: a VM inside the
registry's VNet whose managed identity has no role (az login --identity, az acr login, skopeo, azure-identity +
azure-containerregistry) until the owner grants AcrPull then AcrPush with ``az role assignment create``; ABAC
mode limiting a Repository Reader to ``team/``; bad role assignments refused with Azure's errors and nothing
changed; az logged in to both tenants, and a token of the second tenant refused by the first tenant's ARM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest

from acrlink.cli import azure
from acrlink.domain.builtin_roles import by_name
from acrlink.domain.principals import object_id

from .conftest import Running, private_registry, required_tool

pytestmark = [pytest.mark.slow, pytest.mark.az]

REG, GROUP, VNET, VM = "scenreg", "scen-rg", "scenvnet", "scenvm"
SERVER = f"{REG}.azurecr.cn"
NULL_USER = "00000000-0000-0000-0000-000000000000"
ABAC_REG = "scenabac"
ASSIGNMENTS_API = "2022-04-01"
CONDITION = (
    "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})) OR "
    "(@Resource[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith 'team/'))"
)
CATALOG_SNIPPET = (
    "import sys\n"
    "from azure.core.exceptions import HttpResponseError\n"
    "from azure.identity import ManagedIdentityCredential\n"
    "from azure.containerregistry import ContainerRegistryClient\n"
    f"client = ContainerRegistryClient('https://{SERVER}', ManagedIdentityCredential(),\n"
    "                                  audience='https://containerregistry.azure.net')\n"
    "try:\n"
    "    print(sorted(client.list_repository_names()))\n"
    "except HttpResponseError as exc:\n"
    "    print(type(exc).__name__, exc.status_code, exc.message, file=sys.stderr)\n"
    "    sys.exit(3)\n"
)


def acting(net: Running, *options_and_command: str) -> subprocess.CompletedProcess[str]:
    """``acrlink exec OPTIONS -- COMMAND`` (``options_and_command`` holds the ``--``)."""
    return subprocess.run(
        [sys.executable, "-m", "acrlink", "exec", *options_and_command],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "ACRLINK_DATA_DIR": str(net.data_dir)},
    )


def on_vm(net: Running, *command: str) -> subprocess.CompletedProcess[str]:
    return acting(net, "--from", VM, "--", *command)


def role_id(net: Running, name: str) -> str:
    role = by_name(name)
    assert role is not None
    return f"/subscriptions/{net.subscription}/providers/Microsoft.Authorization/roleDefinitions/{role.guid}"


def assignments(net: Running, scope: str) -> list[dict[str, Any]]:
    """What ARM holds at ``scope`` and below (az role assignment list --scope)."""
    listed: list[dict[str, Any]] = net.az_json("role", "assignment", "list", "--scope", scope)
    return sorted(listed, key=lambda a: str(a["id"]))


def grant(net: Running, principal_id: str, role: str, scope: str, *extra: str) -> dict[str, Any]:
    made: dict[str, Any] = net.az_json(
        "role",
        "assignment",
        "create",
        "--assignee-object-id",
        principal_id,
        "--assignee-principal-type",
        "ServicePrincipal",
        "--role",
        role,
        "--scope",
        scope,
        *extra,
    )
    return made


@pytest.fixture(scope="module")
def vm_world(net: Running) -> dict[str, str]:
    """The seed's private registry (admin user on), a VM in its VNet; the registry id, the admin password and
    the VM's managed identity."""
    registry_id = private_registry(net, GROUP, REG, VNET, prefix="10.7.0.0/16", subnet="10.7.0.0/24", admin=True)
    net.cli("vm", "create", VM, "-g", GROUP, "--vnet-name", VNET, "--subnet", "default")
    hosts = {h["name"]: h for h in json.loads(net.cli("hosts", "--json").stdout)}
    return {
        "registry": registry_id,
        "password": net.azs(f"acr credential show -n {REG} --query passwords[0].value"),
        "principal": str(hosts[VM]["principalId"]),
    }


def _vm_token(net: Running) -> str:
    """Inside the VM: ``az acr login --expose-token`` with the identity az logged in with; the refresh token."""
    login = on_vm(net, "az", "acr", "login", "-n", REG, "--expose-token", "-o", "json")
    assert login.returncode == 0, login.stderr
    exposed = json.loads(login.stdout)
    assert exposed["loginServer"] == SERVER
    return str(exposed["accessToken"])


def _pull(
    net: Running, creds: str, image: str = "hello-world:v1", registry: str = SERVER, *via: str
) -> subprocess.CompletedProcess[str]:
    target = net.data_dir / f"pulled-{uuid.uuid4().hex[:8]}"
    return acting(
        net,
        *(via or ("--from", VM)),
        "--",
        required_tool("skopeo"),
        "copy",
        "--retry-times",
        "0",
        "--src-creds",
        creds,
        f"docker://{registry}/{image}",
        f"dir:{target}",
    )


def _push(net: Running, creds: str, repository: str) -> subprocess.CompletedProcess[str]:
    return on_vm(
        net,
        required_tool("skopeo"),
        "copy",
        "--retry-times",
        "0",
        "--src-creds",
        creds,
        "--dest-creds",
        creds,
        f"docker://{SERVER}/hello-world:v1",
        f"docker://{SERVER}/{repository}",
    )


def test_vm_identity_needs_acrpull_then_acrpush(net: Running, vm_world: dict[str, str]) -> None:
    # The network is not the reason: every network step of the check passes, only the identity step fails (with
    # the role assignment that fixes it), and the admin user pulls from the VM.
    checked = net.cli("check", REG, "--from", VM, check=False)
    assert checked.returncode == 1, checked.stdout
    verdicts = [line for line in checked.stdout.splitlines() if line.startswith("[")]
    assert [v.startswith("[ok]") for v in verdicts] == [True] * (len(verdicts) - 1) + [False], checked.stdout
    assert "managed identity" in verdicts[-1] and "may not pull" in verdicts[-1], checked.stdout
    assert f"--assignee-object-id {vm_world['principal']}" in checked.stdout and "--role AcrPull" in checked.stdout
    admin = _pull(net, f"{REG}:{vm_world['password']}")
    assert admin.returncode == 0, admin.stderr

    login = on_vm(net, "az", "login", "--identity", "--allow-no-subscriptions", "-o", "json")
    assert login.returncode == 0, login.stderr
    assert json.loads(login.stdout)[0]["user"]["assignedIdentityInfo"] == "MSI"
    token = on_vm(net, "az", "account", "get-access-token", "--query", "accessToken", "-o", "tsv").stdout.strip()
    assert jwt.decode(token, options={"verify_signature": False})["oid"] == vm_world["principal"]

    # With no role at all the identity sees no subscription: az logs in to the tenant alone, and the look-up of
    # the registry by name (ARM's generic resource list in that "subscription") is what fails.
    tenant_only = on_vm(net, "az", "acr", "login", "-n", REG, "--expose-token", "-o", "json")
    assert tenant_only.returncode != 0
    assert f"(SubscriptionNotFound) The subscription '{net.endpoints['tenantId']}' could not be found." in (
        tenant_only.stderr
    ), tenant_only.stderr
    # The registry itself refuses the identity's Entra token (azure-identity + azure-containerregistry, no ARM).
    listing = on_vm(net, sys.executable, "-c", CATALOG_SNIPPET)
    assert listing.returncode == 3, listing.stdout + listing.stderr
    assert "ClientAuthenticationError 401" in listing.stderr, listing.stderr

    # A role elsewhere (Reader on another group) makes the subscription visible; the registry is still not
    # the identity's: az acr login gets a refresh token, and the pull is refused with ACR's error.
    other = net.azs("group create -n scen-elsewhere -l chinanorth2 --query id")
    grant(net, vm_world["principal"], "Reader", other)
    relogin = on_vm(net, "az", "login", "--identity", "-o", "none")
    assert relogin.returncode == 0, relogin.stderr
    creds = f"{NULL_USER}:{_vm_token(net)}"
    refused = _pull(net, creds)
    assert refused.returncode != 0
    assert "authentication required, visit https://aka.ms/acr/authorization" in refused.stderr, refused.stderr
    listing = on_vm(net, sys.executable, "-c", CATALOG_SNIPPET)
    assert listing.returncode == 3 and "ClientAuthenticationError 401" in listing.stderr, listing.stderr

    made = grant(net, vm_world["principal"], "AcrPull", vm_world["registry"])
    assert made["principalId"] == vm_world["principal"] and made["scope"] == vm_world["registry"]
    assert net.cli("check", REG, "--from", VM, check=False).returncode == 0, "the check agrees with the registry"
    creds = f"{NULL_USER}:{_vm_token(net)}"
    pulled = _pull(net, creds)
    assert pulled.returncode == 0, pulled.stderr
    listing = on_vm(net, sys.executable, "-c", CATALOG_SNIPPET)
    assert listing.returncode == 0, listing.stderr
    assert "hello-world" in listing.stdout
    pushed = _push(net, creds, "mine:v1")
    assert pushed.returncode != 0, "AcrPull cannot push"
    assert "authentication required" in pushed.stderr, pushed.stderr

    grant(net, vm_world["principal"], "AcrPush", vm_world["registry"])
    creds = f"{NULL_USER}:{_vm_token(net)}"
    pushed = _push(net, creds, "mine:v1")
    assert pushed.returncode == 0, pushed.stderr
    assert "mine" in net.azs(f"acr repository list -n {REG}")


@pytest.fixture(scope="module")
def abac(net: Running) -> dict[str, Any]:
    """A registry in ABAC mode holding team/app and other/app (imported with az), and a principal with no role."""
    net.azs("group create -n scen-abac -l chinanorth2")
    net.azs(f"acr create -n {ABAC_REG} -g scen-abac --sku Standard --role-assignment-mode rbac-abac")
    for repository in ("team/app:v1", "other/app:v1"):
        net.azs(f"acr import -n {ABAC_REG} --source mcr.microsoft.com/hello-world:latest --image {repository}")
    principal: dict[str, Any] = json.loads(net.cli("principal", "create", "abac-bot").stdout)
    principal["registry"] = net.azs(f"acr show -n {ABAC_REG} --query id")
    return principal


def _as_bot_token(net: Running) -> str:
    login = acting(net, "--as", "abac-bot", "--", "az", "acr", "login", "-n", ABAC_REG, "--expose-token", "-o", "json")
    assert login.returncode == 0, login.stderr
    return f"{NULL_USER}:{json.loads(login.stdout)['accessToken']}"


def _bot_pull(net: Running, image: str) -> subprocess.CompletedProcess[str]:
    return _pull(net, _as_bot_token(net), image, f"{ABAC_REG}.azurecr.cn", "--as", "abac-bot")


def test_abac_repository_reader_is_limited_to_team(net: Running, abac: dict[str, Any]) -> None:
    # AcrPull is not honoured in ABAC mode.
    grant(net, abac["objectId"], "AcrPull", abac["registry"])
    refused = _bot_pull(net, "team/app:v1")
    assert refused.returncode != 0 and "authentication required" in refused.stderr, refused.stderr

    made = grant(
        net,
        abac["objectId"],
        "Container Registry Repository Reader",
        abac["registry"],
        "--condition",
        CONDITION,
        "--condition-version",
        "2.0",
    )
    assert made["condition"] == CONDITION
    pulled = _bot_pull(net, "team/app:v1")
    assert pulled.returncode == 0, pulled.stderr
    other = _bot_pull(net, "other/app:v1")
    assert other.returncode != 0 and "authentication required" in other.stderr, other.stderr


@pytest.fixture(scope="module")
def bad_scope(net: Running) -> str:
    net.azs("group create -n scen-bad -l chinanorth2")
    return net.azs("group show -n scen-bad --query id")


def _refused(net: Running, *args: str) -> str:
    result = net.az(*args, check=False)
    assert result.returncode != 0, result.stdout
    return result.stderr


def test_bad_assignments_change_nothing(net: Running, bad_scope: str, tmp_path: Path) -> None:
    someone = str(uuid.uuid4())
    base = [
        "role",
        "assignment",
        "create",
        "--assignee-object-id",
        someone,
        "--assignee-principal-type",
        "ServicePrincipal",
    ]
    first = grant(net, someone, "AcrPull", bad_scope)
    before = assignments(net, bad_scope)

    # A role that does not exist: az looks it up first, so does a raw PUT naming an unknown definition id.
    err = _refused(net, *base, "--role", "No Such Role", "--scope", bad_scope)
    assert "Role 'No Such Role' doesn't exist." in err, err
    missing_id = f"/subscriptions/{net.subscription}/providers/Microsoft.Authorization/roleDefinitions/{uuid.uuid4()}"
    err = _refused(net, *base, "--role", missing_id, "--scope", bad_scope)
    assert (
        f"(RoleDefinitionDoesNotExist) The specified role definition with ID '{missing_id.rsplit('/', 1)[1]}' "
        "does not exist."
    ) in err, err

    # A scope that does not exist.
    nowhere = f"/subscriptions/{net.subscription}/resourceGroups/no-such-group"
    err = _refused(net, *base, "--role", "AcrPull", "--scope", nowhere)
    assert "(ResourceGroupNotFound) Resource group 'no-such-group' could not be found." in err, err
    no_registry = f"{bad_scope}/providers/Microsoft.ContainerRegistry/registries/nosuchreg"
    err = _refused(net, *base, "--role", "AcrPull", "--scope", no_registry)
    assert (
        "(ResourceNotFound) The Resource 'Microsoft.ContainerRegistry/registries/nosuchreg' under resource group "
        "'scen-bad' was not found."
    ) in err, err

    # A duplicate: az swallows RoleAssignmentExists and prints the existing assignment; the raw PUT shows it.
    again = grant(net, someone, "AcrPull", bad_scope)
    assert again["id"] == first["id"]
    body = json.dumps(
        {
            "properties": {
                "roleDefinitionId": role_id(net, "AcrPull"),
                "principalId": someone,
                "principalType": "ServicePrincipal",
            }
        }
    )
    url = f"{net.arm}{bad_scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    err = _refused(net, "rest", "--method", "put", "--url", f"{url}?api-version={ASSIGNMENTS_API}", "--body", body)
    assert 'Conflict({"error":{"code":"RoleAssignmentExists","message":"The role assignment already exists."}})' in err

    # A malformed ABAC condition.
    err = _refused(
        net,
        *base,
        "--role",
        "Container Registry Repository Reader",
        "--scope",
        bad_scope,
        "--condition",
        "((!(ActionMatches{'x'})) OR",
        "--condition-version",
        "2.0",
    )
    assert "(InvalidRoleAssignmentCondition) The given role assignment condition is invalid." in err, err

    # A Contributor cannot assign roles: Microsoft.Authorization/*/Write is in its NotActions.
    contributor = str(uuid.uuid4())
    grant(net, azure_object_id(net, contributor), "Contributor", bad_scope)
    own = own_az(net, tmp_path)
    login = own(
        "login",
        "--service-principal",
        "-u",
        contributor,
        "-p",
        "x",
        "--tenant",
        net.endpoints["tenantId"],
        "--allow-no-subscriptions",
        "-o",
        "none",
    )
    assert login.returncode == 0, login.stderr
    denied = own(*base, "--role", "AcrPush", "--scope", bad_scope)
    assert denied.returncode != 0 and "AuthorizationFailed" in denied.stderr, denied.stderr
    assert "Microsoft.Authorization/roleAssignments/write" in denied.stderr, denied.stderr

    after = [a for a in assignments(net, bad_scope) if a["principalId"] != azure_object_id(net, contributor)]
    assert after == before
    mine = net.az_json("role", "assignment", "list", "--assignee-object-id", someone, "--all")
    assert [a["id"] for a in mine] == [first["id"]]


def azure_object_id(net: Running, client_id: str, tenant: str | None = None) -> str:
    """The object id ``client_id``'s service principal has in ``tenant`` (default: the home one)."""
    return object_id(tenant or str(net.endpoints["tenantId"]), client_id)


def own_az(net: Running, directory: Path) -> Any:
    """The real az in a config directory of its own, pointed at acrlink, logged in as nobody yet."""
    env = {**os.environ, **azure.environment(net.data_dir, net.endpoints), "AZURE_CONFIG_DIR": str(directory / "az")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([os.environ["ACRLINK_AZ"], *args], capture_output=True, text=True, env=env, timeout=300)

    return run


def test_two_tenants_in_one_az(net: Running, tmp_path: Path) -> None:
    home, second = net.endpoints["tenants"][0], net.endpoints["tenants"][1]
    client = net.endpoints["clientId"]
    own = own_az(net, tmp_path)
    for tenant in (home, second):
        login = own(
            "login", "--service-principal", "-u", client, "-p", "x", "--tenant", tenant["tenantId"], "-o", "none"
        )
        assert login.returncode == 0, login.stderr
    accounts = json.loads(own("account", "list", "-o", "json").stdout)
    by_tenant: dict[str, set[str]] = {}
    for account in accounts:
        by_tenant.setdefault(account["tenantId"], set()).add(account["id"])
    assert by_tenant == {home["tenantId"]: set(home["subscriptions"]), second["tenantId"]: set(second["subscriptions"])}

    foreign = second["subscriptions"][0]
    assert own("account", "set", "--subscription", foreign).returncode == 0
    shown = json.loads(own("account", "show", "-o", "json").stdout)
    assert (shown["id"], shown["tenantId"]) == (foreign, second["tenantId"])

    # A token of tenant B reading a resource of tenant A: ARM names the tenant mismatch, az shows it.
    net.azs("group create -n scen-tenant -l chinanorth2")
    net.azs("acr create -n scentenantreg -g scen-tenant --sku Basic")
    registry_id = net.azs("acr show -n scentenantreg --query id")
    token = json.loads(own("account", "get-access-token", "-o", "json").stdout)["accessToken"]
    read = own(
        "rest",
        "--method",
        "get",
        "--url",
        f"{net.arm}{registry_id}?api-version=2023-07-01",
        "--skip-authorization-header",
        "--headers",
        f"Authorization=Bearer {token}",
    )
    assert read.returncode != 0
    assert "InvalidAuthenticationTokenTenant" in read.stderr, read.stderr
    assert f"The access token is from the wrong issuer '{net.arm}/{second['tenantId']}/'." in read.stderr
    assert f"It must match the tenant '{net.arm}/{home['tenantId']}/' associated with this subscription." in (
        read.stderr
    )
    assert own("account", "set", "--subscription", net.subscription).returncode == 0
    shown = own("acr", "show", "-n", "scentenantreg", "--query", "name", "-o", "tsv")
    assert shown.stdout.strip() == "scentenantreg", shown.stderr
