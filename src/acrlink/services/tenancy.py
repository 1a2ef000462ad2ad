"""The tenant, its subscriptions and resource provider registration (per subscription)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acrlink.domain.cloud import CloudProfile
from acrlink.errors import Conflict, NotFound
from acrlink.ids import new_guid
from acrlink.resources import api_versions, registration
from acrlink.resources.catalog import PROVIDER_NAMESPACES, Catalog
from acrlink.resources.registration import ALWAYS_REGISTERED, NOT_REGISTERED, REGISTERED
from acrlink.store.base import Store, Transaction

# What one data dir's world starts with: a default subscription where every provider is registered
# and a second one where none is (so the cross-subscription step S9 is real).
SUBSCRIPTION_NAMES = ("acrlink-default", "acrlink-second")


@dataclass(frozen=True)
class World:
    tenant_id: str
    subscriptions: tuple[str, ...]
    """Subscription ids, default first."""

    @property
    def default_subscription(self) -> str:
        return self.subscriptions[0]


class Tenancy:
    def __init__(self, store: Store, catalog: Catalog, cloud: CloudProfile) -> None:
        self._store = store
        self._catalog = catalog
        self._cloud = cloud
        self.world = self._bootstrap()

    def _bootstrap(self) -> World:
        """Create the tenant and the two subscriptions on first start; read them afterwards."""
        with self._store.transaction() as tx:
            world = tx.kv_get("world")
            if world is None:
                world = {"tenantId": new_guid(), "subscriptions": [new_guid() for _ in SUBSCRIPTION_NAMES]}
                tx.kv_put("world", world)
                for namespace in PROVIDER_NAMESPACES:
                    tx.kv_put(registration.provider_key(world["subscriptions"][0], namespace), REGISTERED)
        return World(world["tenantId"], tuple(world["subscriptions"]))

    # Subscriptions -----------------------------------------------------------------------------------

    def subscription_doc(self, subscription: str) -> dict[str, Any]:
        index = self.world.subscriptions.index(subscription)
        return {
            "id": f"/subscriptions/{subscription}",
            "subscriptionId": subscription,
            "tenantId": self.world.tenant_id,
            "displayName": SUBSCRIPTION_NAMES[index],
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
        for known in self.world.subscriptions:
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

    def tenant_doc(self) -> dict[str, Any]:
        tenant = self.world.tenant_id
        return {
            "id": f"/tenants/{tenant}",
            "tenantId": tenant,
            "tenantCategory": "Home",
            "displayName": "acrlink",
            "defaultDomain": "acrlink.onmicrosoft.com",
            "domains": [],
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
