"""Ports a server is restarted on lie outside the kernel's ephemeral range: while a killed process is down,
any outgoing connection may take a port inside that range as its source port, and the restart then fails
with "Address already in use" (a CI run saw it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster_example import cluster, cluster_servers
from tests.servers import postgres


def _ephemeral() -> range:
    low, high = (int(part) for part in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    return range(low, high + 1)


def test_a_clusters_ports_are_all_outside_the_ephemeral_range() -> None:
    ephemeral = _ephemeral()
    for _ in range(50):
        base = cluster.free_base(2)
        plan = cluster.layout(base, 2)
        ports = [*plan.front.values(), plan.postgres, plan.azurite]
        ports += [port for process in plan.processes for port in process.values()]
        assert not [port for port in ports if port in ephemeral], f"base {base} reaches into {ephemeral}"


def test_the_test_postgresql_servers_port_is_outside_the_ephemeral_range() -> None:
    """``tests/servers/postgres.py`` restarts its server on the port it first got (the outage tests)."""
    ephemeral = _ephemeral()
    assert not [port for port in (postgres.free_port() for _ in range(50)) if port in ephemeral]


@pytest.mark.parametrize(
    ("configured", "span", "expected"),
    [
        ("32768\t60999\n", 30, range(10000, 32739)),
        ("1024\t30000\n", 30, range(30001, 65506)),
        ("1024\t65535\n", 1, range(1024, 65535)),
    ],
)
def test_the_range_follows_the_kernels_setting(
    configured: str, span: int, expected: range, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setting = tmp_path / "ip_local_port_range"
    setting.write_text(configured)
    monkeypatch.setattr(cluster_servers, "EPHEMERAL_RANGE_FILE", setting)
    assert cluster_servers.fixed_port_range(span) == expected
