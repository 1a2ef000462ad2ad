"""A 256 MiB blob pulled through acrlink's client proxy against straight from its registry face, one run.

Run: .venv/bin/python bench/proxy/run.py [--runs N] [--size-mib M]   (README.md next to this file)

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
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py (run as a script)
from common import MIB, TLS13_CIPHER, cpu_seconds, create_registry, log, start_acrlink, stop

REGISTRY = "benchreg"
LOGIN = f"{REGISTRY}.azurecr.cn"
REPO = "bench"
TARGET = 0.8
"""proxied / direct, issue 5."""


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
        password = create_registry(endpoints, REGISTRY, resource_group="benchproxy", api_version="2025-11-01")
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
