"""OCI grammar: repository names, tags, digests, byte ranges (acrlink.domain.oci)."""

from __future__ import annotations

import pytest

from acrlink.domain.oci import (
    check_name,
    check_reference,
    check_tag,
    digest_of,
    parse_byte_range,
    parse_chunk_range,
    parse_digest,
    parse_number,
    parse_page_size,
)
from acrlink.errors import AcrlinkError

SHA256 = "sha256:" + "a" * 64
SHA512 = "sha512:" + "b" * 128


@pytest.mark.parametrize("name", ["a", "hello-world", "library/ubuntu", "a.b_c__d---e/f0", "x/" * 10 + "y"])
def test_valid_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "A", "-a", "a-", "a//b", "/a", "a/", "../etc", "a/../b", "a/./b", "a..b", "a___b", "a b", "a" * 256, "a:b"],
)
def test_invalid_names(name: str) -> None:
    with pytest.raises(AcrlinkError) as caught:
        check_name(name)
    assert caught.value.code == "NAME_INVALID"


@pytest.mark.parametrize("tag", ["latest", "v1.0", "_x", "A-b.c_d", "a" * 128])
def test_valid_tags(tag: str) -> None:
    assert check_tag(tag) == tag


@pytest.mark.parametrize("tag", ["", ".a", "-a", "a" * 129, "a/b", "a:b", "a+b"])
def test_invalid_tags(tag: str) -> None:
    with pytest.raises(AcrlinkError) as caught:
        check_tag(tag)
    assert caught.value.code == "TAG_INVALID"


def test_digests() -> None:
    assert str(parse_digest(SHA256)) == SHA256
    assert parse_digest(SHA512).algorithm == "sha512"
    assert digest_of(b"") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert check_reference(SHA256) == SHA256
    assert check_reference("v1") == "v1"


@pytest.mark.parametrize(
    "text",
    ["sha256:" + "A" * 64, "sha256:" + "a" * 63, "md5:" + "a" * 32, "sha256", "sha256:", ":abc", "sha512:" + "a" * 64],
)
def test_invalid_digests(text: str) -> None:
    with pytest.raises(AcrlinkError) as caught:
        parse_digest(text)
    assert caught.value.code == "DIGEST_INVALID"


@pytest.mark.parametrize(
    ("header", "expected"), [("0-9", (0, 9)), ("bytes 10-19/*", (10, 19)), ("5-5", (5, 5)), ("0-0/100", (0, 0))]
)
def test_chunk_ranges(header: str, expected: tuple[int, int]) -> None:
    assert parse_chunk_range(header) == expected


@pytest.mark.parametrize("header", ["", "9-0", "a-b", "-5", "0-", "bytes=0-9"])
def test_bad_chunk_ranges(header: str) -> None:
    with pytest.raises(AcrlinkError) as caught:
        parse_chunk_range(header)
    assert caught.value.code == "RANGE_INVALID"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 9)),
        ("bytes=90-", (90, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=-500", (0, 99)),
        ("bytes=50-500", (50, 99)),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        ("bytes=9-0", None),
    ],
)
def test_byte_ranges(header: str, expected: tuple[int, int] | None) -> None:
    assert parse_byte_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300", "bytes=-0"])
def test_unsatisfiable_byte_ranges(header: str) -> None:
    with pytest.raises(AcrlinkError) as caught:
        parse_byte_range(header, 100)
    assert caught.value.code == "RANGE_INVALID"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("007", 7),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),
        ("²", None),
        ("٣", None),
        ("", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1 ", None),
        ("1_000", None),
        ("9" * 5000, None),
    ],
)
def test_numbers_are_ascii_digits_of_bounded_length(text: str, expected: int | None) -> None:
    assert parse_number(text) == expected


def test_page_sizes() -> None:
    assert parse_page_size(None) is None and parse_page_size("") is None
    assert parse_page_size("0") == 0
    for bad in ("²", "x", "9" * 19):
        with pytest.raises(AcrlinkError) as raised:
            parse_page_size(bad)
        assert raised.value.code == "PAGINATION_NUMBER_INVALID"


def test_a_trailing_newline_is_not_part_of_any_grammar() -> None:
    for check, text in ((check_tag, "v1\n"), (check_name, "app\n"), (parse_digest, SHA256 + "\n")):
        with pytest.raises(AcrlinkError):
            check(text)
