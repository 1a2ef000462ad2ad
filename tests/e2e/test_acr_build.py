"""ACR Tasks quick builds with the real az: ``az acr build`` uploads the context to acrlink's blob face, schedules
the run, streams its log while buildah builds (a Dockerfile FROM the mcr stand-in's busybox, with a RUN step)
and pushes; skopeo then pulls the image. A failing Dockerfile fails the run with buildah's output; with public
access disabled the agent's push meets the firewall and the run fails with the DENIED message, pushing nothing;
``az acr run --cmd`` runs the built image.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Running, private_registry, required_tool

pytestmark = [pytest.mark.slow, pytest.mark.az]
REG = "buildreg"
SERVER = f"{REG}.azurecr.cn"
NULL_USER = "00000000-0000-0000-0000-000000000000"
TASKS_IP = "52.130.1.20"


@pytest.fixture(scope="module")
def registry(net: Running) -> str:
    required_tool("buildah")
    required_tool("skopeo")
    net.azs("group create -n buildrg -l chinanorth2")
    net.azs(f"acr create -n {REG} -g buildrg --sku Premium")
    return REG


def context(tmp_path: Path, dockerfile: str) -> Path:
    directory = tmp_path / "ctx"
    directory.mkdir()
    (directory / "Dockerfile").write_text(dockerfile)
    (directory / "greeting.txt").write_text("hello from the build context\n")
    return directory


def build(net: Running, *args: str) -> subprocess.CompletedProcess[str]:
    return net.az("acr", "build", "-r", REG, *args, check=False)


def skopeo_inspect(net: Running, image: str) -> subprocess.CompletedProcess[str]:
    """``skopeo inspect`` from the internet host with the refresh token ``az acr login --expose-token`` gives."""
    token = json.loads(net.az("acr", "login", "-n", REG, "--expose-token", "-o", "json").stdout)["refreshToken"]
    command = ["skopeo", "inspect", "--retry-times", "0", "--creds", f"{NULL_USER}:{token}", image]
    return subprocess.run(
        [sys.executable, "-m", "acrlink", "exec", "--from", "internet", "--", *command],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ACRLINK_DATA_DIR": str(net.data_dir)},
    )


def test_a_build_streams_its_log_and_pushes_an_image_skopeo_pulls(net: Running, registry: str, tmp_path: Path) -> None:
    directory = context(
        tmp_path,
        "FROM mcr.microsoft.com/busybox:latest\nARG WHO=nobody\nCOPY greeting.txt /greeting.txt\n"
        'RUN echo "built for $WHO" > /built.txt && cat /built.txt /greeting.txt\n',
    )
    began = time.monotonic()
    result = build(net, "-t", "app:v1", "-t", "app:{{.Run.ID}}", "--build-arg", "WHO=acrlink", str(directory))
    elapsed = time.monotonic() - began
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Queued a build with ID: ca1" in output
    assert "built for acrlink" in output and "hello from the build context" in output
    assert "Run ID: ca1 was successful after" in output
    run = net.az_json("acr", "task", "show-run", "-r", REG, "--run-id", "ca1")
    assert run["status"] == "Succeeded" and run["runType"] == "QuickBuild"
    pushed = {(o["repository"], o["tag"]): o["digest"] for o in run["outputImages"]}
    assert set(pushed) == {("app", "v1"), ("app", "ca1")}
    inspected = skopeo_inspect(net, f"docker://{SERVER}/app:v1")
    assert inspected.returncode == 0, inspected.stderr
    assert json.loads(inspected.stdout)["Digest"] == pushed[("app", "v1")]
    timings = [line.strip() for line in output.splitlines() if line.startswith("acrlink: build")]
    assert timings, output
    print(f"\naz acr build to pushed image: {elapsed:.1f}s ({timings[0]})")


def test_a_failing_dockerfile_fails_the_run_with_buildahs_output(net: Running, registry: str, tmp_path: Path) -> None:
    directory = context(tmp_path, "FROM mcr.microsoft.com/busybox:latest\nRUN echo about to fail && exit 3\n")
    result = build(net, "-t", "broken:v1", str(directory))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "about to fail" in output
    assert "exit status 3" in output, output
    assert "Run failed" in output
    runs = net.az_json("acr", "task", "list-runs", "-r", REG, "--top", "1")
    assert runs[0]["status"] == "Failed" and runs[0]["runId"] == "ca2"
    logs = net.az("acr", "task", "logs", "-r", REG, "--run-id", "ca2")
    assert "about to fail" in logs.stdout


def test_with_public_access_disabled_the_push_is_denied(net: Running, registry: str, tmp_path: Path) -> None:
    directory = context(tmp_path, "FROM mcr.microsoft.com/busybox:latest\nRUN true\n")
    net.azs(f"acr update -n {REG} --public-network-enabled false")
    try:
        result = build(net, "-t", "blocked:v1", str(directory))
    finally:
        net.azs(f"acr update -n {REG} --public-network-enabled true --default-action Allow")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"denied: client with IP '{TASKS_IP}' is not allowed access" in output, output
    assert "Run failed" in output
    assert "Run ID: ca3 failed after" in output
    missing = skopeo_inspect(net, f"docker://{SERVER}/blocked:v1")
    assert missing.returncode != 0 and "manifest unknown" in missing.stderr.lower(), missing.stderr


def test_az_acr_run_cmd_runs_the_built_image(net: Running, registry: str) -> None:
    """``az acr run --cmd "$Registry/app:v1 cat /built.txt" /dev/null``: an EncodedTaskRunRequest whose cmd step
    runs the image the first test pushed (pulled back through the proxy), its output streamed."""
    result = net.az("acr", "run", "-r", REG, "--cmd", "$Registry/app:v1 cat /built.txt", "/dev/null", check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "built for acrlink" in output and "Run ID: ca4 was successful after" in output
    run = net.az_json("acr", "task", "show-run", "-r", REG, "--run-id", "ca4")
    assert run["runType"] == "QuickRun" and run["status"] == "Succeeded"


def test_an_agent_pool_in_the_vnet_pushes_over_the_private_endpoint(
    net: Running, registry: str, tmp_path: Path
) -> None:
    """A Premium registry reachable only through its private endpoint: a quick build is denied, a build on an
    agent pool in a subnet of the endpoint's VNet pushes over the private path."""
    private_registry(net, "poolrg", "poolreg", "poolvnet")
    net.azs("acr update -n poolreg --public-network-enabled false")
    net.azs("network vnet subnet create -g poolrg --vnet-name poolvnet -n agents --address-prefixes 10.0.1.0/24")
    subnet = net.azs("network vnet subnet show -g poolrg --vnet-name poolvnet -n agents --query id")
    pool = net.az_json("acr", "agentpool", "create", "-r", "poolreg", "-n", "pool1", "--subnet-id", subnet)
    assert pool["provisioningState"] == "Succeeded" and pool["virtualNetworkSubnetResourceId"] == subnet
    directory = context(tmp_path, "FROM mcr.microsoft.com/busybox:latest\nRUN echo on the pool\n")
    result = net.az("acr", "build", "-r", "poolreg", "--agent-pool", "pool1", "-t", "app:pool", str(directory),
                    check=False)  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "on the pool" in output and "poolreg.azurecr.cn/app:pool: digest: sha256:" in output
    run = net.az_json("acr", "task", "show-run", "-r", "poolreg", "--run-id", "ca1")
    assert run["agentPoolName"] == "pool1" and run["status"] == "Succeeded"
    # The built image is pullable from a VM in the VNet (the only place the registry answers now).
    net.cli("vm", "create", "poolvm", "-g", "poolrg", "--vnet-name", "poolvnet", "--subnet", "default")
    on_vm = [sys.executable, "-m", "acrlink", "exec", "--from", "poolvm", "--"]
    environment = {**os.environ, "ACRLINK_DATA_DIR": str(net.data_dir)}
    login = subprocess.run([*on_vm, "az", "acr", "login", "-n", "poolreg", "--expose-token", "-o", "json"],
                           capture_output=True, text=True, timeout=120, env=environment)  # fmt: skip
    assert login.returncode == 0, login.stderr
    creds = f"{NULL_USER}:{json.loads(login.stdout)['refreshToken']}"
    inspected = subprocess.run([*on_vm, "skopeo", "inspect", "--retry-times", "0", "--creds", creds,
                                "docker://poolreg.azurecr.cn/app:pool"],
                               capture_output=True, text=True, timeout=120, env=environment)  # fmt: skip
    assert inspected.returncode == 0, inspected.stderr
    assert json.loads(inspected.stdout)["Os"] == "linux"
    # az's delete reads the pool (Deleting), polls it 30 s later and takes the 404 as done.
    net.az("acr", "agentpool", "delete", "-r", "poolreg", "-n", "pool1", "--yes")
    gone = net.az("acr", "agentpool", "show", "-r", "poolreg", "-n", "pool1", check=False)
    assert gone.returncode != 0 and "ResourceNotFound" in gone.stderr, gone.stderr
