"""The process contract: up/down, endpoints.json, signals, persistence across restarts and kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from acrlink import datadir

from .conftest import Running, arm_client, start, stop

pytestmark = pytest.mark.slow

KEYS = {"arm", "registry", "dns", "proxy", "ca", "subscriptionId", "tenantId", "cloud", "pid"}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.single_process(
    reason="reads the process's own data dir (its CA key's mode) and the shape of one process's endpoints.json"
)
def test_endpoints_file_names_every_face(acrlink: Running) -> None:
    endpoints = acrlink.endpoints
    assert set(endpoints) >= KEYS
    assert endpoints["arm"].startswith("https://127.0.0.1:")
    assert endpoints["registry"].startswith("https://127.0.0.1:")
    assert endpoints["proxy"].startswith("http://127.0.0.1:")
    assert endpoints["dns"]["host"] == "127.0.0.1" and endpoints["dns"]["port"] > 0
    assert Path(endpoints["ca"]).is_absolute() and Path(endpoints["ca"]).exists()
    assert endpoints["cloud"] == "AzureChinaCloud"
    assert len(endpoints["subscriptions"]) == 2 and endpoints["subscriptions"][0] == endpoints["subscriptionId"]
    assert (acrlink.data_dir / "ca.key").stat().st_mode & 0o077 == 0, "the CA key is private"


@pytest.mark.single_process(reason="the lock of one process's data dir")
def test_second_up_on_the_same_data_dir_is_refused(acrlink: Running) -> None:
    again = acrlink.cli("up", "--detach", check=False)
    assert again.returncode == 1
    assert "already running" in again.stderr


@pytest.mark.single_process(reason="kill -9 and restart of one process on its data dir")
def test_state_survives_restart_and_kill_9(tmp_path: Path) -> None:
    running = start(tmp_path)
    with arm_client(running) as client:
        put = client.put(
            f"/subscriptions/{running.subscription}/resourcegroups/kept?api-version=2024-11-01",
            json={"location": "chinanorth2"},
        )
        assert put.status_code == 201
    os.kill(running.endpoints["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while _alive(running.endpoints["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    restarted = start(tmp_path)
    assert restarted.endpoints["pid"] != running.endpoints["pid"]
    assert restarted.subscription == running.subscription, "the world is stored, not regenerated"
    with arm_client(restarted) as client:
        got = client.get(f"/subscriptions/{restarted.subscription}/resourcegroups/kept?api-version=2024-11-01")
        assert got.status_code == 200
    stop(restarted)
    assert not (tmp_path / "endpoints.json").exists()
    assert not _alive(restarted.endpoints["pid"])


def test_foreground_logs_requests_and_stops_on_sigint(tmp_path: Path) -> None:
    env = {**os.environ, "ACRLINK_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "acrlink", "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 15
        while not (tmp_path / "endpoints.json").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        running = Running(tmp_path, json.loads((tmp_path / "endpoints.json").read_text()))
        with arm_client(running) as client:
            client.get("/subscriptions?api-version=2022-12-01")
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "ARM GET /subscriptions 200" in stderr
    assert not (tmp_path / "endpoints.json").exists()


def test_public_cloud_profile(tmp_path: Path) -> None:
    running = start(tmp_path, "--cloud", "AzureCloud")
    try:
        assert running.endpoints["cloud"] == "AzureCloud"
        with arm_client(running) as client:
            sub = running.subscription
            client.put(
                f"/subscriptions/{sub}/resourcegroups/rg?api-version=2024-11-01", json={"location": "westeurope"}
            )
            registry = client.put(
                f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/pubreg1"
                "?api-version=2025-11-01",
                json={"location": "westeurope", "sku": {"name": "Premium"}},
            ).json()
            assert registry["properties"]["loginServer"] == "pubreg1.azurecr.io"
    finally:
        stop(running)


def test_az_command_without_az_says_how_to_install(acrlink: Running) -> None:
    env = {**os.environ, "ACRLINK_DATA_DIR": str(acrlink.data_dir), "ACRLINK_AZ": "", "PATH": "/nonexistent"}
    result = subprocess.run(
        [sys.executable, "-m", "acrlink", "az", "group", "list"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 127
    assert "pip install azure-cli" in result.stderr


def test_down_without_a_process(tmp_path: Path) -> None:
    env = {**os.environ, "ACRLINK_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "acrlink", "down"], env=env, capture_output=True, text=True)
    assert result.returncode == 0 and "not running" in result.stdout


def _up_foreground(data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "acrlink", "up", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_ups_started_together_on_one_data_dir_leave_exactly_one_running(tmp_path: Path) -> None:
    """The single-instance check is a lock held for the process's life, not a file that two can race past."""
    first, second = _up_foreground(tmp_path), _up_foreground(tmp_path)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (tmp_path / "endpoints.json").exists():
            time.sleep(0.05)
        # The loser waits out the lock's grace for a dying holder, then gives up.
        deadline = time.monotonic() + datadir.DYING_GRACE_SECONDS + 15
        while time.monotonic() < deadline and first.poll() is None and second.poll() is None:
            time.sleep(0.05)
        time.sleep(0.5)
        codes = [first.poll(), second.poll()]
        assert codes.count(None) == 1, f"exactly one keeps running, got exit codes {codes}"
        loser = first if codes[0] is not None else second
        assert loser.returncode == 1
        assert "already running" in loser.communicate()[1]
        winner = second if loser is first else first
        assert json.loads((tmp_path / "endpoints.json").read_text())["pid"] == winner.pid
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=15)


@pytest.mark.single_process(reason="kill -9 and restart of one process on its data dir")
def test_up_right_after_kill_9_starts_instead_of_saying_already_running(tmp_path: Path) -> None:
    running = start(tmp_path)
    os.kill(running.endpoints["pid"], signal.SIGKILL)
    restarted = start(tmp_path)  # no waiting for the old pid: the new process waits for the lock itself
    assert restarted.endpoints["pid"] != running.endpoints["pid"]
    stop(restarted)
