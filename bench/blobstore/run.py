"""A blob pull from acrlink on each blob backend: files, Azure Blob Storage (Azurite) with no read cache, and
Azurite with the local read cache, cold (the first pull fills it) and warm. One process each, one run.

Run: .venv/bin/python bench/blobstore/run.py [--size-mib 64] [--runs 3]   (README.md next to this file)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py (run as a script)
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/servers: the project's Azurite, as in tests
from common import MIB, TLS13_CIPHER, Server, create_registry, free_port, log, start_acrlink

from tests.servers import azurite as azurite_server

REGISTRY = "blobbench1"
LOGIN = f"{REGISTRY}.azurecr.cn"
REPO = "bench"
CONTAINER = "acrlink-bench"


def token(port: int, ca: str, password: str) -> str:
    """ACR's ``POST /oauth2/token`` with the admin credentials: a pull and push token for the repository."""
    with httpx.Client(verify=ca, trust_env=False, timeout=30) as client:
        answer = client.post(
            f"https://127.0.0.1:{port}/oauth2/token",
            headers={"Host": LOGIN},
            data={
                "grant_type": "password",
                "service": LOGIN,
                "scope": f"repository:{REPO}:pull,push",
                "username": REGISTRY,
                "password": password,
            },
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])


def curl(*args: str) -> str:
    done = subprocess.run(["curl", "--http1.1", "-sS", "--fail", *args], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"curl failed ({done.returncode}): {done.stderr}")
    return done.stdout


def push(base: list[str], url: str, layer: Path, digest: str) -> None:
    """POST opens an upload, PUT streams the file and closes it with the digest."""
    headers = curl(*base, "-X", "POST", "-o", "/dev/null", "-D", "-", f"{url}/v2/{REPO}/blobs/uploads/")
    location = next(
        line.split(":", 1)[1].strip() for line in headers.splitlines() if line.lower().startswith("location:")
    )
    curl(*base, "-X", "PUT", "-T", str(layer), "-o", "/dev/null", f"{url}{location}&digest={digest}")


def pull(base: list[str], url: str, digest: str, out: str = "/dev/null") -> tuple[float, int]:
    """One blob GET; seconds (connect to last byte) and bytes."""
    subprocess.run(["sync"], check=True)
    seconds, size = curl(*base, "--tls13-ciphers", TLS13_CIPHER, "-o", out, "-w", "%{time_total} %{size_download}",
                         f"{url}/v2/{REPO}/blobs/{digest}").split()  # fmt: skip
    return float(seconds), int(size)


def measure(
    label: str, work: Path, layer: Path, digest: str, runs: int, up: list[str], env: dict[str, str]
) -> dict[str, list[float]]:
    """Start acrlink with ``up`` and ``env``, push the layer, pull it ``runs`` times; MiB/s per pull (the
    first pull, "cold", apart from the rest)."""
    port = free_port()
    process, endpoints = start_acrlink(work, "--registry-port", str(port), *up, env=env)
    server = Server(label, process)
    try:
        ca = endpoints["ca"]
        password = create_registry(endpoints, REGISTRY, resource_group="benchrg", api_version="2023-07-01")
        base = ["--cacert", ca, "--resolve", f"{LOGIN}:{port}:127.0.0.1",
                "-H", f"Authorization: Bearer {token(port, ca, password)}"]  # fmt: skip
        url = f"https://{LOGIN}:{port}"
        push(base, url, layer, digest)
        figures: dict[str, list[float]] = {"cold": [], "warm": []}
        for index in range(runs + 1):
            seconds, size = pull(base, url, digest)
            if size != layer.stat().st_size:
                raise RuntimeError(f"{label}: pulled {size} of {layer.stat().st_size} bytes")
            figures["cold" if index == 0 else "warm"].append(size / MIB / seconds)
        copy = work / "pulled"
        pull(base, url, digest, str(copy))
        if "sha256:" + hashlib.sha256(copy.read_bytes()).hexdigest() != digest:
            raise RuntimeError(f"{label}: the pulled bytes do not match the digest")
        copy.unlink()
        return figures
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3, help="pulls after the first (cold) one")
    parser.add_argument("--only", choices=["files", "azurite", "cache"], action="append", help="these cases only")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="acrlink-blobbench-") as scratch:
        work = Path(scratch)
        layer = work / "layer"
        layer.write_bytes(os.urandom(options.size_mib * MIB))
        digest = "sha256:" + hashlib.sha256(layer.read_bytes()).hexdigest()
        azurite = azurite_server.start(work / "azurite")
        try:
            env = {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}
            uncached = {**env, "ACRLINK_BLOB_CACHE_BYTES": "0"}
            cases = [
                ("files", [], {}),
                ("azurite, no cache", ["--blob-store", f"azure-blob://{CONTAINER}-a"], uncached),
                ("azurite, read cache", ["--blob-store", f"azure-blob://{CONTAINER}-b"], env),
            ]
            if options.only:
                keys = {"files": "files", "azurite": "azurite, no cache", "cache": "azurite, read cache"}
                cases = [case for case in cases if case[0] in {keys[k] for k in options.only}]
            results = {}
            for label, up, extra in cases:
                log(f"{label}: push {options.size_mib} MiB, pull {options.runs + 1} times")
                case_dir = work / label.replace(" ", "").replace(",", "-")
                case_dir.mkdir()
                results[label] = measure(label, case_dir, layer, digest, options.runs, up, extra)
        finally:
            azurite_server.stop(azurite)
    print(f"blob pull of {options.size_mib} MiB over HTTPS (curl, HTTP/1.1), MiB/s, one acrlink process")
    print(f"{'backend':<22} {'first pull':>11} {'later pulls (median)':>22}")
    for label, figures in results.items():
        print(f"{label:<22} {figures['cold'][0]:>11.0f} {statistics.median(figures['warm']):>22.0f}")


if __name__ == "__main__":
    main()
