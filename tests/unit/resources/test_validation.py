"""Request body validation: every bad field in one InvalidRequestContent, enums in any casing."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import ValidationError

from acrlink.errors import BadRequest
from acrlink.resources.validation import Body, enum, one_of, parse

Action = Annotated[str, one_of("Allow")]
Mode = Annotated[str, one_of("Enabled", "Disabled")]


class Rule(Body):
    action: Action = "Allow"
    value: str


class Properties(Body):
    mode: Mode | None = None
    enabled: bool | None = None
    rules: list[Rule] | None = None


class Request(Body):
    name: str
    count: int = 0
    properties: Properties | None = None


def _refusal(body: Any) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        parse(Request, body)
    return caught.value


def _targets(error: BadRequest) -> list[str | None]:
    return [d.target for d in error.details]


# --- good bodies -----------------------------------------------------------------------------


def test_valid_body_gives_the_model() -> None:
    parsed = parse(Request, {"name": "r", "count": 2, "properties": {"rules": [{"value": "1.1.1.1"}]}})
    assert parsed == Request(name="r", count=2, properties=Properties(rules=[Rule(value="1.1.1.1")]))


def test_unknown_keys_are_ignored() -> None:
    assert parse(Request, {"name": "r", "somethingElse": {"x": 1}}) == Request(name="r")


def test_parsed_body_is_frozen() -> None:
    parsed = parse(Request, {"name": "r"})
    with pytest.raises(ValidationError):
        parsed.name = "other"


# --- bad bodies ------------------------------------------------------------------------------


def test_one_bad_field_gives_one_detail_naming_it() -> None:
    error = _refusal({"name": "r", "count": "three"})
    assert error.code == "InvalidRequestContent"
    assert _targets(error) == ["count"]


def test_every_bad_field_is_collected_into_one_error() -> None:
    error = _refusal(
        {
            "count": "3",
            "properties": {
                "mode": "sometimes",
                "enabled": "yes",
                "rules": [{"value": "a"}, {"action": "Deny"}],
            },
        }
    )
    assert error.code == "InvalidRequestContent"
    assert _targets(error) == [
        "name",
        "count",
        "properties.mode",
        "properties.enabled",
        "properties.rules[1].action",
        "properties.rules[1].value",
    ]


def test_each_detail_is_invalid_request_content() -> None:
    error = _refusal({"count": "3"})
    assert {d.code for d in error.details} == {"InvalidRequestContent"}


def test_missing_property_is_described_as_required() -> None:
    [detail] = _refusal({}).details
    assert (detail.target, detail.message) == ("name", "the property is required")


def test_enum_violation_lists_the_allowed_values() -> None:
    [detail] = _refusal({"name": "r", "properties": {"mode": "On"}}).details
    assert detail.message == "must be one of Enabled, Disabled"


def test_message_summarises_every_detail() -> None:
    error = _refusal({"count": "3"})
    assert error.message == (
        "The request content was invalid and could not be deserialized: "
        "'name': the property is required; 'count': Input should be a valid integer."
    )


def test_types_are_strict() -> None:
    error = _refusal({"name": 5, "count": 1.5, "properties": {"enabled": 1}})
    assert _targets(error) == ["name", "count", "properties.enabled"]


def test_list_item_paths_use_brackets() -> None:
    error = _refusal({"name": "r", "properties": {"rules": [{"value": "ok"}, {}, {"value": 3}]}})
    assert _targets(error) == ["properties.rules[1].value", "properties.rules[2].value"]


def test_wrong_shape_of_a_nested_object_names_the_object() -> None:
    error = _refusal({"name": "r", "properties": ["not", "an", "object"]})
    assert _targets(error) == ["properties"]


@pytest.mark.parametrize("body", [None, [], [{"name": "r"}], "name", 3, True])
def test_body_that_is_not_an_object_is_refused(body: Any) -> None:
    error = _refusal(body)
    assert error.code == "InvalidRequestContent"
    assert error.message == (
        "The request content was invalid and could not be deserialized: the body must be a JSON object."
    )
    assert error.details == []


# --- Enum ------------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["Enabled", "enabled", "ENABLED", "eNaBlEd"])
def test_enum_accepts_any_casing_and_returns_the_canonical_one(given: str) -> None:
    parsed = parse(Request, {"name": "r", "properties": {"mode": given}})
    assert parsed.properties is not None and parsed.properties.mode == "Enabled"


def test_enum_default_applies_when_absent() -> None:
    parsed = parse(Rule, {"value": "1.1.1.1"})
    assert parsed.action == "Allow"


@pytest.mark.parametrize("given", [1, True, None, ["Enabled"], "Enabled ", ""])
def test_enum_refuses_anything_but_a_listed_string(given: Any) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(Rule, {"value": "v", "action": given})
    assert _targets(caught.value) == ["action"]


def test_enum_validator_normalises_casing() -> None:
    normalize = enum("LegacyRegistryPermissions", "AbacRepositoryPermissions")
    assert normalize("abacrepositorypermissions") == "AbacRepositoryPermissions"


def test_enum_validator_refuses_unknown_values() -> None:
    with pytest.raises(ValueError, match="must be one of Allow, Deny"):
        enum("Allow", "Deny")("Maybe")
