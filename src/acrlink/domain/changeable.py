"""ACR's changeable attributes (image locking): what each one refuses, and how an update of them reads.

A repository, a tag and a manifest each carry four attributes, all true until set (``Attributes``). The
rules, applied by ``services/content.py`` to every push, import, delete, pull and listing:

- a write needs ``writeEnabled`` on the repository and on what it writes: the tag it points (pushing or
  importing onto an existing tag moves it), or the manifest it pushes over by digest. A new tag for a
  manifest writes the tag, not the manifest;
- a delete needs ``writeEnabled`` and ``deleteEnabled`` (a write lock also locks against deletion, as
  ACR's image lock article says) on the repository and on everything that goes: deleting a manifest
  deletes its tags, deleting a repository everything in it;
- a pull needs ``readEnabled`` on the repository and on the tag and manifest it names;
- ``listEnabled`` false leaves a repository, tag or manifest out of listings; it is still served by name.

A refused write or delete is ACR's 405 ``REGISTRY_DISALLOWED_OPERATION`` (Azure/azure-sdk-for-net#22827);
a refused pull answers alike (a guess: ``unconfirmed.READ_DISABLED_CODE``).
"""

from __future__ import annotations

from collections.abc import Callable

from acrlink.domain.content import Attributes
from acrlink.errors import BadRequest, MethodNotAllowed
from acrlink.unconfirmed import ATTRIBUTES_INVALID_CODE, READ_DISABLED_CODE

ATTRIBUTE_NAMES = {
    "deleteEnabled": "delete_enabled",
    "writeEnabled": "write_enabled",
    "readEnabled": "read_enabled",
    "listEnabled": "list_enabled",
}
"""The changeable attributes as ACR's JSON names them, and as ``Attributes`` does."""

DISALLOWED_CODE = "REGISTRY_DISALLOWED_OPERATION"
DISALLOWED_MESSAGE = (
    "The operation is disallowed on this registry, repository or image. View troubleshooting steps at "
    "https://aka.ms/acr/faq/#why-does-my-pull-or-push-request-fail-with-disallowed-operation"
)
"""What ACR answers (405) for a push or delete a changeable attribute forbids (Azure/azure-sdk-for-net#22827)."""


def disallowed() -> MethodNotAllowed:
    """The refusal of a write or delete that a changeable attribute forbids."""
    return MethodNotAllowed(DISALLOWED_CODE, DISALLOWED_MESSAGE)


def may_write(found: Attributes) -> bool:
    """A target may be written (pushed to, moved, imported onto) while its ``writeEnabled`` is true."""
    return found.write_enabled


def may_delete(found: Attributes) -> bool:
    """A target may be deleted only while both ``writeEnabled`` and ``deleteEnabled`` are true."""
    return found.write_enabled and found.delete_enabled


def may_read(found: Attributes) -> bool:
    """A target may be pulled while its ``readEnabled`` is true."""
    return found.read_enabled


def is_listed(found: Attributes) -> bool:
    """A target appears in listings while its ``listEnabled`` is true (it is served by name either way)."""
    return found.list_enabled


def _all(allowed: Callable[[Attributes], bool], targets: tuple[Attributes, ...]) -> bool:
    return all(allowed(t) for t in targets)


def check_write(*targets: Attributes) -> None:
    """Refuse (405 ``REGISTRY_DISALLOWED_OPERATION``) a write unless every target written may be."""
    if not _all(may_write, targets):
        raise disallowed()


def check_delete(*targets: Attributes) -> None:
    """Refuse (405 ``REGISTRY_DISALLOWED_OPERATION``) a delete unless every target that goes may go."""
    if not _all(may_delete, targets):
        raise disallowed()


def check_read(*targets: Attributes) -> None:
    """Refuse a pull unless every target it names may be read (405, ``unconfirmed.READ_DISABLED_CODE``)."""
    if not _all(may_read, targets):
        raise MethodNotAllowed(READ_DISABLED_CODE, DISALLOWED_MESSAGE)


def parse_update(body: object) -> dict[str, bool]:
    """The attributes an update (``PATCH /acr/v1/...``) sets, by ``Attributes`` field: a JSON object whose
    known members are booleans. Members it leaves out keep their value; ``teleportEnabled`` and other names
    acrlink does not model are ignored; anything else is refused (400, ``unconfirmed.ATTRIBUTES_INVALID_CODE``)."""
    if not isinstance(body, dict):
        raise BadRequest(ATTRIBUTES_INVALID_CODE, "the request body must be a JSON object of changeable attributes")
    changes: dict[str, bool] = {}
    for name, attribute in ATTRIBUTE_NAMES.items():
        if name in body:
            value = body[name]
            if not isinstance(value, bool):
                raise BadRequest(ATTRIBUTES_INVALID_CODE, f"{name} must be true or false")
            changes[attribute] = value
    return changes


def updated(current: Attributes, changes: dict[str, bool]) -> Attributes:
    """The attributes after an update: those it sets take its values, the others keep theirs."""
    return Attributes(**{**current.__dict__, **changes})


def to_wire(found: Attributes) -> dict[str, object]:
    """The attributes under ACR's JSON names (``changeableAttributes``)."""
    return {name: getattr(found, attribute) for name, attribute in ATTRIBUTE_NAMES.items()}
