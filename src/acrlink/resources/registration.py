"""Resource provider registration state, per subscription, as stored data (S9)."""

from __future__ import annotations

from acrlink.errors import Conflict, ErrorDetail
from acrlink.store.base import Transaction

REGISTERED, NOT_REGISTERED = "Registered", "NotRegistered"
ALWAYS_REGISTERED = "Microsoft.Resources"


def provider_key(subscription: str, namespace: str) -> str:
    """Where a subscription's registration of a namespace is stored (both lower case)."""
    return f"provider:{subscription.lower()}:{namespace.lower()}"


def state(tx: Transaction, subscription: str, namespace: str) -> str:
    """``Registered`` or ``NotRegistered``: ``Microsoft.Resources`` always is, other namespaces once registered."""
    if namespace.lower() == ALWAYS_REGISTERED.lower():
        return REGISTERED
    found = tx.kv_get(provider_key(subscription, namespace))
    return str(found) if found else NOT_REGISTERED


def require_registered(tx: Transaction, subscription: str, namespace: str) -> None:
    """A request that needs a provider the subscription has not registered is refused with the 409
    the SDKs recognise (they register the namespace and retry; the namespace must be the quoted token
    of the message)."""
    if state(tx, subscription, namespace) == REGISTERED:
        return
    message = (
        f"The subscription is not registered to use namespace '{namespace}'. "
        "See https://aka.ms/rps-not-found for how to register subscriptions."
    )
    raise Conflict(
        "MissingSubscriptionRegistration",
        message,
        details=[ErrorDetail("MissingSubscriptionRegistration", message, namespace)],
    )
