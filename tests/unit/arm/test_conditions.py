"""If-Match and If-None-Match as the ARM face reads them."""

from __future__ import annotations

from starlette.datastructures import Headers

from acrlink.arm import conditions
from acrlink.domain.preconditions import UNCONDITIONAL, Preconditions
from acrlink.resources.catalog import build_catalog
from acrlink.resources.registry import REGISTRIES


def _read(**headers: str) -> Preconditions:
    return conditions.read(Headers({k.replace("_", "-"): v for k, v in headers.items()}), REGISTRIES)


def test_no_header_is_unconditional() -> None:
    assert _read() == UNCONDITIONAL


def test_if_match_names_the_bare_etag_in_any_spelling() -> None:
    for sent in ('W/"abc"', '"abc"', "abc", ' W/"abc" '):
        assert _read(if_match=sent) == Preconditions(if_match=sent, match_etag="abc")


def test_if_match_star_asks_for_any_existing_resource() -> None:
    assert _read(if_match="*") == Preconditions(if_match="*", match_etag=None)


def test_only_if_none_match_star_is_read() -> None:
    assert _read(if_none_match="*") == Preconditions(if_none_match_any=True)
    assert _read(if_none_match='"abc"') == UNCONDITIONAL
    assert _read(if_none_match=" *") == UNCONDITIONAL


def test_arm_reads_neither_header_for_its_own_groups() -> None:
    headers = Headers({"if-match": '"abc"', "if-none-match": "*"})
    assert conditions.read(headers, build_catalog().groups) == UNCONDITIONAL
