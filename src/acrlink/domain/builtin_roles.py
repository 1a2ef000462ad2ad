"""Azure's built-in role definitions that acrlink knows, with their real ids and permissions, and how Azure
Container Registry turns a principal's roles into registry (data-plane) rights.

The role data is copied exactly from Microsoft's "Azure built-in roles" pages, generated from Azure itself
(https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged, ``.../general``,
``.../networking`` and ``.../containers``; source files ``articles/role-based-access-control/built-in-roles/*.md``
of MicrosoftDocs/azure-docs, privileged.md dated 2026-07-01, general.md 2026-02-23, containers.md 2025-06-30).
The ``description`` of each role is its ``description`` property in ARM, which is what ``az role definition
list`` prints (so AcrPull's is ``acr pull``). AcrImageSigner's is the deprecation notice Azure shows since
content trust's retirement was announced (docs.azure.cn's copy of the containers page).

The data-plane rules (``DATA_PLANE``, ``token_actions``) follow ACR's own pages:

- https://learn.microsoft.com/azure/container-registry/container-registry-rbac-built-in-roles-directory-reference
  (per role and per "role assignment permissions mode": what each role may do on the data plane);
- https://learn.microsoft.com/azure/container-registry/container-registry-rbac-abac-repository-permissions
  (which roles an ABAC-mode registry honours; the three ABAC-enabled roles; the Catalog Lister).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from acrlink import unconfirmed
from acrlink.domain.rbac import Permission, RoleDefinition


def _role(
    guid: str,
    name: str,
    *,
    description: str,
    permissions: tuple[Permission, ...],
    abac_repository_role: bool = False,
) -> RoleDefinition:
    return RoleDefinition(
        guid=guid,
        name=name,
        description=description,
        permissions=permissions,
        abac_repository_role=abac_repository_role,
    )


BUILTIN_ROLES: tuple[RoleDefinition, ...] = (
    _role(
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "Owner",
        description="Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        permissions=(
            Permission(
                actions=("*",),
            ),
        ),
    ),
    _role(
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "Contributor",
        description=(
            "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, "
            "manage assignments in Azure Blueprints, or share image galleries."
        ),
        permissions=(
            Permission(
                actions=("*",),
                not_actions=(
                    "Microsoft.Authorization/*/Delete",
                    "Microsoft.Authorization/*/Write",
                    "Microsoft.Authorization/elevateAccess/Action",
                    "Microsoft.Blueprint/blueprintAssignments/write",
                    "Microsoft.Blueprint/blueprintAssignments/delete",
                    "Microsoft.Compute/galleries/share/action",
                    "Microsoft.Purview/consents/write",
                    "Microsoft.Purview/consents/delete",
                    "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                    "Microsoft.Subscription/cancel/action",
                    "Microsoft.Subscription/enable/action",
                ),
            ),
        ),
    ),
    _role(
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        "Reader",
        description="View all resources, but does not allow you to make any changes.",
        permissions=(
            Permission(
                actions=("*/read",),
            ),
        ),
    ),
    _role(
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
        description="Lets you manage user access to Azure resources.",
        permissions=(
            Permission(
                actions=(
                    "*/read",
                    "Microsoft.Authorization/*",
                    "Microsoft.Support/*",
                ),
            ),
        ),
    ),
    _role(
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "Role Based Access Control Administrator",
        description=(
            "Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to "
            "manage access using other ways, such as Azure Policy."
        ),
        permissions=(
            Permission(
                actions=(
                    "Microsoft.Authorization/roleAssignments/write",
                    "Microsoft.Authorization/roleAssignments/delete",
                    "*/read",
                    "Microsoft.Support/*",
                ),
            ),
        ),
    ),
    _role(
        "7f951dda-4ed3-4680-a7ca-43fe172d538d",
        "AcrPull",
        description="acr pull",
        permissions=(
            Permission(
                actions=("Microsoft.ContainerRegistry/registries/pull/read",),
            ),
        ),
    ),
    _role(
        "8311e382-0749-4cb8-b61a-304f252e45ec",
        "AcrPush",
        description="acr push",
        permissions=(
            Permission(
                actions=(
                    "Microsoft.ContainerRegistry/registries/pull/read",
                    "Microsoft.ContainerRegistry/registries/push/write",
                ),
            ),
        ),
    ),
    _role(
        "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
        "AcrDelete",
        description="acr delete",
        permissions=(
            Permission(
                actions=("Microsoft.ContainerRegistry/registries/artifacts/delete",),
            ),
        ),
    ),
    _role(
        "6cef56e8-d556-48e5-a04f-b8e64114680f",
        "AcrImageSigner",
        description=(
            "Planned DEPRECATION on March 31, 2028. Grant the signing permission for content trust. As content "
            "trust is being deprecated and will be completely removed on March 31, 2028, this role will also be "
            "removed. Refer to https://aka.ms/acr/dctdeprecation for details and transition guidance."
        ),
        permissions=(
            Permission(
                actions=("Microsoft.ContainerRegistry/registries/sign/write",),
                data_actions=("Microsoft.ContainerRegistry/registries/trustedCollections/write",),
            ),
        ),
    ),
    _role(
        "cdda3590-29a3-44f6-95f2-9f980659eb04",
        "AcrQuarantineReader",
        description="acr quarantine data reader",
        permissions=(
            Permission(
                actions=("Microsoft.ContainerRegistry/registries/quarantine/read",),
                data_actions=("Microsoft.ContainerRegistry/registries/quarantinedArtifacts/read",),
            ),
        ),
    ),
    _role(
        "c8d4ff99-41c3-41a8-9f60-21dfdad59608",
        "AcrQuarantineWriter",
        description="acr quarantine data writer",
        permissions=(
            Permission(
                actions=(
                    "Microsoft.ContainerRegistry/registries/quarantine/read",
                    "Microsoft.ContainerRegistry/registries/quarantine/write",
                ),
                data_actions=(
                    "Microsoft.ContainerRegistry/registries/quarantinedArtifacts/read",
                    "Microsoft.ContainerRegistry/registries/quarantinedArtifacts/write",
                ),
            ),
        ),
    ),
    _role(
        "4d97b98b-1d4f-4787-a291-c67834d212e7",
        "Network Contributor",
        description="Lets you manage networks, but not access to them.",
        permissions=(
            Permission(
                actions=(
                    "Microsoft.Authorization/*/read",
                    "Microsoft.Insights/alertRules/*",
                    "Microsoft.Network/*",
                    "Microsoft.ResourceHealth/availabilityStatuses/read",
                    "Microsoft.Resources/deployments/*",
                    "Microsoft.Resources/subscriptions/resourceGroups/read",
                    "Microsoft.Support/*",
                ),
            ),
        ),
    ),
    _role(
        "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
        "Private DNS Zone Contributor",
        description="Lets you manage private DNS zone resources, but not the virtual networks they are linked to.",
        permissions=(
            Permission(
                actions=(
                    "Microsoft.Insights/alertRules/*",
                    "Microsoft.Resources/deployments/*",
                    "Microsoft.Resources/subscriptions/resourceGroups/read",
                    "Microsoft.Support/*",
                    "Microsoft.Network/privateDnsZones/*",
                    "Microsoft.Network/privateDnsOperationResults/*",
                    "Microsoft.Network/privateDnsOperationStatuses/*",
                    "Microsoft.Network/virtualNetworks/read",
                    "Microsoft.Network/virtualNetworks/join/action",
                    "Microsoft.Authorization/*/read",
                ),
            ),
        ),
    ),
    _role(
        "b93aa761-3e63-49ed-ac28-beffa264f7ac",
        "Container Registry Repository Reader",
        description=(
            "Allows for read access to Azure Container Registry repositories, but excluding catalog listing. This "
            "role is in preview and subject to change."
        ),
        permissions=(
            Permission(
                data_actions=(
                    "Microsoft.ContainerRegistry/registries/repositories/metadata/read",
                    "Microsoft.ContainerRegistry/registries/repositories/content/read",
                ),
            ),
        ),
        abac_repository_role=True,
    ),
    _role(
        "2a1e307c-b015-4ebd-883e-5b7698a07328",
        "Container Registry Repository Writer",
        description=(
            "Allows for read and write access to Azure Container Registry repositories, but excluding catalog "
            "listing. This role is in preview and subject to change."
        ),
        permissions=(
            Permission(
                data_actions=(
                    "Microsoft.ContainerRegistry/registries/repositories/metadata/read",
                    "Microsoft.ContainerRegistry/registries/repositories/content/read",
                    "Microsoft.ContainerRegistry/registries/repositories/metadata/write",
                    "Microsoft.ContainerRegistry/registries/repositories/content/write",
                ),
            ),
        ),
        abac_repository_role=True,
    ),
    _role(
        "2efddaa5-3f1f-4df3-97df-af3f13818f4c",
        "Container Registry Repository Contributor",
        description=(
            "Allows for read, write, and delete access to Azure Container Registry repositories, but excluding "
            "catalog listing. This role is in preview and subject to change."
        ),
        permissions=(
            Permission(
                data_actions=(
                    "Microsoft.ContainerRegistry/registries/repositories/metadata/read",
                    "Microsoft.ContainerRegistry/registries/repositories/content/read",
                    "Microsoft.ContainerRegistry/registries/repositories/metadata/write",
                    "Microsoft.ContainerRegistry/registries/repositories/content/write",
                    "Microsoft.ContainerRegistry/registries/repositories/metadata/delete",
                    "Microsoft.ContainerRegistry/registries/repositories/content/delete",
                ),
            ),
        ),
        abac_repository_role=True,
    ),
    _role(
        "bfdb9389-c9a5-478a-bb2f-ba9ca092c3c7",
        "Container Registry Repository Catalog Lister",
        description=(
            "Allows for listing all repositories in an Azure Container Registry. This role is in preview and subject "
            "to change."
        ),
        permissions=(
            Permission(
                data_actions=("Microsoft.ContainerRegistry/registries/catalog/read",),
            ),
        ),
    ),
    _role(
        "3bc748fc-213d-45c1-8d91-9da5725539b9",
        "Container Registry Contributor and Data Access Configuration Administrator",
        description=(
            "Provides permissions to create, list, and update container registries and registry configuration "
            "properties. Provides permissions to configure data access such as admin user credentials, scope maps, "
            "and tokens, which can be used to read, write or delete repositories and images. Does not provide direct "
            "permissions to read, list, or write registry contents including repositories and images. Does not "
            "provide permissions to modify data plane content such as imports, Artifact Cache or Sync, and Transfer "
            "Pipelines. Does not provide permissions for managing Tasks."
        ),
        permissions=(
            Permission(
                actions=(
                    "Microsoft.Resources/subscriptions/resourceGroups/read",
                    "Microsoft.ContainerRegistry/registries/operationStatuses/read",
                    "Microsoft.ContainerRegistry/registries/read",
                    "Microsoft.ContainerRegistry/registries/write",
                    "Microsoft.ContainerRegistry/registries/delete",
                    "Microsoft.ContainerRegistry/registries/listCredentials/action",
                    "Microsoft.ContainerRegistry/registries/regenerateCredential/action",
                    "Microsoft.ContainerRegistry/registries/generateCredentials/action",
                    "Microsoft.ContainerRegistry/registries/replications/read",
                    "Microsoft.ContainerRegistry/registries/replications/write",
                    "Microsoft.ContainerRegistry/registries/replications/delete",
                    "Microsoft.ContainerRegistry/registries/replications/operationStatuses/read",
                    "Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action",
                    "Microsoft.ContainerRegistry/registries/privateEndpointConnections/read",
                    "Microsoft.ContainerRegistry/registries/privateEndpointConnections/write",
                    "Microsoft.ContainerRegistry/registries/privateEndpointConnections/delete",
                    "Microsoft.ContainerRegistry/registries/privateEndpointConnections/operationStatuses/read",
                    "Microsoft.ContainerRegistry/registries/tokens/read",
                    "Microsoft.ContainerRegistry/registries/tokens/write",
                    "Microsoft.ContainerRegistry/registries/tokens/delete",
                    "Microsoft.ContainerRegistry/registries/tokens/operationStatuses/read",
                    "Microsoft.ContainerRegistry/registries/scopeMaps/read",
                    "Microsoft.ContainerRegistry/registries/scopeMaps/write",
                    "Microsoft.ContainerRegistry/registries/scopeMaps/delete",
                    "Microsoft.ContainerRegistry/registries/scopeMaps/operationStatuses/read",
                    "Microsoft.ContainerRegistry/registries/providers/Microsoft.Insights/diagnosticSettings/read",
                    "Microsoft.ContainerRegistry/registries/providers/Microsoft.Insights/diagnosticSettings/write",
                    "Microsoft.ContainerRegistry/registries/providers/Microsoft.Insights/logDefinitions/read",
                    "Microsoft.ContainerRegistry/registries/providers/Microsoft.Insights/metricDefinitions/read",
                    "Microsoft.Resources/deployments/*",
                    "Microsoft.Authorization/*/read",
                    "Microsoft.ContainerRegistry/registries/connectedRegistries/read",
                    "Microsoft.ContainerRegistry/registries/connectedRegistries/write",
                    "Microsoft.ContainerRegistry/registries/connectedRegistries/delete",
                    "Microsoft.ContainerRegistry/registries/connectedRegistries/deactivate/action",
                    "Microsoft.ContainerRegistry/registries/webhooks/read",
                    "Microsoft.ContainerRegistry/registries/webhooks/write",
                    "Microsoft.ContainerRegistry/registries/webhooks/delete",
                    "Microsoft.ContainerRegistry/registries/webhooks/getCallbackConfig/action",
                    "Microsoft.ContainerRegistry/registries/webhooks/ping/action",
                    "Microsoft.ContainerRegistry/registries/webhooks/listEvents/action",
                    "Microsoft.ContainerRegistry/registries/webhooks/operationStatuses/read",
                    "Microsoft.Insights/AlertRules/Write",
                    "Microsoft.Insights/AlertRules/Delete",
                    "Microsoft.Insights/AlertRules/Read",
                    "Microsoft.Insights/AlertRules/Activated/Action",
                    "Microsoft.Insights/AlertRules/Resolved/Action",
                    "Microsoft.Insights/AlertRules/Throttled/Action",
                    "Microsoft.Insights/AlertRules/Incidents/Read",
                    "Microsoft.ContainerRegistry/locations/operationResults/read",
                    "Microsoft.Network/virtualNetworks/subnets/joinViaServiceEndpoint/action",
                    "Microsoft.Network/virtualNetworks/subnets/read",
                    "Microsoft.Network/virtualNetworks/subnets/write",
                    "Microsoft.Network/virtualNetworks/read",
                    "Microsoft.Network/privateEndpoints/privateLinkServiceProxies/write",
                ),
            ),
        ),
    ),
    _role(
        "577a9874-89fd-4f24-9dbd-b5034d0ad23a",
        "Container Registry Data Importer and Data Reader",
        description=(
            "Provides the ability to import images into a registry through the registry import operation. Provides "
            "the ability to list repositories, view images and tags, get manifests, and pull images. Does not "
            "provide permissions for importing images through configuring registry transfer pipelines such as import "
            "and export pipelines. Does not provide permissions for importing through configuring Artifact Cache or "
            "Sync rules."
        ),
        permissions=(
            Permission(
                actions=(
                    "Microsoft.ContainerRegistry/registries/importImage/action",
                    "Microsoft.ContainerRegistry/registries/read",
                    "Microsoft.ContainerRegistry/registries/pull/read",
                ),
                data_actions=(
                    "Microsoft.ContainerRegistry/registries/repositories/content/read",
                    "Microsoft.ContainerRegistry/registries/repositories/metadata/read",
                    "Microsoft.ContainerRegistry/registries/catalog/read",
                ),
            ),
        ),
    ),
    _role(
        "fb382eab-e894-4461-af04-94435c366c3f",
        "Container Registry Tasks Contributor",
        description=(
            "Provides permissions to configure, read, list, trigger, or cancel Container Registry Tasks, Task Runs, "
            "Task Logs, Quick Runs, Quick Builds, and Task Agent Pools. Permissions granted for Tasks management can "
            "be used for full registry data plane permissions including reading/writing/deleting container images in "
            "registries. Permissions granted for Tasks management can also be used to run customer authored build "
            "directives and run scripts to build software artifacts."
        ),
        permissions=(
            Permission(
                actions=(
                    "Microsoft.ContainerRegistry/registries/agentpools/read",
                    "Microsoft.ContainerRegistry/registries/agentpools/write",
                    "Microsoft.ContainerRegistry/registries/agentpools/delete",
                    "Microsoft.ContainerRegistry/registries/agentpools/listQueueStatus/action",
                    "Microsoft.ContainerRegistry/registries/agentpools/operationResults/status/read",
                    "Microsoft.ContainerRegistry/registries/agentpools/operationStatuses/read",
                    "Microsoft.ContainerRegistry/registries/tasks/read",
                    "Microsoft.ContainerRegistry/registries/tasks/write",
                    "Microsoft.ContainerRegistry/registries/tasks/delete",
                    "Microsoft.ContainerRegistry/registries/tasks/listDetails/action",
                    "Microsoft.ContainerRegistry/registries/scheduleRun/action",
                    "Microsoft.ContainerRegistry/registries/listBuildSourceUploadUrl/action",
                    "Microsoft.ContainerRegistry/registries/runs/read",
                    "Microsoft.ContainerRegistry/registries/runs/write",
                    "Microsoft.ContainerRegistry/registries/runs/listLogSasUrl/action",
                    "Microsoft.ContainerRegistry/registries/runs/cancel/action",
                    "Microsoft.ContainerRegistry/registries/taskruns/read",
                    "Microsoft.ContainerRegistry/registries/taskruns/write",
                    "Microsoft.ContainerRegistry/registries/taskruns/delete",
                    "Microsoft.ContainerRegistry/registries/taskruns/listDetails/action",
                    "Microsoft.ContainerRegistry/registries/taskruns/operationStatuses/read",
                    "Microsoft.Resources/deployments/*",
                    "Microsoft.Resources/subscriptions/resourceGroups/read",
                    "Microsoft.ContainerRegistry/registries/read",
                ),
            ),
        ),
    ),
)
"""Every built-in role acrlink serves. ``abac_repository_role`` marks the three roles ACR calls "ABAC-enabled":
the only ones whose assignments may carry a repository condition (Repository Reader, Writer, Contributor)."""

BY_GUID: dict[str, RoleDefinition] = {role.guid.lower(): role for role in BUILTIN_ROLES}

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
ACR_PUSH = "8311e382-0749-4cb8-b61a-304f252e45ec"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
REPOSITORY_READER = "b93aa761-3e63-49ed-ac28-beffa264f7ac"
"""The roles acrlink's own code and tests name."""
"""The built-in roles by lower-case GUID (a role definition id's last segment)."""

_BY_NAME: dict[str, RoleDefinition] = {role.name.casefold(): role for role in BUILTIN_ROLES}


def by_name(name: str) -> RoleDefinition | None:
    """The built-in role whose ``roleName`` is ``name``, compared case-insensitively (``az role assignment create
    --role acrpull`` finds AcrPull), or None."""
    return _BY_NAME.get(name.strip().casefold())


# Registry data plane -----------------------------------------------------------------------------------------

LEGACY_MODE = "LegacyRegistryPermissions"
"""``roleAssignmentMode`` "RBAC Registry Permissions" (az ``--role-assignment-mode rbac``), the default."""
ABAC_MODE = "AbacRepositoryPermissions"
"""``roleAssignmentMode`` "RBAC Registry + ABAC Repository Permissions" (az ``--role-assignment-mode rbac-abac``)."""

_MODES = {
    LEGACY_MODE.lower(): LEGACY_MODE,
    "rbac": LEGACY_MODE,
    ABAC_MODE.lower(): ABAC_MODE,
    "rbac-abac": ABAC_MODE,
}


def role_assignment_mode(value: str | None) -> str:
    """The ARM spelling of a registry's mode from the ARM value or az's alias; a registry without one (older API
    versions never send it) is in the legacy mode. Raises ValueError for anything else."""
    if value is None:
        return LEGACY_MODE
    try:
        return _MODES[value.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown role assignment mode {value!r}") from None


TOKEN_ACTIONS = ("pull", "push", "delete", "metadata_read", "metadata_write", "catalog")
"""What a registry access token can carry: the five repository actions of an ACR scope (``repository:NAME:pull,
push,delete,metadata_read,metadata_write``) and the registry's ``catalog`` (``registry:catalog:*``)."""

_CR = "Microsoft.ContainerRegistry/registries/"

Grant = tuple[str, bool]
"""An (action, is_data_action) pair: one way to hold a token action."""

_ABAC_GRANTS: dict[str, tuple[Grant, ...]] = {
    "pull": ((_CR + "repositories/content/read", True),),
    "push": ((_CR + "repositories/content/write", True),),
    "delete": ((_CR + "repositories/content/delete", True),),
    "metadata_read": ((_CR + "repositories/metadata/read", True),),
    "metadata_write": ((_CR + "repositories/metadata/write", True),),
    "catalog": ((_CR + "catalog/read", True),),
}
# ABAC mode: only data actions count, so AcrPull/AcrPush/AcrDelete and the "*" / "*/read" of Owner, Contributor
# and Reader (all control-plane actions) give nothing on the data plane, as the ABAC page says. The Repository
# roles' repositories/... data actions give the repository rights (narrowed by their conditions); listing the
# catalog needs registries/catalog/read, which only Container Registry Repository Catalog Lister and Container
# Registry Data Importer and Data Reader hold, and which no condition narrows.

_LEGACY_GRANTS: dict[str, tuple[Grant, ...]] = {
    "pull": ((_CR + "pull/read", False),),
    "push": ((_CR + "push/write", False),),
    "delete": ((_CR + "artifacts/delete", False),),
    "metadata_read": ((_CR + "pull/read", False), (_CR + "metadata/read", False)),
    "metadata_write": ((unconfirmed.LEGACY_METADATA_WRITE_ACTION, False),),
    "catalog": ((_CR + "pull/read", False),),
}
# Legacy mode: ACR reads the control-plane actions the old roles list. AcrPull's registries/pull/read pulls, reads
# tags and lists repositories; AcrPush adds registries/push/write; AcrDelete's registries/artifacts/delete deletes.
# Owner and Contributor ("*") and Reader ("*/read" matches registries/pull/read) get what their patterns match: the
# directory reference gives Owner/Contributor full data-plane access and Reader pull, tag and repository listing,
# in this mode only.

DATA_PLANE: Mapping[str, Mapping[str, tuple[Grant, ...]]] = {
    LEGACY_MODE: {
        token: _LEGACY_GRANTS[token]
        + (_ABAC_GRANTS[token] if unconfirmed.LEGACY_MODE_HONOURS_REPOSITORY_DATA_ACTIONS else ())
        for token in TOKEN_ACTIONS
    },
    ABAC_MODE: _ABAC_GRANTS,
}
"""For each mode, the (action, is_data_action) pairs any one of which gives each token action."""


def token_actions(allows: Callable[[str, bool], bool], mode: str | None) -> frozenset[str]:
    """The token actions a principal holds on a registry in ``mode`` (ARM spelling or az alias), given
    ``allows(action, is_data)``: whether the principal's role assignments (and, for a repository, their
    conditions) allow that action at the registry.

    Legacy mode (https://learn.microsoft.com/azure/container-registry/container-registry-rbac-built-in-roles-directory-reference,
    tab "RBAC Registry Permissions"): AcrPull pulls and lists; AcrPush pushes and pulls; AcrDelete deletes;
    Owner and Contributor do everything; Reader pulls and lists (its ``*/read`` covers ``registries/pull/read``).
    ABAC mode (https://learn.microsoft.com/azure/container-registry/container-registry-rbac-abac-repository-permissions):
    "the AcrPull, AcrPush, and AcrDelete roles aren't honored", Owner, Contributor and Reader "won't grant any data
    plane permissions"; the Container Registry Repository Reader/Writer/Contributor roles give read, read+write,
    read+write+delete; the catalog needs Container Registry Repository Catalog Lister (or Data Importer and Data
    Reader, whose data actions include ``registries/catalog/read``).
    """
    grants = DATA_PLANE[role_assignment_mode(mode)]
    return frozenset(token for token, ways in grants.items() if any(allows(action, data) for action, data in ways))


def role_token_actions(role: RoleDefinition, mode: str | None) -> frozenset[str]:
    """``token_actions`` for a principal holding ``role`` alone, with no condition."""
    return token_actions(role.allows, mode)
