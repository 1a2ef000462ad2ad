"""Webhook events: the one place a content change becomes deliveries, and where deliveries are kept.

``emit`` runs inside the transaction that commits the change (``services/content.py`` for the registry face
and ``services/imports.py`` for ``importImage``): it finds the registry's enabled webhooks whose actions and
scope match and queues one delivery each in the store's kv, so a push costs one indexed query and, per
matching webhook, one kv write; nothing is sent from the request. ``services/webhook_delivery.py`` sends the
queue; what happened to each delivery is kept per webhook for ``listEvents``. It sits with the webhook
resource type (``resources/webhook.py`` keeps a webhook's configuration here) below the services that queue
and send, so neither layer imports the other's upper one.

kv keys: ``webhookConfig/{webhook key}`` (service URI and custom headers, which GET never shows),
``webhookPending/{order}`` (queued deliveries), ``webhookEvent/{webhook key}/{number}`` (delivered or failed,
numbered by ``webhookEventSeq/{webhook key}``).
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from acrlink.clock import iso
from acrlink.clock import now as clock_now
from acrlink.domain.webhooks import Event, payload, ping_payload, scope_matches
from acrlink.store.base import Transaction

WEBHOOK_TYPE = "Microsoft.ContainerRegistry/registries/webhooks"
CONFIG = "webhookConfig/"
PENDING = "webhookPending/"
EVENTS = "webhookEvent/"
SEQUENCE = "webhookEventSeq/"
KEPT_EVENTS = 200
"""Events kept per webhook (older ones are dropped as new ones are recorded)."""

WAKE = threading.Event()
"""Set when a delivery is queued. The delivery worker takes the store's lock to read the queue, so it sees
the queue only once the queuing transaction has committed."""


def _order() -> str:
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def config(tx: Transaction, webhook_key: str) -> dict[str, Any]:
    """``{"serviceUri", "customHeaders"}`` of a webhook."""
    found = tx.kv_get(CONFIG + webhook_key.lower())
    return dict(found) if found else {"serviceUri": "", "customHeaders": {}}


def save_config(tx: Transaction, webhook_key: str, service_uri: str, headers: dict[str, str]) -> None:
    tx.kv_put(CONFIG + webhook_key.lower(), {"serviceUri": service_uri, "customHeaders": headers})


def forget(tx: Transaction, webhook_key: str) -> None:
    """A deleted webhook's configuration, queue entries and events go with it."""
    key = webhook_key.lower()
    tx.kv_delete(CONFIG + key)
    tx.kv_delete(SEQUENCE + key)
    for found, _ in list(tx.kv_items(f"{EVENTS}{key}/")):
        tx.kv_delete(found)
    for found, item in list(tx.kv_items(PENDING)):
        if item.get("webhook") == key:
            tx.kv_delete(found)


def _registry_webhooks(tx: Transaction, registry: str) -> list[tuple[str, dict[str, Any]]]:
    """(key, stored doc) of every webhook of the registry whose content key is ``registry``."""
    suffix = f"/registries/{registry.lower()}"
    return [(r.key, r.body) for r in tx.query(type=WEBHOOK_TYPE) if r.parent.endswith(suffix)]


def emit(tx: Transaction, registry: str, event: Event) -> int:
    """Queue the event for every enabled webhook of ``registry`` that subscribes to it; how many were queued."""
    queued = 0
    for key, doc in _registry_webhooks(tx, registry):
        props = doc.get("properties") or {}
        if props.get("status") != "enabled" or event.action not in (props.get("actions") or []):
            continue
        if not scope_matches(props.get("scope") or "", event.target.repository, event.tags):
            continue
        event_id = str(uuid.uuid4())
        body = payload(event_id, iso(clock_now()), event, str(uuid.uuid4()))
        enqueue(tx, key, event_id, body)
        queued += 1
    return queued


def ping(tx: Transaction, webhook_key: str) -> str:
    """Queue a ping to the webhook, whatever its status and actions; the event's id."""
    event_id = str(uuid.uuid4())
    enqueue(tx, webhook_key, event_id, ping_payload(event_id, iso(clock_now())))
    return event_id


def enqueue(tx: Transaction, webhook_key: str, event_id: str, body: dict[str, Any]) -> None:
    item = {"webhook": webhook_key.lower(), "id": event_id, "payload": body, "attempts": 0, "notBefore": 0.0}
    tx.kv_put(PENDING + _order(), item)
    WAKE.set()


def record(tx: Transaction, webhook_key: str, entry: dict[str, Any]) -> None:
    """Keep a finished delivery (the listEvents entry) under the webhook's next sequence number, dropping the
    one ``KEPT_EVENTS`` before it: constant work per delivery, whatever the history."""
    key = webhook_key.lower()
    counter = f"{SEQUENCE}{key}"
    number = int(tx.kv_get(counter) or 0) + 1
    tx.kv_put(counter, number)
    tx.kv_put(f"{EVENTS}{key}/{number:012d}", entry)
    if number > KEPT_EVENTS:
        tx.kv_delete(f"{EVENTS}{key}/{number - KEPT_EVENTS:012d}")


def events(tx: Transaction, webhook_key: str) -> list[dict[str, Any]]:
    """A webhook's finished deliveries, newest first."""
    found = [v for _, v in tx.kv_items(f"{EVENTS}{webhook_key.lower()}/")]
    return list(reversed(found))
