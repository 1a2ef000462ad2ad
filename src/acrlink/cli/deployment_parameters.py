"""``--parameters`` as ``az deployment group create/what-if`` reads them, and the lenient JSON it reads
templates and parameter files with.

Pure: files are read through the ``read`` function the caller passes (the path as given, to its text, or
None when it is not a readable file), so every rule is testable without a disk.

Not supported, unlike az: ``.bicepparam`` files and parameter URLs (``https://...``), which az downloads
itself; acrlink reaches no network.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

Reader = Callable[[str], str | None]


class ParameterError(ValueError):
    """An argument az would refuse too, with az's wording."""


def read_path(path: str) -> str | None:
    """A file's text as az reads it (a UTF-8 byte order mark dropped, newlines as ``\\n``), or None when
    the path is not a file."""
    expanded = os.path.expanduser(path)
    if not os.path.isfile(expanded):
        return None
    with open(expanded, encoding="utf-8-sig") as handle:
        return handle.read()


def strip_comments(text: str) -> str:
    """JSON with ``//`` and ``/* */`` comments removed (outside strings); a minimal reader until the
    template engine's own JSONC reader exists."""
    out: list[str] = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == '"':
            end = index + 1
            while end < length and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[index : end + 1])
            index = end + 1
        elif text.startswith("//", index):
            newline = text.find("\n", index)
            index = length if newline == -1 else newline
        elif text.startswith("/*", index):
            close = text.find("*/", index + 2)
            if close == -1:
                raise ValueError("unterminated /* comment")
            out.append(" ")
            index = close + 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def read_jsonc(text: str) -> Any:
    """JSON with comments and with raw control characters (literal newlines) inside strings, as az
    accepts templates and parameter files; a Python literal as a last resort (az's ``shell_safe_json_parse``)."""
    return _loads(strip_comments(text.removeprefix("\ufeff")), strict=False)


def _loads(text: str, strict: bool = True) -> Any:
    try:
        return json.loads(text, strict=strict)
    except ValueError as error:
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            raise ValueError(f"Failed to parse string as JSON:\n{text}\nError detail: {error}") from None


def expand_at(argument: str, read: Reader) -> str:
    """az's ``@FILE`` expansion, done for every argument before parsing: ``@FILE`` or ``KEY=@FILE`` is
    replaced by the file's text (trailing newline dropped); left as it is when the file cannot be read."""
    key, equals, value = argument.partition("=")
    target = value if equals else key
    if not target.startswith("@") or len(target) == 1:
        return argument
    text = read(target[1:])
    if text is None:
        return argument
    text = text.rstrip("\n")
    return f"{key}={text}" if equals else text


def parse_parameters(template: dict[str, Any], arguments: Iterable[str], read: Reader = read_path) -> dict[str, Any]:
    """The deployment's ``parameters`` object from ``--parameters`` values, in order, later ones winning.

    Each value is tried as az tries it: a path to a parameters file, then inline JSON (with comments);
    either may be a whole parameters file (its ``parameters`` member is taken) or the bare object of
    ``{"name": {"value": ...}}`` entries, copied as they are (so Key Vault references pass through).
    Otherwise it must be ``KEY=VALUE`` for a parameter the template declares, typed by that declaration
    (``typed_value``). ``@FILE`` is expanded first (``expand_at``)."""
    parameters: dict[str, Any] = {}
    for raw in arguments:
        argument = expand_at(raw, read)
        found = _from_file(argument, read)
        if found is None:
            found = _from_json(argument)
        if found is not None:
            parameters.update(found)
        elif "=" in argument:
            key, value = argument.split("=", 1)
            parameters[key] = {"value": typed_value(template, key, value)}
        else:
            raise ParameterError(f"Unable to parse parameter: {argument}")
    return parameters


def _from_file(argument: str, read: Reader) -> dict[str, Any] | None:
    try:
        text = read(argument)
    except (OSError, ValueError):
        return None
    if not text:
        return None
    try:
        parsed = read_jsonc(text)
    except ValueError as error:
        raise ParameterError(f"Failed to parse {argument} with exception:\n    {error}") from None
    return _members(parsed)


def _from_json(argument: str) -> dict[str, Any] | None:
    try:
        return _members(read_jsonc(argument))
    except ValueError:
        return None


def _members(parsed: Any) -> dict[str, Any] | None:
    if not isinstance(parsed, dict):
        return None
    members = parsed.get("parameters", parsed)
    return members if isinstance(members, dict) else None


def typed_value(template: dict[str, Any], key: str, value: str) -> Any:
    """A ``KEY=VALUE`` value typed by the template's declaration of ``key`` (``$ref`` followed):
    ``int`` an integer, ``bool`` true exactly when the text is ``true`` in any case, ``object``,
    ``array`` and ``secureObject`` JSON, anything else the text itself. An undeclared key is refused."""
    declared = template.get("parameters") or {}
    if key not in declared:
        allowed = ", ".join(sorted(declared))
        raise ParameterError(f"unrecognized template parameter '{key}'. Allowed parameters: {allowed}")
    kind = str(resolve_type(declared[key], template).get("type") or "").lower()
    if kind in ("object", "array", "secureobject"):
        try:
            return _loads(value)
        except ValueError as error:
            raise ParameterError(str(error)) from None
    if kind == "bool":
        return value.lower() == "true"
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            raise ParameterError(f"invalid literal for int() with base 10: '{value}'") from None
    return value


def resolve_type(declaration: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """A parameter's declaration with ``$ref`` (``#/definitions/...``, ``#/parameters/...``,
    ``#/outputs/...``) followed to the type it names; a property set on the referring side wins over
    the referenced one (az's ``_resolve_parameter_type``, for ``type`` and ``nullable``)."""
    current, seen = declaration, set()
    while isinstance(current, dict) and "$ref" in current:
        ref = str(current["$ref"])
        if ref in seen:
            raise ParameterError(f"Cycle detected with processing {ref}.")
        seen.add(ref)
        segments = [unquote(s).replace("~1", "/").replace("~0", "~") for s in ref.split("/")]
        if len(segments) < 2 or segments[0] != "#" or segments[1] not in ("definitions", "parameters", "outputs"):
            raise ParameterError(f"Invalid $ref {ref}.")
        target: Any = template.get(segments[1])
        for segment in segments[2:]:
            if isinstance(target, dict) and segment in target:
                target = target[segment]
            elif isinstance(target, list) and segment.isdigit() and int(segment) < len(target):
                target = target[int(segment)]
            else:
                raise ParameterError(f"Failed to resolve path {ref}.")
        resolved = dict(target) if isinstance(target, dict) else {}
        for field in ("nullable", "minLength", "maxLength", "allowedValues"):
            if current.get(field) is not None:
                resolved[field] = current[field]
        current = resolved
    return current if isinstance(current, dict) else {}


def missing_parameters(template: dict[str, Any], parameters: dict[str, Any]) -> list[str]:
    """Declared parameters with no default, not nullable, and no value given: az refuses to send the
    deployment without them ("Missing input parameters") when it cannot prompt."""
    missing = []
    for name, declaration in (template.get("parameters") or {}).items():
        if "defaultValue" in declaration or resolve_type(declaration, template).get("nullable", False):
            continue
        if parameters.get(name) is None:
            missing.append(name)
    return missing
