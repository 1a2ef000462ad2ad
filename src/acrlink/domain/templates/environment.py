"""``environment()``: the active cloud's endpoints and suffixes, as ARM's metadata names them.

Built from the cloud profile, so a template deployed to acrlink's AzureChinaCloud gets ``.azurecr.cn``
from ``environment().suffixes.acrLoginServer`` exactly as it would in Azure China. Values the profile does
not hold come from one table per cloud (``_EXTRA``); those marked in ``shared/reference`` as unconfirmed
for China are the public values' Chinese counterparts as az's cloud table has them.
"""

from __future__ import annotations

from typing import Any

from acrlink.domain.cloud import CloudProfile

_EXTRA: dict[str, dict[str, Any]] = {
    "AzureChinaCloud": {
        "gallery": "https://gallery.chinacloudapi.cn/",
        "graph": "https://graph.chinacloudapi.cn/",
        "batch": "https://batch.chinacloudapi.cn/",
        "media": "https://rest.media.chinacloudapi.cn",
        "sqlManagement": "https://management.core.chinacloudapi.cn:8443/",
        "login": "https://login.chinacloudapi.cn/",
        "keyvaultDns": ".vault.azure.cn",
        "sqlServerHostname": ".database.chinacloudapi.cn",
        "storage": "core.chinacloudapi.cn",
    },
    "AzureCloud": {
        "gallery": "https://gallery.azure.com/",
        "graph": "https://graph.windows.net/",
        "batch": "https://batch.core.windows.net/",
        "media": "https://rest.media.azure.net",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "login": "https://login.microsoftonline.com/",
        "keyvaultDns": ".vault.azure.net",
        "sqlServerHostname": ".database.windows.net",
        "storage": "core.windows.net",
    },
}


def environment_doc(cloud: CloudProfile) -> dict[str, Any]:
    """The ``environment()`` object for ``cloud``."""
    extra = _EXTRA.get(cloud.name, _EXTRA["AzureCloud"])
    resource_manager = cloud.resource_manager if cloud.resource_manager.endswith("/") else f"{cloud.resource_manager}/"
    return {
        "name": cloud.name,
        "gallery": extra["gallery"],
        "graph": extra["graph"],
        "portal": cloud.portal,
        "graphAudience": extra["graph"],
        "batch": extra["batch"],
        "media": extra["media"],
        "sqlManagement": extra["sqlManagement"],
        "resourceManager": resource_manager,
        "authentication": {
            "loginEndpoint": extra["login"],
            "audiences": [cloud.arm_audience, resource_manager],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "suffixes": {
            "acrLoginServer": f".{cloud.acr_suffix}",
            "keyvaultDns": extra["keyvaultDns"],
            "sqlServerHostname": extra["sqlServerHostname"],
            "storage": extra["storage"],
        },
    }
