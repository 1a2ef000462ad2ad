"""Who a caller is: a service principal (or managed identity) of one tenant.

Every client id is an application; in each tenant it has a service principal whose object id is stable and
derived from the tenant and the client id, so the same id names the same principal across restarts and
processes, and the same application has a different object id in each tenant, as in Entra ID.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

SERVICE_PRINCIPAL = "ServicePrincipal"


@dataclass(frozen=True)
class Principal:
    object_id: str
    app_id: str
    tenant_id: str = ""
    principal_type: str = SERVICE_PRINCIPAL


def object_id(tenant_id: str, app_id: str) -> str:
    """The object id of ``app_id``'s service principal in ``tenant_id``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"acrlink:{tenant_id}:{app_id}"))


def default_client_id(tenant_id: str) -> str:
    """The client id acrlink's own environment (``acrlink env``, ``acrlink az``, the portal) logs in as; its
    service principal is Owner of every subscription from the start."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"acrlink-client:{tenant_id}"))


def managed_identity_client_id(host_key: str) -> str:
    """The client id of a host's system-assigned managed identity (``host_key``: the VM's NIC id, lower case)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"acrlink-managed-identity:{host_key.lower()}"))
