"""A 256 MiB blob pulled through acrlink's client proxy against straight from its registry face, one run.

Run: .venv/bin/python bench/proxy/run.py [--runs N] [--size-mib M]   (README.md next to this file)

One acrlink, one admin-enabled Premium registry (created through ARM, as ``az acr create
--admin-enabled true`` does), one blob pushed monolithically. Then curl pulls it over TLS 1.3 / HTTP/1.1,
alternately straight from the registry port (``--resolve NAME.azurecr.cn:PORT:127.0.0.1``: the internet
host), through the proxy (``-x http://127.0.0.1:PROXYPORT``: CONNECT, the proxy resolves the name in the
internet host's view and hands the socket to the registry face's HTTPS server) and through the proxy of a
second acrlink that relays (``ACRLINK_PROXY_HANDOFF=0``: bytes pumped to the internal listener). Printed:
medians, spread, acrlink CPU per pull, the ratios to direct against issue 8's target (>= 0.9x).
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
TARGET = 0.9
"""proxied / direct, issue 8 item 20."""


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


def prepare(work: Path, size: int, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], dict[str, str], list[str]]:
    """``acrlink up`` (with ``env`` added to its environment), a registry, a blob pushed monolithically; the
    process, its endpoints, and curl's arguments for a pull: (direct URL + --resolve, proxied URL)."""
    work.mkdir()
    acrlink, endpoints = start_acrlink(work, env=env)
    try:
        registry_port = int(endpoints["registry"].rsplit(":", 1)[1])
        ca = endpoints["ca"]
        password = create_registry(endpoints, REGISTRY, resource_group="benchproxy", api_version="2025-11-01")
        token = access_token(registry_port, ca, password)
        blob = work / "blob"
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
    except BaseException:
        stop(acrlink)
        raise
    pull = ["--tls13-ciphers", TLS13_CIPHER, *auth, "-o", "/dev/null", "-w", "%{time_total} %{size_download}"]
    return acrlink, endpoints, [
        *pull, *resolve, f"{base}/v2/{REPO}/blobs/{digest}", "|",
        *pull, "-x", endpoints["proxy"], f"https://{LOGIN}/v2/{REPO}/blobs/{digest}",
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21, help="pulls per path (plus one warm-up each)")
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--no-relay", action="store_true", help="skip the relayed path (a second acrlink)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (acrlink's log)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="acrlink-bench-proxy-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        started = time.monotonic()
        size = args.size_mib * MIB
        acrlink, _, commands = prepare(work / "handoff", size, {})
        processes.append(acrlink)
        split = commands.index("|")
        paths = {"direct": (acrlink, commands[:split]), "proxied": (acrlink, commands[split + 1 :])}
        if not args.no_relay:
            relaying, _, relay_commands = prepare(work / "relay", size, {"ACRLINK_PROXY_HANDOFF": "0"})
            processes.append(relaying)
            paths["relayed"] = (relaying, relay_commands[relay_commands.index("|") + 1 :])
        log(f"acrlink up, {args.size_mib} MiB blob pushed in {time.monotonic() - started:.1f} s")

        rates: dict[str, list[float]] = {label: [] for label in paths}
        cpu: dict[str, list[float]] = {label: [] for label in paths}
        for _, command in paths.values():  # warm-up, not counted
            curl(command)
        for index in range(args.runs):
            for label in list(paths) if index % 2 == 0 else reversed(list(paths)):
                process, command = paths[label]
                before = cpu_seconds(process.pid)
                seconds, received = curl(command).split()
                cpu[label].append(cpu_seconds(process.pid) - before)
                if int(received) != size:
                    raise RuntimeError(f"{label} pull got {received} bytes, not {size}")
                rates[label].append(size / MIB / float(seconds))
        report(rates, cpu, args)
        if args.json:
            args.json.write_text(json.dumps({"MiB/s": rates, "acrlink CPU-s": cpu}, indent=2))
        log(f"total {time.monotonic() - started:.0f} s")
    finally:
        for process in processes:
            stop(process)
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
    for label in [name for name in rates if name != "direct"]:
        ratio = statistics.median(rates[label]) / statistics.median(rates["direct"])
        pairs = sorted(p / d for p, d in zip(rates[label], rates["direct"], strict=True))
        verdict = "meets" if ratio >= TARGET else "misses"
        print(
            f"{label}/direct: {ratio:.2f}x (per round min/median/max {pairs[0]:.2f}/{statistics.median(pairs):.2f}/"
            f"{pairs[-1]:.2f}; target >= {TARGET:.1f}x: {verdict}); extra CPU per pull: "
            f"{statistics.median(cpu[label]) - statistics.median(cpu['direct']):.3f} s"
        )


if __name__ == "__main__":
    main()
