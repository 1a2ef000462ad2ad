"""acrlink's registry face side by side with CNCF Distribution (Debian ``docker-registry``), one run.

Run: .venv/bin/python bench/registry/run.py [--runs N]   (README.md next to this file)

Both servers run on this machine over TLS 1.3 / HTTP/1.1 with certificates from acrlink's CA, are
driven by the same clients (curl, skopeo, wrk), and are measured in interleaved runs (the order flips
every round). Printed: medians, ratios acrlink/Distribution, server CPU per operation, peak RSS.

As root the whole benchmark runs in a private network + mount namespace (``unshare``): loopback only,
acrlink's registry port is 443 there (ACR's token realm, ``https://NAME.azurecr.cn/oauth2/token``, has
no port, and skopeo follows it) and a private ``/etc/hosts`` maps the registry names to 127.0.0.1.
Nothing outside the namespace changes. Without ``unshare`` the skopeo figures are skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py (run as a script)
from common import MIB, TLS13_CIPHER, Server, create_registry, free_port, log, start_acrlink, wait_for

REGISTRY = "benchreg1"
LOGIN = f"{REGISTRY}.azurecr.cn"
DIST_HOST = "distribution.bench.test"
REPO = "bench"
PUSH_REPO = "bench"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
TARGETS = {"blob pull (curl)": 1.0, "push (skopeo)": 0.8, "manifest GETs/s": 3.0}
RSS_TARGET_MIB = 150


# The image ------------------------------------------------------------------------------------------


@dataclass
class Layer:
    """A gzip layer of incompressible bytes (stored blocks: valid gzip, so skopeo does not recompress it)."""

    path: Path
    digest: str
    size: int
    diff_id: str


def write_base_layer(path: Path, size: int) -> tuple[Layer, Any, Any]:
    """The 256 MiB layer, and the hash states of its compressed and uncompressed bytes (to derive
    per-run variants without rehashing)."""
    compressed, raw = hashlib.sha256(), hashlib.sha256()
    packer = zlib.compressobj(0, zlib.DEFLATED, 31)
    with open(path, "wb") as out:
        left = size
        while left:
            block = os.urandom(min(4 * MIB, left))
            left -= len(block)
            raw.update(block)
            data = packer.compress(block)
            compressed.update(data)
            out.write(data)
        data = packer.flush()
        compressed.update(data)
        out.write(data)
    layer = Layer(path, "sha256:" + compressed.hexdigest(), path.stat().st_size, "sha256:" + raw.hexdigest())
    return layer, compressed, raw


def variant_layer(base: Layer, states: tuple[Any, Any], path: Path) -> Layer:
    """The base layer plus a second gzip member of 16 random bytes: a new blob (so no registry or
    client cache can skip the upload) at the cost of one file copy."""
    raw_tail = os.urandom(16)
    packer = zlib.compressobj(0, zlib.DEFLATED, 31)
    tail = packer.compress(raw_tail) + packer.flush()
    shutil.copyfile(base.path, path)
    with open(path, "ab") as out:
        out.write(tail)
    compressed, raw = states[0].copy(), states[1].copy()
    compressed.update(tail)
    raw.update(raw_tail)
    return Layer(path, "sha256:" + compressed.hexdigest(), base.size + len(tail), "sha256:" + raw.hexdigest())


def oci_layout(directory: Path, layer: Layer, tag: str) -> None:
    """An ``oci:`` layout holding one image: config, the layer (moved in), an OCI manifest."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]},
        }
    ).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    (blobs / config_digest[7:]).write_bytes(config)
    os.replace(layer.path, blobs / layer.digest[7:])
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": GZIP_LAYER, "digest": layer.digest, "size": layer.size}],
        }
    ).encode()
    manifest_digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    (blobs / manifest_digest[7:]).write_bytes(manifest)
    entry = {
        "mediaType": OCI_MANIFEST,
        "digest": manifest_digest,
        "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }
    (directory / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    (directory / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')


# The two registries ---------------------------------------------------------------------------------


@dataclass
class Target:
    """One registry as the clients see it."""

    label: str
    server: Server
    host: str
    """host[:port] in image references and URLs."""
    port: int
    curl_auth: list[str]
    skopeo_src: list[str]
    skopeo_dest: list[str]
    wrk_headers: list[str]
    results: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"https://{self.host}{path}"

    def record(self, metric: str, value: float, cpu: float | None = None) -> None:
        self.results.setdefault(metric, []).append(value)
        if cpu is not None:
            self.cpu.setdefault(metric, []).append(cpu)


def acr_token(port: int, ca: str, password: str, actions: str) -> str:
    """ACR's ``POST /oauth2/token`` with the admin credentials: an access token for the repository."""
    with httpx.Client(verify=ca, trust_env=False, timeout=30) as client:
        answer = client.post(
            f"https://127.0.0.1:{port}/oauth2/token",
            headers={"Host": LOGIN},
            data={
                "grant_type": "password",
                "service": LOGIN,
                "scope": f"repository:{REPO}:{actions}",
                "username": REGISTRY,
                "password": password,
            },
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])


def start_distribution(work: Path, port: int, cert: Path, key: Path) -> Server:
    storage = work / "distribution-storage"
    storage.mkdir()
    config = work / "distribution.yml"
    # Distribution in its best light: no auth (acrlink checks a signed token on every request), no access
    # log (acrlink logs a line per request), the in-memory blob descriptor cache of Debian's config.
    config.write_text(
        f"""version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  tls:
    certificate: {cert}
    key: {key}
"""
    )
    log_file = open(work / "distribution.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        ["/usr/bin/docker-registry", "serve", str(config)], stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file
    )
    return Server("distribution", process)


# Measurements ---------------------------------------------------------------------------------------


def run(args: list[str], env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} ... failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def curl_pull(target: Target, ca: str, digest: str, resolve: list[str]) -> tuple[float, int]:
    """One blob GET with curl over HTTP/1.1; seconds (connect to last byte) and bytes."""
    out = run(
        [
            "curl", "--http1.1", "--silent", "--show-error", "--fail", "--tls13-ciphers", TLS13_CIPHER,
            "--cacert", ca, *resolve, *target.curl_auth, "-o", "/dev/null",
            "-w", "%{time_total} %{size_download}",
            target.url(f"/v2/{REPO}/blobs/{digest}"),
        ]
    )  # fmt: skip
    seconds, size = out.split()
    return float(seconds), int(size)


def curl_pulls_at_once(target: Target, ca: str, digest: str, resolve: list[str], clients: int) -> tuple[float, int]:
    """``clients`` curl pulls of the blob started together; wall seconds until the last ends, total bytes."""
    command = [
        "curl", "--http1.1", "--silent", "--show-error", "--fail", "--tls13-ciphers", TLS13_CIPHER,
        "--cacert", ca, *resolve, *target.curl_auth, "-o", "/dev/null", "-w", "%{size_download}",
        target.url(f"/v2/{REPO}/blobs/{digest}"),
    ]  # fmt: skip
    started = time.perf_counter()
    pulls = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(clients)]
    sizes = [int(pull.communicate(timeout=300)[0]) for pull in pulls]
    seconds = time.perf_counter() - started
    if any(pull.returncode for pull in pulls):
        raise RuntimeError(f"a concurrent pull from {target.label} failed")
    return seconds, sum(sizes)


def curl_push(target: Target, ca: str, layer: Layer, resolve: list[str], auth: list[str]) -> None:
    """One blob up: POST opens an upload, PUT streams the file (``-T``) and closes it with the digest."""
    headers = run(
        ["curl", "--http1.1", "-sS", "--fail", "--cacert", ca, *resolve, *auth, "-X", "POST", "-o", "/dev/null",
         "-D", "-", target.url(f"/v2/{PUSH_REPO}/blobs/uploads/")]
    )  # fmt: skip
    location = next(v.strip() for k, _, v in (line.partition(":") for line in headers.splitlines())
                    if k.lower() == "location")  # fmt: skip
    if location.startswith("/"):
        location = target.url(location)
    run(
        ["curl", "--http1.1", "-sS", "--fail", "--tls13-ciphers", TLS13_CIPHER, "--cacert", ca, *resolve, *auth,
         "-H", "Expect:", "-H", "Content-Type: application/octet-stream", "-T", str(layer.path), "-o", "/dev/null",
         f"{location}{'&' if '?' in location else '?'}digest={layer.digest}"]
    )  # fmt: skip


def timed(target: Target, action: Callable[[], Any]) -> tuple[float, float]:
    """Wall seconds and server CPU seconds of ``action``, which starts with no dirty pages left over
    (each push and skopeo pull writes 256 MiB; writeback from one run must not throttle the next)."""
    os.sync()
    cpu = target.server.cpu_seconds()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started, target.server.cpu_seconds() - cpu


def wrk(target: Target, seconds: float, connections: int, threads: int, url: str) -> tuple[float, dict[str, str]]:
    out = run(
        [
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{round(seconds)}s", "--latency",
            "-H", f"Accept: {OCI_MANIFEST}", *target.wrk_headers, url,
        ]
    )  # fmt: skip
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk against {target.label} saw errors:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    return rate, latency


class Profiler:
    """``--profile DIR``: py-spy records the acrlink process during its first run of each phase (raw
    collapsed stacks, one file per phase). Profiled runs are slower; their figures are still counted."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.py_spy = shutil.which("py-spy") if directory else None
        if directory and not self.py_spy:
            raise SystemExit("--profile needs py-spy on PATH (pip install py-spy)")
        if directory:
            directory.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def phase(self, target: Target, name: str, index: int) -> Iterator[None]:
        if self.directory is None or self.py_spy is None or target.label != "acrlink" or index != 0:
            yield
            return
        out = self.directory / f"{name}.txt"
        command = [self.py_spy, "record", "-p", str(target.server.pid), "-f", "raw", "-r", "250", "-o", str(out)]
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        try:
            yield
        finally:
            spy.send_signal(signal.SIGINT)
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()
            log(f"profile of acrlink during {name}: {out}")


def interleaved(targets: list[Target], rounds: int) -> Iterator[tuple[int, Target]]:
    """Every round measures each target once; the order flips every round."""
    for index in range(rounds):
        for target in targets if index % 2 == 0 else targets[::-1]:
            yield index, target


def fmt_rate(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"


# Main -----------------------------------------------------------------------------------------------


def enter_namespace(argv: list[str]) -> int | None:
    """Re-run this script in a private network + mount namespace; None when that is not possible."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        return None
    probe = subprocess.run([unshare, "--mount", "--net", "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    command = [unshare, "--mount", "--net", "--propagation", "private", sys.executable, __file__, "--in-namespace"]
    child = subprocess.Popen([*command, *argv])
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        return child.wait()


def prepare_namespace(work: Path) -> None:
    """Inside the namespace: loopback up, registry names on 127.0.0.1, skopeo's blob cache private."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    hosts = work / "hosts"
    hosts.write_text(f"127.0.0.1 localhost {LOGIN} {DIST_HOST}\n::1 localhost\n")
    subprocess.run(["mount", "--bind", str(hosts), "/etc/hosts"], check=True)
    for cache in ("/var/lib/containers", str(Path.home() / ".local/share/containers")):
        if Path(cache).is_dir():
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", cache], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="runs per server for each transfer measurement (7)")
    parser.add_argument("--size-mib", type=int, default=256, help="layer size in MiB (256)")
    parser.add_argument("--wrk-seconds", type=int, default=5, help="seconds per wrk round (5)")
    parser.add_argument("--wrk-rounds", type=int, default=4, help="wrk rounds per server (4)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections, both servers (32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2, 4],
        help="blob pull figures with this many curl clients at once, besides one (1,2,4)",
    )
    parser.add_argument("--pull-only", action="store_true", help="only the blob pull figures (no push, no wrk)")
    parser.add_argument("--no-skopeo", action="store_true", help="skip the skopeo measurements")
    parser.add_argument("--no-namespace", action="store_true", help="do not use unshare (skopeo is skipped)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--profile", type=Path, help="py-spy profiles of acrlink's first run of each phase go here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument("--in-namespace", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    for tool in ("curl", "wrk", "skopeo", "/usr/bin/docker-registry"):
        if not shutil.which(tool):
            log(f"{tool} is required (apt-get install -y {Path(tool).name})")
            return 2
    if not options.in_namespace and not options.no_namespace:
        code = enter_namespace(sys.argv[1:])
        if code is not None:
            return code
        log("unshare is not available (needs root): running without a namespace; skopeo figures are skipped")
    namespaced = options.in_namespace
    work = Path(tempfile.mkdtemp(prefix="acrlink-bench-"))
    servers: list[Server] = []
    try:
        return bench(options, work, namespaced, servers)
    finally:
        for server in servers:
            server.stop()
        if options.keep:
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def bench(options: argparse.Namespace, work: Path, namespaced: bool, servers: list[Server]) -> int:
    from acrlink import certs  # the same venv as acrlink: Distribution's certificate comes from its CA

    started = time.monotonic()
    profiler = Profiler(options.profile)
    if namespaced:
        prepare_namespace(work)
    acr_port = 443 if namespaced else free_port()
    process, endpoints = start_acrlink(work, "--registry-port", str(acr_port))
    acrlink = Server("acrlink", process)
    servers.append(acrlink)
    ca = endpoints["ca"]
    password = create_registry(endpoints, REGISTRY, resource_group="benchrg", api_version="2023-07-01")
    dist_port = free_port()
    cert_dir = work / "certs"
    cert_dir.mkdir()
    shutil.copy(ca, cert_dir / "ca.crt")
    authority = certs.load_or_create_authority(Path(ca).parent)
    dist_cert, dist_key = work / "distribution.pem", work / "distribution.key"
    certs.issue_server_certificate(authority, [DIST_HOST, "127.0.0.1", "localhost"], dist_cert, dist_key)
    distribution = start_distribution(work, dist_port, dist_cert, dist_key)
    servers.append(distribution)
    dist_base = f"https://127.0.0.1:{dist_port}"
    wait_for(
        "docker-registry",
        lambda: httpx.get(f"{dist_base}/v2/", verify=ca, trust_env=False).status_code == 200,
        distribution.process,
    )
    if namespaced:
        acr_host, dist_host, resolve = LOGIN, f"{DIST_HOST}:{dist_port}", []
    else:
        acr_host, dist_host = f"{LOGIN}:{acr_port}", f"{DIST_HOST}:{dist_port}"
        resolve = ["--resolve", f"{LOGIN}:{acr_port}:127.0.0.1", "--resolve", f"{DIST_HOST}:{dist_port}:127.0.0.1"]
    log(f"acrlink pid {acrlink.pid} on {acr_host}; docker-registry pid {distribution.pid} on {dist_host}")
    # acrlink: a pull token from its token service with the admin credentials; Distribution: no auth.
    bearer = acr_token(acr_port, ca, password, "pull")
    creds = f"{REGISTRY}:{password}"
    acr = Target(
        "acrlink", acrlink, acr_host, acr_port,
        curl_auth=["-H", f"Authorization: Bearer {bearer}"],
        skopeo_src=["--src-creds", creds, "--src-cert-dir", str(cert_dir)],
        skopeo_dest=["--dest-creds", creds, "--dest-cert-dir", str(cert_dir)],
        wrk_headers=["-H", f"Authorization: Bearer {bearer}"],
    )  # fmt: skip
    dist = Target(
        "distribution", distribution, dist_host, dist_port,
        curl_auth=[],
        skopeo_src=["--src-cert-dir", str(cert_dir)],
        skopeo_dest=["--dest-cert-dir", str(cert_dir)],
        wrk_headers=[],
    )  # fmt: skip
    targets = [acr, dist]

    # The image both registries serve: pushed once with skopeo (this also warms both up).
    log(f"writing a {options.size_mib} MiB random layer")
    base, compressed, raw = write_base_layer(work / "layer.gz", options.size_mib * MIB)
    states = (compressed, raw)
    image = work / "image"
    pull_layer = variant_layer(base, states, work / "pull-layer.gz")
    oci_layout(image, pull_layer, "v1")
    skopeo = not options.no_skopeo and namespaced
    for target in targets:
        if namespaced:
            run(
                [
                    "skopeo",
                    "copy",
                    "--quiet",
                    *target.skopeo_dest,
                    f"oci:{image}:v1",
                    f"docker://{target.host}/{REPO}:v1",
                ]
            )
        else:
            push_with_curl(target, image, pull_layer, ca, resolve, password)
    layer_digest, layer_size = pull_layer.digest, pull_layer.size

    # 1. Blob pull with curl (one warm-up each, then interleaved runs).
    for target in targets:
        curl_pull(target, ca, layer_digest, resolve)
    log(f"blob pull with curl: {options.runs} runs each")
    for index, target in interleaved(targets, options.runs):
        os.sync()
        cpu = target.server.cpu_seconds()
        with profiler.phase(target, "pull-curl", index):
            seconds, size = curl_pull(target, ca, layer_digest, resolve)
        assert size == layer_size, f"{target.label} sent {size} bytes, expected {layer_size}"
        target.record("blob pull (curl)", size / MIB / seconds, target.server.cpu_seconds() - cpu)

    # 1a. Concurrent blob pulls (several clients at once: the cost of a thread per connection under the GIL).
    for clients in options.concurrency:
        if clients <= 1:
            continue
        metric = f"blob pull x{clients} (curl)"
        log(f"{clients} concurrent blob pulls with curl: {options.runs} runs each")
        for _, target in interleaved(targets, options.runs):
            os.sync()
            cpu = target.server.cpu_seconds()
            seconds, size = curl_pulls_at_once(target, ca, layer_digest, resolve, clients)
            assert size == clients * layer_size, f"{target.label} sent {size} bytes"
            target.record(metric, size / MIB / seconds, (target.server.cpu_seconds() - cpu) / clients)

    # 1b. skopeo copy of the image to a dir: target.
    if skopeo:
        log(f"pull with skopeo to dir: {options.runs} runs each")
        for index, target in interleaved(targets, options.runs):
            out = work / f"pulled-{target.label}-{index}"
            args = ["skopeo", "copy", "--quiet", *target.skopeo_src, f"docker://{target.host}/{REPO}:v1", f"dir:{out}"]
            with profiler.phase(target, "pull-skopeo", index):
                seconds, cpu = timed(target, functools.partial(run, args))
            assert (out / layer_digest[7:]).stat().st_size == layer_size
            shutil.rmtree(out)
            target.record("pull (skopeo)", layer_size / MIB / seconds, cpu)

    # 2. Push: curl streams one blob (POST, then PUT with the body), skopeo copies the image from an oci:
    # layout. A new layer every round (shared by both registries), so no cache or mount can skip bytes.
    push_token = acr_token(acr_port, ca, password, "pull,push")
    log(f"push with curl: {options.runs} runs each")
    for index in range(0 if options.pull_only else options.runs):
        layer = variant_layer(base, states, work / "push-layer.gz")
        for target in targets if index % 2 == 0 else targets[::-1]:
            auth = ["-H", f"Authorization: Bearer {push_token}"] if target is acr else []
            with profiler.phase(target, "push-curl", index):
                seconds, cpu = timed(target, functools.partial(curl_push, target, ca, layer, resolve, auth))
            target.record("push (curl)", layer.size / MIB / seconds, cpu)
        layer.path.unlink()
    if skopeo and not options.pull_only:
        log(f"push with skopeo from oci: {options.runs} runs each")
        for index in range(options.runs):
            layout = work / f"push-{index}"
            oci_layout(layout, variant_layer(base, states, work / "push-layer.gz"), "v1")
            size = sum(f.stat().st_size for f in (layout / "blobs" / "sha256").iterdir())
            for target in targets if index % 2 == 0 else targets[::-1]:
                args = ["skopeo", "copy", "--quiet", *target.skopeo_dest, f"oci:{layout}:v1",
                        f"docker://{target.host}/{REPO}:push{index}"]  # fmt: skip
                with profiler.phase(target, "push-skopeo", index):
                    seconds, cpu = timed(target, functools.partial(run, args))
                target.record("push (skopeo)", size / MIB / seconds, cpu)
            shutil.rmtree(layout)

    # 3. Manifest GETs per second with wrk (keep-alive, same connections and threads for both).
    shape = f"-t{options.threads} -c{options.connections}: {options.wrk_rounds} x {options.wrk_seconds} s"
    log(f"manifest GETs with wrk {shape} each")
    latencies: dict[str, list[dict[str, str]]] = {}
    for index, target in interleaved(targets, 0 if options.pull_only else options.wrk_rounds):
        cpu = target.server.cpu_seconds()
        url = target.url(f"/v2/{REPO}/manifests/v1")
        if not namespaced:
            url = f"https://127.0.0.1:{target.port}/v2/{REPO}/manifests/v1"
            target_headers = ["-H", f"Host: {target.host}"]
            target.wrk_headers += target_headers
        with profiler.phase(target, "manifests-wrk", index):
            rate, latency = wrk(target, options.wrk_seconds, options.connections, options.threads, url)
        if not namespaced:
            del target.wrk_headers[-2:]
        used = target.server.cpu_seconds() - cpu
        target.record("manifest GETs/s", rate, used / (rate * options.wrk_seconds))
        latencies.setdefault(target.label, []).append(latency)

    # 4. Peak RSS of both servers over the whole run.
    peaks = {t.label: t.server.status("VmHWM") for t in targets}
    report(options, targets, peaks, latencies, skopeo, namespaced, time.monotonic() - started, layer_size)
    return 0


def push_with_curl(target: Target, image: Path, layer: Layer, ca: str, resolve: list[str], password: str) -> None:
    """Without a namespace (no skopeo), the image goes up with curl: monolithic blob POSTs, then the manifest."""
    auth: list[str] = []
    if target.label == "acrlink":
        auth = ["-H", f"Authorization: Bearer {acr_token(target.port, ca, password, 'pull,push')}"]
    index = json.loads((image / "index.json").read_text())["manifests"][0]
    manifest_path = image / "blobs" / "sha256" / index["digest"][7:]
    manifest = json.loads(manifest_path.read_text())
    for blob in (manifest["config"], manifest["layers"][0]):
        run(["curl", "--http1.1", "-sSf", "--cacert", ca, *resolve, *auth, "-X", "POST",
             "-H", "Content-Type: application/octet-stream",
             "--data-binary", f"@{image / 'blobs' / 'sha256' / blob['digest'][7:]}",
             target.url(f"/v2/{REPO}/blobs/uploads/?digest={blob['digest']}")])  # fmt: skip
    run(["curl", "--http1.1", "-sSf", "--cacert", ca, *resolve, *auth, "-X", "PUT",
         "-H", f"Content-Type: {OCI_MANIFEST}", "--data-binary", f"@{manifest_path}",
         target.url(f"/v2/{REPO}/manifests/v1")])  # fmt: skip
    assert layer.digest == manifest["layers"][0]["digest"]


def report(
    options: argparse.Namespace,
    targets: list[Target],
    peaks: dict[str, int],
    latencies: dict[str, list[dict[str, str]]],
    skopeo: bool,
    namespaced: bool,
    elapsed: float,
    layer_size: int,
) -> None:
    acr, dist = targets
    rows = []
    print()
    print(f"acrlink registry face vs CNCF Distribution ({dist_version()}), one run, {elapsed:.0f} s")
    print(
        f"layer {layer_size / MIB:.2f} MiB; {options.runs} interleaved runs per transfer figure (median); "
        f"wrk -t{options.threads} -c{options.connections}, {options.wrk_rounds} x {options.wrk_seconds:g} s rounds"
    )
    header = (
        f"{'measure':<20} {'acrlink':>14} {'Distribution':>14} {'ratio':>7} {'target':>7}   "
        "server CPU-s/op acrlink | Dist."
    )
    print(header)
    print("-" * len(header))
    units = {
        "blob pull (curl)": "MiB/s",
        **{f"blob pull x{n} (curl)": "MiB/s" for n in options.concurrency if n > 1},
        "pull (skopeo)": "MiB/s",
        "push (curl)": "MiB/s",
        "push (skopeo)": "MiB/s",
        "manifest GETs/s": "req/s",
    }
    for metric, unit in units.items():
        if metric not in acr.results:
            print(f"{metric:<20} {'skipped':>14}")
            continue
        a, d = statistics.median(acr.results[metric]), statistics.median(dist.results[metric])
        ratio = a / d
        target = TARGETS.get(metric)
        verdict = "" if target is None else (f">={target:g}x " + ("ok" if ratio >= target else "MISS"))
        cpu_a, cpu_d = statistics.median(acr.cpu[metric]), statistics.median(dist.cpu[metric])
        cpu_text = f"{cpu_a * 1e6:.0f} us | {cpu_d * 1e6:.0f} us" if unit == "req/s" else f"{cpu_a:.2f} | {cpu_d:.2f}"
        print(f"{metric:<20} {fmt_rate(a, unit):>14} {fmt_rate(d, unit):>14} {ratio:>6.2f}x {verdict:>9}   {cpu_text}")
        rows.append(
            {
                "metric": metric,
                "unit": unit,
                "acrlink": acr.results[metric],
                "distribution": dist.results[metric],
                "acrlink_median": a,
                "distribution_median": d,
                "ratio": ratio,
                "target": target,
                "acrlink_cpu_per_op": acr.cpu[metric],
                "distribution_cpu_per_op": dist.cpu[metric],
            }
        )
    spread = {t.label: {m: (min(v), max(v)) for m, v in t.results.items()} for t in targets}
    for metric in units:
        if metric in acr.results:
            (a_lo, a_hi), (d_lo, d_hi) = spread["acrlink"][metric], spread["distribution"][metric]
            pairs = sorted(a / d for a, d in zip(acr.results[metric], dist.results[metric], strict=False))
            print(
                f"  spread {metric:<20} acrlink {a_lo:,.0f}-{a_hi:,.0f}, Distribution {d_lo:,.0f}-{d_hi:,.0f}; "
                f"ratio per round min/median/max {pairs[0]:.2f}/{statistics.median(pairs):.2f}/{pairs[-1]:.2f}"
            )
    for label, rounds in latencies.items():
        p50, p99 = (" ".join(r.get(q, "?") for r in rounds) for q in ("50", "99"))
        print(f"  wrk latency {label:<12} p50 {p50}; p99 {p99}")
    acr_peak, dist_peak = peaks["acrlink"] / MIB, peaks["distribution"] / MIB
    rss_verdict = "ok" if acr_peak <= RSS_TARGET_MIB else "MISS"
    print(
        f"peak RSS (VmHWM)     acrlink {acr_peak:.0f} MiB (target <= {RSS_TARGET_MIB}: {rss_verdict}), "
        f"Distribution {dist_peak:.0f} MiB"
    )
    print(
        "Asymmetries: acrlink checks a bearer token (admin credentials via its /oauth2/token) on every request and "
        "logs a line per request; Distribution runs with auth: none and no access log. Both: TLS 1.3 with ECDSA "
        f"P-256 certificates from acrlink's CA; curl pinned to {TLS13_CIPHER}; skopeo negotiates its own."
    )
    if not namespaced:
        print("No network namespace: skopeo figures skipped (acrlink's token realm needs port 443).")
    elif not skopeo:
        print("skopeo figures skipped (--no-skopeo).")
    if options.json:
        options.json.write_text(
            json.dumps({"rows": rows, "peak_rss_bytes": peaks, "latency": latencies, "elapsed_s": elapsed}, indent=2)
        )


def dist_version() -> str:
    out = subprocess.run(["/usr/bin/docker-registry", "--version"], capture_output=True, text=True).stdout.split()
    return out[-1] if out else "docker-registry"


if __name__ == "__main__":
    sys.exit(main())
