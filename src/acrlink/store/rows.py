"""The resources table's rows as both SQL backends read and write them (``sqlite.py``, ``postgres.py``): the
column list, the upsert, the listing filter, and a row as a ``Record``. Only the drivers' placeholders differ."""

from __future__ import annotations

import json
from typing import Any

from acrlink.store.base import Record

COLUMNS = "key, type, subscription, resource_group, parent, body"
FILTERS = ("type", "subscription", "resource_group", "parent")


def upsert(placeholder: str) -> str:
    """Insert or replace a resource row (a replaced row keeps its ``seq``: its place in listing order)."""
    values = ", ".join([placeholder] * 6)
    return (
        f"INSERT INTO resources ({COLUMNS}) VALUES ({values}) ON CONFLICT (key) DO UPDATE SET "
        "type = excluded.type, subscription = excluded.subscription, resource_group = excluded.resource_group, "
        "parent = excluded.parent, body = excluded.body"
    )


def where(values: tuple[str | None, ...], placeholder: str) -> tuple[str, list[str]]:
    """The WHERE clause (and its parameters) matching the given type, subscription, group and parent."""
    clauses = [f"{column} = {placeholder}" for column, value in zip(FILTERS, values, strict=True) if value is not None]
    params = [value.lower() for value in values if value is not None]
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def parameters(record: Record) -> tuple[str, ...]:
    """A record's values for ``upsert``: the query columns lower case, the body compact JSON."""
    return (
        record.key.lower(),
        record.type.lower(),
        record.subscription.lower(),
        record.resource_group.lower(),
        record.parent.lower(),
        json.dumps(record.body, separators=(",", ":")),
    )


def record(row: Any) -> Record:
    """A row of ``COLUMNS``, in that order."""
    key, type_, subscription, resource_group, parent, body = row
    return Record(key, type_, subscription, resource_group, parent, json.loads(body))
