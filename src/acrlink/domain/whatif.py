"""What-if: one resource's ``WhatIfChange`` from its GET documents before and after a deployment.

The deployment engine runs the deployment on a scratch copy of the store through the real ARM handlers
and hands each resource's two documents here. This module owns the rest, as pure functions over plain
JSON: which fields are noise (``NOISE``), the property-level delta (``property_changes``) and the
resource-level verdict (``change``), all in the shapes ``az deployment group what-if`` renders
(``WhatIfChange`` and ``WhatIfPropertyChange`` of api-version 2025-04-01).
"""

from __future__ import annotations

from typing import Any, Literal

Doc = dict[str, Any]
Mode = Literal["Incremental", "Complete"]
ResultFormat = Literal["FullResourcePayloads", "ResourceIdOnly"]

ANYWHERE = "**"

NOISE: tuple[tuple[str, ...], ...] = (
    (ANYWHERE, "etag"),
    (ANYWHERE, "provisioningState"),
    (ANYWHERE, "_acrlink"),
    ("systemData",),
    ("properties", "status", "timestamp"),
    ("properties", "policies", "retentionPolicy", "lastUpdatedTime"),
)
"""Fields that are not part of a resource's desired state, so a no-op re-PUT may change them: dropped
before diffing and from the ``before``/``after`` payloads.

A path of object keys from the document's root (array indices are skipped: ``properties.subnets[0].etag``
is the key path ``properties, subnets, etag``); a leading ``**`` matches at any depth.

- ``etag``: a new value on every write (resources and their inline children: subnets, ipConfigurations).
- ``provisioningState``: read-only, ``Succeeded`` after any write; never a desired state.
- ``_acrlink``: acrlink's own bookkeeping; the ARM face never shows it, dropped in case a store
  document is passed.
- ``systemData``: who changed the resource last, and when.
- ``properties.status.timestamp``: a replication's status stamp, rewritten on each PUT.
- ``properties.policies.retentionPolicy.lastUpdatedTime``: a registry's stamp of its last retention
  change (the change itself shows in ``retentionPolicy.days``/``status``).
"""


def _noise(keys: tuple[str, ...]) -> bool:
    """Whether the field at this key path is one of ``NOISE``."""
    for pattern in NOISE:
        if pattern[0] == ANYWHERE:
            if keys[-1] == pattern[-1]:
                return True
        elif keys == pattern:
            return True
    return False


def comparable(doc: Doc) -> Doc:
    """The document without its ``NOISE``: what two GETs of an unchanged resource agree on."""
    cleaned = _without_noise(doc, ())
    assert isinstance(cleaned, dict)
    return cleaned


def _without_noise(value: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _without_noise(v, (*keys, k)) for k, v in value.items() if not _noise((*keys, k))}
    if isinstance(value, list):
        return [_without_noise(item, keys) for item in value]
    return value


def same(before: Any, after: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, ``1`` is ``1.0``, objects compare without key order."""
    if isinstance(before, bool) or isinstance(after, bool):
        return type(before) is type(after) and before == after
    if isinstance(before, dict) and isinstance(after, dict):
        return before.keys() == after.keys() and all(same(before[k], after[k]) for k in before)
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(same(b, a) for b, a in zip(before, after, strict=True))
    if isinstance(before, (dict, list)) or isinstance(after, (dict, list)):
        return False
    return bool(before == after)


def property_changes(before: Doc, after: Doc) -> list[Doc]:
    """ARM's ``WhatIfPropertyChange`` list between two objects, in document order (az sorts it).

    - An object on both sides is descended into: its changes are reported per leaf, at dotted paths
      (``properties.addressSpace.addressPrefixes``).
    - A key on one side only is a ``Create`` (``after`` only) or ``Delete`` (``before`` only) of its
      whole value.
    - Arrays on both sides are an ``Array`` change whose ``children`` are per index (``array_changes``).
    - Anything else that differs (a leaf, or a value whose kind changes) is a ``Modify`` with both sides.
    """
    return _object_changes(before, after, "")


def _object_changes(before: Doc, after: Doc, prefix: str) -> list[Doc]:
    changes: list[Doc] = []
    for key in [*before, *(k for k in after if k not in before)]:
        path = f"{prefix}.{key}" if prefix else key
        if key not in after:
            changes.append(_delete(path, before[key]))
        elif key not in before:
            changes.append(_create(path, after[key]))
        else:
            changes.extend(_value_changes(path, before[key], after[key]))
    return changes


def _value_changes(path: str, before: Any, after: Any) -> list[Doc]:
    if same(before, after):
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        return _object_changes(before, after, path)
    if isinstance(before, list) and isinstance(after, list):
        return [{"path": path, "propertyChangeType": "Array", "children": array_changes(before, after)}]
    return [{"path": path, "propertyChangeType": "Modify", "before": before, "after": after}]


def array_changes(before: list[Any], after: list[Any]) -> list[Doc]:
    """The ``children`` of an ``Array`` change, compared index by index (``path`` is the index as a
    string; equal items are left out).

    ARM aligns the two arrays (an inserted item is one ``Create``); acrlink does not: an item inserted
    at the front shows every later index as changed. Per index:

    - present on one side only: ``Create`` or ``Delete`` of the item;
    - objects on both sides: a ``Modify`` whose ``children`` are the object's changes at dotted paths
      relative to the item (no ``before``/``after`` of its own, as ARM sends nested changes);
    - arrays on both sides: a nested ``Array``;
    - anything else: ``Delete`` of the old item and ``Create`` of the new one at the same index, as
      ARM reports a replaced array leaf (``- 0: "10.0.0.0/16"`` then ``+ 0: "10.0.0.0/15"``).
    """
    children: list[Doc] = []
    for index in range(max(len(before), len(after))):
        path = str(index)
        if index >= len(after):
            children.append(_delete(path, before[index]))
        elif index >= len(before):
            children.append(_create(path, after[index]))
        elif same(before[index], after[index]):
            continue
        elif isinstance(before[index], dict) and isinstance(after[index], dict):
            nested = _object_changes(before[index], after[index], "")
            children.append({"path": path, "propertyChangeType": "Modify", "children": nested})
        elif isinstance(before[index], list) and isinstance(after[index], list):
            nested = array_changes(before[index], after[index])
            children.append({"path": path, "propertyChangeType": "Array", "children": nested})
        else:
            children += [_delete(path, before[index]), _create(path, after[index])]
    return children


def _create(path: str, value: Any) -> Doc:
    return {"path": path, "propertyChangeType": "Create", "after": value}


def _delete(path: str, value: Any) -> Doc:
    return {"path": path, "propertyChangeType": "Delete", "before": value}


def payload(doc: Doc, api_version: str | None) -> Doc:
    """A ``before``/``after`` resource payload: the document without noise, ``apiVersion`` first (az prints
    it after the resource id, ``[2023-07-01]``, taken from ``before`` else ``after``)."""
    clean = comparable(doc)
    if api_version is None:
        return clean
    return {"apiVersion": api_version, **{k: v for k, v in clean.items() if k != "apiVersion"}}


def change_type(before: Doc | None, after: Doc | None, declared: bool, mode: Mode, result_format: ResultFormat) -> str:
    """The ``changeType`` of one resource.

    - Not there before, there after: ``Create`` (also for a resource the template does not declare but
      a declared one brings along, such as a private endpoint's NIC: real ARM does not list those, so
      the engine should leave them out to match it).
    - Not declared: ``Ignore`` in Incremental mode, whatever happens to it (ARM does not predict side
      effects); in Complete mode ``Delete`` when it is gone after, else ``Ignore`` (a type complete mode
      does not delete).
    - Declared and gone after: ``Delete``.
    - Declared, there before and after: ``Deploy`` with ``ResourceIdOnly`` (nothing is compared), else
      ``NoChange`` when the documents agree without ``NOISE``, ``Modify`` when they do not.
    """
    if before is None and after is None:
        raise ValueError("a resource that is neither there before nor after has no change")
    if before is None:
        return "Create"
    if not declared:
        return "Delete" if mode == "Complete" and after is None else "Ignore"
    if after is None:
        return "Delete"
    if result_format == "ResourceIdOnly":
        return "Deploy"
    return "Modify" if property_changes(comparable(before), comparable(after)) else "NoChange"


def change(
    resource_id: str,
    before: Doc | None,
    after: Doc | None,
    declared: bool,
    mode: Mode = "Incremental",
    result_format: ResultFormat = "FullResourcePayloads",
    api_version: str | None = None,
) -> Doc:
    """One ``WhatIfChange``: ``resourceId``, ``changeType`` (``change_type``) and, with
    ``FullResourcePayloads``, the payloads ARM sends for that type: ``Create`` carries ``after``,
    ``Delete`` and ``Ignore`` carry ``before``, ``NoChange`` carries both, ``Modify`` both and ``delta``.
    ``ResourceIdOnly`` carries neither payloads nor delta."""
    if mode not in ("Incremental", "Complete"):
        raise ValueError(f"unknown deployment mode {mode!r}")
    if result_format not in ("FullResourcePayloads", "ResourceIdOnly"):
        raise ValueError(f"unknown what-if result format {result_format!r}")
    kind = change_type(before, after, declared, mode, result_format)
    result: Doc = {"resourceId": resource_id, "changeType": kind}
    if result_format == "ResourceIdOnly":
        return result
    if before is not None and kind in ("Delete", "Ignore", "NoChange", "Modify"):
        result["before"] = payload(before, api_version)
    if after is not None and kind in ("Create", "NoChange", "Modify"):
        result["after"] = payload(after, api_version)
    if kind == "Modify":
        assert before is not None and after is not None
        result["delta"] = property_changes(comparable(before), comparable(after))
    return result
