"""Conditional writes: If-None-Match refuses what exists, If-Match what is missing or has another etag."""

from __future__ import annotations

import pytest

from acrlink.domain import preconditions
from acrlink.domain.preconditions import UNCONDITIONAL, Preconditions
from acrlink.errors import PreconditionFailed

STORED = {"name": "z.example", "etag": 'W/"abc"'}


def _refused(call: object, *args: object) -> str:
    with pytest.raises(PreconditionFailed) as caught:
        call(*args)  # type: ignore[operator]
    assert caught.value.code == "PreconditionFailed"
    return caught.value.message


def test_unconditional_writes_go_ahead() -> None:
    preconditions.check(UNCONDITIONAL, "z", STORED)
    preconditions.check(UNCONDITIONAL, "z", None)


def test_if_none_match_star_refuses_only_what_exists() -> None:
    create_only = Preconditions(if_none_match_any=True)
    preconditions.check(create_only, "z", None)
    assert _refused(preconditions.check, create_only, "z", STORED) == (
        "The resource 'z' exists already and hence cannot be created again."
    )
    assert _refused(preconditions.check, create_only, "z", STORED, "Zone") == (
        "The Zone z exists already and hence cannot be created again."
    )


def test_if_none_match_is_not_read_by_check_match() -> None:
    preconditions.check_match(Preconditions(if_none_match_any=True), "z", STORED)


def test_if_match_star_needs_the_resource() -> None:
    any_existing = Preconditions(if_match="*")
    preconditions.check_match(any_existing, "z", STORED)
    assert _refused(preconditions.check_match, any_existing, "z", None) == (
        "The condition '*' in the If-Match header does not match the resource 'z'."
    )


def test_if_match_needs_the_current_etag_whatever_its_spelling() -> None:
    preconditions.check(Preconditions(if_match='"abc"', match_etag="abc"), "z", STORED)
    preconditions.check_match(Preconditions(if_match="abc", match_etag="abc"), "z", {"etag": "abc"})
    stale = Preconditions(if_match='"old"', match_etag="old")
    assert _refused(preconditions.check_match, stale, "z", STORED) == (
        "The condition '\"old\"' in the If-Match header does not match the resource 'z'."
    )
    assert _refused(preconditions.check_match, stale, "z", {"name": "no etag"})


def test_bare_etag() -> None:
    assert [preconditions.bare_etag(v) for v in ('W/"x"', '"x"', "x", ' "x" ')] == ["x", "x", "x", "x"]
