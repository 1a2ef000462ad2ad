"""ACR rules: Premium-only features, regions, endpoints, private link members, limits and usages."""

from __future__ import annotations

from typing import Any

import pytest

from acrlink import unconfirmed
from acrlink.domain.acr import (
    SKUS,
    SkuProblem,
    Usage,
    data_endpoint_host_names,
    member_fqdn,
    premium_feature_problems,
    private_endpoint_limit,
    regions,
    required_members,
    usages,
)
from acrlink.domain.cloud import AZURE_CHINA, AZURE_PUBLIC

NON_PREMIUM = ("Basic", "Standard")
GiB = 2**30

# Each Premium-only setting, alone, with the problem it raises on Basic/Standard.
FEATURES: list[tuple[str, dict[str, Any], int, int, str, str]] = [
    (
        "public network access disabled",
        {"publicNetworkAccess": "Disabled"},
        0,
        0,
        "DisablingPublicNetworkAccessNotSupported",
        "properties.publicNetworkAccess",
    ),
    (
        "deny by default",
        {"networkRuleSet": {"defaultAction": "Deny"}},
        0,
        0,
        unconfirmed.PREMIUM_ONLY_CODE,
        "properties.networkRuleSet",
    ),
    (
        "ip rules",
        {"networkRuleSet": {"defaultAction": "Allow", "ipRules": [{"value": "1.2.3.4"}]}},
        0,
        0,
        unconfirmed.PREMIUM_ONLY_CODE,
        "properties.networkRuleSet",
    ),
    (
        "data endpoints",
        {"dataEndpointEnabled": True},
        0,
        0,
        unconfirmed.PREMIUM_ONLY_CODE,
        "properties.dataEndpointEnabled",
    ),
    (
        "zone redundancy",
        {"zoneRedundancy": "Enabled"},
        0,
        0,
        unconfirmed.PREMIUM_ONLY_CODE,
        "properties.zoneRedundancy",
    ),
    ("geo-replicas", {}, 1, 0, unconfirmed.PREMIUM_ONLY_CODE, "sku.name"),
    ("private endpoints", {}, 0, 1, unconfirmed.PREMIUM_ONLY_CODE, "sku.name"),
]
FEATURE_IDS = [f[0] for f in FEATURES]


# --- premium_feature_problems ----------------------------------------------------------------


def test_skus_are_basic_standard_premium() -> None:
    assert SKUS == ("Basic", "Standard", "Premium")


@pytest.mark.parametrize("sku", SKUS)
def test_default_registry_has_no_sku_problems(sku: str) -> None:
    default = {
        "publicNetworkAccess": "Enabled",
        "networkRuleSet": {"defaultAction": "Allow", "ipRules": []},
        "dataEndpointEnabled": False,
        "zoneRedundancy": "Disabled",
    }
    assert premium_feature_problems(sku, default) == []
    assert premium_feature_problems(sku, {}) == []


@pytest.mark.parametrize("sku", NON_PREMIUM)
@pytest.mark.parametrize(("_label", "props", "replicas", "connections", "code", "target"), FEATURES, ids=FEATURE_IDS)
def test_premium_feature_on_lower_sku_is_one_problem(
    sku: str, _label: str, props: dict[str, Any], replicas: int, connections: int, code: str, target: str
) -> None:
    problems = premium_feature_problems(sku, props, replica_count=replicas, connection_count=connections)
    assert [(p.code, p.target) for p in problems] == [(code, target)]
    assert f"SKU {sku}" in problems[0].message


@pytest.mark.parametrize(("_label", "props", "replicas", "connections", "_code", "_target"), FEATURES, ids=FEATURE_IDS)
def test_premium_feature_on_premium_is_no_problem(
    _label: str, props: dict[str, Any], replicas: int, connections: int, _code: str, _target: str
) -> None:
    assert premium_feature_problems("Premium", props, replica_count=replicas, connection_count=connections) == []


@pytest.mark.parametrize("sku", NON_PREMIUM)
def test_every_premium_feature_at_once_gives_every_problem_in_order(sku: str) -> None:
    props = {
        "publicNetworkAccess": "Disabled",
        "networkRuleSet": {"defaultAction": "Deny", "ipRules": [{"value": "10.0.0.0/8"}]},
        "dataEndpointEnabled": True,
        "zoneRedundancy": "Enabled",
    }
    problems = premium_feature_problems(sku, props, replica_count=2, connection_count=3)
    assert [p.target for p in problems] == [
        "properties.publicNetworkAccess",
        "properties.networkRuleSet",
        "properties.dataEndpointEnabled",
        "properties.zoneRedundancy",
        "sku.name",
        "sku.name",
    ]


def test_public_network_access_problem_message() -> None:
    [problem] = premium_feature_problems("Basic", {"publicNetworkAccess": "Disabled"})
    assert problem == SkuProblem(
        "DisablingPublicNetworkAccessNotSupported",
        "Disabling public network access is not supported for the SKU Basic. "
        "For more information, please visit https://aka.ms/acr/private-link.",
        "properties.publicNetworkAccess",
    )


def test_sku_problem_message_names_sku_and_feature() -> None:
    [problem] = premium_feature_problems("Standard", {"dataEndpointEnabled": True})
    assert problem.message == (
        "The SKU Standard is not supported. Dedicated data endpoints require the Premium SKU. "
        "For more information, please visit https://aka.ms/acr/tiers."
    )


def test_allow_rule_set_without_ip_rules_is_no_problem() -> None:
    props = {"networkRuleSet": {"defaultAction": "Allow", "ipRules": None}}
    assert premium_feature_problems("Basic", props) == []


def test_null_network_rule_set_is_no_problem() -> None:
    assert premium_feature_problems("Basic", {"networkRuleSet": None}) == []


def test_ip_rules_and_deny_together_are_one_network_rules_problem() -> None:
    props = {"networkRuleSet": {"defaultAction": "Deny", "ipRules": [{"value": "1.1.1.1"}]}}
    assert len(premium_feature_problems("Basic", props)) == 1


# --- regions and endpoints -------------------------------------------------------------------


def test_regions_of_a_registry_without_replicas_is_its_home() -> None:
    assert regions("chinanorth2", []) == ["chinanorth2"]


def test_regions_put_home_first_then_replicas_in_order() -> None:
    assert regions("chinanorth2", ["chinaeast2", "chinanorth3"]) == [
        "chinanorth2",
        "chinaeast2",
        "chinanorth3",
    ]


def test_regions_list_each_region_once() -> None:
    assert regions("chinanorth2", ["chinanorth2", "chinaeast2", "chinaeast2", "chinanorth3"]) == [
        "chinanorth2",
        "chinaeast2",
        "chinanorth3",
    ]


def test_data_endpoint_host_names_one_per_region_when_enabled() -> None:
    assert data_endpoint_host_names(AZURE_CHINA, "MyReg01", ["chinanorth2", "chinaeast2"], True) == [
        "myreg01.chinanorth2.data.azurecr.cn",
        "myreg01.chinaeast2.data.azurecr.cn",
    ]


def test_data_endpoint_host_names_empty_when_disabled() -> None:
    assert data_endpoint_host_names(AZURE_CHINA, "myreg01", ["chinanorth2", "chinaeast2"], False) == []


def test_data_endpoint_host_names_use_the_cloud_suffix() -> None:
    assert data_endpoint_host_names(AZURE_PUBLIC, "myreg01", ["eastus"], True) == ["myreg01.eastus.data.azurecr.io"]


# --- private link members ----------------------------------------------------------------------


def test_required_members_are_registry_then_one_data_member_per_region() -> None:
    assert required_members(["chinanorth2", "chinaeast2"]) == [
        "registry",
        "registry_data_chinanorth2",
        "registry_data_chinaeast2",
    ]


def test_required_members_of_single_region_registry() -> None:
    assert required_members(["chinanorth3"]) == ["registry", "registry_data_chinanorth3"]


def test_registry_member_answers_to_the_login_server() -> None:
    assert member_fqdn(AZURE_CHINA, "MyReg01", "registry") == "myreg01.azurecr.cn"


def test_data_member_answers_to_its_region_data_endpoint() -> None:
    fqdn = member_fqdn(AZURE_CHINA, "MyReg01", "registry_data_chinaeast2")
    assert fqdn == "myreg01.chinaeast2.data.azurecr.cn"


# --- private endpoint limit --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("created", "limit"),
    [
        ("2019-05-01T10:00:00.0000000Z", 10),
        ("2021-09-30T23:59:59.9999999Z", 10),
        ("2021-09-30", 10),
        ("2021-10-01T00:00:00.0000000Z", 200),
        ("2021-10-01", 200),
        ("2021-10-02T00:00:00.0000000Z", 200),
        ("2025-01-01T00:00:00.0000000Z", 200),
    ],
)
def test_private_endpoint_limit_rises_on_2021_10_01(created: str, limit: int) -> None:
    assert private_endpoint_limit(created) == limit


def test_private_endpoint_limits_match_unconfirmed_constants() -> None:
    assert private_endpoint_limit("2020-01-01") == unconfirmed.LEGACY_PE_LIMIT
    assert private_endpoint_limit("2022-01-01") == unconfirmed.PE_LIMIT


# --- usages ------------------------------------------------------------------------------------

NEW = "2024-03-01T00:00:00.0000000Z"
LEGACY = "2020-03-01T00:00:00.0000000Z"


def _as_tuples(result: list[Usage]) -> list[tuple[str, int, int, str]]:
    return [(u.name, u.limit, u.current, u.unit) for u in result]


def test_basic_usages() -> None:
    assert _as_tuples(usages("Basic", NEW, {}, region_count=1, connection_count=0, size_bytes=123)) == [
        ("Size", 10 * GiB, 123, "Bytes"),
        ("Webhooks", 2, 0, "Count"),
        ("Geo-replications", 0, 0, "Count"),
        ("IPRules", 0, 0, "Count"),
        ("VNetRules", 0, 0, "Count"),
        ("PrivateEndpointConnections", 0, 0, "Count"),
        ("ScopeMaps", 100, 0, "Count"),
        ("Tokens", 100, 0, "Count"),
    ]


def test_standard_usages() -> None:
    found = usages("Standard", NEW, {}, region_count=1, connection_count=0, scope_map_count=2, token_count=3)
    assert _as_tuples(found) == [
        ("Size", 100 * GiB, 0, "Bytes"),
        ("Webhooks", 10, 0, "Count"),
        ("Geo-replications", 0, 0, "Count"),
        ("IPRules", 0, 0, "Count"),
        ("VNetRules", 0, 0, "Count"),
        ("PrivateEndpointConnections", 0, 0, "Count"),
        ("ScopeMaps", 500, 2, "Count"),
        ("Tokens", 500, 3, "Count"),
    ]


def test_premium_usages() -> None:
    rules = [{"value": "1.1.1.1"}, {"value": "2.2.2.2"}]
    props = {"networkRuleSet": {"defaultAction": "Deny", "ipRules": rules}}
    assert _as_tuples(usages("Premium", NEW, props, region_count=3, connection_count=4, size_bytes=7)) == [
        ("Size", 500 * GiB, 7, "Bytes"),
        ("Webhooks", 500, 0, "Count"),
        ("Geo-replications", -1, 3, "Count"),
        ("IPRules", 200, 2, "Count"),
        ("VNetRules", 100, 0, "Count"),
        ("PrivateEndpointConnections", 200, 4, "Count"),
        ("ScopeMaps", 50_000, 0, "Count"),
        ("Tokens", 50_000, 0, "Count"),
    ]


def test_premium_registry_created_before_the_limit_rose_keeps_10_private_endpoints() -> None:
    endpoints = usages("Premium", LEGACY, {}, region_count=1, connection_count=2)[5]
    assert (endpoints.name, endpoints.limit, endpoints.current) == ("PrivateEndpointConnections", 10, 2)


def test_usage_names_come_from_unconfirmed() -> None:
    names = tuple(u.name for u in usages("Premium", NEW, {}, 1, 0))
    assert names == (*unconfirmed.USAGE_NAMES, "ScopeMaps", "Tokens")


def test_null_ip_rules_count_zero() -> None:
    ip_rules = usages("Premium", NEW, {"networkRuleSet": {"ipRules": None}}, 1, 0)[3]
    assert ip_rules.current == 0


def test_usage_to_json_uses_arm_field_names() -> None:
    assert Usage("Size", 10, 3, "Bytes").to_json() == {
        "name": "Size",
        "limit": 10,
        "currentValue": 3,
        "unit": "Bytes",
    }
