"""JWT-shaped tokens signed with a key kept in the data directory (HS256).

Every acrlink process over the same data dir shares the key, so tokens and signed state work
across restarts and processes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Any

from acrlink.atomic import write_file
from acrlink.clock import epoch


class InvalidToken(Exception):
    """The token is malformed, its signature does not match, or it has expired."""


def load_key(path: Path) -> bytes:
    """Read the signing key, creating it (mode 0600, atomically) on first use."""
    if not path.exists():
        write_file(path, secrets.token_bytes(32), 0o600)
    return path.read_bytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


def encode(claims: dict[str, Any], key: bytes) -> str:
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key, f"{_HEADER}.{payload}".encode(), hashlib.sha256).digest()
    return f"{_HEADER}.{payload}.{_b64(signature)}"


def decode(token: str, key: bytes) -> dict[str, Any]:
    """The claims of a token this key signed and that has not expired."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a JWT")
    expected = hmac.new(key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    try:
        given = _unb64(parts[2])
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken("malformed token") from exc
    if not hmac.compare_digest(expected, given):
        raise InvalidToken("bad signature")
    if not isinstance(claims, dict):
        raise InvalidToken("malformed claims")
    if int(claims.get("exp", 0)) < epoch():
        raise InvalidToken("expired")
    return claims
