"""Which tenant a subscription belongs to, read from the stored world (``services.tenancy`` writes it), for
rules that have a transaction and no ``Tenancy``."""

from __future__ import annotations

from acrlink.store.base import Transaction

WORLD_KEY = "world"


def tenant_of_subscription(tx: Transaction, subscription: str) -> str | None:
    """The tenant id of ``subscription``; None for a subscription acrlink does not host."""
    world = tx.kv_get(WORLD_KEY)
    if world is None:
        return None
    for tenant in (world, world.get("secondTenant") or {"subscriptions": []}):
        if any(s.lower() == subscription.lower() for s in tenant["subscriptions"]):
            return str(tenant["tenantId"])
    return None
