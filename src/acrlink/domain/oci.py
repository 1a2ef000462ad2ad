"""OCI Distribution rules as pure functions: names, tags, digests, numbers, byte ranges.

Grammar from the OCI Distribution Specification v1.1 ("Pulling manifests", "Content Range") and the
OCI image spec's descriptor rules. Nothing here does I/O; handlers parse with these functions and
raise what they raise.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from acrlink.errors import BadRequest, RangeInvalid

NAME_MAX = 255
"""Distribution caps a repository name (all components and slashes) at 255 characters."""

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_NAME = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
_DIGEST = re.compile(r"^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$")

ALGORITHMS: dict[str, int] = {"sha256": 64, "sha512": 128}
"""Registered digest algorithms and the length of their lower-case hex encoding."""


def check_name(name: str) -> str:
    """A repository name by the spec's grammar: lower-case components joined by ``/``.

    The grammar admits no ``..``, no leading or trailing ``/`` and no empty component, so a valid
    name can never address anything outside its own repository (no path traversal).
    """
    if len(name) > NAME_MAX or not _NAME.fullmatch(name):
        raise BadRequest("NAME_INVALID", f"invalid repository name: {name!r}")
    return name


def check_tag(tag: str) -> str:
    """A tag: up to 128 characters of ``[a-zA-Z0-9_.-]``, not starting with ``.`` or ``-``."""
    if not is_tag(tag):
        raise BadRequest("TAG_INVALID", f"invalid tag: {tag!r}")
    return tag


def is_tag(text: str) -> bool:
    """Whether ``text`` is a valid tag (``check_tag`` without the error)."""
    return bool(_TAG.fullmatch(text))


def is_digest_like(reference: str) -> bool:
    """Whether a manifest reference is meant as a digest (it contains ``:``, which tags cannot)."""
    return ":" in reference


@dataclass(frozen=True)
class Digest:
    """A content digest acrlink verifies: the algorithm (sha256 or sha512) and the lower-case hex it encodes."""

    algorithm: str
    encoded: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.encoded}"

    def hasher(self) -> hashlib._Hash:
        """A fresh hash of the digest's algorithm, to verify bytes as they arrive."""
        return hashlib.new(self.algorithm)


def parse_digest(text: str) -> Digest:
    """A digest whose algorithm acrlink verifies (sha256 or sha512) with a well-formed encoding.

    Anything else is ``DIGEST_INVALID``: acrlink never stores content under a digest it cannot check.
    """
    match = _DIGEST.fullmatch(text)
    if not match:
        raise BadRequest("DIGEST_INVALID", f"invalid digest: {text!r}")
    algorithm, encoded = match.groups()
    length = ALGORITHMS.get(algorithm)
    if length is None:
        raise BadRequest("DIGEST_INVALID", f"unsupported digest algorithm {algorithm!r}; use sha256 or sha512")
    if len(encoded) != length or not re.fullmatch(r"[0-9a-f]+", encoded):
        raise BadRequest("DIGEST_INVALID", f"invalid {algorithm} digest: {text!r}")
    return Digest(algorithm, encoded)


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    """The digest of bytes, as the registry names content (``sha256:<hex>`` by default)."""
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def check_reference(reference: str) -> str:
    """A manifest reference is a tag or a digest."""
    if is_digest_like(reference):
        return str(parse_digest(reference))
    return check_tag(reference)


# Numbers ----------------------------------------------------------------------------------------------

MAX_DIGITS = 18
"""The longest number the registry face reads: 18 ASCII digits always fit a signed 64-bit integer, which
is what Distribution parses these numbers into (anything longer overflows there)."""

_NUMBER = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


def parse_number(text: str) -> int | None:
    """A non-negative decimal number of ASCII digits only (no sign, no spaces, no ``²`` or other Unicode
    digits that ``str.isdigit`` admits), at most ``MAX_DIGITS`` long; ``None`` for anything else.

    The one parser for every number the registry face reads from a client (``n``, ``Content-Range``,
    ``Range``, ``Content-Length``), so none of them can reach ``int()`` unchecked.
    """
    return int(text) if _NUMBER.fullmatch(text) else None


def parse_page_size(text: str | None) -> int | None:
    """The ``n`` query parameter of a listing; absent or empty means no limit. Anything but a number is
    ``PAGINATION_NUMBER_INVALID`` (as Distribution answers when ``strconv.Atoi`` refuses it)."""
    if text is None or text == "":
        return None
    value = parse_number(text)
    if value is None:
        raise BadRequest("PAGINATION_NUMBER_INVALID", f"invalid number of results requested: {text[:40]!r}")
    return value


# Byte ranges -----------------------------------------------------------------------------------------

_CONTENT_RANGE = re.compile(r"^(?:bytes )?([0-9]+)-([0-9]+)(?:/(?:[0-9]+|\*))?$")
_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")


def _range_number(text: str, header: str) -> int:
    value = parse_number(text)
    if value is None:
        raise RangeInvalid("RANGE_INVALID", f"invalid range: {header[:80]!r}")
    return value


def parse_chunk_range(header: str) -> tuple[int, int]:
    """``Content-Range`` of an upload chunk: ``START-END`` inclusive (``bytes START-END/*`` accepted).

    A malformed or inverted range, or a number too long to be a size, is ``RANGE_INVALID`` (416).
    """
    match = _CONTENT_RANGE.match(header.strip())
    if not match:
        raise RangeInvalid("RANGE_INVALID", f"invalid Content-Range: {header[:80]!r}")
    start, end = _range_number(match.group(1), header), _range_number(match.group(2), header)
    if end < start:
        raise RangeInvalid("RANGE_INVALID", f"invalid Content-Range: {header[:80]!r}")
    return start, end


def parse_byte_range(header: str, size: int) -> tuple[int, int] | None:
    """A single ``Range: bytes=...`` of a blob of ``size`` bytes -> (first, last) inclusive.

    ``None`` means serve the whole blob (RFC 9110 lets a server ignore a Range it does not support,
    such as several ranges). A well-formed range wholly outside the blob, or one whose numbers are too
    long to be offsets, is ``RANGE_INVALID`` (416).
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        suffix = _range_number(last_text, header)
        if suffix == 0 or size == 0:
            raise RangeInvalid("RANGE_INVALID", f"range {header[:80]!r} not satisfiable for {size} bytes")
        return max(size - suffix, 0), size - 1
    first = _range_number(first_text, header)
    last = _range_number(last_text, header) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        raise RangeInvalid("RANGE_INVALID", f"range {header[:80]!r} not satisfiable for {size} bytes")
    return first, min(last, size - 1)
