"""Where the blob face is and the key its SAS are signed with, kept in the store's key/value space so ARM
actions (which hand out SAS URLs) and the face agree. Written once at start-up by ``ensure``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from acrlink.store.base import Store, Transaction

ENDPOINT_KEY = "tasks:blob-endpoint"
SAS_KEY = "keys/tasks-sas"
"""Shared by every process of the store, with the other keys (``services/key_material.py``)."""
LEGACY_SAS_KEY = "tasks:sas-key"
"""Where a store from before kept the SAS key (kept: SAS URLs handed out then stay valid)."""
ACCOUNT = "acrtasksacrlink"
"""The storage account name in every SAS URL acrlink hands out."""


@dataclass(frozen=True)
class BlobEndpoint:
    url: str
    """``https://127.0.0.1:PORT`` (no trailing slash); empty when no blob face is serving."""
    key: bytes


def ensure(store: Store, url: str) -> bytes:
    """Record this process's blob face URL; the SAS key (created once, by whichever process of the store
    inserts it first). Returns the key."""
    with store.transaction() as tx:
        key: Any = tx.kv_get(SAS_KEY)
        if not key:
            key = tx.kv_insert(SAS_KEY, tx.kv_get(LEGACY_SAS_KEY) or secrets.token_hex(32))
        tx.kv_put(ENDPOINT_KEY, url)
    return bytes.fromhex(str(key))


def endpoint(tx: Transaction) -> BlobEndpoint:
    key = tx.kv_get(SAS_KEY)
    return BlobEndpoint(str(tx.kv_get(ENDPOINT_KEY) or ""), bytes.fromhex(str(key)) if key else b"")
