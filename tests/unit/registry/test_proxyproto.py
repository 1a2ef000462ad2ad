"""Signed PROXY v2 headers (acrlink.netsim.proxyproto)."""

from __future__ import annotations

import pytest

from acrlink.netsim import proxyproto

KEY = b"k" * 32
ORIGIN = proxyproto.Origin("10.1.2.3", 50000, "myreg.azurecr.cn", host="vm1", path="private", region="chinaeast2")


def test_round_trip() -> None:
    header = proxyproto.encode(ORIGIN, ("127.0.0.1", 443), KEY)
    assert header.startswith(proxyproto.SIGNATURE)
    assert proxyproto.body_length(header[:16]) == len(header) - 16
    assert proxyproto.decode(header, KEY) == ORIGIN


def test_forged_or_tampered_headers_are_refused() -> None:
    header = proxyproto.encode(ORIGIN, ("127.0.0.1", 443), KEY)
    with pytest.raises(proxyproto.ProxyHeaderError):
        proxyproto.decode(header, b"other key")
    tampered = bytearray(header)
    tampered[20] ^= 1
    with pytest.raises(proxyproto.ProxyHeaderError):
        proxyproto.decode(bytes(tampered), KEY)
    with pytest.raises(proxyproto.ProxyHeaderError):
        proxyproto.body_length(b"\x16\x03\x01" + b"\x00" * 13)
