"""The private endpoint connection state machine as a registry owner drives it."""

from __future__ import annotations

import itertools

import pytest

from acrlink import unconfirmed
from acrlink.domain.privatelink import (
    APPROVED,
    DISCONNECTED,
    OWNER_TRANSITIONS,
    PENDING,
    REJECTED,
    STATES,
    canonical_status,
    carries_traffic,
    check_owner_transition,
)
from acrlink.errors import BadRequest

STATUS_TARGET = "properties.privateLinkServiceConnectionState.status"
ALLOWED = {(PENDING, APPROVED), (PENDING, REJECTED), (APPROVED, REJECTED)}
ILLEGAL = sorted((a, b) for a, b in itertools.product(STATES, STATES) if a != b and (a, b) not in ALLOWED)


def test_states_are_pending_approved_rejected_disconnected() -> None:
    assert STATES == ("Pending", "Approved", "Rejected", "Disconnected")


def test_transition_table_covers_every_state() -> None:
    assert set(OWNER_TRANSITIONS) == set(STATES)


@pytest.mark.parametrize(("current", "wanted"), sorted(ALLOWED))
def test_allowed_transition_returns_the_new_status(current: str, wanted: str) -> None:
    assert check_owner_transition(current, wanted) == wanted


@pytest.mark.parametrize("state", STATES)
def test_setting_the_current_status_again_is_allowed(state: str) -> None:
    assert check_owner_transition(state, state) == state


@pytest.mark.parametrize(("current", "wanted"), ILLEGAL)
def test_illegal_transition_is_refused(current: str, wanted: str) -> None:
    with pytest.raises(BadRequest) as caught:
        check_owner_transition(current, wanted)
    assert caught.value.code == unconfirmed.CONNECTION_TRANSITION_CODE
    assert caught.value.target == STATUS_TARGET
    assert caught.value.message == (f"The private endpoint connection cannot change from '{current}' to '{wanted}'.")


def test_rejected_connection_cannot_be_approved_again() -> None:
    with pytest.raises(BadRequest) as caught:
        check_owner_transition(REJECTED, APPROVED)
    assert caught.value.code == unconfirmed.CONNECTION_TRANSITION_CODE


def test_approved_connection_cannot_go_back_to_pending() -> None:
    with pytest.raises(BadRequest):
        check_owner_transition(APPROVED, PENDING)


@pytest.mark.parametrize("wanted", ["approved", "APPROVED", "aPpRoVeD"])
def test_status_is_matched_case_insensitively_and_returned_canonical(wanted: str) -> None:
    assert check_owner_transition(PENDING, wanted) == APPROVED


def test_same_status_in_other_casing_is_the_same_state() -> None:
    assert check_owner_transition(APPROVED, "approved") == APPROVED


def test_illegal_transition_message_uses_canonical_casing() -> None:
    with pytest.raises(BadRequest) as caught:
        check_owner_transition(REJECTED, "approved")
    assert "to 'Approved'" in caught.value.message


@pytest.mark.parametrize("wanted", ["Auto-Approved", "Approve", "", "Connected"])
def test_unknown_status_is_invalid_request_content(wanted: str) -> None:
    with pytest.raises(BadRequest) as caught:
        check_owner_transition(PENDING, wanted)
    assert caught.value.code == "InvalidRequestContent"
    assert caught.value.target == STATUS_TARGET
    assert caught.value.message == (f"The connection status '{wanted}' is invalid. Allowed values: Approved, Rejected.")


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("pending", PENDING), ("APPROVED", APPROVED), ("Rejected", REJECTED), ("disconnected", DISCONNECTED)],
)
def test_canonical_status_restores_azure_casing(given: str, canonical: str) -> None:
    assert canonical_status(given) == canonical


def test_canonical_status_of_unknown_status_is_none() -> None:
    assert canonical_status("Unknown") is None


@pytest.mark.parametrize(
    ("status", "carries"), [(APPROVED, True), (PENDING, False), (REJECTED, False), (DISCONNECTED, False)]
)
def test_only_approved_connections_carry_traffic(status: str, carries: bool) -> None:
    assert carries_traffic(status) is carries
