"""Properties a resource type does not act on are kept, as Azure keeps every valid property it is sent.

A type's ``create``/``update`` builds the stored document from what it models; the rules here then add the
other top-level ``properties`` of the request, never over a property the type itself produced (read-only and
computed properties stay ARM's), and remember which ones they added so that a PATCH can change them and a PUT
replaces them.
"""

from __future__ import annotations

from typing import Any

from acrlink.resources.base import Doc

EXTRAS_KEY = "_extraProperties"
"""Where the stored document lists the names of the kept properties; never rendered."""

READ_ONLY = frozenset(
    {
        "provisioningState", "resourceGuid", "etag", "id", "name", "type", "systemData",
        # read-only properties acrlink renders with a default when the stored document lacks them
        "primary", "vnetEncryptionSupported", "regionalEndpointHostNames",
    }
)  # fmt: skip
"""Names a client may send but only ARM sets, for every type."""


def _sent(body: Any) -> dict[str, Any]:
    sent = body.get("properties") if isinstance(body, dict) else None
    return sent if isinstance(sent, dict) else {}


def keep_on_put(doc: Doc, body: Any, consumed: frozenset[str] = frozenset()) -> Doc:
    """A PUT: the request's properties the type did not produce are kept (and only those: a PUT replaces)."""
    props = doc.get("properties")
    if not isinstance(props, dict):
        return doc
    skip = READ_ONLY | consumed
    extras = {k: v for k, v in _sent(body).items() if k not in props and k not in skip and v is not None}
    return _with(doc, props, extras)


def keep_on_patch(doc: Doc, existing: Doc, body: Any, consumed: frozenset[str] = frozenset()) -> Doc:
    """A PATCH: kept properties stay unless the request changes them (``null`` removes one); new ones join."""
    props = doc.get("properties")
    if not isinstance(props, dict):
        return doc
    previous = set(existing.get(EXTRAS_KEY) or [])
    old_props = existing.get("properties") or {}
    extras = {k: old_props[k] for k in previous if k in old_props}
    for key, value in _sent(body).items():
        if key in READ_ONLY or key in consumed or (key in props and key not in previous):
            continue
        if value is None:
            extras.pop(key, None)
        else:
            extras[key] = value
    props = {k: v for k, v in props.items() if k not in previous}
    return _with(doc, props, extras)


def _with(doc: Doc, props: dict[str, Any], extras: dict[str, Any]) -> Doc:
    out = {k: v for k, v in doc.items() if k != EXTRAS_KEY}
    out["properties"] = {**props, **extras}
    if extras:
        out[EXTRAS_KEY] = sorted(extras)
    return out


def public(doc: Doc) -> Doc:
    """The document as ARM shows it (without the bookkeeping of kept properties)."""
    if EXTRAS_KEY not in doc:
        return doc
    return {k: v for k, v in doc.items() if k != EXTRAS_KEY}
