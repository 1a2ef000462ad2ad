"""The private endpoint connection state machine (S21, S22)."""

from __future__ import annotations

from acrlink import unconfirmed
from acrlink.errors import BadRequest

PENDING, APPROVED, REJECTED, DISCONNECTED = "Pending", "Approved", "Rejected", "Disconnected"
STATES = (PENDING, APPROVED, REJECTED, DISCONNECTED)

# Which status a registry owner may move a connection to, from each status. Setting the status it
# already has is always allowed (it only updates the description). A rejected connection cannot be
# approved again: the endpoint must be recreated.
OWNER_TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({APPROVED, REJECTED}),
    APPROVED: frozenset({REJECTED}),
    REJECTED: frozenset(),
    DISCONNECTED: frozenset(),
}


def canonical_status(status: str) -> str | None:
    """A connection status in any casing as Azure spells it (``approved`` -> ``Approved``), or None for a status that
    does not exist."""
    for known in STATES:
        if known.lower() == status.lower():
            return known
    return None


def check_owner_transition(current: str, wanted: str) -> str:
    """The status a registry owner's PUT may set, or a BadRequest naming why not."""
    target = canonical_status(wanted)
    if target is None:
        raise BadRequest(
            "InvalidRequestContent",
            f"The connection status '{wanted}' is invalid. Allowed values: Approved, Rejected.",
            target="properties.privateLinkServiceConnectionState.status",
        )
    if target == current:
        return target
    if target not in OWNER_TRANSITIONS[current]:
        raise BadRequest(
            unconfirmed.CONNECTION_TRANSITION_CODE,
            f"The private endpoint connection cannot change from '{current}' to '{target}'.",
            target="properties.privateLinkServiceConnectionState.status",
        )
    return target


def carries_traffic(status: str) -> bool:
    """Only an approved connection carries traffic; pending and rejected ones black-hole it."""
    return status == APPROVED
