"""acrlink's keys, and the JWTs they sign (PyJWT).

Two keys, both kept in the store (``services/key_material.py`` creates them once and loads them):
- a symmetric secret (HS256): what only acrlink itself reads back. Signed state (upload sessions, blob
  redirects, the proxy's PROXY header) and the registry's refresh and access tokens; clients never verify
  those signatures.
- the Entra ID key (RSA, RS256): Entra ID access tokens. Its public half is published at the OpenID
  configuration's ``jwks_uri``, with the token header's ``kid``, so any client can verify a token as it
  would verify one of Entra's; and no token of the other kind verifies with it.

Every acrlink process over the same store shares both keys, so tokens and signed state work across
restarts and processes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from acrlink.clock import epoch

RSA_BITS = 2048
"""What Entra ID publishes: 2048-bit RSA keys, ``e`` = 65537."""


class InvalidToken(Exception):
    """The token is malformed, its signature does not match, or it has expired."""


class ExpiredToken(InvalidToken):
    """A token whose signature is good but whose ``exp`` has passed."""

    def __init__(self, expired_at: int) -> None:
        super().__init__("expired")
        self.expired_at = expired_at


# Key material ------------------------------------------------------------------------------------


def new_rsa_pem() -> bytes:
    """A new 2048-bit RSA private key, PKCS#8 PEM (~0.2 s on these machines)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class RsaKey:
    """An RS256 signing key and the ``kid`` that names it in token headers and the JWKS."""

    private: rsa.RSAPrivateKey = field(repr=False)
    kid: str

    @classmethod
    def from_pem(cls, pem: bytes) -> RsaKey:
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise ValueError("the Entra ID signing key is not an RSA key")
        der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # 27 characters, the length of Entra's kids (a base64url 20-byte thumbprint).
        return cls(private, _b64(hashlib.sha256(der).digest()[:20]))

    def jwk(self) -> dict[str, Any]:
        """The public key as Entra's JWKS lists it."""
        numbers = self.private.public_key().public_numbers()

        def unsigned(value: int) -> str:
            return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))

        return {"kty": "RSA", "use": "sig", "kid": self.kid, "n": unsigned(numbers.n), "e": unsigned(numbers.e)}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"})

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of an unexpired RS256 token this key signed; audience and issuer are the caller's to
        check. Raises ``ExpiredToken`` (signature good, ``exp`` passed) or ``InvalidToken``."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("malformed token") from None
        if header.get("alg") != "RS256" or header.get("kid") != self.kid:
            raise InvalidToken("not signed by this key")
        return _decode(token, self.private.public_key(), "RS256")


@dataclass(frozen=True)
class Keys:
    """The HS256 secret and the Entra ID key of one store."""

    secret: bytes = field(repr=False)
    entra: RsaKey


# HS256 -------------------------------------------------------------------------------------------

_OPTIONS: dict[str, Any] = {"require": ["exp"], "verify_aud": False, "verify_iss": False}
"""``exp`` is required (a token without one counts as expired); audience and issuer are the callers'."""


def _decode(token: str, key: Any, algorithm: str) -> dict[str, Any]:
    if token.count(".") != 2:
        raise InvalidToken("not a JWT")
    try:
        return dict(jwt.decode(token, key, algorithms=[algorithm], options=_OPTIONS))  # type: ignore[arg-type]
    except jwt.ExpiredSignatureError:
        claims = jwt.decode(token, options={"verify_signature": False})
        raise ExpiredToken(int(claims["exp"])) from None
    except jwt.MissingRequiredClaimError:
        raise InvalidToken("expired") from None
    except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError):
        raise InvalidToken("bad signature") from None
    except jwt.DecodeError as exc:
        raise InvalidToken("malformed claims" if "json object" in str(exc) else "malformed token") from None
    except jwt.PyJWTError:
        raise InvalidToken("malformed token") from None


def encode(claims: dict[str, Any], key: bytes) -> str:
    """Signed state or a registry token (HS256)."""
    return jwt.encode(claims, key, algorithm="HS256")


def decode(token: str, key: bytes) -> dict[str, Any]:
    """The claims of a token this key signed and that has not expired."""
    return _decode(token, key, "HS256")


class Verified:
    """A check of a token remembered until the token expires, for tokens that come back on every
    request (a registry access token for each layer of a pull, an Entra token for each ARM call): PyJWT's
    checks cost 0.1-0.7 ms a token here. Bounded; the oldest entry goes first. Only successes are kept,
    so a bad token is checked (and refused) every time."""

    def __init__(self, verify: Callable[[str], dict[str, Any]], size: int = 1024) -> None:
        self._verify = verify
        self._size = size
        self._seen: dict[str, dict[str, Any]] = {}

    def __call__(self, token: str) -> dict[str, Any]:
        claims = self._seen.get(token)
        if claims is None or int(claims["exp"]) <= epoch():
            self._seen.pop(token, None)
            claims = self._verify(token)
            if len(self._seen) >= self._size:
                self._seen.pop(next(iter(self._seen)))
            self._seen[token] = claims
        return dict(claims)


# Host credentials --------------------------------------------------------------------------------


def _host_mac(key: bytes, host: str) -> str:
    return _b64(hmac.new(key, f"acrlink-managed-identity:{host.lower()}".encode(), hashlib.sha256).digest())


def host_credential(key: bytes, host: str) -> str:
    """The managed-identity header a process acting as ``host`` presents (``IDENTITY_HEADER``): the host's
    name and an HMAC of it with the store's secret, so no client can make one for another host."""
    return f"{host}.{_host_mac(key, host)}"


def credential_host(key: bytes, credential: str) -> str | None:
    """The host a ``host_credential`` names, or None for a forged or malformed one."""
    host, _, mac = credential.rpartition(".")
    if not host or not hmac.compare_digest(mac.encode(), _host_mac(key, host).encode()):
        return None
    return host
