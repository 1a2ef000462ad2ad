"""Service SAS for the blob face: acrlink signs the URLs it hands out (upload a build context, read a run's log)
and checks them on every request.

The query carries what Azure's service SAS carries (``sv``, ``sr``, ``sp``, ``se``, ``sig``, optional ``st``);
the signature is an HMAC-SHA256, keyed by a secret of the data directory, over those fields and the blob's
canonical name. Azure's exact string-to-sign is not reproduced: only acrlink verifies these signatures.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

VERSION = "2026-04-06"
READ, WRITE, CREATE = "r", "w", "c"
ACCOUNT = "acrtasksacrlink"
"""The storage account name in every SAS URL acrlink hands out."""
ENDPOINT_KEY = "tasks:blob-endpoint"
"""The store key/value entry naming the blob face's URL (``services/tasks_endpoint.py`` writes it)."""
SAS_KEY = "keys/tasks-sas"
"""The store key/value entry holding the SAS key, shared by every process of the store, with the other keys
(``services/key_material.py``)."""
LEGACY_SAS_KEY = "tasks:sas-key"
"""Where a store from before kept the SAS key (kept: SAS URLs handed out then stay valid)."""


@dataclass(frozen=True)
class BlobEndpoint:
    """Where the blob face is and the key its SAS are signed with."""

    url: str
    """``https://127.0.0.1:PORT`` (no trailing slash); empty when no blob face is serving."""
    key: bytes


class SasRefused(Exception):
    """Why a SAS does not authorise a request: Azure Storage's ``AuthenticationFailed`` (bad or expired
    signature) or ``AuthorizationPermissionMismatch`` (a valid SAS without the permission), both 403."""

    def __init__(self, message: str, code: str = "AuthenticationFailed") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class BlobName:
    account: str
    container: str
    blob: str

    @property
    def canonical(self) -> str:
        return f"/blob/{self.account}/{self.container}/{self.blob}"


def endpoint_url(url: str) -> str:
    """A blob face URL as clients reach it: ``https://HOST[:PORT]`` (or ``http://``), no path beyond ``/``,
    returned without a trailing ``/``; ``ValueError`` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ValueError(f"{url!r} is not a blob face URL: use https://HOST:PORT")
    return url.rstrip("/")


def _string_to_sign(name: BlobName, fields: Mapping[str, str]) -> bytes:
    parts = [fields.get(k, "") for k in ("sp", "st", "se", "sr", "sv")]
    return "\n".join([*parts, name.canonical]).encode()


def _signature(key: bytes, name: BlobName, fields: Mapping[str, str]) -> str:
    return base64.b64encode(hmac.new(key, _string_to_sign(name, fields), hashlib.sha256).digest()).decode()


def sign(key: bytes, name: BlobName, permissions: str, expiry: datetime) -> str:
    """The query string of a blob SAS (``sr=b``) granting ``permissions`` until ``expiry``."""
    fields = {"sv": VERSION, "sr": "b", "sp": permissions, "se": stamp(expiry)}
    return urlencode({**fields, "sig": _signature(key, name, fields)})


def stamp(moment: datetime) -> str:
    """A SAS time: ISO 8601 in UTC to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SasRefused(f"Signed time {text!r} is not a valid ISO 8601 time.") from None


def check(key: bytes, name: BlobName, query: Mapping[str, str], needed: str, now: datetime) -> None:
    """Refuse (``SasRefused``) unless the query is a valid, unexpired blob SAS for ``name`` with ``needed``."""
    signature = query.get("sig")
    if not signature:
        raise SasRefused("Server failed to authenticate the request: no signature (sig) in the query.")
    if not hmac.compare_digest(signature, _signature(key, name, query)):
        raise SasRefused(
            "Signature did not match. String to sign used was "
            + _string_to_sign(name, query).decode().replace("\n", "\\n")
        )
    if query.get("sr") != "b":
        raise SasRefused("Signed resource (sr) must be 'b' for a blob.")
    expiry = query.get("se")
    if not expiry:
        raise SasRefused("Signed expiry time (se) is missing.")
    if now > _parse_time(expiry):
        raise SasRefused(
            f"Signed expiry time [{expiry}] must be after signed start time and current time [{stamp(now)}]."
        )
    start = query.get("st")
    if start and now < _parse_time(start):
        raise SasRefused(f"Signed start time [{start}] is in the future.")
    if not any(p in query.get("sp", "") for p in needed):
        raise SasRefused(
            "This request is not authorized to perform this operation using this permission.",
            "AuthorizationPermissionMismatch",
        )
