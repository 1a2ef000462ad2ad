"""Template types: does a value fit a parameter's (or output's) declared type?

One checker for the classic declarations (``type`` with ``allowedValues``, ``minValue``/``maxValue``,
``minLength``/``maxLength``) and for languageVersion 2.0's user-defined types (``$ref`` into
``definitions``, ``nullable``, ``properties``, ``additionalProperties``, ``items``, ``sealed``), which are
the same keywords applied recursively. A misfit raises ``TypeMismatch`` with what ARM says about it; the
caller adds which parameter and where.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PRIMITIVES = {
    "string": "String",
    "securestring": "SecureString",
    "int": "Int",
    "bool": "Bool",
    "object": "Object",
    "secureobject": "SecureObject",
    "array": "Array",
}
"""Declared type (any casing) -> how a deployment's ``parameters``/``outputs`` spell it."""

SECURE = frozenset({"securestring", "secureobject"})


class TypeMismatch(ValueError):
    """The value does not fit; ``str(error)`` is ARM's sentence about it (without the parameter's name)."""


def json_kind(value: Any) -> str:
    """The JSON type of a value as ARM's messages name it (Newtonsoft's token types)."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    return "Object"


_EXPECTED_KIND = {"string": "String", "securestring": "String", "int": "Integer", "bool": "Boolean"}


def resolve(decl: Mapping[str, Any], definitions: Mapping[str, Any]) -> dict[str, Any]:
    """A declaration with its ``$ref`` chain (``#/definitions/NAME``) merged in; the referring declaration's
    own keywords win. A dangling or circular reference is refused."""
    merged = dict(decl)
    seen: set[str] = set()
    while "$ref" in merged:
        ref = merged.pop("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/definitions/"):
            raise TypeMismatch(f"The type reference '{ref}' is not valid. It must have the form '#/definitions/NAME'.")
        name = ref.removeprefix("#/definitions/")
        if name in seen or name not in definitions or not isinstance(definitions[name], Mapping):
            raise TypeMismatch(f"The type reference '{ref}' does not name a type in the template's definitions.")
        seen.add(name)
        merged = {**definitions[name], **merged}
    return merged


def declared_type(decl: Mapping[str, Any], definitions: Mapping[str, Any]) -> str:
    """The primitive type name (lower case) a declaration comes down to."""
    found = resolve(decl, definitions).get("type")
    if not isinstance(found, str) or found.lower() not in PRIMITIVES:
        raise TypeMismatch(
            f"The type '{found}' is not valid. Allowed types are '{', '.join(sorted(PRIMITIVES.values()))}'."
        )
    return found.lower()


def check(value: Any, decl: Mapping[str, Any], definitions: Mapping[str, Any], at: str = "") -> None:
    """Raise ``TypeMismatch`` unless ``value`` fits ``decl``. ``at`` is the path inside the value so far
    (``.name``, ``[2]``) for messages about nested parts."""
    full = resolve(decl, definitions)
    if value is None and full.get("nullable") is True:
        return
    kind = declared_type(full, definitions)
    where = f" at '{at}'" if at else ""
    actual = json_kind(value)
    if kind in _EXPECTED_KIND:
        fits = actual == _EXPECTED_KIND[kind]
    elif kind in ("object", "secureobject"):
        fits = actual == "Object"
    else:
        fits = actual == "Array"
    if not fits:
        raise TypeMismatch(
            f"Expected a value of type '{PRIMITIVES[kind]}'{where}, but received a value of type '{actual}'."
        )
    _check_allowed(value, full, where)
    _check_bounds(value, full, where)
    if isinstance(value, dict):
        _check_object(value, full, definitions, at)
    if isinstance(value, list):
        items = full.get("items")
        if items is False and value:
            raise TypeMismatch(f"The array{where} must be empty.")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                check(item, items, definitions, f"{at}[{index}]")


def _check_allowed(value: Any, decl: Mapping[str, Any], where: str) -> None:
    allowed = decl.get("allowedValues")
    if not isinstance(allowed, list):
        return
    if isinstance(value, list) and all(_member(item, allowed) for item in value):
        return  # an array parameter's allowed values constrain its items
    if not isinstance(value, list) and _member(value, allowed):
        return
    shown = ",".join(_text(v) for v in allowed)
    raise TypeMismatch(
        f"The provided value '{_text(value)}'{where} is not valid. The value is not part of the allowed value(s): "
        f"'{shown}'."
    )


def _member(value: Any, allowed: list[Any]) -> bool:
    """Strings compare case-sensitively, as ARM compares allowed values."""
    return any(type(value) is type(a) and value == a for a in allowed)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _check_bounds(value: Any, decl: Mapping[str, Any], where: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = decl.get("minValue"), decl.get("maxValue")
        if isinstance(low, int) and value < low:
            raise TypeMismatch(f"The value{where} should be greater than or equal to '{low}'.")
        if isinstance(high, int) and value > high:
            raise TypeMismatch(f"The value{where} should be less than or equal to '{high}'.")
    if isinstance(value, (str, list)):
        low, high = decl.get("minLength"), decl.get("maxLength")
        if isinstance(low, int) and len(value) < low:
            raise TypeMismatch(f"Length of the value{where} should be greater than or equal to '{low}'.")
        if isinstance(high, int) and len(value) > high:
            raise TypeMismatch(f"Length of the value{where} should be less than or equal to '{high}'.")


def _check_object(value: dict[str, Any], decl: Mapping[str, Any], definitions: Mapping[str, Any], at: str) -> None:
    properties = decl.get("properties")
    if not isinstance(properties, Mapping):
        return
    by_lower = {k.lower(): k for k in value}
    for name, sub in properties.items():
        key = by_lower.get(name.lower())
        if key is None:
            if isinstance(sub, Mapping) and resolve(sub, definitions).get("nullable") is True:
                continue
            raise TypeMismatch(f"The value at '{at}' is missing the required property '{name}'.")
        check(value[key], sub, definitions, f"{at}.{name}")
    declared = {n.lower() for n in properties}
    extra = [k for k in value if k.lower() not in declared]
    additional = decl.get("additionalProperties")
    if decl.get("sealed") is True or additional is False:
        if extra:
            raise TypeMismatch(f"The property '{extra[0]}' at '{at}' is not allowed.")
    elif isinstance(additional, Mapping):
        for key in extra:
            check(value[key], additional, definitions, f"{at}.{key}")
