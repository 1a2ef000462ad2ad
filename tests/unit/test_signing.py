"""HS256 tokens signed with the data directory's key."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from acrlink.signing import InvalidToken, _b64, decode, encode, load_key

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


@pytest.mark.parametrize("payload", ["a", "!!!!", _b64(b"not json"), _b64(b"\xff\xfe\xfd")])
def test_undecodable_payload_is_malformed(payload: str) -> None:
    header, _payload, signature = encode({"exp": _in(60)}, KEY).split(".")
    assert _reason(f"{header}.{payload}.{signature}") == "malformed token"


def test_undecodable_signature_is_malformed() -> None:
    header, payload, _signature = encode({"exp": _in(60)}, KEY).split(".")
    assert _reason(f"{header}.{payload}.a") == "malformed token"


def test_signed_claims_that_are_not_an_object_are_refused() -> None:
    token = encode([1, 2, 3], KEY)  # type: ignore[arg-type]
    assert _reason(token) == "malformed claims"


def test_invalid_token_is_an_exception() -> None:
    assert issubclass(InvalidToken, Exception)


# --- key file --------------------------------------------------------------------------------


def test_key_file_is_created_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    key = load_key(path)
    assert path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_new_key_is_32_random_bytes(tmp_path: Path) -> None:
    first = load_key(tmp_path / "a.key")
    second = load_key(tmp_path / "b.key")
    assert len(first) == 32 and len(second) == 32
    assert first != second


def test_existing_key_file_is_reused(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    assert load_key(path) == load_key(path)


def test_key_written_elsewhere_is_read_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    path.write_bytes(b"shared-by-another-process")
    assert load_key(path) == b"shared-by-another-process"


def test_key_creation_leaves_no_temporary_file(tmp_path: Path) -> None:
    load_key(tmp_path / "signing.key")
    assert [p.name for p in tmp_path.iterdir()] == ["signing.key"]


def test_tokens_signed_with_a_loaded_key_verify_after_reloading(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    token = encode({"exp": _in(60)}, load_key(path))
    assert decode(token, load_key(path))["exp"] > 0
