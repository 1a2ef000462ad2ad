"""Cloud profiles: suffixes, host names, region names and lookup by name."""

from __future__ import annotations

import pytest

from acrlink.domain.cloud import AZURE_CHINA, AZURE_PUBLIC, CLOUDS, find_cloud


@pytest.mark.parametrize(
    "given", ["chinanorth2", "China North 2", "china north 2", "CHINANORTH2", "ChinaNorth2", "China North2"]
)
def test_region_display_name_or_any_casing_normalises_to_the_region(given: str) -> None:
    assert AZURE_CHINA.normalize_region(given) == "chinanorth2"


@pytest.mark.parametrize("region", list(AZURE_CHINA.regions))
def test_every_china_display_name_normalises_to_its_region(region: str) -> None:
    assert AZURE_CHINA.normalize_region(AZURE_CHINA.regions[region]) == region


@pytest.mark.parametrize("given", ["chinanorth4", "eastus", "", "china-north-2", "North China 2"])
def test_unknown_region_normalises_to_none(given: str) -> None:
    assert AZURE_CHINA.normalize_region(given) is None


def test_public_cloud_does_not_know_china_regions() -> None:
    assert AZURE_PUBLIC.normalize_region("China North 2") is None
    assert AZURE_PUBLIC.normalize_region("West US 3") == "westus3"


def test_login_server_is_lower_case_with_the_cloud_suffix() -> None:
    assert AZURE_CHINA.login_server("MyReg01") == "myreg01.azurecr.cn"
    assert AZURE_PUBLIC.login_server("MyReg01") == "myreg01.azurecr.io"


def test_data_endpoint_is_lower_case_name_and_region() -> None:
    assert AZURE_CHINA.data_endpoint("MyReg01", "ChinaNorth2") == "myreg01.chinanorth2.data.azurecr.cn"


def test_private_link_zone_follows_the_suffix() -> None:
    assert AZURE_CHINA.private_link_zone == "privatelink.azurecr.cn"
    assert AZURE_PUBLIC.private_link_zone == "privatelink.azurecr.io"


def test_china_cloud_audiences() -> None:
    assert AZURE_CHINA.arm_audience == "https://management.core.chinacloudapi.cn/"
    assert AZURE_CHINA.acr_audience == "https://containerregistry.azure.net"


@pytest.mark.parametrize("name", ["AzureChinaCloud", "azurechinacloud", "AZURECHINACLOUD"])
def test_find_cloud_ignores_case(name: str) -> None:
    assert find_cloud(name) is AZURE_CHINA


def test_find_cloud_finds_the_public_cloud() -> None:
    assert find_cloud("AzureCloud") is AZURE_PUBLIC


@pytest.mark.parametrize("name", ["AzureUSGovernment", "", "Azure China Cloud"])
def test_find_cloud_of_unknown_name_raises_listing_known_clouds(name: str) -> None:
    with pytest.raises(ValueError) as caught:
        find_cloud(name)
    assert str(caught.value) == f"unknown cloud {name!r}; choose one of AzureChinaCloud, AzureCloud"


def test_clouds_are_keyed_by_lower_case_name() -> None:
    assert set(CLOUDS) == {"azurechinacloud", "azurecloud"}
