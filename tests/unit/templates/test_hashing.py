"""uniqueString, guid and templateHash against the vectors in the deployments reference (5.9, 5.10)."""

from __future__ import annotations

import pytest

from acrlink.domain.templates.hashing import guid, hash64, template_hash, unique_string


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("aaa",), "zavj67f3en4hc"),
        (("bbb",), "w5eragfxe33cy"),
        (("zzz",), "cryksdzzzawae"),
        (("xxx", "yyy", "zzz"), "lghi7k5js7itq"),
        (("tyeth",), "zcztcwvu6iyg6"),
        (("test",), "rbgf3xv4ufgzg"),
        (("hello", "world"), "a7wkljktk6wne"),
        (("abc",), "cgtzqvhu4i23s"),
        (("foo", "bar", "baz"), "xzi4ioaxtmth4"),
        (("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg",), "bmg7c6xu4tw46"),
    ],
)
def test_unique_string_vectors(args: tuple[str, ...], expected: str) -> None:
    assert unique_string(*args) == expected


def test_hash64_of_hello_world() -> None:
    assert hash64(b"hello-world") == 571013382255652050


def test_unique_string_is_case_sensitive_and_joins_with_dash() -> None:
    assert unique_string("AAA") != unique_string("aaa")
    assert unique_string("a-b") == unique_string("a", "b")
    assert len(unique_string("")) == 13


def test_guid_derived_example() -> None:
    assert guid("a", "b", "c") == "a98fa280-e03f-5afa-8d8e-92d0a9c201e8"


def test_template_hash_is_stable_decimal_uint64() -> None:
    h = template_hash({"b": 1, "a": [1, 2]})
    assert h == template_hash({"a": [1, 2], "b": 1})
    assert h.isdigit() and 0 <= int(h) < 2**64
    assert h != template_hash({"a": [1, 2], "b": 2})
