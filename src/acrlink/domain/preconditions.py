"""Conditional writes: whether a PUT, PATCH or DELETE may go ahead given the resource's current etag.

``If-None-Match: *`` asks that the resource not exist yet (create only); ``If-Match: *`` that it exist, and
``If-Match: <etag>`` that its etag be that one. ``W/"x"``, ``"x"`` and ``x`` name one etag: clients quote it and
Microsoft.Network marks its etags weak. The ARM face reads the headers (``arm/conditions.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acrlink.errors import PreconditionFailed


@dataclass(frozen=True)
class Preconditions:
    """A write's conditions, as the client sent them."""

    if_match: str | None = None
    """The If-Match value as sent (a refusal quotes it), or None."""
    match_etag: str | None = None
    """The etag If-Match names (``bare_etag``); None for ``If-Match: *`` (any existing resource) or no If-Match."""
    if_none_match_any: bool = False
    """``If-None-Match: *``: only a resource that does not exist yet may be written."""


UNCONDITIONAL = Preconditions()
"""No If-Match, no If-None-Match: every write goes ahead."""


def bare_etag(value: str) -> str:
    """An etag without ``W/`` and quotes, as etags are compared."""
    return value.strip().removeprefix("W/").strip('"')


def check(conditions: Preconditions, name: str, existing: Mapping[str, Any] | None, label: str = "") -> None:
    """A PUT: ``If-None-Match: *`` refuses a resource that exists, then ``check_match``. Refusals are ARM's 412
    ``PreconditionFailed``; ``label`` is how the type's messages name its kind ("Zone"), empty for ARM's wording."""
    if conditions.if_none_match_any and existing is not None:
        what = f"{label} {name}" if label else f"resource '{name}'"
        raise PreconditionFailed("PreconditionFailed", f"The {what} exists already and hence cannot be created again.")
    check_match(conditions, name, existing)


def check_match(conditions: Preconditions, name: str, existing: Mapping[str, Any] | None) -> None:
    """A PATCH or DELETE (and a PUT): ``If-Match`` refuses a missing resource, and one whose etag is not the one
    named; If-None-Match is not read."""
    if conditions.if_match is None:
        return
    current = bare_etag(str((existing or {}).get("etag")))
    if existing is None or (conditions.match_etag is not None and conditions.match_etag != current):
        raise PreconditionFailed(
            "PreconditionFailed",
            f"The condition '{conditions.if_match}' in the If-Match header does not match the resource '{name}'.",
        )
