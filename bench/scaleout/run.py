"""What scale-out buys and what the shared backends cost, in one run (issue 12).

Run: .venv/bin/python bench/scaleout/run.py [--rounds N] [--seconds N] [--clients N] [--cold]
(README.md next to this file)

Three clusters from ``examples/cluster/cluster.py`` (each with its own HAProxy, and with its own PostgreSQL +
Azurite when on PostgreSQL), all up for the whole run:

  - ``pg x1``: one acrlink process over PostgreSQL + Azurite;
  - ``pg x2``: two acrlink processes over PostgreSQL + Azurite;
  - ``sqlite x1``: one acrlink process over SQLite + files (the embedded default).

Each gets a Premium registry holding one image whose layer is a ``--blob-mib`` blob of random bytes, pushed
with the admin credentials; the measured requests carry a pull token from ``/oauth2/token``.

A. **Through HAProxy, 2 processes against 1** (``pg x2`` / ``pg x1``, both reached on HAProxy's registry port):
B. **One process, shared backends against embedded** (``pg x1`` / ``sqlite x1``, each reached on its process's
   own registry port, no HAProxy):

  - **manifest GETs/s**: ``wrk -t2 -c32`` on ``GET /v2/bench/manifests/v1``;
  - **blob pull xN**: ``--clients`` curls of the blob started together, aggregate MiB/s (bytes / wall time
    until the last one ends);
  - with ``--cold`` (on by default when the Azure backend has a local read cache): **blob pull xN cold**, the
    same against a blob pushed just before (untimed) and never pulled, so its first pull; the repeat pulls
    above are then the warm figure.

``--rounds`` interleaved rounds (the order of the four targets alternating); printed: medians, min-max, and
the per-round ratios' median and spread. It asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py (run as a script)
REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "examples" / "cluster"))  # cluster.py
import cluster as cluster_example  # noqa: E402
from common import MIB, TLS13_CIPHER, create_registry, log  # noqa: E402

REGISTRY, GROUP, REPOSITORY = "benchscale1", "benchscale", "bench"
ACR_API = "2023-07-01"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
TARGETS_B = {"GETs": 0.5, "MiB": 0.5}
"""Issue 12's floors for part B (PostgreSQL + Azurite / SQLite + files); part A has none, it is reported."""


def azure_cache_exists() -> bool:
    """Whether this tree's Azure blob backend has a local read cache (then cold and warm pulls differ)."""
    source = (REPO_ROOT / "src" / "acrlink" / "store" / "azure_blobs.py").read_text()
    return "cache_dir" in source or "blob-cache" in source


@dataclass
class World:
    """One cluster and what the measurements need from it."""

    label: str
    cluster: Any
    login: str = ""
    ca: str = ""
    password: str = ""
    pull: str = ""
    layer: str = ""

    def registry_port(self, direct: bool) -> int:
        """HAProxy's registry port, or (``direct``) process 0's own."""
        if direct:
            return int(self.cluster.node_endpoints(0)["registry"].rsplit(":", 1)[1])
        return int(self.cluster.endpoints["registry"].rsplit(":", 1)[1])

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"https://127.0.0.1:{self.registry_port(False)}", verify=self.ca, trust_env=False,
            timeout=120, headers={"Host": self.login},
        )  # fmt: skip

    def token(self, actions: str) -> str:
        with self.client() as registry:
            answer = registry.post("/oauth2/token", data={
                "grant_type": "password", "service": self.login, "username": REGISTRY, "password": self.password,
                "scope": f"repository:{REPOSITORY}:{actions}"})  # fmt: skip
            answer.raise_for_status()
            return str(answer.json()["access_token"])

    def push_blob(self, content: bytes) -> str:
        """One monolithic blob upload; its digest."""
        digest = "sha256:" + hashlib.sha256(content).hexdigest()
        with self.client() as registry:
            registry.headers["Authorization"] = f"Bearer {self.token('pull,push')}"
            answer = registry.post(
                f"/v2/{REPOSITORY}/blobs/uploads/?digest={digest}",
                content=content,
                headers={"Content-Type": "application/octet-stream"},
            )
            answer.raise_for_status()
        return digest


@dataclass
class Target:
    """A world reached one way: through HAProxy or on its process's own port."""

    label: str
    world: World
    direct: bool
    results: dict[str, list[float]] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.world.registry_port(self.direct)

    def record(self, metric: str, value: float) -> None:
        self.results.setdefault(metric, []).append(value)


def prepare(world: World, blob_mib: int) -> None:
    """The registry (ARM through HAProxy), the image (config + a ``blob_mib`` layer), a pull token that pulls."""
    endpoints = world.cluster.endpoints
    world.ca = endpoints["ca"]
    world.login = f"{REGISTRY}.{endpoints.get('acrSuffix', 'azurecr.cn')}"
    world.password = create_registry(endpoints, REGISTRY, GROUP, ACR_API)
    config = world.push_blob(b"{}")
    layer_bytes = os.urandom(blob_mib * MIB)
    world.layer = world.push_blob(layer_bytes)
    manifest = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": world.layer,
                    "size": len(layer_bytes)}],
    }  # fmt: skip
    with world.client() as registry:
        registry.headers["Authorization"] = f"Bearer {world.token('pull,push')}"
        registry.put(
            f"/v2/{REPOSITORY}/manifests/v1", content=json.dumps(manifest), headers={"Content-Type": OCI_MANIFEST}
        ).raise_for_status()
    world.pull = world.token("pull")
    for direct in (False, True):
        port = world.registry_port(direct)
        check = httpx.get(
            f"https://127.0.0.1:{port}/v2/{REPOSITORY}/manifests/v1",
            headers={"Host": world.login, "Authorization": f"Bearer {world.pull}", "Accept": OCI_MANIFEST},
            verify=world.ca, trust_env=False, timeout=30,
        )  # fmt: skip
        if check.status_code != 200:
            raise RuntimeError(f"{world.label}: the pull token does not pull ({check.status_code} {check.text})")


def wrk(target: Target, seconds: int, threads: int, connections: int) -> float:
    world = target.world
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
        "-H", f"Host: {world.login}", "-H", f"Authorization: Bearer {world.pull}", "-H", f"Accept: {OCI_MANIFEST}",
        f"https://127.0.0.1:{target.port}/v2/{REPOSITORY}/manifests/v1",
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk against {target.label} saw errors:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(out)
    return float(match.group(1))


def pulls_at_once(target: Target, digest: str, clients: int) -> float:
    """``clients`` curl GETs of the blob started together: aggregate MiB/s until the last one ends."""
    world = target.world
    host = f"{world.login}:{target.port}"
    command = [
        "curl", "--http1.1", "--silent", "--show-error", "--fail", "--tls13-ciphers", TLS13_CIPHER,
        "--cacert", world.ca, "--resolve", f"{host}:127.0.0.1", "--noproxy", "*",
        "-H", f"Authorization: Bearer {world.pull}", "-o", "/dev/null", "-w", "%{size_download}",
        f"https://{host}/v2/{REPOSITORY}/blobs/{digest}",
    ]  # fmt: skip
    started = time.perf_counter()
    pulls = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(clients)]  # noqa: S603
    sizes = [pull.communicate(timeout=600)[0] for pull in pulls]
    seconds = time.perf_counter() - started
    if any(pull.returncode for pull in pulls):
        raise RuntimeError(f"a concurrent pull from {target.label} failed")
    return sum(int(size) for size in sizes) / MIB / seconds


def measure(target: Target, options: argparse.Namespace, cold: str | None) -> None:
    target.record("manifest GETs/s", wrk(target, options.seconds, 2, options.connections))
    target.record(f"blob pull x{options.clients} MiB/s", pulls_at_once(target, target.world.layer, options.clients))
    if cold is not None:
        target.record(f"blob pull x{options.clients} cold MiB/s", pulls_at_once(target, cold, options.clients))


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f} ({min(values):.1f}-{max(values):.1f})"


def compare(title: str, base: Target, other: Target, target_ratio: dict[str, float]) -> None:
    print(f"\n{title}")
    print(f"{'metric':26} {base.label + ' (median, min-max)':40} {other.label + ' (median, min-max)':40} "
          "ratio (spread)  target")  # fmt: skip
    for metric, theirs in base.results.items():
        mine = other.results[metric]
        ratios = [a / b for a, b in zip(mine, theirs, strict=True)]
        wanted = next((f">= {v}" for k, v in target_ratio.items() if k in metric), "")
        print(
            f"{metric:26} {_spread(theirs):40} {_spread(mine):40} "
            f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})  {wanted}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--seconds", type=int, default=8, help="seconds per wrk run (8)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections, 2 threads (32)")
    parser.add_argument("--clients", type=int, default=4, help="curl pulls at once (4)")
    parser.add_argument("--blob-mib", type=int, default=64, help="size of the pulled blob in MiB (64)")
    parser.add_argument(
        "--cold",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also first pulls of a fresh blob each round (default: when the Azure backend has a read cache)",
    )
    options = parser.parse_args()
    cache = azure_cache_exists()
    cold = cache if options.cold is None else options.cold
    for tool in ("wrk", "curl"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            raise SystemExit(f"{tool} is not installed")
    work = Path(tempfile.mkdtemp(prefix="acrlink-bench-scaleout-"))
    worlds: list[World] = []
    try:
        for label, n, store in (("pg x1", 1, "postgres"), ("pg x2", 2, "postgres"), ("sqlite x1", 1, "sqlite")):
            log(f"starting {label} ({n} process{'es' if n > 1 else ''}, {store})")
            world = World(label, cluster_example.start(n, store=store, root=work / label.replace(" ", "-")))
            worlds.append(world)
            prepare(world, options.blob_mib)
        pg1, pg2, sqlite1 = worlds
        targets = [
            Target("HAProxy, 1 process", pg1, direct=False),
            Target("HAProxy, 2 processes", pg2, direct=False),
            Target("PostgreSQL + Azurite", pg1, direct=True),
            Target("SQLite + files", sqlite1, direct=True),
        ]
        for target in targets:  # a warm-up each: connections, caches, the first pull's page cache
            pulls_at_once(target, target.world.layer, 1)
        for index in range(options.rounds):
            order = targets if index % 2 == 0 else targets[::-1]
            fresh: dict[str, str] = {}
            if cold:  # part B only: pg x1's HAProxy target would otherwise warm its direct target's blob
                for world in (pg1, sqlite1):
                    fresh[world.label] = world.push_blob(os.urandom(options.blob_mib * MIB))
            for target in order:
                log(f"round {index + 1}: {target.label} ({target.world.label})")
                measure(target, options, fresh.get(target.world.label) if target.direct else None)
        processes = {world.label: world.cluster.n for world in worlds}
        print(f"acrlink processes: {processes} ({sum(processes.values())} in all, each cluster with its HAProxy;")
        print("  pg clusters each with their own PostgreSQL 15 and Azurite); all up for the whole run, on "
              f"{os.cpu_count()} cores")  # fmt: skip
        print(f"rounds {options.rounds}, wrk {options.seconds} s -t2 -c{options.connections}, "
              f"{options.clients} curls at once of a {options.blob_mib} MiB blob; Azure read cache in this tree: "
              f"{'yes' if cache else 'no'}")  # fmt: skip
        compare("A. through HAProxy, PostgreSQL + Azurite: 2 processes / 1", targets[0], targets[1], {})
        compare("B. one process, direct: PostgreSQL + Azurite / SQLite + files", targets[3], targets[2], TARGETS_B)
        return 0
    finally:
        for world in worlds:
            world.cluster.stop()
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    sys.exit(main())
