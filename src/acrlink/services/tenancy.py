"""The tenant, its subscriptions and resource provider registration (per subscription)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from acrlink.domain import builtin_roles, principals
from acrlink.domain.cloud import CloudProfile
from acrlink.errors import Conflict, NotFound
from acrlink.ids import new_guid
from acrlink.resources import api_versions, registration
from acrlink.resources.catalog import PROVIDER_NAMESPACES, Catalog
from acrlink.resources.registration import ALWAYS_REGISTERED, NOT_REGISTERED, REGISTERED
from acrlink.services import role_assignments
from acrlink.store.base import Store, Transaction

# What one data dir's world starts with: a home tenant with a default subscription where every provider is
# registered and a second one where none is (so the cross-subscription step S9 is real), and a second tenant
# with one subscription of its own, providers unregistered (the cross-tenant case of S9).
SUBSCRIPTION_NAMES = ("acrlink-default", "acrlink-second")
SECOND_TENANT_SUBSCRIPTION_NAME = "acrlink-other-tenant"
TENANT_NAMES = (("acrlink", "acrlink.onmicrosoft.com"), ("acrlink-second-tenant", "acrlink2.onmicrosoft.com"))


@dataclass(frozen=True)
class TenantWorld:
    tenant_id: str
    subscriptions: tuple[str, ...]
    display_name: str
    default_domain: str


@dataclass(frozen=True)
class World:
    tenants: tuple[TenantWorld, ...]
    """The home tenant first."""
    default_client_id: str
    """The application acrlink's own environment logs in as: Owner of every subscription."""
    subscription_names: dict[str, str]

    @property
    def tenant_id(self) -> str:
        """The home tenant."""
        return self.tenants[0].tenant_id

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """The home tenant's subscription ids, default first."""
        return self.tenants[0].subscriptions

    @property
    def default_subscription(self) -> str:
        return self.subscriptions[0]

    @property
    def all_subscriptions(self) -> tuple[str, ...]:
        return tuple(s for t in self.tenants for s in t.subscriptions)

    def tenant_of(self, subscription: str) -> TenantWorld:
        for tenant in self.tenants:
            if subscription in tenant.subscriptions:
                return tenant
        raise KeyError(subscription)

    def tenant(self, tenant_id: str) -> TenantWorld | None:
        for tenant in self.tenants:
            if tenant.tenant_id.lower() == tenant_id.lower():
                return tenant
        return None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Tenancy:
    def __init__(self, store: Store, catalog: Catalog, cloud: CloudProfile) -> None:
        self._store = store
        self._catalog = catalog
        self._cloud = cloud
        self.world = self._bootstrap()

    def _bootstrap(self) -> World:
        """Create the tenants, their subscriptions and the default principal's Owner assignments on first
        start (a data dir from before the second tenant gains it); read them afterwards."""
        with self._store.transaction() as tx:
            world = tx.kv_get("world")
            created = False
            if world is None:
                # Inserted if still absent: of several processes starting on one new store, the first to
                # commit makes the world and every other one reads it.
                fresh = {
                    "tenantId": new_guid(),
                    "subscriptions": [new_guid() for _ in SUBSCRIPTION_NAMES],
                    "secondTenant": {"tenantId": new_guid(), "subscriptions": [new_guid()]},
                }
                world = tx.kv_insert("world", fresh)
                created = world == fresh
                if created:
                    for namespace in PROVIDER_NAMESPACES:
                        tx.kv_put(registration.provider_key(world["subscriptions"][0], namespace), REGISTERED)
            if created or "secondTenant" not in world:
                world.setdefault("secondTenant", {"tenantId": new_guid(), "subscriptions": [new_guid()]})
                tx.kv_put("world", world)
                home = world["tenantId"]
                client = principals.default_client_id(home)
                for tenant in (world, world["secondTenant"]):
                    owner = principals.object_id(tenant["tenantId"], client)
                    for subscription in tenant["subscriptions"]:
                        self._grant_owner(tx, subscription, owner)
        tenants = (world, world["secondTenant"])
        names = dict(zip(world["subscriptions"], SUBSCRIPTION_NAMES, strict=True))
        names[world["secondTenant"]["subscriptions"][0]] = SECOND_TENANT_SUBSCRIPTION_NAME
        return World(
            tuple(
                TenantWorld(t["tenantId"], tuple(t["subscriptions"]), display, domain)
                for t, (display, domain) in zip(tenants, TENANT_NAMES, strict=True)
            ),
            principals.default_client_id(world["tenantId"]),
            names,
        )

    def _grant_owner(self, tx: Transaction, subscription: str, principal_id: str) -> None:
        scope = f"/subscriptions/{subscription}"
        owner = builtin_roles.by_name("Owner")
        assert owner is not None
        name = role_assignments.bootstrap_name(scope, principal_id, owner.guid)
        role = role_assignments.role_definition_id(subscription, owner.guid)
        role_assignments.save(
            tx,
            role_assignments.document(
                scope, name, role, principal_id, principals.SERVICE_PRINCIPAL, principal_id, _now()
            ),
        )

    # Subscriptions -----------------------------------------------------------------------------------

    def subscription_doc(self, subscription: str) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{subscription}",
            "subscriptionId": subscription,
            "tenantId": self.world.tenant_of(subscription).tenant_id,
            "displayName": self.world.subscription_names[subscription],
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "tags": {},
        }

    def canonical_subscription(self, subscription: str) -> str:
        """The stored id of a subscription given in any casing, or 404 ``SubscriptionNotFound``."""
        for known in self.world.all_subscriptions:
            if known.lower() == subscription.lower():
                return known
        raise NotFound("SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")

    def locations(self, subscription: str) -> list[dict[str, Any]]:
        """The cloud's regions, as ``az account list-locations`` shows them."""
        return [
            {
                "id": f"/subscriptions/{subscription}/locations/{name}",
                "name": name,
                "displayName": display,
                "regionalDisplayName": f"(Asia Pacific) {display}" if name.startswith("china") else display,
                "type": "Region",
                "metadata": {"regionType": "Physical", "regionCategory": "Recommended"},
            }
            for name, display in self._cloud.regions.items()
        ]

    def tenant_doc(self, tenant_id: str | None = None) -> dict[str, Any]:
        """A tenant as ``GET /tenants`` lists it (the home tenant when none is named)."""
        tenant = self.world.tenant(tenant_id) if tenant_id else self.world.tenants[0]
        if tenant is None:
            raise NotFound("TenantNotFound", f"The tenant '{tenant_id}' could not be found.")
        return {
            "id": f"/tenants/{tenant.tenant_id}",
            "tenantId": tenant.tenant_id,
            "tenantCategory": "Home",
            "displayName": tenant.display_name,
            "defaultDomain": tenant.default_domain,
            "domains": [tenant.default_domain],
        }

    # Providers ---------------------------------------------------------------------------------------

    def provider_doc(self, tx: Transaction, subscription: str, namespace: str) -> dict[str, Any]:
        canonical = self._namespace(namespace)
        state = registration.state(tx, subscription, canonical)
        locations = list(self._cloud.regions.values())
        types = [
            {
                "resourceType": "/".join(t.type.split("/")[1:]),
                "locations": [] if t.location != "regional" else locations,
                "apiVersions": list(reversed(api_versions.supported(t.type))),
            }
            for t in self._catalog.in_namespace(canonical)
        ]
        return {
            "id": f"/subscriptions/{subscription}/providers/{canonical}",
            "namespace": canonical,
            "registrationState": state,
            "registrationPolicy": "RegistrationRequired",
            "resourceTypes": types,
        }

    def providers(self, tx: Transaction, subscription: str) -> list[dict[str, Any]]:
        return [self.provider_doc(tx, subscription, ns) for ns in PROVIDER_NAMESPACES]

    def set_registration(self, tx: Transaction, subscription: str, namespace: str, register: bool) -> None:
        canonical = self._namespace(namespace)
        if canonical == ALWAYS_REGISTERED and not register:
            raise Conflict("CannotUnregisterProvider", f"The resource provider '{canonical}' cannot be unregistered.")
        if not register:
            has_resources = any(
                t.namespace == canonical and tx.query(type=t.type, subscription=subscription)
                for t in self._catalog.types
            )
            if has_resources:
                raise Conflict(
                    "ResourcesExist",
                    f"Cannot unregister the resource provider '{canonical}' because the subscription "
                    "still has resources of it.",
                )
        tx.kv_put(registration.provider_key(subscription, canonical), REGISTERED if register else NOT_REGISTERED)

    def require_registered(self, tx: Transaction, subscription: str, namespace: str) -> None:
        registration.require_registered(tx, subscription, self._namespace(namespace))

    def _namespace(self, namespace: str) -> str:
        canonical = self._catalog.namespace(namespace)
        if canonical is None:
            raise NotFound("InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid.")
        return canonical
