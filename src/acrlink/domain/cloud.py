"""Cloud profiles: the names and suffixes that differ between Azure clouds, as data.

The rest of acrlink never spells ``azurecr.cn`` or a region name; it asks the profile.
"""

from __future__ import annotations

from dataclasses import dataclass

CLI_CLOUD_NAME = "acrlink"
"""The cloud name az sees. Not ``AzureCloud``: az rewrites that cloud's login endpoint to the internet."""


@dataclass(frozen=True)
class CloudProfile:
    """The names one Azure cloud gives its services (suffixes, regions, audiences, endpoints); everything that differs
    between clouds is read from here."""

    name: str
    acr_suffix: str
    """Login server suffix without the leading dot: ``azurecr.cn``."""
    regions: dict[str, str]
    """Region name -> display name, in the order Azure lists them."""
    arm_audience: str
    """What ``az`` asks tokens for (``activeDirectoryResourceId``)."""
    resource_manager: str
    """ARM's address, which the SDKs also ask tokens for (``<resource_manager>/.default``)."""
    portal: str
    traffic_manager_suffix: str = "trafficmanager.net"
    cloudapp_suffix: str = "cloudapp.azure.com"
    azcr_suffix: str = "azcr.io"
    """The public DNS chain behind a login server: ``*.azcr.io`` -> traffic manager -> cloudapp."""
    acr_audience: str = "https://containerregistry.azure.net"

    @property
    def arm_audiences(self) -> tuple[str, ...]:
        """The token audiences ARM accepts, in the order its error lists them: the AD resource id and
        ARM's address, each with and without the trailing slash (an exact match, nothing else)."""
        found: list[str] = []
        for resource in (self.arm_audience, self.resource_manager):
            found += [resource, resource.rstrip("/")] if resource.endswith("/") else [f"{resource}/", resource]
        return tuple(found)

    @property
    def private_link_zone(self) -> str:
        """The private DNS zone of group ``registry``: ``privatelink.azurecr.cn``."""
        return f"privatelink.{self.acr_suffix}"

    def login_server(self, registry_name: str) -> str:
        """``NAME.azurecr.cn``: always lower case, whatever the registry's casing."""
        return f"{registry_name.lower()}.{self.acr_suffix}"

    def data_endpoint(self, registry_name: str, region: str) -> str:
        """``NAME.REGION.data.azurecr.cn``: one per region the registry lives in."""
        return f"{registry_name.lower()}.{region.lower()}.data.{self.acr_suffix}"

    def normalize_region(self, location: str) -> str | None:
        """Accept ``chinanorth2`` or ``China North 2`` (any case); ``None`` when the cloud has no such region."""
        wanted = location.replace(" ", "").lower()
        for region in self.regions:
            if region == wanted:
                return region
        return None


AZURE_CHINA = CloudProfile(
    name="AzureChinaCloud",
    acr_suffix="azurecr.cn",
    regions={
        "chinanorth": "China North",
        "chinanorth2": "China North 2",
        "chinanorth3": "China North 3",
        "chinaeast": "China East",
        "chinaeast2": "China East 2",
        "chinaeast3": "China East 3",
    },
    arm_audience="https://management.core.chinacloudapi.cn/",
    resource_manager="https://management.chinacloudapi.cn/",
    portal="https://portal.azure.cn",
    traffic_manager_suffix="trafficmanager.cn",
    cloudapp_suffix="cloudapp.chinacloudapi.cn",
)

AZURE_PUBLIC = CloudProfile(
    name="AzureCloud",
    acr_suffix="azurecr.io",
    regions={
        "eastus": "East US",
        "eastus2": "East US 2",
        "westus": "West US",
        "westus2": "West US 2",
        "westus3": "West US 3",
        "centralus": "Central US",
        "northeurope": "North Europe",
        "westeurope": "West Europe",
        "uksouth": "UK South",
        "southeastasia": "Southeast Asia",
        "eastasia": "East Asia",
        "japaneast": "Japan East",
        "australiaeast": "Australia East",
    },
    arm_audience="https://management.core.windows.net/",
    resource_manager="https://management.azure.com/",
    portal="https://portal.azure.com",
)

CLOUDS: dict[str, CloudProfile] = {c.name.lower(): c for c in (AZURE_CHINA, AZURE_PUBLIC)}


def find_cloud(name: str) -> CloudProfile:
    """The profile of a cloud by its az name in any casing (``AzureChinaCloud``); an unknown name is a ValueError
    listing the known ones."""
    try:
        return CLOUDS[name.lower()]
    except KeyError:
        known = ", ".join(c.name for c in CLOUDS.values())
        raise ValueError(f"unknown cloud {name!r}; choose one of {known}") from None
