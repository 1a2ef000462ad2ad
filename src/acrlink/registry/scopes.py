"""Docker/ACR token scopes: ``repository:NAME:pull,push`` and ``registry:catalog:*``. Pure.

A scope names a resource (type + name) and the actions wanted on it. Tokens carry the granted scopes
as ``access`` claims (``[{"type", "name", "actions"}]``, docker's token format); a request is allowed
when the token grants every action its route needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from acrlink.errors import BadRequest

REPOSITORY_ACTIONS = frozenset(
    {"pull", "push", "delete", "metadata_read", "metadata_write", "deleted_read", "deleted_restore", "*"}
)
REGISTRY_ACTIONS = frozenset({"catalog", "deleted_catalog", "*"})
ANONYMOUS_ACTIONS = frozenset({"pull"})
"""What ``anonymousPullEnabled`` lets anyone do: pull, and nothing else (not even the catalog)."""


@dataclass(frozen=True)
class Scope:
    type: str
    name: str
    actions: frozenset[str]

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{','.join(sorted(self.actions))}"

    def claim(self) -> dict[str, object]:
        return {"type": self.type, "name": self.name, "actions": sorted(self.actions)}


def parse_scope(text: str) -> Scope:
    """One scope string. ``registry:catalog:*`` names the registry's catalog; the type may carry a
    class in parentheses (``repository(plugin)``), which is ignored."""
    parts = text.split(":")
    if len(parts) != 3 or not all(parts):
        raise BadRequest("UNSUPPORTED", f"invalid scope: {text!r}")
    kind, name, actions = parts
    kind = kind.split("(")[0]
    if kind not in ("repository", "registry"):
        raise BadRequest("UNSUPPORTED", f"invalid scope type in {text!r}")
    return Scope(kind, name, frozenset(a for a in actions.split(",") if a))


def parse_scopes(values: Iterable[str]) -> list[Scope]:
    """Every scope in the given parameters; one parameter may hold several, separated by spaces."""
    return [parse_scope(part) for value in values for part in value.split() if part]


def grantable(scope: Scope, allowed: frozenset[str] | None) -> Scope:
    """The part of a requested scope a caller may have. ``allowed`` None means every action.

    ``*`` grants every action of the resource type.
    """
    known = REPOSITORY_ACTIONS if scope.type == "repository" else REGISTRY_ACTIONS
    wanted = scope.actions & known
    if allowed is not None:
        wanted = frozenset(a for a in wanted if a in allowed)
        if scope.type != "repository":
            wanted = frozenset()
    return Scope(scope.type, scope.name, wanted)


def permits(access: list[dict[str, object]], needed: Scope) -> bool:
    """Whether granted ``access`` claims cover every action of ``needed``."""
    have: set[str] = set()
    for entry in access:
        if entry.get("type") == needed.type and entry.get("name") == needed.name:
            actions = entry.get("actions")
            if isinstance(actions, list):
                have.update(str(a) for a in actions)
    return "*" in have or needed.actions <= have
