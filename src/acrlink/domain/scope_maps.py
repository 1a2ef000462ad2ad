"""Scope maps: the repository permissions a registry token carries. Pure rules.

A scope map is a list of actions ``repositories/<repo>/<content|metadata>/<read|write|delete>`` (and
``gateway/<connected registry>/<config|message>/<read|write>`` for connected registries, which acrlink
validates and stores but has no use for). ``<repo>`` is a repository name, ``*`` (every repository) or a
prefix ending in ``/*`` (every repository under it, ``team/*``); rules add up. Each repository action gives one
docker token action (``content/read`` -> ``pull`` and so on). Every registry has the SystemDefined maps below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

REPOSITORY_ACTIONS: Mapping[str, str] = {
    "content/read": "pull",
    "content/write": "push",
    "content/delete": "delete",
    "metadata/read": "metadata_read",
    "metadata/write": "metadata_write",
}
"""Scope-map repository action -> the docker token action it gives."""
GATEWAY_ACTIONS = frozenset({"config/read", "config/write", "message/read", "message/write"})

USER_DEFINED, SYSTEM_DEFINED = "UserDefined", "SystemDefined"

_ALL = "repositories/*/"
SYSTEM_MAPS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "_repositories_admin": (
        "Can perform all read, write and delete operations on the registry",
        tuple(f"{_ALL}{a}" for a in REPOSITORY_ACTIONS),
    ),
    "_repositories_pull": ("Can pull any repository of the registry", (f"{_ALL}content/read",)),
    "_repositories_pull_metadata_read": (
        "Can perform all read operations on the registry",
        (f"{_ALL}content/read", f"{_ALL}metadata/read"),
    ),
    "_repositories_push": (
        "Can push to any repository of the registry",
        (f"{_ALL}content/read", f"{_ALL}content/write"),
    ),
    "_repositories_push_metadata_write": (
        "Can perform all read and write operations on the registry",
        (f"{_ALL}content/read", f"{_ALL}content/write", f"{_ALL}metadata/read", f"{_ALL}metadata/write"),
    ),
}
"""The SystemDefined maps every registry has: name -> (description, actions). The actions are those of a real
registry's exported template; the descriptions are acrlink's own wording."""

_NAME = re.compile(r"^[A-Za-z0-9_-]{5,50}$")
_REPOSITORY_PART = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_GATEWAY = re.compile(r"^[A-Za-z0-9-]{5,50}$")


def name_problem(name: str) -> str | None:
    """Why a scope map or token name is refused, or None: 5-50 letters, digits, '-' or '_'."""
    if _NAME.fullmatch(name):
        return None
    return "The name must be between 5 and 50 characters long and contain only letters, digits, '-' and '_'."


def _repository_problem(repository: str) -> str | None:
    if repository == "*":
        return None
    if repository.count("*") > 1 or ("*" in repository and not repository.endswith("/*")):
        return "a wildcard must be the whole repository or its last path component ('team/*')"
    parts = repository.removesuffix("/*").split("/")
    if not all(_REPOSITORY_PART.fullmatch(p) for p in parts):
        return "the repository name is not valid (lower-case letters, digits and separators, '/' between parts)"
    return None


def action_problem(action: str) -> str | None:
    """Why one scope-map action is refused, or None."""
    kind, _, rest = action.partition("/")
    target, _, verb = rest.rpartition("/")
    target, _, noun = target.rpartition("/")
    operation = f"{noun}/{verb}"
    if kind == "repositories" and target:
        if operation not in REPOSITORY_ACTIONS:
            return f"'{operation}' is not a repository action (one of {', '.join(REPOSITORY_ACTIONS)})"
        return _repository_problem(target)
    if kind == "gateway" and target:
        if operation not in GATEWAY_ACTIONS:
            return f"'{operation}' is not a gateway action (one of {', '.join(sorted(GATEWAY_ACTIONS))})"
        return None if _GATEWAY.fullmatch(target) else "the connected registry name is not valid"
    return "an action is 'repositories/<repository>/<action>' or 'gateway/<connected registry>/<action>'"


def problems(actions: Iterable[str]) -> list[tuple[int, str, str]]:
    """(index, action, why) for every invalid action of a list."""
    return [(i, a, why) for i, a in enumerate(actions) if (why := action_problem(a)) is not None]


@dataclass(frozen=True)
class Rules:
    """A scope map's repository actions, ready to answer for one repository."""

    exact: Mapping[str, frozenset[str]]
    """Repository name (lower case) -> token actions."""
    prefixes: tuple[tuple[str, frozenset[str]], ...]
    """(prefix ending in '/', token actions) for ``team/*`` rules; the prefix ``""`` for ``*``."""

    def actions_on(self, repository: str) -> frozenset[str]:
        """The token actions the map gives on ``repository`` (every matching rule adds up)."""
        name = repository.lower()
        held = set(self.exact.get(name, frozenset()))
        for prefix, actions in self.prefixes:
            if name.startswith(prefix):
                held |= actions
        return frozenset(held)

    @property
    def registry_wide(self) -> bool:
        """Whether the map has a rule on every repository (``repositories/*/...``): ACR lets only such tokens
        list the catalog (Azure/acr#751, #675); that any action on ``*`` will do is a guess
        (``unconfirmed.TOKEN_CATALOG_RULE``)."""
        return any(prefix == "" for prefix, _ in self.prefixes)


NO_RULES = Rules({}, ())


def rules(actions: Iterable[str]) -> Rules:
    """The repository rules of a (valid) action list; gateway actions and invalid ones give nothing."""
    exact: dict[str, set[str]] = {}
    prefixes: dict[str, set[str]] = {}
    for action in actions:
        if not action.startswith("repositories/") or action_problem(action) is not None:
            continue
        body = action.removeprefix("repositories/")
        repository, noun, verb = body.rsplit("/", 2)
        token_action = REPOSITORY_ACTIONS[f"{noun}/{verb}"]
        repository = repository.lower()
        if repository == "*":
            prefixes.setdefault("", set()).add(token_action)
        elif repository.endswith("/*"):
            prefixes.setdefault(repository[:-1], set()).add(token_action)
        else:
            exact.setdefault(repository, set()).add(token_action)
    return Rules(
        {k: frozenset(v) for k, v in exact.items()},
        tuple((k, frozenset(v)) for k, v in sorted(prefixes.items())),
    )
