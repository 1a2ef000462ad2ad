"""The keys and the tokens they sign: HS256 state and registry tokens, RS256 Entra tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from acrlink import signing
from acrlink.signing import (
    ExpiredToken,
    InvalidToken,
    Keys,
    RsaKey,
    Verified,
    _b64,
    decode,
    encode,
)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def _in(seconds: int) -> int:
    return int(time.time()) + seconds


def _reason(token: str, key: bytes = KEY) -> str:
    with pytest.raises(InvalidToken) as caught:
        decode(token, key)
    return str(caught.value)


# --- encode / decode -------------------------------------------------------------------------


def test_round_trip_returns_the_claims() -> None:
    claims = {"sub": "user", "exp": _in(300), "nested": {"list": [1, "two", None]}}
    assert decode(encode(claims, KEY), KEY) == claims


def test_token_has_three_parts_and_an_hs256_header() -> None:
    header, _payload, _signature = encode({"exp": _in(60)}, KEY).split(".")
    assert header == _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


def test_token_is_url_safe_without_padding() -> None:
    token = encode({"exp": _in(60), "blob": "\xff" * 50 + "?>"}, KEY)
    assert "=" not in token and "+" not in token and "/" not in token


def test_token_signed_by_another_key_is_refused() -> None:
    assert _reason(encode({"exp": _in(60)}, OTHER_KEY)) == "bad signature"


def test_tampered_payload_is_refused() -> None:
    header, _payload, signature = encode({"sub": "user", "exp": _in(60)}, KEY).split(".")
    forged = _b64(json.dumps({"sub": "admin", "exp": _in(60)}).encode())
    assert _reason(f"{header}.{forged}.{signature}") == "bad signature"


def test_tampered_signature_is_refused() -> None:
    header, payload, signature = encode({"exp": _in(60)}, KEY).split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert _reason(f"{header}.{payload}.{flipped}") == "bad signature"


def test_tampered_header_is_refused() -> None:
    _header, payload, signature = encode({"exp": _in(60)}, KEY).split(".")
    none_header = _b64(b'{"alg":"none","typ":"JWT"}')
    assert _reason(f"{none_header}.{payload}.{signature}") == "bad signature"


def test_empty_signature_is_refused() -> None:
    header, payload, _signature = encode({"exp": _in(60)}, KEY).split(".")
    assert _reason(f"{header}.{payload}.") == "bad signature"


def test_expired_token_is_refused() -> None:
    assert _reason(encode({"exp": _in(-10)}, KEY)) == "expired"


def test_token_without_expiry_counts_as_expired() -> None:
    assert _reason(encode({"sub": "user"}, KEY)) == "expired"


def test_token_expiring_in_the_future_is_accepted() -> None:
    assert decode(encode({"exp": _in(5)}, KEY), KEY)["exp"] > time.time()


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "...."])
def test_token_without_three_parts_is_not_a_jwt(token: str) -> None:
    assert _reason(token) == "not a JWT"


@pytest.mark.parametrize("payload", ["a", "!!!!"])
def test_undecodable_payload_is_malformed(payload: str) -> None:
    header, _payload, signature = encode({"exp": _in(60)}, KEY).split(".")
    assert _reason(f"{header}.{payload}.{signature}") == "malformed token"


@pytest.mark.parametrize("payload", [_b64(b"not json"), _b64(b"\xff\xfe\xfd")])
def test_payload_is_not_read_before_its_signature_is_checked(payload: str) -> None:
    header, _payload, signature = encode({"exp": _in(60)}, KEY).split(".")
    assert _reason(f"{header}.{payload}.{signature}") == "bad signature"


def test_undecodable_signature_is_malformed() -> None:
    header, payload, _signature = encode({"exp": _in(60)}, KEY).split(".")
    assert _reason(f"{header}.{payload}.a") == "malformed token"


def test_signed_claims_that_are_not_an_object_are_refused() -> None:
    token = jwt.api_jws.encode(b"[1,2,3]", KEY, algorithm="HS256")
    assert _reason(token) == "malformed claims"


def test_invalid_token_is_an_exception() -> None:
    assert issubclass(InvalidToken, Exception)


# --- the Entra ID key (RS256) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(b"s" * 32, RsaKey.from_pem(signing.new_rsa_pem()))


def test_rs256_token_names_its_key_and_verifies_against_the_published_jwk(keys: Keys) -> None:
    token = keys.entra.sign({"aud": "x", "exp": _in(60)})
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == keys.entra.kid
    jwk = keys.entra.jwk()
    assert jwk["kty"] == "RSA" and jwk["use"] == "sig" and "d" not in jwk
    public = jwt.PyJWK(jwk, algorithm="RS256")
    assert jwt.decode(token, public.key, algorithms=["RS256"], audience="x")["aud"] == "x"
    assert keys.entra.verify(token)["aud"] == "x"


def test_hs256_token_does_not_verify_as_an_entra_token(keys: Keys) -> None:
    with pytest.raises(InvalidToken):
        keys.entra.verify(encode({"exp": _in(60)}, keys.secret))


def test_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(keys: Keys) -> None:
    public_pem = keys.entra.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "kid": keys.entra.kid}).encode())
    payload = _b64(json.dumps({"exp": _in(60)}).encode())
    mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{payload}.{_b64(mac)}"
    with pytest.raises(InvalidToken):
        keys.entra.verify(forged)


def test_token_from_another_rsa_key_with_the_same_kid_is_refused(keys: Keys) -> None:
    other = RsaKey(RsaKey.from_pem(signing.new_rsa_pem()).private, keys.entra.kid)
    with pytest.raises(InvalidToken, match="bad signature"):
        keys.entra.verify(other.sign({"exp": _in(60)}))


def test_expired_rs256_token_says_when_it_expired(keys: Keys) -> None:
    expired_at = _in(-30)
    with pytest.raises(ExpiredToken) as caught:
        keys.entra.verify(keys.entra.sign({"exp": expired_at}))
    assert caught.value.expired_at == expired_at


# --- remembered checks -----------------------------------------------------------------------


class _Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, token: str) -> dict[str, object]:
        self.calls += 1
        return decode(token, KEY)


def test_a_verified_token_is_checked_once() -> None:
    counting = _Counting()
    verified = Verified(counting)
    token = encode({"sub": "u", "exp": _in(60)}, KEY)
    assert verified(token) == verified(token) == {"sub": "u", "exp": decode(token, KEY)["exp"]}
    assert counting.calls == 1


def test_remembered_claims_are_copies() -> None:
    verified = Verified(_Counting())
    token = encode({"sub": "u", "exp": _in(60)}, KEY)
    verified(token)["sub"] = "admin"
    assert verified(token)["sub"] == "u"


def test_a_refused_token_is_checked_every_time() -> None:
    counting = _Counting()
    verified = Verified(counting)
    forged = encode({"exp": _in(60)}, OTHER_KEY)
    for _ in range(2):
        with pytest.raises(InvalidToken):
            verified(forged)
    assert counting.calls == 2


def test_a_remembered_token_past_its_expiry_is_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _Counting()
    verified = Verified(counting)
    token = encode({"exp": _in(60)}, KEY)
    verified(token)
    later = _in(120)
    monkeypatch.setattr(signing, "epoch", lambda: later)
    verified(token)
    assert counting.calls == 2


def test_the_memory_is_bounded() -> None:
    verified = Verified(_Counting(), size=3)
    for i in range(10):
        verified(encode({"n": i, "exp": _in(60)}, KEY))
    assert len(verified._seen) == 3


def test_host_credentials_name_their_host_and_cannot_be_forged() -> None:
    key, other = b"k" * 32, b"o" * 32
    credential = signing.host_credential(key, "my.vm")
    assert signing.credential_host(key, credential) == "my.vm"
    assert signing.credential_host(other, credential) is None
    assert signing.credential_host(key, "vm2" + credential[5:]) is None
    assert signing.credential_host(key, "no-mac") is None
    assert signing.credential_host(key, "") is None
