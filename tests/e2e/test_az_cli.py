"""The real Azure CLI through ``acrlink az``: the control-plane commands of the seed scenario."""

from __future__ import annotations

import os

import pytest

from .conftest import Running

pytestmark = [pytest.mark.slow, pytest.mark.az]


@pytest.fixture(scope="module")
def cli(acrlink: Running, az_path: str) -> Running:
    os.environ["ACRLINK_AZ"] = az_path
    return acrlink


def test_env_prints_exports_for_az_and_the_sdk(cli: Running) -> None:
    out = cli.cli("env").stdout
    for name in (
        "AZURE_CONFIG_DIR",
        "ARM_CLOUD_METADATA_URL",
        "AZURE_CORE_INSTANCE_DISCOVERY",
        "AZURE_CORE_COLLECT_TELEMETRY",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_AUTHORITY_HOST",
        "AZURE_SUBSCRIPTION_ID",
    ):
        assert f"export {name}=" in out
    assert str(cli.data_dir / "azure") in out, "a private az config dir, never ~/.azure"


def test_seed_control_plane_walkthrough(cli: Running) -> None:
    group = cli.az_json("group", "create", "--name", "rg-az", "--location", "chinanorth2")
    assert group["properties"]["provisioningState"] == "Succeeded"

    registry = cli.az_json("acr", "create", "--name", "azseedreg", "--resource-group", "rg-az", "--sku", "Premium")
    assert registry["loginServer"] == "azseedreg.azurecr.cn"
    assert registry["sku"] == {"name": "Premium", "tier": "Premium"}

    registry_id = cli.az("acr", "show", "--name", "azseedreg", "--query", "id", "-o", "tsv").stdout.strip()
    assert registry_id == (
        f"/subscriptions/{cli.subscription}/resourceGroups/rg-az/providers/"
        "Microsoft.ContainerRegistry/registries/azseedreg"
    )

    closed = cli.az_json("acr", "update", "--name", "azseedreg", "--public-network-enabled", "false")
    assert closed["publicNetworkAccess"] == "Disabled"
    assert closed["networkRuleSet"]["defaultAction"] == "Deny"
    trusted = cli.az_json("acr", "update", "--name", "azseedreg", "--allow-trusted-services", "false")
    assert trusted["networkRuleBypassOptions"] == "None"
    trusted = cli.az_json("acr", "update", "--name", "azseedreg", "--allow-trusted-services", "true")
    assert trusted["networkRuleBypassOptions"] == "AzureServices"

    replica = cli.az_json("acr", "replication", "create", "--registry", "azseedreg", "--location", "chinaeast2")
    assert (replica["name"], replica["location"], replica["provisioningState"]) == (
        "chinaeast2",
        "chinaeast2",
        "Succeeded",
    )

    usage = {u["name"]: u for u in cli.az_json("acr", "show-usage", "--name", "azseedreg")["value"]}
    assert usage["PrivateEndpointConnections"]["limit"] == 200
    assert usage["PrivateEndpointConnections"]["currentValue"] == 0
    assert usage["Geo-replications"]["currentValue"] == 2

    assert cli.az_json("acr", "private-endpoint-connection", "list", "--registry-name", "azseedreg") == []

    cli.az("group", "delete", "--name", "rg-az", "--yes")
    assert cli.az("group", "exists", "--name", "rg-az").stdout.strip() == "false"
    assert "azseedreg" not in [r["name"] for r in cli.az_json("acr", "list")]


def test_non_premium_registry_cannot_close_public_access(cli: Running) -> None:
    """az refuses this one client-side (the SDK tests cover the server's own refusal); either way
    the registry stays open."""
    cli.az("group", "create", "--name", "rg-az-basic", "--location", "chinanorth2", "-o", "none")
    cli.az(
        "acr",
        "create",
        "--name",
        "azbasicreg",
        "--resource-group",
        "rg-az-basic",
        "--sku",
        "Basic",
        "-o",
        "none",
    )
    refused = cli.az("acr", "update", "--name", "azbasicreg", "--public-network-enabled", "false", check=False)
    assert refused.returncode != 0
    assert "only supported for managed registries in Premium SKU" in refused.stderr
    assert cli.az_json("acr", "show", "--name", "azbasicreg")["publicNetworkAccess"] == "Enabled"


def test_second_subscription_needs_the_provider_registered(fresh_acrlink: Running, az_path: str) -> None:
    """S9: in the second subscription the RP is not registered until ``az provider register``."""
    os.environ["ACRLINK_AZ"] = az_path
    cli = fresh_acrlink
    default = cli.subscription
    cli.az("account", "set", "--subscription", cli.second_subscription)
    try:
        cli.az("group", "create", "--name", "rg-az-second", "--location", "chinaeast2", "-o", "none")
        refused = cli.az(
            "acr",
            "create",
            "--name",
            "azsecondreg",
            "--resource-group",
            "rg-az-second",
            "--sku",
            "Premium",
            check=False,
        )
        assert refused.returncode != 0 and "MissingSubscriptionRegistration" in refused.stderr
        cli.az("provider", "register", "--namespace", "Microsoft.ContainerRegistry")
        state = cli.az(
            "provider",
            "show",
            "--namespace",
            "Microsoft.ContainerRegistry",
            "--query",
            "registrationState",
            "-o",
            "tsv",
        ).stdout.strip()
        assert state == "Registered"
        created = cli.az_json(
            "acr", "create", "--name", "azsecondreg", "--resource-group", "rg-az-second", "--sku", "Premium"
        )
        assert created["id"].startswith(f"/subscriptions/{cli.second_subscription}/")
    finally:
        cli.az("account", "set", "--subscription", default)


def test_az_exit_code_and_errors_pass_through(cli: Running) -> None:
    missing = cli.az("acr", "show", "--name", "nosuchregistry99", check=False)
    assert missing.returncode != 0
    assert "nosuchregistry99" in missing.stderr
