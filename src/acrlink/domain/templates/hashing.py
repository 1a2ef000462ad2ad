"""Deterministic hashes templates ask for: ``uniqueString()``, ``guid()`` and the deployment's templateHash.

``unique_string`` follows the reconstruction in the deployments reference (section 5.9): two 32-bit
Murmur-style lanes over the UTF-8 bytes of the arguments joined with ``-``, rendered as 13 base-32
characters from the top of the 64-bit result. ``guid`` is RFC 4122 version 5 (section 5.10).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

_MASK = 0xFFFFFFFF
_C1 = 0x239B961B
_C2 = 0xAB0E9789
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _MASK


def _fmix(x: int) -> int:
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & _MASK
    x ^= x >> 13
    x = (x * 0xC2B2AE35) & _MASK
    x ^= x >> 16
    return x


def _mix1(k: int) -> int:
    return (_rotl((k * _C1) & _MASK, 15) * _C2) & _MASK


def _mix2(k: int) -> int:
    return (_rotl((k * _C2) & _MASK, 17) * _C1) & _MASK


def hash64(data: bytes) -> int:
    """The 64-bit hash behind ``uniqueString`` (``h2 << 32 | h1``) of ``data``."""
    n = len(data)
    h1 = h2 = 0
    full = n - n % 8
    for i in range(0, full, 8):
        k1 = int.from_bytes(data[i : i + 4], "little")
        k2 = int.from_bytes(data[i + 4 : i + 8], "little")
        h1 ^= _mix1(k1)
        h1 = (_rotl(h1, 19) + h2) & _MASK
        h1 = (h1 * 5 + 0x561CCD1B) & _MASK
        h2 ^= _mix2(k2)
        h2 = (_rotl(h2, 13) + h1) & _MASK
        h2 = (h2 * 5 + 0x0BCAA747) & _MASK
    tail = data[full:]
    if tail:
        h1 ^= _mix1(int.from_bytes(tail[:4], "little"))
        if len(tail) > 4:
            h2 ^= _mix2(int.from_bytes(tail[4:], "little"))
    h1 ^= n
    h2 ^= n
    h1 = (h1 + h2) & _MASK
    h2 = (h2 + h1) & _MASK
    h1 = _fmix(h1)
    h2 = _fmix(h2)
    h1 = (h1 + h2) & _MASK
    h2 = (h2 + h1) & _MASK
    return (h2 << 32) | h1


def unique_string(*args: str) -> str:
    """``uniqueString(a, b, ...)``: 13 lower-case base-32 characters, case-sensitive in its inputs."""
    h = hash64("-".join(args).encode("utf-8"))
    out = []
    for _ in range(13):
        out.append(_ALPHABET[h >> 59])
        h = (h << 5) & 0xFFFFFFFFFFFFFFFF
    return "".join(out)


def guid(*args: str) -> str:
    """``guid(a, b, ...)``: UUID version 5 in namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830 over the
    arguments joined with ``-``, lower case (the namespace and joining are UNCONFIRMED, see reference 5.10)."""
    return str(uuid.uuid5(_GUID_NAMESPACE, "-".join(args)))


def template_hash(template: Any) -> str:
    """The deployment's ``templateHash``: a decimal unsigned 64-bit string.

    GUESS: ARM's algorithm is unknown (said to be the uniqueString hash over an upper-cased minified
    template, UNCONFIRMED). This hashes the canonical compact JSON (sorted keys) with ``hash64``, so it is
    stable for equal templates and changes when the template does; it will not match Azure's value.
    """
    text = json.dumps(template, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(hash64(text.encode("utf-8")))
