"""Key material: created once in the store and used by every process that shares it.

Kept in the store's key/value space, values JSON:

- ``keys/secret``: 32 random bytes (base64), the HS256 secret: signed upload state and blob redirects, the
  proxy's PROXY header, registry refresh and access tokens, VM host credentials;
- ``keys/entra``: the Entra ID RSA key (PKCS#8 PEM), which signs Entra access tokens;
- ``keys/ca``: the local CA, ``{"cert": PEM, "key": PEM}``, which issues every process's server certificates,
  so a client trusts every process of one store with one ``ca.pem``;
- ``keys/tasks-sas`` (``services/tasks_endpoint.py``): the Tasks blob face's SAS key.

Each is created by the first process that finds it missing, outside any transaction (an RSA key takes
~0.2 s), then inserted if still absent (``Transaction.kv_insert``): processes starting at once each make a
candidate and all keep the one that committed first. A data directory from before keys lived in the store
(``signing.key``, ``entra-signing.pem``, ``ca.pem`` + ``ca.key``) is imported instead of a new key when the
store has none, so tokens, logins and trust survive the upgrade.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from acrlink import certs, signing
from acrlink.store.base import Store

SECRET = "keys/secret"
ENTRA = "keys/entra"
AUTHORITY = "keys/ca"

LEGACY_SECRET_FILE = "signing.key"
"""Where a data directory kept the HS256 secret before the store did."""
LEGACY_ENTRA_FILE = "entra-signing.pem"
"""Where a data directory kept the Entra ID key before the store did."""


def shared(store: Store, key: str, make: Callable[[], Any]) -> Any:
    """The value stored under ``key``; when there is none, ``make()``'s, unless another process stored one
    first (then that one)."""
    with store.transaction() as tx:
        found = tx.kv_get(key)
    if found is not None:
        return found
    candidate = make()
    with store.transaction() as tx:
        return tx.kv_insert(key, candidate)


def _legacy(data_dir: Path | None, name: str) -> bytes | None:
    """A key file a data directory from before holds, or None."""
    if data_dir is None:
        return None
    try:
        return (data_dir / name).read_bytes()
    except FileNotFoundError:
        return None


def _new_secret(data_dir: Path | None) -> str:
    found = _legacy(data_dir, LEGACY_SECRET_FILE)
    return base64.b64encode(found if found else secrets.token_bytes(32)).decode()


def _new_entra(data_dir: Path | None) -> str:
    found = _legacy(data_dir, LEGACY_ENTRA_FILE)
    return (found if found else signing.new_rsa_pem()).decode()


def _new_authority(data_dir: Path | None) -> dict[str, str]:
    cert, key = _legacy(data_dir, "ca.pem"), _legacy(data_dir, "ca.key")
    if cert is None or key is None:
        cert, key = certs.new_authority_pem()
    else:
        certs.authority_from_pem(cert, key, Path("ca.pem"))  # a broken pair is refused, not shared
    return {"cert": cert.decode(), "key": key.decode()}


def load_keys(store: Store, data_dir: Path | None = None) -> signing.Keys:
    """The HS256 secret and the Entra ID key of the store (created, or imported from ``data_dir``'s files,
    on first use)."""
    encoded = shared(store, SECRET, lambda: _new_secret(data_dir))
    try:
        secret = base64.b64decode(str(encoded), validate=True)
    except binascii.Error:
        raise ValueError(f"the store's {SECRET} is not base64") from None
    entra = signing.RsaKey.from_pem(str(shared(store, ENTRA, lambda: _new_entra(data_dir))).encode())
    return signing.Keys(secret, entra)


def load_authority(store: Store, data_dir: Path) -> certs.Authority:
    """The store's CA (created, or imported from ``data_dir``, on first use), written into ``data_dir`` as
    ``ca.pem`` and ``ca.key`` for this process's clients."""
    stored = shared(store, AUTHORITY, lambda: _new_authority(data_dir))
    cert, key = str(stored["cert"]).encode(), str(stored["key"]).encode()
    authority = certs.authority_from_pem(cert, key, data_dir / "ca.pem")
    certs.write_authority(cert, key, data_dir)
    return authority
