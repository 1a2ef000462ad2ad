"""``bind_pair``: one port for DNS over UDP and TCP, found again when the TCP twin of a free UDP port is taken."""

from __future__ import annotations

import errno
import socket
from typing import Any

import pytest

from acrlink.dns import server


def test_the_pair_shares_one_port() -> None:
    udp, tcp = server.bind_pair("127.0.0.1", 0)
    try:
        assert udp.type == socket.SOCK_DGRAM and tcp.type == socket.SOCK_STREAM
        assert udp.getsockname()[1] == tcp.getsockname()[1] != 0
    finally:
        udp.close()
        tcp.close()


def test_a_taken_tcp_twin_makes_it_try_another_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first UDP port it gets has its TCP twin taken (as a cluster's many listeners make likely)."""
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    taken = blocker.getsockname()[1]
    handed: list[int] = []

    class FirstUdpOnTheTakenPort(socket.socket):
        def bind(self, address: Any) -> None:
            if self.type == socket.SOCK_DGRAM and not handed:
                handed.append(taken)
                address = ("127.0.0.1", taken)  # UDP and TCP ports are separate spaces: this bind succeeds
            super().bind(address)

    monkeypatch.setattr(server.socket, "socket", FirstUdpOnTheTakenPort)
    try:
        udp, tcp = server.bind_pair("127.0.0.1", 0)
        try:
            assert handed == [taken], "the first attempt got the port whose TCP twin is taken"
            assert udp.getsockname()[1] == tcp.getsockname()[1] != taken
        finally:
            udp.close()
            tcp.close()
    finally:
        blocker.close()


def test_a_given_port_whose_twin_is_taken_is_an_error() -> None:
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    try:
        with pytest.raises(OSError) as raised:
            server.bind_pair("127.0.0.1", blocker.getsockname()[1])
        assert raised.value.errno == errno.EADDRINUSE
    finally:
        blocker.close()
