"""examples/cluster's HAProxy configuration: the committed sample is what the script writes, HAProxy itself
accepts it for any number of processes, and the layout gives every face of every process a port of its own."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import dns.message
import pytest

from tests.cluster_example import CLUSTER_DIR, cluster, cluster_haproxy

SAMPLE_SOCKET = "/tmp/acrlink-cluster/haproxy.sock"


def _render(base: int, n: int) -> str:
    plan = cluster.layout(base, n)
    return cluster_haproxy.render(plan.front, plan.processes, SAMPLE_SOCKET)


def test_the_committed_sample_is_what_the_script_writes() -> None:
    assert (CLUSTER_DIR / "haproxy.cfg").read_text() == _render(cluster.DEFAULT_BASE, 2), (
        "regenerate examples/cluster/haproxy.cfg from cluster_haproxy.render"
    )


@pytest.mark.parametrize("n", [1, 2, 5])
def test_haproxy_accepts_the_configuration(n: int, tmp_path: Path) -> None:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        pytest.fail("HAProxy is required: apt-get install haproxy (see scripts/test.sh)")
    config = tmp_path / "haproxy.cfg"
    config.write_text(_render(30000, n))
    checked = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_face_sends_the_proxy_header_from_the_trusted_address() -> None:
    text = _render(30000, 2)
    assert f"    source {cluster_haproxy.BALANCER}\n" in text
    assert "send-proxy-v2" in text.split("default-server", 1)[1].splitlines()[0]
    for face in cluster.FACES:
        assert f"frontend {face}\n" in text and f"backend {face}\n" in text


def test_the_layout_gives_every_port_once() -> None:
    plan = cluster.layout(17000, 9)
    ports = [*plan.front.values(), plan.postgres, plan.azurite]
    ports += [port for process in plan.processes for port in process.values()]
    assert len(ports) == len(set(ports)) == 6 + 2 + 9 * 6
    assert set(plan.processes[0]) == set(cluster.FACES)


def test_the_dns_health_check_is_a_query_the_face_answers() -> None:
    wire = bytes.fromhex(cluster_haproxy._dns_check_query())
    assert int.from_bytes(wire[:2], "big") == len(wire) - 2
    query = dns.message.from_wire(wire[2:])
    assert query.id == cluster_haproxy.CHECK_QUERY_ID
    assert str(query.question[0].name) == "azurecr.cn." and query.question[0].rdtype == 6
