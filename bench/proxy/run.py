"""A 256 MiB blob pulled through acrlink's client proxy against straight from its registry face, one run.

Run: /work/venv-main/bin/python bench/proxy/run.py [--runs N] [--size-mib M]   (README.md next to this file)

One acrlink, one admin-enabled Premium registry (created through ARM, as ``az acr create
--admin-enabled true`` does), one blob pushed monolithically. Then curl pulls it over TLS 1.3 / HTTP/1.1,
alternately straight from the registry port (``--resolve NAME.azurecr.cn:PORT:127.0.0.1``: the internet
host) and through the proxy (``-x http://127.0.0.1:PROXYPORT``: CONNECT, the proxy resolves the name in the
internet host's view and relays to the registry face's internal listener). Printed: medians, spread, acrlink
CPU per pull, the ratio proxied/direct against issue 5's target (>= 0.8x).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

REGISTRY = "benchreg"
LOGIN = f"{REGISTRY}.azurecr.cn"
REPO = "bench"
MIB = 1 << 20
TLS13_CIPHER = "TLS_AES_128_GCM_SHA256"
TARGET = 0.8
"""proxied / direct, issue 5."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def wait_for(what: str, check: Callable[[], bool], process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready after {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM by PID, SIGKILL after 10 s; always reaped."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_acrlink(work: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """``acrlink up`` in the foreground, as ``--detach`` runs it (request logging on)."""
    data_dir = work / "acrlink"
    data_dir.mkdir()
    log_file = open(work / "acrlink.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "acrlink", "up", "--data-dir", str(data_dir)],
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=log_file,
        env={**os.environ, "ACRLINK_DATA_DIR": str(data_dir)},
    )
    endpoints_path = data_dir / "endpoints.json"
    try:
        wait_for("acrlink", lambda: json.loads(endpoints_path.read_text()).get("pid") == process.pid, process)
    except BaseException:
        stop(process)
        raise
    return process, json.loads(endpoints_path.read_text())


def create_registry(endpoints: dict[str, Any]) -> str:
    """The ARM calls of ``az group create`` + ``az acr create --sku Premium --admin-enabled true`` +
    ``az acr credential show``: the admin password."""
    arm, sub = endpoints["arm"], endpoints["subscriptionId"]
    with httpx.Client(verify=endpoints["ca"], trust_env=False, timeout=30) as client:
        token = client.post(
            f"{arm}/{endpoints['tenantId']}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "client_id": "bench", "client_secret": "bench"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        group = f"{arm}/subscriptions/{sub}/resourceGroups/benchproxy"
        client.put(
            f"{group}?api-version=2022-09-01", json={"location": "chinanorth2"}, headers=headers
        ).raise_for_status()
        registry = f"{group}/providers/Microsoft.ContainerRegistry/registries/{REGISTRY}"
        body = {"location": "chinanorth2", "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": True}}
        client.put(f"{registry}?api-version=2025-11-01", json=body, headers=headers).raise_for_status()
        credentials = client.post(f"{registry}/listCredentials?api-version=2025-11-01", headers=headers)
        credentials.raise_for_status()
        return str(credentials.json()["passwords"][0]["value"])


def access_token(registry_port: int, ca: str, password: str) -> str:
    """Docker's token flow against ACR: ``GET /oauth2/token`` with Basic admin credentials."""
    basic = base64.b64encode(f"{REGISTRY}:{password}".encode()).decode()
    with httpx.Client(verify=ca, trust_env=False, timeout=30) as client:
        answer = client.get(
            f"https://127.0.0.1:{registry_port}/oauth2/token",
            params={"service": LOGIN, "scope": f"repository:{REPO}:pull,push"},
            headers={"Host": LOGIN, "Authorization": f"Basic {basic}"},
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])


def write_blob(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        while left:
            block = os.urandom(min(4 * MIB, left))
            left -= len(block)
            digest.update(block)
            out.write(block)
    return "sha256:" + digest.hexdigest()


def curl(args: list[str], stdin: Path | None = None) -> str:
    with open(stdin or os.devnull, "rb") as source:
        done = subprocess.run(
            ["curl", "--http1.1", "--silent", "--show-error", "--fail", *args],
            stdin=source,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise RuntimeError(f"curl {' '.join(args[-1:])} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21, help="pulls per path (plus one warm-up each)")
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (acrlink's log)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="acrlink-bench-proxy-"))
    acrlink: subprocess.Popen[bytes] | None = None
    try:
        started = time.monotonic()
        acrlink, endpoints = start_acrlink(work)
        registry_port = int(endpoints["registry"].rsplit(":", 1)[1])
        ca = endpoints["ca"]
        password = create_registry(endpoints)
        token = access_token(registry_port, ca, password)
        blob = work / "blob"
        size = args.size_mib * MIB
        digest = write_blob(blob, size)
        base = f"https://{LOGIN}:{registry_port}"
        resolve = ["--resolve", f"{LOGIN}:{registry_port}:127.0.0.1"]
        auth = ["-H", f"Authorization: Bearer {token}", "--cacert", ca]
        status = curl(
            [*resolve, *auth, "-X", "POST", "-T", "-", "-H", "Content-Type: application/octet-stream",
             "-H", "Expect:", "-o", "/dev/null", "-w", "%{http_code}",
             f"{base}/v2/{REPO}/blobs/uploads/?digest={digest}"],
            stdin=blob,
        )  # fmt: skip
        if status != "201":
            raise RuntimeError(f"monolithic push answered {status}")
        blob.unlink()
        log(f"acrlink up, {args.size_mib} MiB blob pushed in {time.monotonic() - started:.1f} s")

        pull = ["--tls13-ciphers", TLS13_CIPHER, *auth, "-o", "/dev/null", "-w", "%{time_total} %{size_download}"]
        paths = {
            "direct": [*pull, *resolve, f"{base}/v2/{REPO}/blobs/{digest}"],
            "proxied": [*pull, "-x", endpoints["proxy"], f"https://{LOGIN}/v2/{REPO}/blobs/{digest}"],
        }
        rates: dict[str, list[float]] = {label: [] for label in paths}
        cpu: dict[str, list[float]] = {label: [] for label in paths}
        for command in paths.values():  # warm-up, not counted
            curl(command)
        for index in range(args.runs):
            for label in list(paths) if index % 2 == 0 else reversed(list(paths)):
                before = cpu_seconds(acrlink.pid)
                seconds, received = curl(paths[label]).split()
                cpu[label].append(cpu_seconds(acrlink.pid) - before)
                if int(received) != size:
                    raise RuntimeError(f"{label} pull got {received} bytes, not {size}")
                rates[label].append(size / MIB / float(seconds))
        report(rates, cpu, args)
        if args.json:
            args.json.write_text(json.dumps({"MiB/s": rates, "acrlink CPU-s": cpu}, indent=2))
        log(f"total {time.monotonic() - started:.0f} s")
    finally:
        if acrlink is not None:
            stop(acrlink)
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def report(rates: dict[str, list[float]], cpu: dict[str, list[float]], args: argparse.Namespace) -> None:
    print(
        f"\n{args.size_mib} MiB blob, curl --http1.1 (TLS 1.3, {TLS13_CIPHER}), {args.runs} interleaved pulls per "
        f"path; curl and acrlink share {os.cpu_count()} cores"
    )
    print(f"{'path':8} {'MiB/s median':>13} {'min-max':>15} {'acrlink CPU-s/pull':>19}")
    for label in rates:
        values = rates[label]
        print(
            f"{label:8} {statistics.median(values):13.0f} {min(values):7.0f}-{max(values):<7.0f} "
            f"{statistics.median(cpu[label]):19.3f}"
        )
    ratio = statistics.median(rates["proxied"]) / statistics.median(rates["direct"])
    pairs = sorted(p / d for p, d in zip(rates["proxied"], rates["direct"], strict=True))
    verdict = "meets" if ratio >= TARGET else "misses"
    print(
        f"proxied/direct: {ratio:.2f}x (per round {pairs[0]:.2f}-{pairs[-1]:.2f}; target >= {TARGET:.1f}x: {verdict}); "
        f"relay CPU per pull: {statistics.median(cpu['proxied']) - statistics.median(cpu['direct']):.3f} s"
    )


if __name__ == "__main__":
    main()
