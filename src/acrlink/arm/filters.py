"""The ``$filter`` grammars the ARM face reads, each into the value its service or type is given.

- ``GET .../resources``: ``resourceType``, ``name``, ``location`` or ``resourceGroup`` ``eq '...'``, joined by
  ``and`` (``az resource list``); anything else is ARM's ``InvalidFilterInQueryString``.
- A type's own list (``ResourceType.filter_fields``, the runs ``az acr task list-runs`` pages through):
  ``Field eq '...'`` clauses joined by ``and``; an unknown clause or field is the provider's ``InvalidFilter``.
- Role assignments: ``atScope()``, ``principalId eq '{id}'``, ``assignedTo('{id}')``; role definitions:
  ``roleName eq '...'``, ``type eq '...'``, ``atScopeAndBelow()``. A refusal is the guessed code and message in
  ``unconfirmed``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from acrlink import unconfirmed
from acrlink.errors import BadRequest
from acrlink.services.access_admin import AssignmentFilter, DefinitionFilter
from acrlink.services.arm import ResourceFilter

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)

_RESOURCE_CLAUSE = re.compile(r"^\s*(resourceType|name|resourceGroup|location)\s+eq\s+'([^']*)'\s*$", re.I)
_RESOURCE_FIELDS = {"resourcetype": "type", "name": "name", "location": "location"}
_GROUP_FIELD = "resourcegroup"

_EQUALITY = re.compile(r"^\s*(\w+)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)

_QUOTED = r"'?(?P<value>[^'\s()]+)'?"
_AT_SCOPE = re.compile(r"^atScope\(\)$", re.IGNORECASE)
_PRINCIPAL = re.compile(rf"^principalId\s+eq\s+{_QUOTED}$", re.IGNORECASE)
_ASSIGNED_TO = re.compile(rf"^assignedTo\({_QUOTED}\)$", re.IGNORECASE)
_ROLE_NAME = re.compile(r"^roleName\s+eq\s+'(?P<value>[^']*)'$", re.IGNORECASE)
_ROLE_TYPE = re.compile(r"^type\s+eq\s+'(?P<value>[^']*)'$", re.IGNORECASE)
_AT_SCOPE_AND_BELOW = re.compile(r"^atScopeAndBelow\(\)$", re.IGNORECASE)


def resources(expression: str | None) -> ResourceFilter:
    """``resourceType eq 'X' and name eq 'Y'`` -> fields {"type": "X", "name": "Y"}; ``resourceGroup eq 'G'``
    (what ``az resource list -g G`` sends) names the group to list, no field. Nothing else is accepted."""
    if not expression:
        return ResourceFilter()
    fields: dict[str, str] = {}
    group: str | None = None
    for clause in _AND.split(expression):
        match = _RESOURCE_CLAUSE.match(clause)
        if not match:
            raise BadRequest(
                "InvalidFilterInQueryString", f"Invalid $filter '{expression}' specified in the query string."
            )
        key = match.group(1).lower()
        if key == _GROUP_FIELD:
            group = match.group(2)
        else:
            fields[_RESOURCE_FIELDS[key]] = match.group(2)
    return ResourceFilter(fields, group)


def equalities(expression: str | None, fields: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """``Status eq 'S' and RunId eq 'R'`` -> (("status", "S"), ("runId", "R")): each clause's field (any casing,
    a key of ``fields``, lower case) becomes the property it names. No filter is no clause."""
    if not expression:
        return ()
    found = []
    for clause in _AND.split(expression.strip()):
        match = _EQUALITY.match(clause)
        if match is None:
            raise BadRequest("InvalidFilter", f"The filter clause '{clause}' is not supported.")
        prop = fields.get(match.group(1).lower())
        if prop is None:
            raise BadRequest("InvalidFilter", f"The filter field '{match.group(1)}' is not supported.")
        found.append((prop, match.group(2)))
    return tuple(found)


def _invalid_authorization_filter(expression: str) -> BadRequest:
    return BadRequest(
        unconfirmed.INVALID_AUTHORIZATION_FILTER_CODE,
        unconfirmed.INVALID_AUTHORIZATION_FILTER_MESSAGE.format(value=expression),
    )


def assignments(expression: str | None) -> AssignmentFilter:
    """``atScope()``, ``principalId eq '{id}'``, ``assignedTo('{id}')`` or ``atScope() and assignedTo('{id}')``
    (there are no groups here, so assignedTo is the principal's own assignments); ``atScope()`` and
    ``principalId eq`` together are refused, as the API does (az's role module notes the limitation)."""
    if not expression or not expression.strip():
        return AssignmentFilter()
    at_scope, principal, by_principal_id = False, None, False
    for clause in _AND.split(expression.strip()):
        if _AT_SCOPE.match(clause) and not at_scope:
            at_scope = True
        elif (match := _PRINCIPAL.match(clause) or _ASSIGNED_TO.match(clause)) and principal is None:
            principal = match.group("value")
            by_principal_id = _PRINCIPAL.match(clause) is not None
        else:
            raise _invalid_authorization_filter(expression)
    if at_scope and by_principal_id:
        raise _invalid_authorization_filter(expression)
    return AssignmentFilter(at_scope, principal)


def definitions(expression: str | None) -> DefinitionFilter:
    """``roleName eq 'X'`` (exact, as Azure compares it), ``type eq 'BuiltInRole'|'CustomRole'`` and
    ``atScopeAndBelow()`` (every role here is assignable everywhere), joined by ``and``."""
    if not expression or not expression.strip():
        return DefinitionFilter()
    names: list[str] = []
    types: list[str] = []
    for clause in _AND.split(expression.strip()):
        if match := _ROLE_NAME.match(clause):
            names.append(match.group("value"))
        elif match := _ROLE_TYPE.match(clause):
            types.append(match.group("value"))
        elif not _AT_SCOPE_AND_BELOW.match(clause):
            raise _invalid_authorization_filter(expression)
    return DefinitionFilter(tuple(names), tuple(types))
