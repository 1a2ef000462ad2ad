"""Who a caller is: a service principal (or managed identity) of one tenant.

Every client id is an application; in each tenant it has a service principal whose object id is stable and
derived from the tenant and the client id, so the same id names the same principal across restarts and
processes, and the same application has a different object id in each tenant, as in Entra ID.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

SERVICE_PRINCIPAL = "ServicePrincipal"
CLIENT_SECRET = "acrlink-secret"
"""The client secret the default principal signs in with (az, the portal and the CLI's own clients use it)."""


@dataclass(frozen=True)
class Principal:
    """Who a token is for: the service principal's object id in its tenant, and the application (client) id it belongs
    to."""

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


MANAGED_IDENTITY = "ManagedIdentity"
"""Graph's ``servicePrincipalType`` of a managed identity."""
SYSTEM_ASSIGNED = "SystemAssigned"


@dataclass(frozen=True)
class ManagedIdentity:
    """A VM's system-assigned managed identity: its application (client) id, its service principal's object id
    (what role assignments name, ``principalId``) and the tenant it lives in."""

    client_id: str
    principal_id: str
    tenant_id: str


def managed_identity(tenant_id: str, nic_guid: str) -> ManagedIdentity:
    """The system-assigned identity of the VM whose NIC has ``resourceGuid`` ``nic_guid``, in the tenant of the
    NIC's subscription: the same for the VM's whole life, and new for a VM deleted and created again (its NIC
    gets a new ``resourceGuid``), as Azure gives a recreated VM a new identity."""
    client_id = managed_identity_client_id(nic_guid)
    return ManagedIdentity(client_id, object_id(tenant_id, client_id), tenant_id)


def application_object_id(tenant_id: str, app_id: str) -> str:
    """The object id of the application object (Graph's ``/applications/{id}``) behind ``app_id``, in its home
    tenant: distinct from its service principal's object id, as in Entra ID."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"acrlink-application:{tenant_id}:{app_id}"))
