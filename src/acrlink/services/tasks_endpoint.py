"""Where the blob face is and the key its SAS are signed with, kept in the store's key/value space so ARM
actions (which hand out SAS URLs) and the face agree. Written once at start-up by ``ensure``; the runs' ARM
actions read it (``resources/runs.py``); the entries' names are ``domain/sas.py``'s."""

from __future__ import annotations

import secrets
from typing import Any

from acrlink.domain.sas import ENDPOINT_KEY, LEGACY_SAS_KEY, SAS_KEY
from acrlink.store.base import Store


def ensure(store: Store, url: str) -> bytes:
    """Record the blob face URL the SAS URLs name (this process's own, or the cluster's front door when the
    process was given one); the SAS key (created once, by whichever process of the store
    inserts it first). Returns the key."""
    with store.transaction() as tx:
        key: Any = tx.kv_get(SAS_KEY)
        if not key:
            key = tx.kv_insert(SAS_KEY, tx.kv_get(LEGACY_SAS_KEY) or secrets.token_hex(32))
        tx.kv_put(ENDPOINT_KEY, url)
    return bytes.fromhex(str(key))
