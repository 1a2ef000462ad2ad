"""Azure Container Registry rules: SKUs, regions, endpoints, private link members and usages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acrlink import unconfirmed
from acrlink.domain.cloud import CloudProfile

SKUS = ("Basic", "Standard", "Premium")

MCR_HOST = "mcr.microsoft.com"
"""The public registry acrlink stands in for (its content is generated: ``services/samples.py``); its content key."""

# Per-SKU quotas Azure documents (https://learn.microsoft.com/azure/container-registry/container-registry-skus).
STORAGE_BYTES = {"Basic": 10 * 2**30, "Standard": 100 * 2**30, "Premium": 500 * 2**30}
WEBHOOKS = {"Basic": 2, "Standard": 10, "Premium": 500}
SCOPE_MAPS = {"Basic": 100, "Standard": 500, "Premium": 50_000}
TOKENS = {"Basic": 100, "Standard": 500, "Premium": 50_000}
ACTIONS_PER_SCOPE_MAP = 500
IP_RULES_LIMIT = 200
VNET_RULES_LIMIT = 100


def is_premium(sku: str) -> bool:
    """Only the Premium SKU has the Premium-only features (S1): network rules, private endpoints, replicas, data
    endpoints."""
    return sku == "Premium"


@dataclass(frozen=True)
class SkuProblem:
    """One Premium-only setting asked of a Basic or Standard registry: the error code, message and property it is
    refused with."""

    code: str
    message: str
    target: str


def premium_feature_problems(
    sku: str, properties: dict[str, Any], replica_count: int = 0, connection_count: int = 0
) -> list[SkuProblem]:
    """Premium-only settings a Basic or Standard registry asks for (S1).

    Disabling public network access has its own confirmed code; network rules, data endpoints,
    zone redundancy, geo-replicas and private endpoints share the SKU error.
    """
    if is_premium(sku):
        return []
    problems: list[SkuProblem] = []
    if properties.get("publicNetworkAccess") == "Disabled":
        problems.append(
            SkuProblem(
                "DisablingPublicNetworkAccessNotSupported",
                f"Disabling public network access is not supported for the SKU {sku}. "
                "For more information, please visit https://aka.ms/acr/private-link.",
                "properties.publicNetworkAccess",
            )
        )
    rules = properties.get("networkRuleSet") or {}
    if rules.get("defaultAction") == "Deny" or rules.get("ipRules"):
        problems.append(_sku_problem(sku, "network rules", "properties.networkRuleSet"))
    if properties.get("dataEndpointEnabled"):
        problems.append(_sku_problem(sku, "dedicated data endpoints", "properties.dataEndpointEnabled"))
    if properties.get("zoneRedundancy") == "Enabled":
        problems.append(_sku_problem(sku, "zone redundancy", "properties.zoneRedundancy"))
    if replica_count:
        problems.append(_sku_problem(sku, "geo-replication", "sku.name"))
    if connection_count:
        problems.append(_sku_problem(sku, "private endpoints", "sku.name"))
    return problems


def _sku_problem(sku: str, feature: str, target: str) -> SkuProblem:
    return SkuProblem(
        unconfirmed.PREMIUM_ONLY_CODE,
        f"The SKU {sku} is not supported. {feature.capitalize()} require the Premium SKU. "
        "For more information, please visit https://aka.ms/acr/tiers.",
        target,
    )


def regions(home: str, replica_locations: list[str]) -> list[str]:
    """The regions a registry lives in: home first, then each replica's region once."""
    seen = [home]
    for location in replica_locations:
        if location not in seen:
            seen.append(location)
    return seen


def data_endpoint_host_names(cloud: CloudProfile, name: str, regions_: list[str], enabled: bool) -> list[str]:
    """``dataEndpointHostNames``: one per region when dedicated data endpoints are on, else none."""
    return [cloud.data_endpoint(name, r) for r in regions_] if enabled else []


def required_members(regions_: list[str]) -> list[str]:
    """Private link members of group ``registry``: the REST endpoint and one data member per region (S4)."""
    return ["registry", *(f"registry_data_{r}" for r in regions_)]


def member_fqdn(cloud: CloudProfile, name: str, member: str) -> str:
    """The public FQDN a member answers to: ``NAME.azurecr.cn`` or ``NAME.REGION.data.azurecr.cn``."""
    if member == "registry":
        return cloud.login_server(name)
    return cloud.data_endpoint(name, member.removeprefix("registry_data_"))


def private_endpoint_limit(creation_date: str) -> int:
    """200 private endpoints per registry; registries created before the limit rose keep 10 (S8)."""
    if creation_date[:10] < unconfirmed.LEGACY_PE_LIMIT_BEFORE:
        return unconfirmed.LEGACY_PE_LIMIT
    return unconfirmed.PE_LIMIT


@dataclass(frozen=True)
class Usage:
    """One line of ``listUsages``: a quota of the registry's SKU and how much of it is in use."""

    name: str
    limit: int
    current: int
    unit: str

    def to_json(self) -> dict[str, Any]:
        """The line as ACR answers it (``currentValue``, not ``current``)."""
        return {"name": self.name, "limit": self.limit, "currentValue": self.current, "unit": self.unit}


def usages(
    sku: str,
    creation_date: str,
    properties: dict[str, Any],
    region_count: int,
    connection_count: int,
    size_bytes: int = 0,
    scope_map_count: int = 0,
    token_count: int = 0,
    webhook_count: int = 0,
) -> list[Usage]:
    """What ``az acr show-usage`` lists. Non-Premium registries have no geo-replication quota (0). Scope maps
    (the user-defined ones) and tokens count against their SKU's limits."""
    names = unconfirmed.USAGE_NAMES
    rules = properties.get("networkRuleSet") or {}
    premium = is_premium(sku)
    return [
        Usage(names[0], STORAGE_BYTES[sku], size_bytes, "Bytes"),
        Usage(names[1], WEBHOOKS[sku], webhook_count, "Count"),
        Usage(names[2], -1 if premium else 0, region_count if premium else 0, "Count"),
        Usage(names[3], IP_RULES_LIMIT if premium else 0, len(rules.get("ipRules") or []), "Count"),
        Usage(names[4], VNET_RULES_LIMIT if premium else 0, 0, "Count"),
        Usage(names[5], private_endpoint_limit(creation_date) if premium else 0, connection_count, "Count"),
        Usage("ScopeMaps", SCOPE_MAPS[sku], scope_map_count, "Count"),
        Usage("Tokens", TOKENS[sku], token_count, "Count"),
    ]
