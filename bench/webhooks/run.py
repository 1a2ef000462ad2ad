"""What webhooks cost a push: a registry with 3 webhooks (to a local HTTP server) against one with none, in one run.

Run: .venv/bin/python bench/webhooks/run.py [--rounds N] [--layer-kib K]   (README.md next to this file)

One acrlink process, two Premium registries; every round pushes one small image (a new random layer, its
config, an OCI manifest) to each, through acrlink's proxy as a docker client would, the order flipping every
round. Printed: median push time per registry, and the ratio hooked/plain (median of the per-round ratios,
with its quartiles), and whether every push reached all three webhooks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py (run as a script)
from common import arm_client, create_registry, log, start_acrlink, stop

API = "2025-11-01"
HOOKED, PLAIN = "benchhooked", "benchplain"
REPO = "bench"
TARGET = 1.05
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


class Receiver:
    """A local webhook endpoint that counts POSTs."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner.lock:
                    owner.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def add_webhooks(endpoints: dict[str, Any], registry: str, uri: str, count: int) -> None:
    """``az acr webhook create`` x ``count``: push and delete, every repository."""
    sub = endpoints["subscriptionId"]
    base = (
        f"{endpoints['arm']}/subscriptions/{sub}/resourceGroups/benchhooks/providers/"
        f"Microsoft.ContainerRegistry/registries/{registry}/webhooks"
    )
    with arm_client(endpoints, timeout=30) as client:
        for n in range(count):
            body = {"location": "chinanorth2", "properties": {"serviceUri": uri, "actions": ["push", "delete"]}}
            client.put(f"{base}/hook{n:05d}?api-version={API}", json=body).raise_for_status()


class Pusher:
    """Pushes through acrlink's proxy with a push token from the registry's token endpoint."""

    def __init__(self, endpoints: dict[str, Any], registry: str, password: str) -> None:
        self.host = f"{registry}.azurecr.cn"
        self.client = httpx.Client(proxy=endpoints["proxy"], verify=endpoints["ca"], trust_env=False, timeout=30)
        token = self.client.get(
            f"https://{self.host}/oauth2/token",
            params={"service": self.host, "scope": f"repository:{REPO}:pull,push"},
            auth=(registry, password),
        )
        token.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def _blob(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        answer = self.client.post(
            f"https://{self.host}/v2/{REPO}/blobs/uploads/", params={"digest": digest}, content=data
        )
        assert answer.status_code == 201, answer.text
        return digest

    def push(self, tag: str, layer_bytes: int) -> float:
        """Seconds for one image push: layer upload, config upload, manifest PUT."""
        layer = os.urandom(layer_bytes)
        config = json.dumps({"architecture": "amd64", "os": "linux", "nonce": tag}).encode()
        started = time.perf_counter()
        layer_digest = self._blob(layer)
        config_digest = self._blob(config)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config_digest,
                    "size": len(config),
                },
                "layers": [
                    {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": len(layer)}
                ],
            }
        ).encode()
        answer = self.client.put(
            f"https://{self.host}/v2/{REPO}/manifests/{tag}", content=manifest, headers={"Content-Type": OCI_MANIFEST}
        )
        elapsed = time.perf_counter() - started
        assert answer.status_code == 201, answer.text
        return elapsed


def bootstrap(hooked: list[float], plain: list[float], draws: int = 2000) -> tuple[float, float]:
    """A 95% interval of the ratio of medians, resampling whole rounds (seeded: the same data, the same
    interval)."""
    rng = random.Random(11)
    pairs = list(zip(hooked, plain, strict=True))
    found = []
    for _ in range(draws):
        sample = rng.choices(pairs, k=len(pairs))
        found.append(statistics.median(h for h, _ in sample) / statistics.median(p for _, p in sample))
    found.sort()
    return found[int(draws * 0.025)], found[int(draws * 0.975)]


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=4)
    return q[0], statistics.median(values), q[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--layer-kib", type=int, default=64)
    parser.add_argument("--webhooks", type=int, default=3)
    args = parser.parse_args()
    receiver = Receiver()
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as work:
        process, endpoints = start_acrlink(Path(work))
        try:
            hooked_password = create_registry(endpoints, HOOKED, "benchhooks", API)
            plain_password = create_registry(endpoints, PLAIN, "benchhooks", API)
            add_webhooks(endpoints, HOOKED, receiver.url, args.webhooks)
            pushers = {
                HOOKED: Pusher(endpoints, HOOKED, hooked_password),
                PLAIN: Pusher(endpoints, PLAIN, plain_password),
            }
            for pusher in pushers.values():  # warm up: connections, first-write paths
                for n in range(5):
                    pusher.push(f"warm{n}", args.layer_kib * 1024)
            times: dict[str, list[float]] = {HOOKED: [], PLAIN: []}
            log(f"{args.rounds} rounds, {args.layer_kib} KiB layer, {args.webhooks} webhooks on {HOOKED}")
            for round_no in range(args.rounds):
                order = (HOOKED, PLAIN) if round_no % 2 == 0 else (PLAIN, HOOKED)
                for name in order:
                    times[name].append(pushers[name].push(f"r{round_no}", args.layer_kib * 1024))
            expected = (args.rounds + 5) * args.webhooks
            deadline = time.monotonic() + 60
            while receiver.count < expected and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop(process)
    ratios = [h / p for h, p in zip(times[HOOKED], times[PLAIN], strict=True)]
    q1, median, q3 = quartiles(ratios)
    hooked_ms = statistics.median(times[HOOKED]) * 1000
    plain_ms = statistics.median(times[PLAIN]) * 1000
    print(f"push, no webhooks        median {plain_ms:7.2f} ms   ({args.rounds} pushes)")
    print(f"push, {args.webhooks} webhooks         median {hooked_ms:7.2f} ms   ({args.rounds} pushes)")
    print(
        f"ratio hooked/plain       median {median:.3f}  (quartiles {q1:.3f} .. {q3:.3f}; "
        f"ratio of medians {hooked_ms / plain_ms:.3f}; target < {TARGET:.2f})"
    )
    low, high = bootstrap(times[HOOKED], times[PLAIN])
    print(f"ratio of medians, 95% bootstrap interval {low:.3f} .. {high:.3f}")
    print(f"deliveries received      {receiver.count} of {expected} expected")
    receiver.server.shutdown()


if __name__ == "__main__":
    main()
