"""ACR Tasks on a real cluster: two acrlink processes over PostgreSQL + Azurite behind HAProxy (examples/cluster,
``store="postgres"``), driven by the real az and skopeo through HAProxy's ports only.

``az acr build`` uploads its context to the SAS URL ARM hands out, which names HAProxy's blob port (the
processes run with ``--public-blob-url``), and streams the run's log from there while buildah builds, on
whichever process's agent took the run; the context and the log live in Azurite beside the registry's blobs,
so every process serves them. skopeo then inspects the pushed image through HAProxy's proxy.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster_example import cluster

from .conftest import required_tool

pytestmark = [pytest.mark.slow, pytest.mark.cluster, pytest.mark.az]

REG = "clusterbuild"
SERVER = f"{REG}.azurecr.cn"
NULL_USER = "00000000-0000-0000-0000-000000000000"
TASKS_API = "2025-03-01-preview"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[cluster.Cluster]:
    required_tool("buildah")
    required_tool("skopeo")
    started = cluster.start(2, "postgres", tmp_path_factory.mktemp("cluster-tasks"))
    yield started
    started.stop()


def _acrlink(running: cluster.Cluster, az_path: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``acrlink ARGS`` for the cluster's directory (its endpoints.json is HAProxy's addresses)."""
    env = {**os.environ, "ACRLINK_DATA_DIR": str(running.root), "ACRLINK_AZ": az_path}
    return subprocess.run(
        [sys.executable, "-m", "acrlink", *args], capture_output=True, text=True, env=env, timeout=300
    )


def _az(running: cluster.Cluster, az_path: str, *args: str) -> str:
    done = _acrlink(running, az_path, "az", *args)
    assert done.returncode == 0, f"az {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_az_acr_build_through_the_front_door_streams_its_log_and_the_image_pulls(
    running: cluster.Cluster, az_path: str, tmp_path: Path
) -> None:
    front_blob = f"https://127.0.0.1:{running.layout.front['blob']}/"
    _az(running, az_path, "group", "create", "-n", "tasksrg", "-l", "chinanorth2", "-o", "none")
    registry_id = _az(
        running, az_path, "acr", "create", "-n", REG, "-g", "tasksrg", "--sku", "Premium", "--query", "id", "-o", "tsv"
    ).strip()
    upload = json.loads(
        _az(
            running, az_path, "rest", "--method", "post",
            "--url", f"{registry_id}/listBuildSourceUploadUrl?api-version={TASKS_API}",
        )
    )  # fmt: skip
    assert upload["uploadUrl"].startswith(front_blob), "the SAS URLs name HAProxy's blob port, not a process"

    context = tmp_path / "ctx"
    context.mkdir()
    (context / "greeting.txt").write_text("hello from the cluster\n")
    (context / "Dockerfile").write_text(
        "FROM mcr.microsoft.com/busybox:latest\nCOPY greeting.txt /greeting.txt\nRUN cat /greeting.txt\n"
    )
    built = _acrlink(running, az_path, "az", "acr", "build", "-r", REG, "-t", "app:v1", str(context))
    output = built.stdout + built.stderr
    assert built.returncode == 0, output
    assert "hello from the cluster" in output, "the log streamed through the front door while the run went"
    assert "Run ID: ca1 was successful after" in output
    pushed = re.search(rf"{re.escape(SERVER)}/app:v1: digest: (sha256:[0-9a-f]{{64}})", output)
    assert pushed, output

    token = json.loads(_az(running, az_path, "acr", "login", "-n", REG, "--expose-token", "-o", "json"))
    inspect = ["skopeo", "inspect", "--retry-times", "0", "--creds", f"{NULL_USER}:{token['refreshToken']}"]
    inspected = _acrlink(running, az_path, "exec", "--from", "internet", "--", *inspect, f"docker://{SERVER}/app:v1")
    assert inspected.returncode == 0, inspected.stderr
    assert json.loads(inspected.stdout)["Digest"] == pushed.group(1)
    haproxy_log = (running.root / "haproxy.log").read_text()
    assert " blob blob/acrlink" in haproxy_log, "az reached the blob face through HAProxy"
