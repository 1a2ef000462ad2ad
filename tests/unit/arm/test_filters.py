"""The ``$filter`` grammars of the ARM face: what each accepts, and ARM's (or the provider's) error for the rest."""

from __future__ import annotations

import pytest

from acrlink import unconfirmed
from acrlink.arm import filters
from acrlink.domain.builtin_roles import BY_GUID
from acrlink.errors import BadRequest
from acrlink.services.access_admin import AssignmentFilter, DefinitionFilter
from acrlink.services.arm import ResourceFilter

RUN_FIELDS = {"status": "status", "runid": "runId"}


def _refusal(call: object, *args: object) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


# --- GET .../resources ------------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, ""])
def test_no_resource_filter_asks_nothing(text: str | None) -> None:
    assert filters.resources(text) == ResourceFilter()


def test_resource_filter_clauses_become_fields_and_the_group() -> None:
    text = "resourceType eq 'Microsoft.ContainerRegistry/registries' AND Name eq 'Reg1' and resourcegroup eq 'RG'"
    assert filters.resources(text) == ResourceFilter(
        {"type": "Microsoft.ContainerRegistry/registries", "name": "Reg1"}, "RG"
    )
    assert filters.resources("location eq 'chinanorth2'") == ResourceFilter({"location": "chinanorth2"})


@pytest.mark.parametrize(
    "text",
    [
        "tagName eq 'x'",
        "name eq x",
        "name ne 'x'",
        "name eq 'x' or name eq 'y'",
        "name eq 'x' and",
        "startswith(name, 'x')",
    ],
)
def test_any_other_resource_filter_is_invalid_filter_in_query_string(text: str) -> None:
    error = _refusal(filters.resources, text)
    assert error.code == "InvalidFilterInQueryString"
    assert error.message == f"Invalid $filter '{text}' specified in the query string."


# --- a type's own list (runs) -------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, ""])
def test_no_equality_filter_is_no_clause(text: str | None) -> None:
    assert filters.equalities(text, RUN_FIELDS) == ()


def test_equality_fields_become_the_properties_they_name() -> None:
    found = filters.equalities("  Status eq 'Running' AND RUNID eq 'ca1' ", RUN_FIELDS)
    assert found == (("status", "Running"), ("runId", "ca1"))


def test_an_equality_clause_outside_the_grammar_is_refused_by_clause() -> None:
    error = _refusal(filters.equalities, "Status eq 'a' and Status ne 'b'", RUN_FIELDS)
    assert (error.code, error.message) == ("InvalidFilter", "The filter clause 'Status ne 'b'' is not supported.")


def test_an_unknown_equality_field_is_refused_by_field() -> None:
    error = _refusal(filters.equalities, "Colour eq 'red'", RUN_FIELDS)
    assert (error.code, error.message) == ("InvalidFilter", "The filter field 'Colour' is not supported.")


# --- role assignments and definitions ---------------------------------------------------------


def test_assignment_filters() -> None:
    principal = "00000000-0000-0000-0000-0000000000aa"
    assert filters.assignments(None) == AssignmentFilter()
    assert filters.assignments("  ") == AssignmentFilter()
    assert filters.assignments("atScope()") == AssignmentFilter(at_scope=True)
    assert filters.assignments(f"principalId eq '{principal}'") == AssignmentFilter(principal=principal)
    assert filters.assignments(f"atscope() and assignedTo('{principal}')") == AssignmentFilter(True, principal)


@pytest.mark.parametrize(
    "text",
    ["atScope() and principalId eq 'p'", "atScope() and atScope()", "principalId eq 'a' and assignedTo('b')", "x"],
)
def test_other_assignment_filters_are_refused(text: str) -> None:
    error = _refusal(filters.assignments, text)
    assert error.code == unconfirmed.INVALID_AUTHORIZATION_FILTER_CODE
    assert error.message == unconfirmed.INVALID_AUTHORIZATION_FILTER_MESSAGE.format(value=text)


def test_definition_filters_select_by_name_and_type() -> None:
    assert filters.definitions(None) == DefinitionFilter()
    wanted = filters.definitions("roleName eq 'AcrPull' and type eq 'builtinrole' and atScopeAndBelow()")
    assert wanted == DefinitionFilter(("AcrPull",), ("builtinrole",))
    assert [r.name for r in BY_GUID.values() if wanted.admits(r)] == ["AcrPull"]
    assert not any(filters.definitions("roleName eq 'acrpull'").admits(r) for r in BY_GUID.values())


def test_other_definition_filters_are_refused() -> None:
    error = _refusal(filters.definitions, "roleName eq 'AcrPull' or type eq 'BuiltInRole'")
    assert error.code == unconfirmed.INVALID_AUTHORIZATION_FILTER_CODE
