"""The template function table: one ``Function`` per ARM function, keyed by lower-case name.

Each ``impl(scope, args)`` gets the evaluated arguments as JSON values (``str``, ``int``, ``float``,
``bool``, ``None``, ``list``, ``dict``); whatever depends on the deployment it asks of ``scope``. Two
flags make the evaluator help:

* ``lazy``: the arguments arrive as zero-argument thunks, evaluated only when called. ``if`` evaluates
  only the chosen branch (documented: templates guard ``reference()`` with it); ``and``, ``or`` and
  ``coalesce`` stop at the first argument that decides the result (GUESS: short-circuiting of these three
  is UNCONFIRMED; it only spares evaluation errors ARM might report).
* ``lambdas``: a ``lambda(...)`` argument arrives as a callable taking the lambda's variables (only these
  functions may take lambdas: filter, groupBy, map, mapValues, reduce, sort, toObject).

Any name starting with ``list`` (``listKeys``, ``listCredentials``, ...) is a resource list action that
``lookup`` builds on demand. Errors raise ``BadRequest("InvalidTemplate", ...)`` with texts from
``acrlink.unconfirmed``.

Python's ``bool`` is an ``int``: every check here tests ``type(v) is int`` so that ``true`` is never a
number (``equals(1, true())`` is false, ``add(1, true())`` an error).
"""

from __future__ import annotations

import base64 as b64
import calendar
import functools
import ipaddress
import json as jsonlib
import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from acrlink import unconfirmed
from acrlink.errors import BadRequest

from . import hashing, jsonc
from .scope import Scope

__all__ = ["FUNCTIONS", "Function", "lookup", "to_string", "type_name", "deep_equal"]

Impl = Callable[[Scope, list[Any]], Any]


@dataclass(frozen=True)
class Function:
    """A template function: its name as documented, its arity (``max_args`` None: unbounded), its
    implementation and doc, and whether it takes thunks (``lazy``) or lambdas (``lambdas``)."""

    name: str
    min_args: int
    max_args: int | None
    impl: Impl
    doc: str
    lazy: bool = False
    lambdas: bool = False


FUNCTIONS: dict[str, Function] = {}


def _fn(
    name: str, min_args: int, max_args: int | None, *, lazy: bool = False, lambdas: bool = False
) -> Callable[[Impl], Impl]:
    def register(impl: Impl) -> Impl:
        doc = (impl.__doc__ or "").strip()
        FUNCTIONS[name.lower()] = Function(name, min_args, max_args, impl, doc, lazy, lambdas)
        return impl

    return register


def lookup(name: str) -> Function:
    """The function called ``name`` (any case); ``list*`` names become list actions. Unknown names raise
    InvalidTemplate ("The template function 'foo' is not found...")."""
    fn = FUNCTIONS.get(name.lower())
    if fn is not None:
        return fn
    if name.lower().startswith("list"):
        return _list_action(name)
    raise BadRequest("InvalidTemplate", unconfirmed.FUNCTION_NOT_FOUND.format(name=name))


def check_arity(fn: Function, count: int) -> None:
    """Raise InvalidTemplate unless ``count`` arguments suit ``fn``."""
    if count >= fn.min_args and (fn.max_args is None or count <= fn.max_args):
        return
    if fn.max_args is None:
        expected = f"at least {fn.min_args}"
    elif fn.min_args == fn.max_args:
        expected = str(fn.min_args)
    else:
        expected = f"{fn.min_args} to {fn.max_args}"
    raise BadRequest(
        "InvalidTemplate", unconfirmed.FUNCTION_ARG_COUNT.format(name=fn.name, expected=expected, actual=count)
    )


# helpers -----------------------------------------------------------------------------------------------

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def type_name(v: Any) -> str:
    """ARM's name for the JSON type of ``v`` (String, Integer, Float, Boolean, Array, Object, Null)."""
    t = type(v)
    if t is str:
        return "String"
    if t is bool:
        return "Boolean"
    if t is int:
        return "Integer"
    if t is float:
        return "Float"
    if t is list:
        return "Array"
    if t is dict:
        return "Object"
    if v is None:
        return "Null"
    return "Function" if callable(v) else t.__name__


def _fail(name: str, detail: str) -> BadRequest:
    return BadRequest("InvalidTemplate", unconfirmed.FUNCTION_FAILED.format(name=name, detail=detail))


def _type_error(name: str, i: int, expected: str, v: Any) -> BadRequest:
    ordinal = _ORDINALS[i] if i < len(_ORDINALS) else f"{i + 1}th"
    return BadRequest(
        "InvalidTemplate",
        unconfirmed.FUNCTION_ARG_TYPE.format(name=name, ordinal=ordinal, expected=expected, actual=type_name(v)),
    )


def _str(name: str, args: list[Any], i: int) -> str:
    v = args[i]
    if type(v) is not str:
        raise _type_error(name, i, "String", v)
    return v


def _int(name: str, args: list[Any], i: int) -> int:
    v = args[i]
    if type(v) is not int:
        raise _type_error(name, i, "Integer", v)
    return v


def _bool(name: str, args: list[Any], i: int) -> bool:
    v = args[i]
    if type(v) is not bool:
        raise _type_error(name, i, "Boolean", v)
    return v


def _list(name: str, args: list[Any], i: int) -> list[Any]:
    v = args[i]
    if type(v) is not list:
        raise _type_error(name, i, "Array", v)
    return v


def _dict(name: str, args: list[Any], i: int) -> dict[str, Any]:
    v = args[i]
    if type(v) is not dict:
        raise _type_error(name, i, "Object", v)
    return v


def _callable(name: str, args: list[Any], i: int) -> Callable[..., Any]:
    v = args[i]
    if not callable(v):
        raise _type_error(name, i, "Lambda", v)
    return v  # type: ignore[no-any-return]


def _float_text(f: float) -> str:
    """A double as .NET's round-trip ``ToString()`` writes it: ``1``, ``1.5``, ``1E+20``, ``1E-05``."""
    if f != f or f in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(f)]
    text = repr(f)
    if "e" in text:
        mantissa, exp = text.split("e")
        mantissa = mantissa.removesuffix(".0")
        sign = "-" if exp.startswith("-") else "+"
        return f"{mantissa}E{sign}{exp.lstrip('+-').zfill(2)}"
    return text.removesuffix(".0")


def to_string(v: Any) -> str:
    """``string(v)``: strings as they are, ``True``/``False``, numbers in invariant culture, null as an empty
    string (GUESS), arrays and objects as compact JSON (``{"a":1}``)."""
    t = type(v)
    if t is str:
        return v  # type: ignore[no-any-return]
    if t is bool:
        return "True" if v else "False"
    if t is int:
        return str(v)
    if t is float:
        return _float_text(v)
    if v is None:
        return ""
    return jsonlib.dumps(v, separators=(",", ":"), ensure_ascii=False)


def deep_equal(a: Any, b: Any) -> bool:
    """ARM's ``equals``: deep, type-sensitive (a boolean never equals a number), strings case-sensitive;
    an integer equals a float of the same value."""
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        return ta is tb and a == b
    if ta in (int, float) and tb in (int, float):
        return bool(a == b)
    if ta is not tb:
        return False
    if ta is list:
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if ta is dict:
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _get_ci(d: dict[str, Any], key: str) -> tuple[bool, Any]:
    if key in d:
        return True, d[key]
    low = key.lower()
    for k, v in d.items():
        if k.lower() == low:
            return True, v
    return False, None


def get_property(target: Any, name: str) -> Any:
    """``target.name`` (object property names are case-insensitive); ARM's errors for a missing property
    or a target that is not an object."""
    if type(target) is dict:
        found, v = _get_ci(target, name)
        if found:
            return v
        raise BadRequest("InvalidTemplate", unconfirmed.PROPERTY_MISSING.format(name=name, available=", ".join(target)))
    raise BadRequest("InvalidTemplate", unconfirmed.PROPERTY_NOT_EVALUABLE.format(name=name))


def get_index(target: Any, index: Any) -> Any:
    """``target[index]``: an array by integer, an object by (case-insensitive) string key."""
    if type(target) is list:
        if type(index) is not int:
            raise BadRequest(
                "InvalidTemplate", unconfirmed.INDEX_NOT_EVALUABLE.format(index=to_string(index), type="Array")
            )
        if 0 <= index < len(target):
            return target[index]
        raise BadRequest("InvalidTemplate", unconfirmed.INDEX_OUT_OF_RANGE.format(index=index))
    if type(target) is dict and type(index) is str:
        return get_property(target, index)
    raise BadRequest(
        "InvalidTemplate", unconfirmed.INDEX_NOT_EVALUABLE.format(index=to_string(index), type=type_name(target))
    )


# string functions --------------------------------------------------------------------------------------


@_fn("concat", 0, None)
def _concat(scope: Scope, args: list[Any]) -> Any:
    """Arrays concatenated into one array, or every argument as a string joined into one string (mixing
    the two is an error)."""
    if args and all(type(a) is list for a in args):
        out: list[Any] = []
        for a in args:
            out.extend(a)
        return out
    for i, a in enumerate(args):
        if type(a) is list or type(a) is dict:
            raise _type_error("concat", i, "String", a)
    return "".join(to_string(a) for a in args)


_FORMAT_ITEM = re.compile(r"\{(\d+)\s*(?:,\s*(-?\d+)\s*)?(?::([^}]*))?\}")


@_fn("format", 1, None)
def _format(scope: Scope, args: list[Any]) -> str:
    """.NET composite formatting: ``{0}``, ``{1,-8}`` (alignment), ``{2:N0}``, ``{0:D3}``, ``{0:X}``;
    ``{{``/``}}`` are literal braces. Invariant culture."""
    fmt = _str("format", args, 0)
    values = args[1:]
    out: list[str] = []
    i, n = 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c == "{":
            if fmt.startswith("{{", i):
                out.append("{")
                i += 2
                continue
            m = _FORMAT_ITEM.match(fmt, i)
            if not m:
                raise _fail("format", "Input string was not in a correct format.")
            index = int(m.group(1))
            if index >= len(values):
                raise _fail(
                    "format",
                    "Index (zero based) must be greater than or equal to zero and less than the size of the "
                    "argument list.",
                )
            text = _format_value(values[index], m.group(3))
            width = int(m.group(2) or 0)
            out.append(text.rjust(width) if width >= 0 else text.ljust(-width))
            i = m.end()
        elif c == "}":
            if not fmt.startswith("}}", i):
                raise _fail("format", "Input string was not in a correct format.")
            out.append("}")
            i += 2
        else:
            j = i
            while j < n and fmt[j] not in "{}":
                j += 1
            out.append(fmt[i:j])
            i = j
    return "".join(out)


def _group(digits: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[k : k + 3] for k in range(head, len(digits), 3)]
    return ",".join(parts)


def _round_text(v: float | int, decimals: int) -> str:
    """``abs(v)`` with ``decimals`` decimals, midpoints of the exact binary value rounded away from zero as
    .NET Core formats doubles (``2.25`` → ``2.3``, ``2.675`` → ``2.67``)."""
    exact = Decimal(abs(v))
    return f"{exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):f}"


def _fixed(v: float | int, decimals: int, grouping: bool) -> str:
    text = _round_text(v, decimals)
    whole, _, frac = text.partition(".")
    if grouping:
        whole = _group(whole)
    sign = "-" if v < 0 and any(ch not in "0.," for ch in text) else ""
    return sign + whole + ("." + frac if frac else "")


def _format_value(v: Any, spec: str | None) -> str:
    if not spec or type(v) not in (int, float):
        return to_string(v)
    letter, rest = spec[0], spec[1:]
    if letter.isalpha() and (rest == "" or rest.isdigit()):
        precision = int(rest) if rest else None
        u = letter.upper()
        if u == "D" and type(v) is int:
            digits = str(abs(v)).zfill(precision or 0)
            return ("-" if v < 0 else "") + digits
        if u == "X" and type(v) is int:
            value = v if v >= 0 else v + (1 << 64)
            text = format(value, "X" if letter == "X" else "x")
            return text.zfill(precision or 0)
        if u == "N":
            return _fixed(v, 2 if precision is None else precision, True)
        if u == "F":
            return _fixed(v, 2 if precision is None else precision, False)
        if u == "P":
            return _fixed(v * 100, 2 if precision is None else precision, True) + " %"
        if u == "C":
            text = _fixed(v, 2 if precision is None else precision, True)
            return f"(¤{text[1:]})" if text.startswith("-") else "¤" + text
        if u == "E":
            text = f"{v:.{6 if precision is None else precision}E}"
            mantissa, exp = text.split("E")
            exp_text = exp[0] + exp[1:].zfill(3)
            return mantissa + ("E" if letter == "E" else "e") + exp_text
        if u in ("G", "R"):
            return to_string(v)
        raise _fail("format", f"Format specifier '{spec}' was invalid.")
    return _custom_number(v, spec)


def _custom_number(v: float | int, spec: str) -> str:
    """A subset of .NET custom numeric formats: ``0`` and ``#`` digits, ``,`` grouping, ``.`` decimals,
    ``%``, other characters literal."""
    m = re.search(r"[0#,.]*[0#][0#,.]*", spec)
    if not m:
        return spec
    pattern = m.group()
    prefix, suffix = spec[: m.start()], spec[m.end() :]
    if "%" in prefix + suffix:
        v = v * 100
    whole_pat, _, frac_pat = pattern.partition(".")
    grouping = "," in whole_pat
    min_whole = whole_pat.replace(",", "").count("0")
    min_frac = frac_pat.count("0")
    max_frac = len(frac_pat.replace(",", ""))
    text = _round_text(v, max_frac)
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    frac = frac.ljust(min_frac, "0")
    whole = whole.lstrip("0").zfill(min_whole)
    if grouping and whole:
        whole = _group(whole)
    body = whole + ("." + frac if frac else "")
    sign = "-" if v < 0 and body.strip("0.,") else ""
    return prefix.replace("\\", "") + sign + body + suffix.replace("\\", "")


@_fn("replace", 3, 3)
def _replace(scope: Scope, args: list[Any]) -> str:
    """Every occurrence of the second string in the first replaced by the third (case-sensitive)."""
    s, old, new = _str("replace", args, 0), _str("replace", args, 1), _str("replace", args, 2)
    if old == "":
        raise _fail("replace", "The old value to replace must not be empty.")
    return s.replace(old, new)


@_fn("split", 2, 2)
def _split(scope: Scope, args: list[Any]) -> list[str]:
    """The string split at each delimiter (a string, or an array of strings, tried in order at each
    position as .NET's ``String.Split(string[])`` does); empty pieces are kept."""
    s = _str("split", args, 0)
    delims = args[1]
    if type(delims) is str:
        seps = [delims]
    elif type(delims) is list and all(type(d) is str for d in delims):
        seps = list(delims)
    else:
        raise _type_error("split", 1, "String", delims)
    seps = [d for d in seps if d]
    if not seps:
        return [s]
    out: list[str] = []
    start = i = 0
    while i < len(s):
        for d in seps:
            if s.startswith(d, i):
                out.append(s[start:i])
                i += len(d)
                start = i
                break
        else:
            i += 1
    out.append(s[start:])
    return out


@_fn("toLower", 1, 1)
def _to_lower(scope: Scope, args: list[Any]) -> str:
    """The string in lower case (invariant)."""
    return _str("toLower", args, 0).lower()


@_fn("toUpper", 1, 1)
def _to_upper(scope: Scope, args: list[Any]) -> str:
    """The string in upper case (invariant)."""
    return _str("toUpper", args, 0).upper()


@_fn("trim", 1, 1)
def _trim(scope: Scope, args: list[Any]) -> str:
    """The string without leading and trailing white space."""
    return _str("trim", args, 0).strip()


@_fn("substring", 2, 3)
def _substring(scope: Scope, args: list[Any]) -> str:
    """``substring(s, start, [length])``; out of range is an error (the text the docs quote)."""
    s = _str("substring", args, 0)
    start = _int("substring", args, 1)
    length = _int("substring", args, 2) if len(args) > 2 else len(s) - start
    if start < 0 or length < 0 or start + length > len(s):
        raise _fail("substring", unconfirmed.SUBSTRING_RANGE.format(index=start, length=length, size=len(s)))
    return s[start : start + length]


def _search(name: str, args: list[Any]) -> tuple[str | list[Any], Any]:
    target = args[0]
    if type(target) is str:
        return target, to_string(args[1]) if type(args[1]) is not str else args[1]
    if type(target) is list and name in ("indexOf", "lastIndexOf"):
        return target, args[1]
    raise _type_error(name, 0, "String", target)


@_fn("indexOf", 2, 2)
def _index_of(scope: Scope, args: list[Any]) -> int:
    """First position of a substring (case-insensitive) or of an array item (deep equality); -1 if none."""
    target, item = _search("indexOf", args)
    if isinstance(target, str):
        return target.upper().find(item.upper())
    return next((i for i, x in enumerate(target) if deep_equal(x, item)), -1)


@_fn("lastIndexOf", 2, 2)
def _last_index_of(scope: Scope, args: list[Any]) -> int:
    """Last position of a substring (case-insensitive) or of an array item; -1 if none."""
    target, item = _search("lastIndexOf", args)
    if isinstance(target, str):
        if item == "":
            return max(len(target) - 1, 0)
        return target.upper().rfind(item.upper())
    return next((i for i in range(len(target) - 1, -1, -1) if deep_equal(target[i], item)), -1)


@_fn("startsWith", 2, 2)
def _starts_with(scope: Scope, args: list[Any]) -> bool:
    """Whether the string starts with the other (case-insensitive)."""
    return _str("startsWith", args, 0).upper().startswith(_str("startsWith", args, 1).upper())


@_fn("endsWith", 2, 2)
def _ends_with(scope: Scope, args: list[Any]) -> bool:
    """Whether the string ends with the other (case-insensitive)."""
    return _str("endsWith", args, 0).upper().endswith(_str("endsWith", args, 1).upper())


@_fn("padLeft", 2, 3)
def _pad_left(scope: Scope, args: list[Any]) -> str:
    """``padLeft(valueToPad, totalLength, [paddingCharacter=' '])``; an integer value is padded as text."""
    value = args[0]
    if type(value) not in (str, int):
        raise _type_error("padLeft", 0, "String", value)
    total = _int("padLeft", args, 1)
    pad = _str("padLeft", args, 2) if len(args) > 2 else " "
    if len(pad) != 1:
        raise _fail("padLeft", "The padding character must be a single character.")
    return to_string(value).rjust(total, pad)


@_fn("uniqueString", 1, None)
def _unique_string(scope: Scope, args: list[Any]) -> str:
    """13 base-32 characters hashed from the string arguments (``hashing.unique_string``)."""
    return hashing.unique_string(*(_str("uniqueString", args, i) for i in range(len(args))))


@_fn("guid", 1, None)
def _guid(scope: Scope, args: list[Any]) -> str:
    """A GUID hashed from the string arguments (``hashing.guid``)."""
    return hashing.guid(*(_str("guid", args, i) for i in range(len(args))))


@_fn("newGuid", 0, 0)
def _new_guid(scope: Scope, args: list[Any]) -> str:
    """A random GUID; only in a parameter's defaultValue (``scope.runtime`` decides)."""
    scope.runtime("newGuid")
    return str(uuid.uuid4())


@_fn("base64", 1, 1)
def _base64(scope: Scope, args: list[Any]) -> str:
    """The UTF-8 bytes of the string, base64-encoded."""
    return b64.b64encode(_str("base64", args, 0).encode("utf-8")).decode("ascii")


def _unbase64(name: str, text: str) -> str:
    try:
        return b64.b64decode(text.encode("ascii"), validate=True).decode("utf-8")
    except (ValueError, UnicodeError):
        raise _fail(name, "The input is not a valid Base-64 string.") from None


@_fn("base64ToString", 1, 1)
def _base64_to_string(scope: Scope, args: list[Any]) -> str:
    """The base64 string decoded as UTF-8."""
    return _unbase64("base64ToString", _str("base64ToString", args, 0))


def _parse_json(name: str, text: str) -> Any:
    try:
        return jsonc.loads(text)[0]
    except jsonc.JsonSyntaxError as e:
        raise _fail(name, f"The provided value is not valid JSON: {e.message}") from None


@_fn("base64ToJson", 1, 1)
def _base64_to_json(scope: Scope, args: list[Any]) -> Any:
    """The base64 string decoded and parsed as JSON."""
    return _parse_json("base64ToJson", _unbase64("base64ToJson", _str("base64ToJson", args, 0)))


@_fn("json", 1, 1)
def _json(scope: Scope, args: list[Any]) -> Any:
    """The string parsed as (lenient) JSON; ``json('null')`` is null."""
    return _parse_json("json", _str("json", args, 0))


@_fn("string", 1, 1)
def _string(scope: Scope, args: list[Any]) -> str:
    """The value as a string (``to_string``)."""
    return to_string(args[0])


@_fn("uri", 2, 2)
def _uri(scope: Scope, args: list[Any]) -> str:
    """An absolute URI from a base and a relative part, resolved as RFC 3986 (and .NET's ``Uri``) do."""
    base, rel = _str("uri", args, 0), _str("uri", args, 1)
    if not urllib.parse.urlsplit(base).scheme:
        raise _fail("uri", f"The base URI '{base}' is not an absolute URI.")
    return urllib.parse.urljoin(base, rel)


@_fn("uriComponent", 1, 1)
def _uri_component(scope: Scope, args: list[Any]) -> str:
    """The string percent-encoded as .NET's ``Uri.EscapeDataString`` does (all but ``A-Za-z0-9-._~``)."""
    return urllib.parse.quote(_str("uriComponent", args, 0), safe="-._~")


@_fn("uriComponentToString", 1, 1)
def _uri_component_to_string(scope: Scope, args: list[Any]) -> str:
    """The percent-encoded string decoded."""
    return urllib.parse.unquote(_str("uriComponentToString", args, 0))


@_fn("dataUri", 1, 1)
def _data_uri(scope: Scope, args: list[Any]) -> str:
    """``data:text/plain;charset=utf8;base64,...`` holding the value (as the docs show)."""
    text = to_string(args[0])
    return "data:text/plain;charset=utf8;base64," + b64.b64encode(text.encode("utf-8")).decode("ascii")


@_fn("dataUriToString", 1, 1)
def _data_uri_to_string(scope: Scope, args: list[Any]) -> str:
    """The data of a ``data:`` URI as a string (base64 or percent-encoded)."""
    s = _str("dataUriToString", args, 0)
    m = re.fullmatch(r"data:([^,]*),(.*)", s, re.DOTALL)
    if not m:
        raise _fail("dataUriToString", f"The provided value '{s}' is not a valid data URI.")
    meta, data = m.groups()
    params = [p.strip().lower() for p in meta.split(";")]
    if "base64" in params:
        return _unbase64("dataUriToString", data)
    return urllib.parse.unquote(data)


@_fn("join", 2, 2)
def _join(scope: Scope, args: list[Any]) -> str:
    """The array's items joined with the delimiter (non-string items as ``string()`` writes them)."""
    items = _list("join", args, 0)
    sep = _str("join", args, 1)
    return sep.join(to_string(x) for x in items)


# dates ---------------------------------------------------------------------------------------------------

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_STANDARD_DATE = {
    "d": "MM/dd/yyyy",
    "D": "dddd, dd MMMM yyyy",
    "f": "dddd, dd MMMM yyyy HH:mm",
    "F": "dddd, dd MMMM yyyy HH:mm:ss",
    "g": "MM/dd/yyyy HH:mm",
    "G": "MM/dd/yyyy HH:mm:ss",
    "M": "MMMM dd",
    "m": "MMMM dd",
    "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "t": "HH:mm",
    "T": "HH:mm:ss",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "U": "dddd, dd MMMM yyyy HH:mm:ss",
    "Y": "yyyy MMMM",
    "y": "yyyy MMMM",
}


def format_datetime(dt: datetime, fmt: str, name: str = "utcNow") -> str:
    """``dt`` (UTC) in a .NET standard (``u``, ``d``, ``o`` ...) or custom (``yyyyMMddTHHmmssZ``) date
    format string, invariant culture."""
    if len(fmt) == 1:
        if fmt not in _STANDARD_DATE:
            raise _fail(name, f"The format '{fmt}' is not a valid date format.")
        fmt = _STANDARD_DATE[fmt]
    out: list[str] = []
    i, n = 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c in "'\"":
            end = fmt.find(c, i + 1)
            end = n if end < 0 else end
            out.append(fmt[i + 1 : end])
            i = end + 1
            continue
        if c == "\\":
            out.append(fmt[i + 1 : i + 2])
            i += 2
            continue
        if c == "%":
            i += 1
            continue
        j = i
        while j < n and fmt[j] == c:
            j += 1
        k = j - i
        out.append(_date_token(dt, c, k) if c in "yMdHhmsfFtKzg" else fmt[i:j])
        i = j
    return "".join(out)


def _date_token(dt: datetime, c: str, k: int) -> str:
    if c == "y":
        return str(dt.year % 100) if k == 1 else f"{dt.year % 100:02d}" if k == 2 else str(dt.year).zfill(k)
    if c == "M":
        return str(dt.month).zfill(min(k, 2)) if k <= 2 else _MONTHS[dt.month - 1][: 3 if k == 3 else None]
    if c == "d":
        return str(dt.day).zfill(min(k, 2)) if k <= 2 else _DAYS[dt.weekday()][: 3 if k == 3 else None]
    if c == "H":
        return str(dt.hour).zfill(min(k, 2))
    if c == "h":
        return str(dt.hour % 12 or 12).zfill(min(k, 2))
    if c == "m":
        return str(dt.minute).zfill(min(k, 2))
    if c == "s":
        return str(dt.second).zfill(min(k, 2))
    if c in "fF":
        digits = f"{dt.microsecond:06d}0"[: min(k, 7)]
        return digits if c == "f" else digits.rstrip("0")
    if c == "t":
        marker = "AM" if dt.hour < 12 else "PM"
        return marker[:1] if k == 1 else marker
    if c == "K":
        return "Z"
    if c == "z":
        return "+0" if k == 1 else "+00" if k == 2 else "+00:00"
    return "A.D."  # 'g': the era


@_fn("utcNow", 0, 1)
def _utc_now(scope: Scope, args: list[Any]) -> str:
    """The deployment's current UTC time, default format ``yyyyMMddTHHmmssZ``; only in a parameter's
    defaultValue (``scope.runtime`` decides)."""
    now = scope.runtime("utcNow")
    fmt = _str("utcNow", args, 0) if args else "yyyyMMddTHHmmssZ"
    return format_datetime(now.astimezone(UTC) if now.tzinfo else now, fmt)


# Formats dateTimeAdd recognises in its base value, so that its result keeps the base's format (the docs:
# "If not provided, the format of the base value is used"). Anything else comes out ISO 8601 ('o' trimmed).
_BASE_FORMATS = (
    (re.compile(r"\d{8}T\d{6}Z"), "yyyyMMdd'T'HHmmss'Z'"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"), "u"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), "yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"), "s"),
    (re.compile(r"\d{4}-\d\d-\d\d"), "yyyy'-'MM'-'dd"),
)


def _parse_datetime(name: str, s: str) -> datetime:
    text = s.strip()
    if re.fullmatch(r"\d{8}T\d{6}Z?", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:8]}T{text[9:11]}:{text[11:13]}:{text[13:15]}" + text[15:]
    try:
        dt = datetime.fromisoformat(text.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", text) else text)
    except ValueError:
        try:
            dt = datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p")
        except ValueError:
            raise _fail(name, f"The provided DateTime value '{s}' is not valid.") from None
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


_DURATION = re.compile(
    r"(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)


def add_duration(dt: datetime, duration: str, name: str = "dateTimeAdd") -> datetime:
    """``dt`` plus an ISO 8601 duration (``P1Y2M3DT4H5M6S``, ``PT1H``, ``-P9D``, ``P2W``); years and months
    move the calendar and clamp the day to the month's end."""
    m = _DURATION.fullmatch(duration.strip())
    if not m or duration.strip().rstrip("T") in ("P", "-P") or duration.strip().endswith("T"):
        raise _fail(name, f"The provided duration '{duration}' is not a valid ISO 8601 duration.")
    neg = -1 if m.group(1) else 1
    years, months, weeks, days, hours, minutes = (int(g or 0) for g in m.groups()[1:7])
    seconds = float(m.group(8) or 0)
    total_months = dt.month - 1 + neg * (years * 12 + months)
    year, month = dt.year + total_months // 12, total_months % 12 + 1
    day = min(dt.day, calendar.monthrange(year, month)[1])
    moved = dt.replace(year=year, month=month, day=day)
    return moved + neg * timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


@_fn("dateTimeAdd", 2, 3)
def _date_time_add(scope: Scope, args: list[Any]) -> str:
    """``dateTimeAdd(base, duration, [format])``: without a format the result keeps the base's format when
    it is one of the common ISO shapes (GUESS for the others: ``yyyy-MM-ddTHH:mm:ssZ``)."""
    base = _str("dateTimeAdd", args, 0)
    dt = add_duration(_parse_datetime("dateTimeAdd", base), _str("dateTimeAdd", args, 1))
    if len(args) > 2:
        return format_datetime(dt, _str("dateTimeAdd", args, 2), "dateTimeAdd")
    for pattern, fmt in _BASE_FORMATS:
        if pattern.fullmatch(base.strip()):
            return format_datetime(dt, fmt)
    return format_datetime(dt, "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFF'Z'")


@_fn("dateTimeFromEpoch", 1, 1)
def _date_time_from_epoch(scope: Scope, args: list[Any]) -> str:
    """Seconds since 1970 as ``yyyy-MM-ddTHH:mm:ssZ``."""
    epoch = _int("dateTimeFromEpoch", args, 0)
    return format_datetime(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=epoch), "yyyy-MM-ddTHH:mm:ssZ")


@_fn("dateTimeToEpoch", 1, 1)
def _date_time_to_epoch(scope: Scope, args: list[Any]) -> int:
    """An ISO 8601 date time as whole seconds since 1970."""
    dt = _parse_datetime("dateTimeToEpoch", _str("dateTimeToEpoch", args, 0))
    return int((dt - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())


# numbers and logic ---------------------------------------------------------------------------------------


@_fn("add", 2, 2)
def _add(scope: Scope, args: list[Any]) -> int:
    """The sum of two integers."""
    return _int("add", args, 0) + _int("add", args, 1)


@_fn("sub", 2, 2)
def _sub(scope: Scope, args: list[Any]) -> int:
    """The first integer minus the second."""
    return _int("sub", args, 0) - _int("sub", args, 1)


@_fn("mul", 2, 2)
def _mul(scope: Scope, args: list[Any]) -> int:
    """The product of two integers."""
    return _int("mul", args, 0) * _int("mul", args, 1)


def _trunc_div(name: str, a: int, b: int) -> int:
    if b == 0:
        raise _fail(name, "Attempted to divide by zero.")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


@_fn("div", 2, 2)
def _div(scope: Scope, args: list[Any]) -> int:
    """Integer division truncating toward zero (``div(-7, 2)`` is -3); a zero divisor is an error."""
    return _trunc_div("div", _int("div", args, 0), _int("div", args, 1))


@_fn("mod", 2, 2)
def _mod(scope: Scope, args: list[Any]) -> int:
    """The remainder of ``div``, with the dividend's sign (``mod(-7, 2)`` is -1)."""
    a, b = _int("mod", args, 0), _int("mod", args, 1)
    return a - b * _trunc_div("mod", a, b)


def _numbers(name: str, args: list[Any]) -> list[int | float]:
    values = args[0] if len(args) == 1 and type(args[0]) is list else args
    if not values:
        raise _fail(name, "The array must contain at least one item.")
    for i, v in enumerate(values):
        if type(v) not in (int, float):
            raise _type_error(name, i, "Integer", v)
    return list(values)


@_fn("min", 1, None)
def _min(scope: Scope, args: list[Any]) -> int | float:
    """The smallest of the integers (or of one array of integers)."""
    return min(_numbers("min", args))


@_fn("max", 1, None)
def _max(scope: Scope, args: list[Any]) -> int | float:
    """The largest of the integers (or of one array of integers)."""
    return max(_numbers("max", args))


@_fn("int", 1, 1)
def _to_int(scope: Scope, args: list[Any]) -> int:
    """An integer from a string of digits or a number (floats round half to even, as .NET's Convert)."""
    v = args[0]
    if type(v) is int:
        return v
    if type(v) is float:
        return round(v)
    if type(v) is str and re.fullmatch(r"\s*[-+]?\d+\s*", v):
        return int(v)
    raise _fail("int", f"The provided value '{to_string(v)}' cannot be converted to an integer.")


@_fn("float", 1, 1)
def _to_float(scope: Scope, args: list[Any]) -> float:
    """A floating point number from a string or an integer."""
    v = args[0]
    if type(v) in (int, float):
        return float(v)
    if type(v) is str:
        try:
            f = float(v)
        except ValueError:
            f = float("nan")
        if f == f and f not in (float("inf"), float("-inf")):
            return f
    raise _fail("float", f"The provided value '{to_string(v)}' cannot be converted to a floating point number.")


@_fn("bool", 1, 1)
def _to_bool(scope: Scope, args: list[Any]) -> bool:
    """A boolean from ``'true'``/``'false'`` (any case) or an integer (zero is false)."""
    v = args[0]
    if type(v) is bool:
        return v
    if type(v) is int:
        return v != 0
    if type(v) is str and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    raise _fail("bool", f"The provided value '{to_string(v)}' cannot be converted to a boolean.")


@_fn("equals", 2, 2)
def _equals(scope: Scope, args: list[Any]) -> bool:
    """Deep, type-sensitive equality (``deep_equal``)."""
    return deep_equal(args[0], args[1])


def _compare(name: str, args: list[Any]) -> int:
    a, b = args
    if type(a) in (int, float) and type(b) in (int, float):
        return (a > b) - (a < b)  # type: ignore[no-any-return]
    if type(a) is str and type(b) is str:
        return (a > b) - (a < b)
    raise _fail(
        name, f"The parameters must both be integers or both be strings; got '{type_name(a)}' and '{type_name(b)}'."
    )


@_fn("less", 2, 2)
def _less(scope: Scope, args: list[Any]) -> bool:
    """Whether the first integer (or string, compared ordinally) is smaller."""
    return _compare("less", args) < 0


@_fn("lessOrEquals", 2, 2)
def _less_or_equals(scope: Scope, args: list[Any]) -> bool:
    """Whether the first value is smaller or equal."""
    return _compare("lessOrEquals", args) <= 0


@_fn("greater", 2, 2)
def _greater(scope: Scope, args: list[Any]) -> bool:
    """Whether the first value is greater."""
    return _compare("greater", args) > 0


@_fn("greaterOrEquals", 2, 2)
def _greater_or_equals(scope: Scope, args: list[Any]) -> bool:
    """Whether the first value is greater or equal."""
    return _compare("greaterOrEquals", args) >= 0


def _thunk_bool(name: str, thunk: Callable[[], Any], i: int) -> bool:
    v = thunk()
    if type(v) is not bool:
        raise _type_error(name, i, "Boolean", v)
    return v


@_fn("and", 2, None, lazy=True)
def _and(scope: Scope, args: list[Any]) -> bool:
    """True when every argument is true; stops at the first false one."""
    return all(_thunk_bool("and", t, i) for i, t in enumerate(args))


@_fn("or", 2, None, lazy=True)
def _or(scope: Scope, args: list[Any]) -> bool:
    """True when any argument is true; stops at the first true one."""
    return any(_thunk_bool("or", t, i) for i, t in enumerate(args))


@_fn("not", 1, 1)
def _not(scope: Scope, args: list[Any]) -> bool:
    """The boolean negated."""
    return not _bool("not", args, 0)


@_fn("if", 3, 3, lazy=True)
def _if(scope: Scope, args: list[Any]) -> Any:
    """``if(condition, whenTrue, whenFalse)``: evaluates only the chosen branch."""
    return args[1]() if _thunk_bool("if", args[0], 0) else args[2]()


@_fn("coalesce", 1, None, lazy=True)
def _coalesce(scope: Scope, args: list[Any]) -> Any:
    """The first argument that is not null (null when all are); later arguments are not evaluated."""
    for thunk in args:
        v = thunk()
        if v is not None:
            return v
    return None


@_fn("true", 0, 0)
def _true(scope: Scope, args: list[Any]) -> bool:
    """``true``."""
    return True


@_fn("false", 0, 0)
def _false(scope: Scope, args: list[Any]) -> bool:
    """``false``."""
    return False


@_fn("null", 0, 0)
def _null(scope: Scope, args: list[Any]) -> None:
    """``null``."""
    return None


# arrays and objects --------------------------------------------------------------------------------------


@_fn("array", 1, 1)
def _array(scope: Scope, args: list[Any]) -> list[Any]:
    """An array as it is; any other value wrapped in a one-item array."""
    v = args[0]
    return v if type(v) is list else [v]


@_fn("createArray", 0, None)
def _create_array(scope: Scope, args: list[Any]) -> list[Any]:
    """The arguments as an array."""
    return list(args)


@_fn("createObject", 0, None)
def _create_object(scope: Scope, args: list[Any]) -> dict[str, Any]:
    """An object from alternating string keys and values."""
    if len(args) % 2:
        raise _fail("createObject", "The function requires an even number of arguments (key, value pairs).")
    out: dict[str, Any] = {}
    for i in range(0, len(args), 2):
        out[_str("createObject", args, i)] = args[i + 1]
    return out


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        found_key = next((key for key in out if key.lower() == k.lower()), None)
        if found_key is not None and type(out[found_key]) is dict and type(v) is dict:
            out[found_key] = _merge(out[found_key], v)
        else:
            if found_key is not None and found_key != k:
                del out[found_key]
            out[k] = v
    return out


def _same_kind(name: str, args: list[Any]) -> type:
    kind = type(args[0])
    if kind not in (list, dict):
        raise _type_error(name, 0, "Array", args[0])
    for i, a in enumerate(args):
        if type(a) is not kind:
            raise _type_error(name, i, "Array" if kind is list else "Object", a)
    return kind


@_fn("union", 1, None)
def _union(scope: Scope, args: list[Any]) -> Any:
    """Arrays: every distinct item in order of first appearance. Objects: merged left to right, the last
    value winning, nested objects merged recursively (arrays inside are replaced, not merged)."""
    if _same_kind("union", args) is list:
        out: list[Any] = []
        for a in args:
            for x in a:
                if not any(deep_equal(x, y) for y in out):
                    out.append(x)
        return out
    merged: dict[str, Any] = {}
    for a in args:
        merged = _merge(merged, a)
    return merged


@_fn("intersection", 1, None)
def _intersection(scope: Scope, args: list[Any]) -> Any:
    """Arrays: the distinct items of the first found in all others. Objects: the properties whose key and
    value every object has."""
    if _same_kind("intersection", args) is list:
        out: list[Any] = []
        for x in args[0]:
            if all(any(deep_equal(x, y) for y in other) for other in args[1:]) and not any(
                deep_equal(x, y) for y in out
            ):
                out.append(x)
        return out
    return {k: v for k, v in args[0].items() if all(k in other and deep_equal(other[k], v) for other in args[1:])}


@_fn("contains", 2, 2)
def _contains(scope: Scope, args: list[Any]) -> bool:
    """A string holds a substring (case-sensitive), an array an item (deep equality), an object a key
    (case-insensitive)."""
    container, item = args
    if type(container) is str:
        return to_string(item) in container
    if type(container) is list:
        return any(deep_equal(x, item) for x in container)
    if type(container) is dict:
        return type(item) is str and _get_ci(container, item)[0]
    raise _type_error("contains", 0, "Array", container)


@_fn("empty", 1, 1)
def _empty(scope: Scope, args: list[Any]) -> bool:
    """Whether the string, array or object is empty, or the value null."""
    v = args[0]
    if v is None:
        return True
    if type(v) in (str, list, dict):
        return len(v) == 0
    raise _type_error("empty", 0, "Array", v)


@_fn("first", 1, 1)
def _first(scope: Scope, args: list[Any]) -> Any:
    """The first character of a string or item of an array ('' / null when empty)."""
    v = args[0]
    if type(v) is str:
        return v[:1]
    if type(v) is list:
        return v[0] if v else None
    raise _type_error("first", 0, "Array", v)


@_fn("last", 1, 1)
def _last(scope: Scope, args: list[Any]) -> Any:
    """The last character of a string or item of an array ('' / null when empty)."""
    v = args[0]
    if type(v) is str:
        return v[-1:]
    if type(v) is list:
        return v[-1] if v else None
    raise _type_error("last", 0, "Array", v)


@_fn("length", 1, 1)
def _length(scope: Scope, args: list[Any]) -> int:
    """Characters of a string, items of an array, root properties of an object."""
    v = args[0]
    if type(v) in (str, list, dict):
        return len(v)
    raise _type_error("length", 0, "Array", v)


@_fn("range", 2, 2)
def _range(scope: Scope, args: list[Any]) -> list[int]:
    """``range(startIndex, count)``: ``count`` consecutive integers (0..10000 of them, ending at most at
    2147483647)."""
    start, count = _int("range", args, 0), _int("range", args, 1)
    if count < 0 or count > 10000:
        raise _fail("range", f"The count '{count}' must be a non-negative integer no greater than 10000.")
    if start + count > 2147483647:
        raise _fail("range", "The sum of the start index and the count must not be greater than 2147483647.")
    return list(range(start, start + count))


@_fn("skip", 2, 2)
def _skip(scope: Scope, args: list[Any]) -> Any:
    """The array or string without its first n items (n clamped to 0..length)."""
    v, n = args[0], _int("skip", args, 1)
    if type(v) not in (str, list):
        raise _type_error("skip", 0, "Array", v)
    return v[max(n, 0) :]


@_fn("take", 2, 2)
def _take(scope: Scope, args: list[Any]) -> Any:
    """The first n items of the array or string (n clamped to 0..length)."""
    v, n = args[0], _int("take", args, 1)
    if type(v) not in (str, list):
        raise _type_error("take", 0, "Array", v)
    return v[: max(n, 0)]


def _item_order(key: str) -> tuple[str, str]:
    return key.lower(), key.swapcase()


@_fn("items", 1, 1)
def _items(scope: Scope, args: list[Any]) -> list[dict[str, Any]]:
    """The object as ``[{"key": k, "value": v}, ...]`` sorted by key (GUESS: case-insensitively, lower
    case first on ties, as .NET's invariant culture compares)."""
    obj = _dict("items", args, 0)
    return [{"key": k, "value": obj[k]} for k in sorted(obj, key=_item_order)]


@_fn("objectKeys", 1, 1)
def _object_keys(scope: Scope, args: list[Any]) -> list[str]:
    """The object's property names, in order."""
    return list(_dict("objectKeys", args, 0))


@_fn("flatten", 1, 1)
def _flatten(scope: Scope, args: list[Any]) -> list[Any]:
    """An array of arrays joined into one array (one level)."""
    out: list[Any] = []
    for i, x in enumerate(_list("flatten", args, 0)):
        if type(x) is not list:
            raise _fail("flatten", f"The item at index '{i}' is of type '{type_name(x)}', not 'Array'.")
        out.extend(x)
    return out


@_fn("tryGet", 2, None)
def _try_get(scope: Scope, args: list[Any]) -> Any:
    """``tryGet(value, key, ...)``: each key an object property (case-insensitive) or array index; null
    as soon as one is missing."""
    v = args[0]
    for key in args[1:]:
        if type(v) is dict and type(key) is str:
            found, v = _get_ci(v, key)
            if not found:
                return None
        elif type(v) is list and type(key) is int:
            if not 0 <= key < len(v):
                return None
            v = v[key]
        else:
            return None
    return v


@_fn("tryIndexFromEnd", 2, 2)
def _try_index_from_end(scope: Scope, args: list[Any]) -> Any:
    """The n-th item from the end (1 is the last), or null."""
    v, n = _list("tryIndexFromEnd", args, 0), _int("tryIndexFromEnd", args, 1)
    return v[-n] if 1 <= n <= len(v) else None


@_fn("indexFromEnd", 2, 2)
def _index_from_end(scope: Scope, args: list[Any]) -> Any:
    """The n-th item from the end (1 is the last); out of range is an error."""
    v, n = _list("indexFromEnd", args, 0), _int("indexFromEnd", args, 1)
    if not 1 <= n <= len(v):
        raise BadRequest("InvalidTemplate", unconfirmed.INDEX_OUT_OF_RANGE.format(index=len(v) - n))
    return v[-n]


@_fn("shallowMerge", 1, 1)
def _shallow_merge(scope: Scope, args: list[Any]) -> dict[str, Any]:
    """An array of objects merged at the top level only, the last value winning."""
    out: dict[str, Any] = {}
    for x in _list("shallowMerge", args, 0):
        if type(x) is not dict:
            raise _type_error("shallowMerge", 0, "Object", x)
        out.update(x)
    return out


def _arity(fn: Callable[..., Any]) -> int:
    return len(getattr(fn, "params", ())) or 1


def _call_item(fn: Callable[..., Any], item: Any, index: int) -> Any:
    return fn(item, index) if _arity(fn) >= 2 else fn(item)


@_fn("filter", 2, 2, lambdas=True)
def _filter(scope: Scope, args: list[Any]) -> list[Any]:
    """The items for which ``lambda('item'[, 'index'], predicate)`` is true."""
    items, fn = _list("filter", args, 0), _callable("filter", args, 1)
    out: list[Any] = []
    for i, x in enumerate(items):
        keep = _call_item(fn, x, i)
        if type(keep) is not bool:
            raise _fail("filter", f"The lambda must return a boolean, not '{type_name(keep)}'.")
        if keep:
            out.append(x)
    return out


@_fn("map", 2, 2, lambdas=True)
def _map(scope: Scope, args: list[Any]) -> list[Any]:
    """Each item through ``lambda('item'[, 'index'], expression)``."""
    items, fn = _list("map", args, 0), _callable("map", args, 1)
    return [_call_item(fn, x, i) for i, x in enumerate(items)]


@_fn("reduce", 3, 3, lambdas=True)
def _reduce(scope: Scope, args: list[Any]) -> Any:
    """Folds the array: ``lambda('current', 'next'[, 'index'], expression)`` from the initial value."""
    items, acc, fn = _list("reduce", args, 0), args[1], _callable("reduce", args, 2)
    three = _arity(fn) >= 3
    for i, x in enumerate(items):
        acc = fn(acc, x, i) if three else fn(acc, x)
    return acc


@_fn("sort", 2, 2, lambdas=True)
def _sort(scope: Scope, args: list[Any]) -> list[Any]:
    """The array ordered by ``lambda('a', 'b', a-comes-before-b)`` (stable)."""
    items, fn = _list("sort", args, 0), _callable("sort", args, 1)

    def before(a: Any, b: Any) -> bool:
        r = fn(a, b)
        if type(r) is not bool:
            raise _fail("sort", f"The lambda must return a boolean, not '{type_name(r)}'.")
        return r

    return sorted(items, key=functools.cmp_to_key(lambda a, b: -1 if before(a, b) else 1 if before(b, a) else 0))


@_fn("toObject", 2, 3, lambdas=True)
def _to_object(scope: Scope, args: list[Any]) -> dict[str, Any]:
    """An object keyed by ``keyLambda(item)`` with values ``valueLambda(item)`` (the item itself when no
    value lambda); a later duplicate key wins."""
    items, key_fn = _list("toObject", args, 0), _callable("toObject", args, 1)
    value_fn = _callable("toObject", args, 2) if len(args) > 2 else None
    out: dict[str, Any] = {}
    for x in items:
        key = key_fn(x)
        if type(key) is not str:
            raise _fail("toObject", f"The key lambda must return a string, not '{type_name(key)}'.")
        out[key] = value_fn(x) if value_fn else x
    return out


@_fn("groupBy", 2, 2, lambdas=True)
def _group_by(scope: Scope, args: list[Any]) -> dict[str, list[Any]]:
    """Items grouped into arrays under the string ``lambda('item', key)`` gives."""
    items, fn = _list("groupBy", args, 0), _callable("groupBy", args, 1)
    out: dict[str, list[Any]] = {}
    for x in items:
        key = fn(x)
        if type(key) is not str:
            raise _fail("groupBy", f"The key lambda must return a string, not '{type_name(key)}'.")
        out.setdefault(key, []).append(x)
    return out


@_fn("mapValues", 2, 2, lambdas=True)
def _map_values(scope: Scope, args: list[Any]) -> dict[str, Any]:
    """The object with each value through ``lambda('value', expression)``."""
    obj, fn = _dict("mapValues", args, 0), _callable("mapValues", args, 1)
    return {k: fn(v) for k, v in obj.items()}


# CIDR -----------------------------------------------------------------------------------------------------


def _network(name: str, text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise _fail(name, f"The provided CIDR '{text}' is not valid.") from None


@_fn("parseCidr", 1, 1)
def _parse_cidr(scope: Scope, args: list[Any]) -> dict[str, Any]:
    """``{network, netmask, broadcast (IPv4 only), firstUsable, lastUsable, cidr}`` of a CIDR block (IPv4
    skips the network and broadcast addresses; IPv6 only the network's; /31, /32, /127, /128 use all)."""
    net = _network("parseCidr", _str("parseCidr", args, 0))
    first, last = net.network_address, net.broadcast_address
    out: dict[str, Any] = {"network": str(first), "netmask": str(net.netmask)}
    if net.version == 4:
        out["broadcast"] = str(last)
        if net.prefixlen < 31:
            first, last = first + 1, last - 1
    elif net.prefixlen < 127:
        first = first + 1
    out.update(firstUsable=str(first), lastUsable=str(last), cidr=net.prefixlen)
    return out


@_fn("cidrSubnet", 3, 3)
def _cidr_subnet(scope: Scope, args: list[Any]) -> str:
    """``cidrSubnet(network, newCIDR, subnetIndex)``: the index-th block of the new size inside it."""
    net = _network("cidrSubnet", _str("cidrSubnet", args, 0))
    new, index = _int("cidrSubnet", args, 1), _int("cidrSubnet", args, 2)
    if not net.prefixlen <= new <= net.max_prefixlen:
        raise _fail("cidrSubnet", f"The new CIDR '{new}' must be between '{net.prefixlen}' and '{net.max_prefixlen}'.")
    count = 1 << (new - net.prefixlen)
    if not 0 <= index < count:
        raise _fail("cidrSubnet", f"The subnet index '{index}' must be between '0' and '{count - 1}'.")
    start = int(net.network_address) + (index << (net.max_prefixlen - new))
    return f"{ipaddress.ip_address(start) if net.version == 6 else ipaddress.IPv4Address(start)}/{new}"


@_fn("cidrHost", 2, 2)
def _cidr_host(scope: Scope, args: list[Any]) -> str:
    """``cidrHost(network, hostIndex)``: the index-th usable host address (index 0 is network + 1)."""
    net = _network("cidrHost", _str("cidrHost", args, 0))
    index = _int("cidrHost", args, 1)
    reserved = net.prefixlen < net.max_prefixlen - 1
    offset = 1 if reserved else 0
    usable = net.num_addresses - (2 if reserved and net.version == 4 else offset)
    if not 0 <= index < usable:
        raise _fail("cidrHost", f"The host index '{index}' must be between '0' and '{usable - 1}'.")
    return str(net.network_address + offset + index)


# deployment, scope and resources -----------------------------------------------------------------------


@_fn("parameters", 1, 1)
def _parameters(scope: Scope, args: list[Any]) -> Any:
    """The value of a template parameter (case-insensitive name)."""
    return scope.parameter(_str("parameters", args, 0))


@_fn("variables", 1, 1)
def _variables(scope: Scope, args: list[Any]) -> Any:
    """The value of a template variable (case-insensitive name)."""
    return scope.variable(_str("variables", args, 0))


@_fn("copyIndex", 0, 2)
def _copy_index(scope: Scope, args: list[Any]) -> int:
    """``copyIndex([loopName], [offset])``: the loop's zero-based index plus the offset."""
    loop: str | None = None
    offset = 0
    if len(args) == 2:
        loop, offset = _str("copyIndex", args, 0), _int("copyIndex", args, 1)
    elif len(args) == 1:
        if type(args[0]) is str:
            loop = args[0]
        else:
            offset = _int("copyIndex", args, 0)
    return scope.copy_index(loop) + offset


@_fn("deployment", 0, 0)
def _deployment(scope: Scope, args: list[Any]) -> dict[str, Any]:
    """The current deployment (``scope.deployment``)."""
    return scope.deployment()


@_fn("environment", 0, 0)
def _environment(scope: Scope, args: list[Any]) -> dict[str, Any]:
    """The active cloud's endpoints (``scope.environment``)."""
    return scope.environment()


@_fn("resourceGroup", 0, 0)
def _resource_group(scope: Scope, args: list[Any]) -> dict[str, Any]:
    """The target resource group (``scope.resource_group``)."""
    return scope.resource_group()


@_fn("subscription", 0, 0)
def _subscription(scope: Scope, args: list[Any]) -> dict[str, Any]:
    """The target subscription (``scope.subscription``)."""
    return scope.subscription()


@_fn("tenant", 0, 0)
def _tenant(scope: Scope, args: list[Any]) -> dict[str, Any]:
    """The tenant (``scope.tenant``)."""
    return scope.tenant()


@_fn("managementGroup", 0, 1)
def _management_group(scope: Scope, args: list[Any]) -> dict[str, Any]:
    """Management group deployments are not emulated: always an error."""
    raise _fail("managementGroup", "The function can only be used in management group deployments.")


def _type_and_names(name: str, args: list[Any], at: int) -> str:
    """``providers/NS/t1/n1/t2/n2...`` from a type and its names, checking their number."""
    rtype = _str(name, args, at)
    names = [_str(name, args, i) for i in range(at + 1, len(args))]
    segments = rtype.strip("/").split("/")
    if len(segments) < 2 or not all(segments):
        raise _fail(name, f"The provided resource type '{rtype}' is not valid.")
    flat = "/".join(names).split("/") if names else []
    types = segments[1:]
    if len(flat) != len(types):
        raise _fail(
            name,
            f"The type '{rtype}' requires '{len(types)}' resource name argument(s) but '{len(names)}' were provided.",
        )
    if rtype.lower() == "microsoft.resources/resourcegroups":
        return f"resourceGroups/{flat[0]}"  # a group's id has no provider segment
    parts = [segments[0]]
    for t, n in zip(types, flat, strict=True):
        parts += [t, n]
    return "providers/" + "/".join(parts)


def _type_at(args: list[Any], most: int) -> int:
    for i, a in enumerate(args[: most + 1]):
        if type(a) is str and "/" in a:
            return i
    return 0


@_fn("resourceId", 2, None)
def _resource_id(scope: Scope, args: list[Any]) -> str:
    """``resourceId([subscriptionId], [resourceGroupName], type, name1, [name2...])``; the type is the first
    of the first three arguments containing ``/``. At subscription scope without a group the id is
    subscription-level."""
    at = _type_at(args, 2)
    sub, rg = scope.target()
    if at == 2:
        sub, rg = _str("resourceId", args, 0), _str("resourceId", args, 1)
    elif at == 1:
        rg = _str("resourceId", args, 0)
    tail = _type_and_names("resourceId", args, at)
    if rg is None:
        return f"/subscriptions/{sub}/{tail}"
    return f"/subscriptions/{sub}/resourceGroups/{rg}/{tail}"


@_fn("subscriptionResourceId", 2, None)
def _subscription_resource_id(scope: Scope, args: list[Any]) -> str:
    """``subscriptionResourceId([subscriptionId], type, names...)`` → ``/subscriptions/{s}/providers/...``."""
    at = _type_at(args, 1)
    sub = _str("subscriptionResourceId", args, 0) if at == 1 else scope.target()[0]
    return f"/subscriptions/{sub}/{_type_and_names('subscriptionResourceId', args, at)}"


@_fn("tenantResourceId", 2, None)
def _tenant_resource_id(scope: Scope, args: list[Any]) -> str:
    """``tenantResourceId(type, names...)`` → ``/providers/...``."""
    return "/" + _type_and_names("tenantResourceId", args, 0)


@_fn("managementGroupResourceId", 2, None)
def _management_group_resource_id(scope: Scope, args: list[Any]) -> str:
    """``managementGroupResourceId([managementGroupName], type, names...)``; the group name is required
    here (management group scope is not emulated)."""
    at = _type_at(args, 1)
    if at == 0:
        raise _fail(
            "managementGroupResourceId", "The management group name is required outside management group deployments."
        )
    mg = _str("managementGroupResourceId", args, 0)
    tail = _type_and_names("managementGroupResourceId", args, 1)
    return f"/providers/Microsoft.Management/managementGroups/{mg}/{tail}"


@_fn("extensionResourceId", 3, None)
def _extension_resource_id(scope: Scope, args: list[Any]) -> str:
    """``extensionResourceId(baseResourceId, type, names...)`` → ``{base}/providers/...``."""
    base = _str("extensionResourceId", args, 0).rstrip("/")
    return f"{base}/{_type_and_names('extensionResourceId', args, 1)}"


def _full(name: str, args: list[Any], i: int) -> bool:
    if len(args) <= i:
        return False
    v = _str(name, args, i)
    if v.lower() != "full":
        raise _fail(name, f"The value '{v}' is not valid; the only option is 'Full'.")
    return True


@_fn("reference", 1, 3)
def _reference(scope: Scope, args: list[Any]) -> Any:
    """``reference(nameOrIdOrSymbol, [apiVersion], ['Full'])`` (``scope.reference``)."""
    target = _str("reference", args, 0)
    api = args[1] if len(args) > 1 else None
    if api is not None and type(api) is not str:
        raise _type_error("reference", 1, "String", api)
    return scope.reference(target, api or None, _full("reference", args, 2))


@_fn("references", 1, 2)
def _references(scope: Scope, args: list[Any]) -> list[Any]:
    """``references('loopSymbol', ['Full'])`` (``scope.references``)."""
    return scope.references(_str("references", args, 0), _full("references", args, 1))


@_fn("providers", 1, 2)
def _providers(scope: Scope, args: list[Any]) -> Any:
    """``providers(namespace, [resourceType])`` (``scope.providers``)."""
    rtype = _str("providers", args, 1) if len(args) > 1 else None
    return scope.providers(_str("providers", args, 0), rtype)


@_fn("pickZones", 3, 5)
def _pick_zones(scope: Scope, args: list[Any]) -> list[str]:
    """``pickZones(namespace, resourceType, location, [numberOfZones=1], [offset=0])``."""
    count = _int("pickZones", args, 3) if len(args) > 3 else 1
    offset = _int("pickZones", args, 4) if len(args) > 4 else 0
    return scope.pick_zones(
        _str("pickZones", args, 0), _str("pickZones", args, 1), _str("pickZones", args, 2), count, offset
    )


def _list_action(name: str) -> Function:
    def impl(scope: Scope, args: list[Any]) -> Any:
        resource = _str(name, args, 0)
        api = _str(name, args, 1)
        body = args[2] if len(args) > 2 else None
        return scope.list_action(name, resource, api, body)

    doc = f"``{name}(resourceNameOrId, apiVersion, [functionValues])``: a list action (``scope.list_action``)."
    return Function(name, 2, 3, impl, doc)


# ``lambda`` and ``lambdaVariables`` belong to the evaluator (they need its variables); their entries give
# the arity and the docs.
@_fn("lambda", 2, None)
def _lambda(scope: Scope, args: list[Any]) -> Any:
    """``lambda('x', ['y', ...], body)``: only as a direct argument of filter/groupBy/map/mapValues/reduce/
    sort/toObject (the evaluator turns it into a callable)."""
    raise BadRequest("InvalidTemplate", unconfirmed.LAMBDA_MISPLACED)


@_fn("lambdaVariables", 1, 1)
def _lambda_variables(scope: Scope, args: list[Any]) -> Any:
    """``lambdaVariables('x')``: the value of an enclosing lambda's variable (the evaluator answers it)."""
    raise BadRequest(
        "InvalidTemplate", unconfirmed.LAMBDA_VARIABLE_MISSING.format(name=to_string(args[0]), available="")
    )
