"""Leases: how processes sharing one store tell work a live process is doing from work a dead one left.

A process holds a lease on each piece of work it runs (a deployment, a build run, a webhook delivery): the
owner's instance id and the time it last renewed it. The owner renews every ``RENEWAL_SECONDS``; a lease not
renewed for ``EXPIRY_FACTOR`` renewals is expired, and its work may be taken over by another process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RENEWAL_SECONDS = 2.0
"""How often a live process renews the leases it holds."""
EXPIRY_FACTOR = 3
"""Renewals a lease may miss before its owner counts as gone."""


def lease(owner: str, now: float) -> dict[str, Any]:
    """The stored form of a lease ``owner`` holds, renewed at ``now`` (seconds since the epoch)."""
    return {"owner": owner, "renewed": now}


def expired(held: Mapping[str, Any] | None, now: float, renewal: float = RENEWAL_SECONDS) -> bool:
    """True when no live owner holds ``held``: absent (work from before leases, or a lease dropped), not
    readable, or not renewed for ``EXPIRY_FACTOR`` renewal intervals."""
    if not isinstance(held, Mapping):
        return True
    renewed = held.get("renewed")
    if not isinstance(renewed, int | float):
        return True
    return now - float(renewed) > EXPIRY_FACTOR * renewal


def owner_id(node: str, instance: str) -> str:
    """An owner: the data directory's stable id (``node``) and this process's fresh one, ``NODE/INSTANCE``."""
    return f"{node}/{instance}"


def earlier_self(held: Mapping[str, Any] | None, me: str) -> bool:
    """The lease names an earlier process of ``me``'s data directory: that process is gone, since one process
    holds a data directory's lock for its whole life (``datadir.py``), so its work needs no expiry to wait for."""
    if not isinstance(held, Mapping) or not isinstance(held.get("owner"), str):
        return False
    node, _, instance = str(held["owner"]).partition("/")
    mine, _, my_instance = me.partition("/")
    return bool(instance) and bool(my_instance) and node == mine and instance != my_instance


def orphaned(held: Mapping[str, Any] | None, me: str, now: float, renewal: float = RENEWAL_SECONDS) -> bool:
    """Work another process left: its lease expired, or an earlier process of this data directory held it,
    and it does not name ``me`` (this process's own work is never its own orphan)."""
    if isinstance(held, Mapping) and held.get("owner") == me:
        return False
    return earlier_self(held, me) or expired(held, now, renewal)


def claimable(held: Mapping[str, Any] | None, me: str, now: float, renewal: float = RENEWAL_SECONDS) -> bool:
    """Work ``me`` may (re)start: unleased, leased by ``me`` already, or leased by an owner that is gone."""
    if isinstance(held, Mapping) and held.get("owner") == me:
        return True
    return earlier_self(held, me) or expired(held, now, renewal)
