"""The part of Microsoft Graph's OData ``$filter`` the Azure CLI sends to look directory objects up.

Clauses joined by ``and``, each one of:
- ``PROPERTY eq 'VALUE'`` (``appId``, ``displayName``, ``userPrincipalName``, ``mail``, ...);
- ``startswith(PROPERTY,'VALUE')``;
- ``COLLECTION/any(x:x eq 'VALUE')`` (``servicePrincipalNames``, ``identifierUris``).
Strings compare without case, as Graph compares these properties; ``''`` inside a literal is a quote.
Anything else is refused (``FilterError``), as Graph refuses a query it does not support.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EQ, STARTS_WITH, ANY_EQ = "eq", "startswith", "any"

_LITERAL = r"'((?:[^']|'')*)'"
_EQ = re.compile(rf"^\s*(\w+)\s+eq\s+{_LITERAL}\s*$", re.IGNORECASE)
_STARTS = re.compile(rf"^\s*startswith\(\s*(\w+)\s*,\s*{_LITERAL}\s*\)\s*$", re.IGNORECASE)
_ANY = re.compile(rf"^\s*(\w+)/any\(\s*(\w+)\s*:\s*(\w+)\s+eq\s+{_LITERAL}\s*\)\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)", re.IGNORECASE)
"""``and`` outside string literals."""


class FilterError(ValueError):
    """A ``$filter`` outside the supported grammar."""


@dataclass(frozen=True)
class Clause:
    """One supported comparison of a Graph ``$filter``: equality, prefix, or ``any`` over a collection, with the
    property and the literal (quotes undoubled)."""

    kind: str
    property: str
    value: str


def parse(text: str) -> tuple[Clause, ...]:
    """The clauses of ``text``; ``FilterError`` for anything outside the grammar above."""
    clauses = []
    for part in _AND.split(text.strip()):
        if match := _EQ.match(part):
            clauses.append(Clause(EQ, match.group(1), match.group(2).replace("''", "'")))
        elif match := _STARTS.match(part):
            clauses.append(Clause(STARTS_WITH, match.group(1), match.group(2).replace("''", "'")))
        elif (match := _ANY.match(part)) and match.group(2) == match.group(3):
            clauses.append(Clause(ANY_EQ, match.group(1), match.group(4).replace("''", "'")))
        else:
            raise FilterError(part)
    return tuple(clauses)


def _get(obj: Mapping[str, Any], name: str) -> Any:
    """A property by name, without case (OData property names are case-insensitive in Graph's filters)."""
    for key, value in obj.items():
        if key.lower() == name.lower():
            return value
    return None


def matches(obj: Mapping[str, Any], clauses: tuple[Clause, ...]) -> bool:
    """Whether a directory object satisfies every clause."""
    for clause in clauses:
        value = _get(obj, clause.property)
        wanted = clause.value.lower()
        if clause.kind == ANY_EQ:
            if not isinstance(value, list) or wanted not in (str(v).lower() for v in value):
                return False
        elif (
            not isinstance(value, str)
            or clause.kind == EQ
            and value.lower() != wanted
            or clause.kind == STARTS_WITH
            and not value.lower().startswith(wanted)
        ):
            return False
    return True
