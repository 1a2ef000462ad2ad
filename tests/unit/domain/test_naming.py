"""Name rules: resource groups, registries and Microsoft.Network resources."""

from __future__ import annotations

import pytest

from acrlink import unconfirmed
from acrlink.domain.naming import (
    check_group_name,
    check_network_name,
    check_registry_name,
    registry_name_problem,
)
from acrlink.errors import BadRequest

# --- resource groups -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["a", "rg", "my-rg", "my_rg", "my.rg", "(rg)", "RG-01", "a" * 90, "grupo-ñ", "组", "rg.x"],
)
def test_group_name_accepts_letters_digits_and_allowed_punctuation(name: str) -> None:
    check_group_name(name)


def test_group_name_of_90_characters_is_the_longest_accepted() -> None:
    check_group_name("r" * 90)
    with pytest.raises(BadRequest) as caught:
        check_group_name("r" * 91)
    assert caught.value.code == "InvalidResourceGroup"


def test_empty_group_name_is_refused() -> None:
    with pytest.raises(BadRequest) as caught:
        check_group_name("")
    assert caught.value.code == "InvalidResourceGroup"


def test_group_name_ending_in_dot_is_refused_naming_the_dot() -> None:
    with pytest.raises(BadRequest) as caught:
        check_group_name("my-rg.")
    assert caught.value.code == "InvalidResourceGroup"
    assert "has these invalid characters: '.'" in caught.value.message


@pytest.mark.parametrize("name", ["my rg", "rg!", "rg/x", "rg#", "rg*", "r@g", "rg\\x", "rg&"])
def test_group_name_with_an_invalid_character_is_refused(name: str) -> None:
    with pytest.raises(BadRequest) as caught:
        check_group_name(name)
    assert caught.value.code == "InvalidResourceGroup"


def test_group_name_error_lists_each_invalid_character_once_sorted() -> None:
    with pytest.raises(BadRequest) as caught:
        check_group_name("a!b c!d#")
    assert caught.value.message == (
        "The provided resource group name 'a!b c!d#' has these invalid characters: ' !#'. "
        "The name can only be a letter, digit, '-', '.', '(', ')' or '_'."
    )


def test_group_name_error_names_the_group() -> None:
    with pytest.raises(BadRequest) as caught:
        check_group_name("bad name")
    assert "'bad name'" in caught.value.message


def test_overlong_group_name_with_valid_characters_lists_none() -> None:
    with pytest.raises(BadRequest) as caught:
        check_group_name("g" * 91)
    assert "has these invalid characters: ''" in caught.value.message


# --- registries ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["abcde", "ABCDE", "MyRegistry01", "12345", "a" * 50])
def test_registry_name_of_5_to_50_alphanumerics_is_accepted(name: str) -> None:
    assert registry_name_problem(name) is None
    check_registry_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "abcd",
        "a" * 51,
        "my-registry",
        "my_registry",
        "my.registry",
        "my registry",
        "régistry",
        "abcde\n",
        "１２３４５",
    ],
)
def test_registry_name_outside_the_rule_has_a_problem(name: str) -> None:
    assert registry_name_problem(name) == unconfirmed.INVALID_REGISTRY_NAME_MESSAGE


def test_check_registry_name_raises_with_target_name() -> None:
    with pytest.raises(BadRequest) as caught:
        check_registry_name("no")
    assert caught.value.code == unconfirmed.INVALID_REGISTRY_NAME_CODE
    assert caught.value.message == unconfirmed.INVALID_REGISTRY_NAME_MESSAGE
    assert caught.value.target == "name"


def test_registry_name_length_boundaries() -> None:
    assert registry_name_problem("a" * 4) is not None
    assert registry_name_problem("a" * 5) is None
    assert registry_name_problem("a" * 50) is None
    assert registry_name_problem("a" * 51) is not None


# --- Microsoft.Network names -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "pe1",
        "my-endpoint",
        "my.endpoint",
        "my_endpoint",
        "ends_",
        "_start",
        "a" * 80,
        "a" * 79 + "_",
        "x-" * 39 + "yz",
    ],
)
def test_network_name_is_accepted(name: str) -> None:
    check_network_name(name)


@pytest.mark.parametrize(
    "name",
    ["", "a" * 81, "-start", ".start", "ends-", "ends.", "has space", "slash/no", "a!b", "endpoint\n"],
)
def test_network_name_is_refused(name: str) -> None:
    with pytest.raises(BadRequest) as caught:
        check_network_name(name)
    assert caught.value.code == "InvalidResourceName"


def test_network_name_error_names_the_resource() -> None:
    with pytest.raises(BadRequest) as caught:
        check_network_name("bad-")
    assert caught.value.message.startswith("Resource name bad- is invalid.")
