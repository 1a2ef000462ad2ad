"""ACR's changeable-attribute rules (acrlink.domain.changeable)."""

from __future__ import annotations

import itertools

import pytest

from acrlink.domain import changeable
from acrlink.domain.content import UNLOCKED, Attributes
from acrlink.errors import BadRequest, MethodNotAllowed

ALL = [Attributes(*values) for values in itertools.product((True, False), repeat=4)]


@pytest.mark.parametrize("found", ALL)
def test_each_rule_reads_its_attributes(found: Attributes) -> None:
    assert changeable.may_write(found) is found.write_enabled
    assert changeable.may_delete(found) is (found.write_enabled and found.delete_enabled)
    assert changeable.may_read(found) is found.read_enabled
    assert changeable.is_listed(found) is found.list_enabled


def test_checks_refuse_when_any_target_forbids() -> None:
    write_locked = Attributes(write_enabled=False)
    changeable.check_write(UNLOCKED, UNLOCKED)
    changeable.check_write()
    with pytest.raises(MethodNotAllowed) as refused:
        changeable.check_write(UNLOCKED, write_locked)
    assert refused.value.code == changeable.DISALLOWED_CODE
    with pytest.raises(MethodNotAllowed):
        changeable.check_delete(UNLOCKED, write_locked)  # a write lock also locks against deletion
    with pytest.raises(MethodNotAllowed):
        changeable.check_delete(Attributes(delete_enabled=False))
    changeable.check_delete(Attributes(read_enabled=False, list_enabled=False))
    changeable.check_read(write_locked, Attributes(delete_enabled=False, list_enabled=False))
    with pytest.raises(MethodNotAllowed):
        changeable.check_read(UNLOCKED, Attributes(read_enabled=False))


def test_an_update_sets_only_what_it_names() -> None:
    changes = changeable.parse_update({"writeEnabled": False, "teleportEnabled": True, "other": 1})
    assert changes == {"write_enabled": False}
    current = Attributes(delete_enabled=False)
    assert changeable.updated(current, changes) == Attributes(delete_enabled=False, write_enabled=False)
    assert changeable.updated(current, {}) == current


@pytest.mark.parametrize("body", [[], "x", None, {"readEnabled": "false"}, {"listEnabled": 0}])
def test_a_malformed_update_is_refused(body: object) -> None:
    with pytest.raises(BadRequest):
        changeable.parse_update(body)


def test_the_wire_names() -> None:
    shown = changeable.to_wire(Attributes(read_enabled=False))
    assert shown == {"deleteEnabled": True, "writeEnabled": True, "readEnabled": False, "listEnabled": True}
    assert list(shown) == list(changeable.ATTRIBUTE_NAMES)
