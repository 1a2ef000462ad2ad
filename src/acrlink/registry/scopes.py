"""Docker/ACR token scopes: ``repository:NAME:pull,push`` and ``registry:catalog:*``. Pure.

A scope names a resource (type + name) and the actions wanted on it. Tokens carry the granted scopes
as ``access`` claims (``[{"type", "name", "actions"}]``, docker's token format); a request is allowed
when the token grants every action its route needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from acrlink.errors import BadRequest, Unauthorized

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


Grant = Callable[[Scope], Scope]
"""What a caller may have of a requested scope: the scope with the actions it may hold (possibly none)."""

REPOSITORY_TOKEN_ACTIONS = frozenset({"pull", "push", "delete", "metadata_read", "metadata_write"})
"""The repository actions a role can give (``builtin_roles.TOKEN_ACTIONS`` less the catalog)."""


def _known(scope: Scope) -> frozenset[str]:
    return scope.actions & (REPOSITORY_ACTIONS if scope.type == "repository" else REGISTRY_ACTIONS)


def everything(scope: Scope) -> Scope:
    """The grant of a caller who may do anything (the admin user): every known action asked for.
    ``*`` grants every action of the resource type."""
    return Scope(scope.type, scope.name, _known(scope))


def repository_actions(allowed: frozenset[str]) -> Grant:
    """A grant of ``allowed`` on every repository and nothing on the registry (anonymous pull)."""

    def grant(scope: Scope) -> Scope:
        wanted = _known(scope) if scope.type == "repository" else frozenset()
        return Scope(scope.type, scope.name, frozenset(a for a in wanted if a in allowed))

    return grant


def narrowed(scope: Scope, held: frozenset[str], catalog: bool) -> Scope:
    """The part of ``scope`` a principal holding the repository actions ``held`` (on that repository) and, with
    ``catalog``, the registry's catalog may have. A principal holding every action a role can give on a
    repository (Owner, Contributor) gets all it asks there, ``*`` and the soft-delete actions included; for any
    other, ``*`` stands for the actions it holds."""
    wanted = _known(scope)
    if scope.type != "repository":
        return Scope(scope.type, scope.name, wanted if catalog else frozenset())
    if held >= REPOSITORY_TOKEN_ACTIONS:
        return Scope(scope.type, scope.name, wanted)
    granted = {a for a in wanted if a in held}
    if "*" in wanted:
        granted |= held
    return Scope(scope.type, scope.name, frozenset(granted))


def joined(*grants: Grant) -> Grant:
    """A grant of whatever any of ``grants`` gives (an Entra caller of a registry that allows anonymous pull)."""

    def grant(scope: Scope) -> Scope:
        actions: frozenset[str] = frozenset()
        for one in grants:
            actions |= one(scope).actions
        return Scope(scope.type, scope.name, actions)

    return grant


def permits(access: list[dict[str, object]], needed: Scope) -> bool:
    """Whether granted ``access`` claims cover every action of ``needed``."""
    have: set[str] = set()
    for entry in access:
        if entry.get("type") == needed.type and entry.get("name") == needed.name:
            actions = entry.get("actions")
            if isinstance(actions, list):
                have.update(str(a) for a in actions)
    return "*" in have or needed.actions <= have


class InsufficientScope(Unauthorized):
    """A valid access token of an Entra ID principal that lacks what the request needs: ACR answers 401
    ``UNAUTHORIZED`` with its authentication message and the needed scope as ``detail``
    (``[{"Type", "Name", "Action"}]``); ``target`` holds that scope."""

    def detail(self) -> list[dict[str, str]]:
        """The needed scope the way ACR lists it, one entry per action."""
        if not self.target:
            return []
        needed = parse_scope(self.target)
        return [{"Type": needed.type, "Name": needed.name, "Action": a} for a in sorted(needed.actions)]
