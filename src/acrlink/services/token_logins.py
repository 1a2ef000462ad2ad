"""Registry token logins on the data plane: a token's name and one of its passwords -> its scope map's rules.

The token service asks this for a username that is not the admin user nor the null user. The token and its scope
map are read as they stand now, for every access token: a token disabled, a password regenerated or deleted, or
a scope map changed counts from the next access token on (access tokens already issued keep what they hold until
they expire, as ACR's do).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from acrlink import unconfirmed
from acrlink.domain import scope_maps
from acrlink.errors import Unauthorized
from acrlink.resources.token import PASSWORD_NAMES, password_hash, passwords_key
from acrlink.services.registry import RegistryView
from acrlink.store.base import Store


@dataclass(frozen=True)
class TokenLogin:
    name: str
    """The token's name as created."""
    rules: scope_maps.Rules
    """Its scope map's repository rules (none when the map is gone)."""


class TokenLogins:
    def __init__(self, store: Store) -> None:
        self._store = store

    def login(self, registry: RegistryView, username: str, password: str) -> TokenLogin | None:
        """The token ``username`` of the registry when ``password`` is one of its passwords; None when the
        registry has no such token or the password is none of its own (the caller answers as for any bad
        login); a disabled token or an expired password is refused (401 ``UNAUTHORIZED``)."""
        if not registry.key or not username:
            return None
        with self._store.transaction() as tx:
            record = tx.get(f"{registry.key}/tokens/{username.lower()}")
            if record is None:
                return None
            token = record.body
            hashes = tx.kv_get(passwords_key(record.key)) or {}
            given = password_hash(password)
            matched = next(
                (n for n in PASSWORD_NAMES if n in hashes and hmac.compare_digest(str(hashes[n]), given)), None
            )
            if matched is None:
                return None
            props = token["properties"]
            name = str(token["name"])
            if props.get("status") != "enabled":
                raise Unauthorized("UNAUTHORIZED", unconfirmed.TOKEN_DISABLED_MESSAGE.format(name=name))
            passwords: list[dict[str, str]] = props.get("credentials", {}).get("passwords", [])
            entry = next((p for p in passwords if p["name"] == matched), {})
            expiry = entry.get("expiry")
            if expiry and datetime.fromisoformat(expiry) <= datetime.now(UTC):
                raise Unauthorized("UNAUTHORIZED", unconfirmed.TOKEN_PASSWORD_EXPIRED_MESSAGE.format(name=name))
            scope_map = tx.get(str(props.get("scopeMapId", "")).lower())
            actions = scope_map.body["properties"].get("actions", []) if scope_map is not None else []
            return TokenLogin(name, scope_maps.rules(actions))
