"""The api-versions each resource type answers: the one table ARM checks requests against and the provider
listing shows.

Versions are those the REST specs (Azure/azure-rest-api-specs) publish for each namespace, plus every
version the clients acrlink is tested with send (Azure CLI 2.91 and the installed azure-mgmt-* packages;
``tests/unit/resources/test_api_versions.py`` greps them and fails when one is missing here). A type
introduced after its namespace's first version starts at the version that introduced it.

Rule: ARM's own types (Microsoft.Resources) refuse an unknown version with ``InvalidApiVersionParameter``;
provider types with ``NoRegisteredProviderFound`` (ARM routes by (type, api-version, location) and finds no
provider registration).
"""

from __future__ import annotations

from collections.abc import Mapping

from acrlink.errors import BadRequest

RESOURCES: tuple[str, ...] = (
    "2014-04", "2014-02-26", "2013-03-01", "2014-01-01", "2014-04-01", "2014-04-01-preview", "2015-01-01",
    "2015-11-01", "2016-02-01", "2016-06-01", "2016-07-01", "2016-09-01", "2017-03-01", "2017-05-01",
    "2017-05-10", "2017-06-01", "2017-08-01", "2017-12-01", "2018-01-01", "2018-02-01", "2018-05-01",
    "2018-06-01", "2018-07-01", "2018-08-01", "2018-09-01", "2018-11-01", "2019-03-01", "2019-05-01",
    "2019-05-10", "2019-06-01", "2019-07-01", "2019-08-01", "2019-09-01", "2019-10-01", "2019-11-01",
    "2020-01-01", "2020-05-01", "2020-06-01", "2020-07-01", "2020-08-01", "2020-09-01", "2020-10-01",
    "2021-01-01", "2021-04-01", "2022-01-01", "2022-03-01-preview", "2022-05-01", "2022-06-01", "2022-09-01",
    "2022-11-01-preview", "2022-12-01", "2023-03-01-preview", "2023-07-01-preview", "2023-07-01", "2024-03-01",
    "2024-06-01-preview", "2024-08-01", "2024-11-01", "2025-03-01", "2025-04-01",
)  # fmt: skip
"""Microsoft.Resources (ARM itself), in the order ARM's message lists them (reversed there)."""

CONTAINER_REGISTRY: tuple[str, ...] = (
    "2016-06-27-preview", "2017-03-01", "2017-06-01-preview", "2017-10-01", "2019-05-01", "2019-06-01-preview",
    "2019-12-01-preview", "2020-11-01-preview", "2021-06-01-preview", "2021-08-01-preview", "2021-09-01",
    "2021-12-01-preview", "2022-02-01-preview", "2022-12-01", "2023-01-01-preview", "2023-06-01-preview",
    "2023-07-01", "2023-08-01-preview", "2023-11-01-preview", "2024-11-01-preview", "2025-03-01-preview",
    "2025-04-01", "2025-05-01-preview", "2025-11-01", "2026-09-01-preview",
)  # fmt: skip

NETWORK: tuple[str, ...] = (
    "2014-12-01-preview", "2015-05-01-preview", "2015-06-15", "2016-03-30", "2016-06-01", "2016-07-01",
    "2016-08-01", "2016-09-01", "2016-10-01", "2016-11-01", "2016-12-01", "2017-03-01", "2017-04-01",
    "2017-06-01", "2017-08-01", "2017-09-01", "2017-10-01", "2017-11-01", "2018-01-01", "2018-02-01",
    "2018-03-01", "2018-04-01", "2018-05-01", "2018-06-01", "2018-07-01", "2018-08-01", "2018-10-01",
    "2018-11-01", "2018-12-01", "2019-02-01", "2019-04-01", "2019-06-01", "2019-07-01", "2019-08-01",
    "2019-09-01", "2019-11-01", "2019-12-01", "2020-03-01", "2020-04-01", "2020-05-01", "2020-06-01",
    "2020-07-01", "2020-08-01", "2020-11-01", "2021-02-01", "2021-03-01", "2021-05-01", "2021-08-01",
    "2022-01-01", "2022-05-01", "2022-07-01", "2022-09-01", "2022-11-01", "2023-02-01", "2023-04-01",
    "2023-05-01", "2023-06-01", "2023-09-01", "2023-11-01", "2024-01-01", "2024-03-01", "2024-05-01",
    "2024-07-01", "2024-10-01", "2025-01-01", "2025-03-01", "2025-05-01", "2025-07-01", "2025-09-01",
    "2026-01-01", "2026-03-01", "2026-09-01",
)  # fmt: skip

PRIVATE_DNS: tuple[str, ...] = ("2018-09-01", "2020-01-01", "2020-06-01", "2024-06-01")

ROLE_ASSIGNMENTS: tuple[str, ...] = (
    "2015-07-01", "2018-01-01-preview", "2018-09-01-preview", "2020-04-01-preview", "2020-10-01-preview",
    "2022-04-01",
)  # fmt: skip
"""Microsoft.Authorization/roleAssignments: the versions azure-mgmt-authorization has the operation group in (the
SDK is generated from the specs' Microsoft.Authorization folders); az and the SDK send 2022-04-01."""

ROLE_DEFINITIONS: tuple[str, ...] = ("2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview")
"""Microsoft.Authorization/roleDefinitions, likewise; az sends 2022-05-01-preview, the SDK 2022-04-01."""

ACRLINK_NETWORK: tuple[str, ...] = ("2026-01-01",)
"""acrlink's own namespace (on-premises hosts): one version, the one ``acrlink`` itself sends."""


def since(versions: tuple[str, ...], first: str) -> tuple[str, ...]:
    """The versions from ``first`` on (a type that a later version of its namespace introduced)."""
    return versions[versions.index(first) :]


NAMESPACE_VERSIONS: Mapping[str, tuple[str, ...]] = {
    "microsoft.resources": RESOURCES,
    "microsoft.containerregistry": CONTAINER_REGISTRY,
    "microsoft.network": tuple(sorted(set(NETWORK) | set(PRIVATE_DNS))),
    "acrlink.network": ACRLINK_NETWORK,
}
"""Namespace-wide entries: ``operations`` and the ``locations/operation*`` polling URLs, which carry the
api-version of the request that started the operation, so every version of any type in the namespace
(private DNS zones poll under Microsoft.Network with their own versions)."""

_DNS_RECORDS = ("A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT", "ALL")

API_VERSIONS: Mapping[str, tuple[str, ...]] = {
    "microsoft.resources/tenants": RESOURCES,
    "microsoft.resources/subscriptions": RESOURCES,
    "microsoft.resources/subscriptions/locations": RESOURCES,
    "microsoft.resources/subscriptions/operationresults": RESOURCES,
    "microsoft.resources/resourcegroups": RESOURCES,
    "microsoft.resources/resources": RESOURCES,
    "microsoft.resources/providers": RESOURCES,
    "microsoft.resources/deployments": RESOURCES,
    "microsoft.authorization/roleassignments": ROLE_ASSIGNMENTS,
    "microsoft.authorization/roledefinitions": ROLE_DEFINITIONS,
    "microsoft.containerregistry/registries": CONTAINER_REGISTRY,
    "microsoft.containerregistry/registries/replications": since(CONTAINER_REGISTRY, "2017-06-01-preview"),
    "microsoft.containerregistry/registries/privateendpointconnections": since(
        CONTAINER_REGISTRY, "2019-12-01-preview"
    ),
    "microsoft.containerregistry/registries/scopemaps": since(CONTAINER_REGISTRY, "2019-12-01-preview"),
    "microsoft.containerregistry/registries/tokens": since(CONTAINER_REGISTRY, "2019-12-01-preview"),
    "microsoft.containerregistry/checknameavailability": CONTAINER_REGISTRY,
    "microsoft.containerregistry/registries/webhooks": since(CONTAINER_REGISTRY, "2017-10-01"),
    "microsoft.containerregistry/registries/runs": since(CONTAINER_REGISTRY, "2019-06-01-preview"),
    "microsoft.containerregistry/registries/agentpools": since(CONTAINER_REGISTRY, "2019-06-01-preview"),
    "microsoft.network/virtualnetworks": NETWORK,
    "microsoft.network/virtualnetworks/subnets": NETWORK,
    "microsoft.network/virtualnetworks/virtualnetworkpeerings": since(NETWORK, "2016-06-01"),
    "microsoft.network/networkinterfaces": NETWORK,
    "microsoft.network/privateendpoints": since(NETWORK, "2019-04-01"),
    "microsoft.network/privateendpoints/privatednszonegroups": since(NETWORK, "2020-03-01"),
    "microsoft.network/privatednszones": PRIVATE_DNS,
    "microsoft.network/privatednszones/virtualnetworklinks": PRIVATE_DNS,
    **{f"microsoft.network/privatednszones/{kind.lower()}": PRIVATE_DNS for kind in _DNS_RECORDS},
    "acrlink.network/onpremiseshosts": ACRLINK_NETWORK,
    "acrlink.network/reachability": ACRLINK_NETWORK,
    "acrlink.network/networkgraph": ACRLINK_NETWORK,
    "acrlink.network/whatif": ACRLINK_NETWORK,
    "acrlink.network/garbagecollection": ACRLINK_NETWORK,
}
"""Lower-case full type -> the api-versions it answers, oldest first. Every catalog type has an entry."""


def supported(type_key: str) -> tuple[str, ...]:
    """The versions of a full type in any casing (or of its namespace for namespace-wide URLs)."""
    found = API_VERSIONS.get(type_key.lower())
    if found is not None:
        return found
    return NAMESPACE_VERSIONS.get(type_key.split("/", 1)[0].lower(), ())


def check(type_key: str, version: str, location: str, locations: tuple[str, ...]) -> None:
    """Refuse an api-version the type does not have, as ARM does (see the module docstring)."""
    versions = supported(type_key)
    if version in versions:
        return
    namespace, _, type_path = type_key.partition("/")
    if namespace.lower() == "microsoft.resources":
        raise BadRequest(
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{','.join(reversed(versions))}'.",
        )
    raise BadRequest(
        "NoRegisteredProviderFound",
        f"No registered resource provider found for location '{location}' and API version '{version}' for type "
        f"'{type_path or namespace}'. The supported api-versions are '{', '.join(versions)}'. The supported "
        f"locations are '{', '.join(locations)}'.",
    )


def newest_stable(type_key: str) -> str:
    """The newest non-preview version of a type (what a test or an internal client sends)."""
    return [v for v in supported(type_key) if "preview" not in v][-1]
