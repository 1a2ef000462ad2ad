"""Name rules for the resources acrlink serves, as Azure enforces them."""

from __future__ import annotations

import re

from acrlink import unconfirmed
from acrlink.errors import BadRequest

_GROUP_CHARS = re.compile(r"[-\w.()]", re.UNICODE)
_REGISTRY = re.compile(r"^[a-zA-Z0-9]{5,50}$")
_NETWORK = re.compile(r"^\w([\w.-]{0,78}\w)?$|^\w[\w.-]{0,78}_$")


def check_group_name(name: str) -> None:
    """A resource group name: 1-90 letters, digits, '-', '.', '(', ')' or '_', not ending in '.'."""
    bad = sorted({c for c in name if not _GROUP_CHARS.fullmatch(c)})
    if bad or not name or len(name) > 90 or name.endswith("."):
        shown = "".join(bad) if bad else name[-1:] if name.endswith(".") else ""
        raise BadRequest(
            "InvalidResourceGroup",
            f"The provided resource group name '{name}' has these invalid characters: '{shown}'. "
            "The name can only be a letter, digit, '-', '.', '(', ')' or '_'.",
        )


def registry_name_problem(name: str) -> str | None:
    """Why a registry name is refused, or None: 5-50 alphanumerics (it becomes a DNS label)."""
    if _REGISTRY.fullmatch(name):
        return None
    return unconfirmed.INVALID_REGISTRY_NAME_MESSAGE


def check_registry_name(name: str) -> None:
    """A registry name that is not 5-50 ASCII letters and digits is refused, as ACR refuses it (code and message
    guessed, see ``unconfirmed``)."""
    problem = registry_name_problem(name)
    if problem:
        raise BadRequest(unconfirmed.INVALID_REGISTRY_NAME_CODE, problem, target="name")


def check_network_name(name: str) -> None:
    """Microsoft.Network names: up to 80 word characters, '.', '-', '_'; word character first and last
    (or '_' last)."""
    if not _NETWORK.fullmatch(name):
        raise BadRequest(
            "InvalidResourceName",
            f"Resource name {name} is invalid. The name can be up to 80 characters long. It must begin "
            "with a word character, and it must end with a word character or with '_'. The name may "
            "contain word characters or '.', '-', '_'.",
        )
