"""What the benchmarks under bench/ share: processes started and stopped by PID, their CPU and memory from
``/proc``, free loopback ports, ``acrlink up`` in a work directory, and ARM calls as ``az`` makes them.

The scripts are run as ``python bench/X/run.py``; each puts ``bench/`` on ``sys.path`` to import this module.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

MIB = 1 << 20
TLS13_CIPHER = "TLS_AES_128_GCM_SHA256"
"""The TLS 1.3 suite curl is pinned to, so both sides of a comparison encrypt alike."""


def log(message: str) -> None:
    """A progress line on stderr (stdout carries only the report)."""
    print(message, file=sys.stderr, flush=True)


# Processes ------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` so far, from ``/proc/PID/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM by PID, SIGKILL after 10 s; always reaped."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Server:
    """A server process a benchmark started and measures."""

    label: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def cpu_seconds(self) -> float:
        """utime + stime of the process so far."""
        return cpu_seconds(self.pid)

    def status(self, key: str) -> int:
        """A ``kB`` figure of ``/proc/PID/status`` (``VmHWM``, ``VmRSS``, ...) in bytes."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(key)

    def stop(self) -> None:
        """SIGTERM by PID, SIGKILL after 10 s; always reaped."""
        stop(self.process)


def free_port(udp: bool = False) -> int:
    """A TCP port free on 127.0.0.1; with ``udp``, one free for both UDP and TCP (dnsmasq listens on both)."""
    if not udp:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp_sock:
            udp_sock.bind(("127.0.0.1", 0))
            port = int(udp_sock.getsockname()[1])
            with socket.socket() as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


def wait_for(what: str, check: Callable[[], bool], process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Poll ``check`` every 50 ms (exceptions count as not yet) until it is true; raise if ``process``
    exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready after {timeout} s")


# acrlink --------------------------------------------------------------------------------------------


def start_acrlink(
    work: Path, *up_args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """``acrlink up`` in the foreground, as ``--detach`` runs it (request logging on), with the data dir
    ``work/acrlink``, the log in ``work/acrlink.log``, ``up_args`` added to its command line and ``env``
    to its environment. Returns
    the process once ``endpoints.json`` names its PID, and the endpoints; stops it if it never gets there."""
    data_dir = work / "acrlink"
    data_dir.mkdir()
    log_file = open(work / "acrlink.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "acrlink", "up", "--data-dir", str(data_dir), *up_args],
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=log_file,
        env={**os.environ, **(env or {}), "ACRLINK_DATA_DIR": str(data_dir)},
    )
    endpoints_path = data_dir / "endpoints.json"

    def ready() -> bool:
        return bool(json.loads(endpoints_path.read_text()).get("pid") == process.pid)

    try:
        wait_for("acrlink", ready, process)
    except BaseException:
        stop(process)
        raise
    return process, json.loads(endpoints_path.read_text())


@contextlib.contextmanager
def arm_client(endpoints: dict[str, Any], timeout: float) -> Iterator[httpx.Client]:
    """An httpx client for acrlink's ARM face (its CA, no proxy from the environment) carrying a bearer
    token from its Entra token endpoint (client credentials), as ``az`` would get one."""
    with httpx.Client(verify=endpoints["ca"], trust_env=False, timeout=timeout) as client:
        token = client.post(
            f"{endpoints['arm']}/{endpoints['tenantId']}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "client_id": endpoints["clientId"], "client_secret": "bench"},
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def create_registry(endpoints: dict[str, Any], registry: str, resource_group: str, api_version: str) -> str:
    """The ARM calls of ``az group create`` + ``az acr create --sku Premium --admin-enabled true`` +
    ``az acr credential show`` (registry calls with ``api_version``): the admin password."""
    arm, sub = endpoints["arm"], endpoints["subscriptionId"]
    with arm_client(endpoints, timeout=30) as client:
        group = f"{arm}/subscriptions/{sub}/resourceGroups/{resource_group}"
        client.put(f"{group}?api-version=2022-09-01", json={"location": "chinanorth2"}).raise_for_status()
        resource = f"{group}/providers/Microsoft.ContainerRegistry/registries/{registry}"
        body = {"location": "chinanorth2", "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": True}}
        client.put(f"{resource}?api-version={api_version}", json=body).raise_for_status()
        credentials = client.post(f"{resource}/listCredentials?api-version={api_version}")
        credentials.raise_for_status()
        return str(credentials.json()["passwords"][0]["value"])
