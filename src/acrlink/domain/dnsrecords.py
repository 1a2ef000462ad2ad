"""DNS record data as Azure private DNS accepts it over ARM, and the form the DNS face serves it in.

ARM refuses a record set that breaks a rule below (400 ``BadRequest``, Azure DNS's code for them all);
whatever it accepts, the DNS face can serve exactly.

- A record set name is ``@`` (the apex) or dot-separated labels of 1-63 letters, digits, ``-`` and ``_``;
  ``*`` only as a whole first label (a wildcard). With the zone's name it makes a name of at most 253
  characters.
- A domain name in a record (CNAME ``cname``, MX ``exchange``, SRV ``target``, PTR ``ptrdname``, SOA
  ``email``) is labels of 1-63 letters, digits, ``-`` and ``_``, at most 253 characters, one optional
  final dot. MX and SRV also take ``.`` (RFC 7505 null MX, RFC 2782 "no service").
- A/AAAA addresses are dotted-quad IPv4 and IPv6 text.
- MX preference, SRV priority, weight and port are 0-65535; SOA times and serial 0-4294967295.
- A TXT record is a list of strings of at most 1,024 characters together. DNS carries at most 255 bytes
  per character-string, so a longer string is served as several of 255 bytes (UTF-8), in order; a
  string is served as it is (quotes and backslashes included) and an empty list as one empty string.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from acrlink import unconfirmed

MAX_LABEL = 63
MAX_NAME = 253
MAX_TTL = 2147483647
TXT_RECORD_MAX = 1024
"""Characters in one TXT record, all its strings together."""
TXT_STRING_BYTES = 255
"""Bytes in one DNS character-string (RFC 1035 3.3)."""
U16 = 65535
U32 = 4294967295

_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}")
_SOA_TIMES = ("serialNumber", "refreshTime", "retryTime", "expireTime", "minimumTtl")

Problem = tuple[str, str]
"""(target, message): a field of the request and what is wrong with it."""


def record_name_problem(name: str, zone: str) -> str | None:
    """Why ``name`` cannot name a record set in ``zone``, or None."""
    message = unconfirmed.RECORD_NAME_MESSAGE.format(name=name)
    if name == "@":
        return None
    labels = name.split(".")
    for index, label in enumerate(labels):
        if not (_LABEL.fullmatch(label) or (label == "*" and index == 0)):
            return message
    if len(name) + 1 + len(zone.rstrip(".")) > MAX_NAME:
        return f"{message} {unconfirmed.RECORD_NAME_LENGTH_MESSAGE.format(limit=MAX_NAME)}"
    return None


def domain_name_problem(value: Any, allow_root: bool = False) -> str | None:
    """Why ``value`` is not a domain name a record can point to, or None."""
    message = f"The domain name '{'' if value is None else value}' is invalid."  # Azure DNS's words
    if not isinstance(value, str):
        return message
    if value == "." and allow_root:
        return None
    text = value[:-1] if value.endswith(".") else value
    if not text or len(text) > MAX_NAME or not all(_LABEL.fullmatch(label) for label in text.split(".")):
        return message
    return None


def record_problems(kind: str, record: Any, target: str) -> list[Problem]:
    """Every problem with one record of ``kind`` (A, AAAA, CNAME, MX, PTR, SOA, SRV, TXT)."""
    if not isinstance(record, dict):
        return [(target, f"A {kind} record must be an object.")]
    checks = {
        "A": _a,
        "AAAA": _aaaa,
        "CNAME": lambda r, t: _names(r, t, ("cname",)),
        "MX": _mx,
        "PTR": lambda r, t: _names(r, t, ("ptrdname",)),
        "SOA": _soa,
        "SRV": _srv,
        "TXT": _txt,
    }
    return checks[kind](record, target)


def _address(record: dict[str, Any], target: str, field: str, version: int) -> list[Problem]:
    value = record.get(field)
    kind = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    try:
        if isinstance(value, str):
            kind(value)
            return []
    except ValueError:
        pass
    return [(f"{target}.{field}", f"'{value}' is not a valid IPv{version} address.")]


def _a(record: dict[str, Any], target: str) -> list[Problem]:
    return _address(record, target, "ipv4Address", 4)


def _aaaa(record: dict[str, Any], target: str) -> list[Problem]:
    return _address(record, target, "ipv6Address", 6)


def _names(record: dict[str, Any], target: str, fields: tuple[str, ...], allow_root: bool = False) -> list[Problem]:
    problems = []
    for field in fields:
        problem = domain_name_problem(record.get(field), allow_root)
        if problem:
            problems.append((f"{target}.{field}", problem))
    return problems


def _numbers(record: dict[str, Any], target: str, fields: tuple[str, ...], top: int) -> list[Problem]:
    problems = []
    for field in fields:
        value = record.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            message = unconfirmed.NUMBER_RANGE_MESSAGE.format(value=value, field=field, top=top)
            problems.append((f"{target}.{field}", message))
    return problems


def _mx(record: dict[str, Any], target: str) -> list[Problem]:
    return _numbers(record, target, ("preference",), U16) + _names(record, target, ("exchange",), allow_root=True)


def _srv(record: dict[str, Any], target: str) -> list[Problem]:
    numbers = _numbers(record, target, ("priority", "weight", "port"), U16)
    return numbers + _names(record, target, ("target",), allow_root=True)


def _soa(record: dict[str, Any], target: str) -> list[Problem]:
    problems = _numbers(record, target, _SOA_TIMES, U32)
    if record.get("email") is not None:
        problems += _names(record, target, ("email",))
    return problems


def _txt(record: dict[str, Any], target: str) -> list[Problem]:
    value = record.get("value")
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
        return [(f"{target}.value", "The value of a TXT record must be a list of strings.")]
    if sum(len(part) for part in value) > TXT_RECORD_MAX:
        return [(f"{target}.value", unconfirmed.TXT_TOO_LONG_MESSAGE.format(limit=TXT_RECORD_MAX))]
    return []


def txt_strings(value: list[str]) -> list[bytes]:
    """The character-strings a TXT record's ``value`` is served as: each string's UTF-8 bytes in
    pieces of at most 255, in order; an empty list is one empty string."""
    strings = []
    for part in value:
        data = part.encode("utf-8")
        if not data:
            strings.append(b"")
        for start in range(0, len(data), TXT_STRING_BYTES):
            strings.append(data[start : start + TXT_STRING_BYTES])
    return strings or [b""]


def quoted(data: bytes) -> str:
    """A character-string in zone-file form: quoted, with ``"`` and ``\\`` escaped and every byte
    outside printable ASCII written ``\\DDD``."""
    out = []
    for byte in data:
        if byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def _absolute(name: Any) -> str:
    text = str(name or "")
    return text if text.endswith(".") else text + "."


def presentation(kind: str, data: Any) -> tuple[str, ...]:
    """A record set's records (the ARM property for ``kind``) in zone-file form, one per record."""
    if not data:
        return ()
    if kind == "A":
        return tuple(r["ipv4Address"] for r in data)
    if kind == "AAAA":
        return tuple(r["ipv6Address"] for r in data)
    if kind == "CNAME":
        return (str(data.get("cname", "")).lower().rstrip("."),) if data.get("cname") else ()
    if kind == "TXT":
        return tuple(" ".join(quoted(s) for s in txt_strings(r.get("value") or [])) for r in data)
    if kind == "MX":
        return tuple(f"{r.get('preference', 0)} {_absolute(r.get('exchange'))}" for r in data)
    if kind == "PTR":
        return tuple(_absolute(r.get("ptrdname")) for r in data)
    if kind == "SRV":
        return tuple(
            f"{r.get('priority', 0)} {r.get('weight', 0)} {r.get('port', 0)} {_absolute(r.get('target'))}" for r in data
        )
    if kind == "SOA":
        times = " ".join(str(data.get(field, 0)) for field in _SOA_TIMES)
        return (f"{_absolute(data.get('host'))} {_absolute(data.get('email'))} {times}",)
    return ()
