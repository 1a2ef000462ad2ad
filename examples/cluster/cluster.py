"""An acrlink cluster on one machine: N processes over one store and one blob store, behind HAProxy.

    python examples/cluster/cluster.py start [--n 2] [--store sqlite|postgres] [--root DIR] [--base-port 17000]
    python examples/cluster/cluster.py status | stop | kill I | restart I   [--root DIR]

(``run.sh`` runs it with the project's Python.) ``start`` brings up, in order:
1. the shared store and blob store: ``--store sqlite`` (default) puts an SQLite database and a blob directory
   under ``ROOT/shared``; ``--store postgres`` starts a throwaway PostgreSQL cluster and Azurite
   (``cluster_servers.py``), the processes then use ``postgresql://`` and ``azure-blob://acrlink``;
2. processes 0..N-1 (``acrlink up --detach``), each with its own data directory ``ROOT/nodeI`` (its ports,
   PID, log ``ROOT/nodeI/acrlink.log``), fixed ports (see ``layout``), ``--trusted-proxy`` HAProxy's
   source address and ``--public-blob-url`` HAProxy's blob port (the SAS URLs of ACR Tasks name it);
3. HAProxy (``cluster_haproxy.py``), in the foreground of its own session, logging to ``ROOT/haproxy.log``;
   ``start`` returns once every process is up in every backend.
``ROOT/endpoints.json`` is then what clients use: the shape of one process's, with HAProxy's addresses, the
CA bundle of the cluster, HAProxy's PID, and a ``cluster`` section naming the processes; ``ROOT/dns-views.json``
links to process 0's (the per-host DNS views are UDP ports of one process, which HAProxy does not balance).
Every PID is kept in ``ROOT/cluster.json``; ``stop`` stops them all by PID (processes, HAProxy, Azurite,
PostgreSQL).

From pytest: ``cluster.start(2, store="sqlite", root=tmp_path)`` returns a ``Cluster``; ``.kill(i)``
(SIGKILL), ``.restart(i)``, ``.wait_for(i, "DOWN")`` (HAProxy's view), ``.stop()``. ``extra`` (more ``acrlink up``
arguments) and ``env`` (more environment) go to every process, and are kept in ``cluster.json`` for restarts;
``ca_from`` names a data directory whose CA the cluster adopts; ``servers`` (a ``cluster_servers.SharedServers``)
puts a postgres cluster in a database and a container of servers already running, which ``stop`` leaves alone.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import cluster_haproxy
import cluster_servers
from cluster_servers import ServerError, alive, spawn, stop_pid

FACES = ("arm", "registry", "proxy", "portal", "blob", "dns")
PORT_BLOCK = 10
"""Ports per process: the frontends use BASE..BASE+5 (PostgreSQL BASE+6, Azurite BASE+7), process I uses
BASE+10*(I+1)..+5, in the order of ``FACES``."""
DEFAULT_BASE = 17000
DEFAULT_ROOT = Path(os.environ.get("ACRLINK_CLUSTER_DIR", "~/.acrlink-cluster")).expanduser()
BLOB_CONTAINER = "acrlink"
SHARED_KEY_FILES = ("ca.pem", "ca.key", "signing.key", "entra-signing.pem")
"""Key material every process must share while it lives in each data directory: copied from process 0's to
the others' before they first start. (Once the store holds the keys, this copy changes nothing.)"""
READY_SECONDS = 60.0


@dataclass(frozen=True)
class Layout:
    front: dict[str, int]
    postgres: int
    azurite: int
    processes: list[dict[str, int]]


def layout(base: int, n: int) -> Layout:
    """The fixed ports of a cluster of ``n`` processes from ``base``."""
    front = {face: base + k for k, face in enumerate(FACES)}
    processes = [{face: base + PORT_BLOCK * (i + 1) + k for k, face in enumerate(FACES)} for i in range(n)]
    return Layout(front, base + 6, base + 7, processes)


def ports_free(base: int, n: int) -> bool:
    """Whether every port of the layout can be bound now (DNS ports for UDP too)."""
    plan = layout(base, n)
    wanted = [(p, f == "dns") for f, p in plan.front.items()] + [(plan.postgres, False), (plan.azurite, False)]
    wanted += [(p, f == "dns") for ports in plan.processes for f, p in ports.items()]
    return all(cluster_servers.port_free(port, udp) for port, udp in wanted)


def free_base(n: int) -> int:
    """A base port whose whole layout is free (for tests: clusters side by side), outside the ephemeral range so
    that a killed process can restart on its ports."""
    span = PORT_BLOCK * (n + 1)
    starts = cluster_servers.fixed_port_range(span)
    for _ in range(200):
        base = random.randrange(starts.start, starts.stop, PORT_BLOCK)
        if ports_free(base, n):
            return base
    raise ServerError("no free block of ports found")


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class Cluster:
    """A running cluster, as recorded in ``ROOT/cluster.json``."""

    root: Path
    n: int
    store: str
    base: int
    store_url: str = ""
    blob_store_url: str = ""
    connection_string: str = ""
    pids: list[int] = field(default_factory=list)
    """Process I's PID (0 when it is not running)."""
    haproxy: int = 0
    postgres: int = 0
    postgres_data: str = ""
    azurite: int = 0
    azurite_port: int = 0
    """Azurite's port when it is not the layout's own (shared servers)."""
    extra: list[str] = field(default_factory=list)
    """More ``acrlink up`` arguments, for every process."""
    env: dict[str, str] = field(default_factory=dict)
    """More environment, for every process."""
    python: str = sys.executable

    @property
    def layout(self) -> Layout:
        return layout(self.base, self.n)

    @property
    def state_path(self) -> Path:
        return self.root / "cluster.json"

    @property
    def stats_socket(self) -> Path:
        """HAProxy's admin socket: ``ROOT/haproxy.sock``, or one in the temporary directory when that path is
        too long for a UNIX socket."""
        path = self.root / "haproxy.sock"
        if len(str(path)) < 100:
            return path
        return Path(tempfile.gettempdir()) / f"acrlink-cluster-{hashlib.sha256(bytes(path)).hexdigest()[:16]}.sock"

    def data_dir(self, index: int) -> Path:
        return self.root / f"node{index}"

    def node_endpoints(self, index: int) -> dict[str, Any]:
        """Process ``index``'s own ``endpoints.json`` (its direct ports)."""
        return dict(json.loads((self.data_dir(index) / "endpoints.json").read_text()))

    @property
    def endpoints(self) -> dict[str, Any]:
        """The cluster's ``endpoints.json``: HAProxy's addresses."""
        return dict(json.loads((self.root / "endpoints.json").read_text()))

    def save(self) -> None:
        state = {key: str(value) if isinstance(value, Path) else value for key, value in asdict(self).items()}
        state.pop("connection_string")  # it holds the account key; rebuilt from the Azurite port on load
        self.state_path.write_text(json.dumps(state, indent=2))

    @classmethod
    def load(cls, root: Path) -> Cluster:
        state = json.loads((root / "cluster.json").read_text())
        state["root"] = Path(state["root"])
        loaded = cls(**state)
        if loaded.store == "postgres":
            location = loaded.root / "azurite"
            port = loaded.azurite_port or loaded.layout.azurite
            loaded.connection_string = cluster_servers.Azurite(location, port, 0).connection_string
        return loaded

    # processes ----------------------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        if self.connection_string:
            env["AZURE_STORAGE_CONNECTION_STRING"] = self.connection_string
        return env

    def start_process(self, index: int) -> None:
        """Start process ``index`` on its fixed ports (again, after ``kill``); returns once it is ready."""
        directory = self.data_dir(index)
        directory.mkdir(mode=0o700, exist_ok=True)
        if index > 0:
            for name in SHARED_KEY_FILES:
                source, target = self.data_dir(0) / name, directory / name
                if source.exists() and not target.exists():
                    shutil.copy2(source, target)
        ports = self.layout.processes[index]
        command = [self.python, "-m", "acrlink", "up", "--detach", "--data-dir", str(directory)]
        for face in FACES:
            command += [f"--{face}-port", str(ports[face])]
        command += ["--trusted-proxy", cluster_haproxy.BALANCER, "--store", self.store_url]
        command += ["--blob-store", self.blob_store_url]
        command += ["--public-blob-url", f"https://127.0.0.1:{self.layout.front['blob']}", *self.extra]
        started = subprocess.run(command, capture_output=True, text=True, env=self._environment(), check=False)  # noqa: S603
        if started.returncode != 0:
            tail = "\n".join((started.stdout + started.stderr).splitlines()[-15:])
            raise ServerError(f"acrlink process {index} did not start (see {directory / 'acrlink.log'}):\n{tail}")
        self.pids[index] = int(self.node_endpoints(index)["pid"])
        self.save()

    def kill(self, index: int) -> None:
        """SIGKILL process ``index`` (a crash); ``restart`` brings it back."""
        pid = self.pids[index]
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
            while alive(pid):
                time.sleep(0.02)
        self.pids[index] = 0
        self.save()

    def stop_process(self, index: int) -> None:
        """Stop process ``index`` cleanly (SIGTERM)."""
        stop_pid(self.pids[index])
        self.pids[index] = 0
        self.save()

    def restart(self, index: int) -> None:
        if alive(self.pids[index]):
            self.stop_process(index)
        self.start_process(index)

    # HAProxy ----------------------------------------------------------------------------------------

    def start_haproxy(self) -> None:
        config = self.root / "haproxy.cfg"
        plan = self.layout
        config.write_text(cluster_haproxy.render(plan.front, plan.processes, str(self.stats_socket)))
        executable = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(executable).exists():
            raise ServerError("HAProxy is not installed: apt-get install haproxy")
        checked = subprocess.run([executable, "-c", "-f", str(config)], capture_output=True, text=True)  # noqa: S603
        if checked.returncode != 0:
            raise ServerError(f"haproxy.cfg does not parse:\n{checked.stdout}{checked.stderr}")
        self.haproxy = spawn([executable, "-db", "-f", str(config)], self.root / "haproxy.log")
        self.save()
        for port in plan.front.values():
            cluster_servers.wait_for_port(port, "HAProxy", self.haproxy)

    def server_states(self) -> dict[tuple[str, str], str]:
        """(backend, server) -> HAProxy's status of it (``UP``, ``DOWN``, ``UP 1/2``, ...), from its stats socket."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stats:
            stats.settimeout(5)
            stats.connect(str(self.stats_socket))
            stats.sendall(b"show stat\n")
            data = b""
            while chunk := stats.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        columns = lines[0].lstrip("# ").split(",")
        states = {}
        for line in lines[1:]:
            row = dict(zip(columns, line.split(","), strict=False))
            if row.get("svname", "") not in ("", "FRONTEND", "BACKEND"):
                states[(row["pxname"], row["svname"])] = row["status"]
        return states

    def wait_for(self, index: int | None, status: str, seconds: float = READY_SECONDS) -> None:
        """Until HAProxy sees process ``index`` (every process: None) as ``status`` in every backend."""
        names = {f"acrlink{i}" for i in (range(self.n) if index is None else [index])}
        deadline = time.monotonic() + seconds
        while True:
            states = self.server_states()
            wrong = {key: value for key, value in states.items() if key[1] in names and value != status}
            if not wrong:
                return
            if time.monotonic() >= deadline:
                raise ServerError(f"HAProxy does not see {sorted(names)} {status}: {wrong}")
            time.sleep(0.1)

    # endpoints and stop -----------------------------------------------------------------------------

    def write_endpoints(self) -> None:
        """``ROOT/endpoints.json`` (and its CA files) for clients: HAProxy's addresses, every process's CA."""
        first = self.node_endpoints(0)
        authorities: list[str] = []
        for index in range(self.n):
            pem = Path(self.node_endpoints(index)["ca"]).read_text()
            if pem not in authorities:
                authorities.append(pem)
        ca, bundle = self.root / "ca.pem", self.root / "ca-bundle.pem"
        ca.write_text("".join(authorities))
        base_bundle = Path(first["caBundle"]).read_text()
        bundle.write_text(base_bundle + "".join(pem for pem in authorities if pem not in base_bundle))
        front = self.layout.front
        endpoints = {
            **first,
            "arm": f"https://127.0.0.1:{front['arm']}",
            "registry": f"https://127.0.0.1:{front['registry']}",
            "proxy": f"http://127.0.0.1:{front['proxy']}",
            "portal": f"https://127.0.0.1:{front['portal']}/",
            "blob": f"https://127.0.0.1:{front['blob']}",
            "dns": first["dns"],
            "dnsTcp": {"host": "127.0.0.1", "port": front["dns"]},
            "ca": str(ca),
            "caBundle": str(bundle),
            "pid": self.haproxy,
            "cluster": {
                "store": _without_password(self.store_url),
                "blobStore": self.blob_store_url,
                "processes": [
                    {"index": i, "dataDir": str(self.data_dir(i)), "pid": self.pids[i], **self.layout.processes[i]}
                    for i in range(self.n)
                ],
            },
        }
        (self.root / "endpoints.json").write_text(json.dumps(endpoints, indent=2))
        views = self.root / "dns-views.json"
        if not views.is_symlink():
            views.symlink_to(self.data_dir(0) / "dns-views.json")

    def stop(self) -> None:
        """Stop everything this cluster started, by PID: processes, HAProxy, Azurite, PostgreSQL."""
        (self.root / "endpoints.json").unlink(missing_ok=True)
        for index, pid in enumerate(self.pids):
            if pid:
                stop_pid(pid)
                self.pids[index] = 0
        if self.haproxy:
            stop_pid(self.haproxy)
            self.haproxy = 0
        if self.azurite:
            # Azurite ignores SIGTERM for about 15 s once it has served a request; its data is the
            # cluster's own and throwaway, so it gets 2 s before SIGKILL.
            stop_pid(self.azurite, seconds=2.0)
            self.azurite = 0
        if self.postgres:
            cluster_servers.stop_postgres(Path(self.postgres_data), self.postgres)
            self.postgres = 0
        self.save()


def start(
    n: int = 2,
    store: str = "sqlite",
    root: Path | None = None,
    base_port: int | None = None,
    *,
    extra: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    ca_from: Path | None = None,
    servers: cluster_servers.SharedServers | None = None,
) -> Cluster:
    """Start a cluster of ``n`` processes over ``store`` (``sqlite``: one SQLite file and a blob directory;
    ``postgres``: PostgreSQL and Azurite) under ``root``; ``base_port`` None (or 0) picks a free block of ports.
    Every process gets ``extra`` arguments and ``env``; with ``ca_from`` the cluster's CA is that data
    directory's (process 0 imports it into the store on its first start); with ``servers`` (``postgres`` only)
    the store is a new database and the blob store a new container of those servers."""
    if store not in ("sqlite", "postgres"):
        raise ValueError(f"store must be sqlite or postgres, not {store!r}")
    if n < 1:
        raise ValueError("a cluster has at least one process")
    root = (root or DEFAULT_ROOT).resolve()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    if (root / "cluster.json").exists() and any(alive(pid) for pid in _recorded_pids(root)):
        raise ServerError(f"a cluster is already running in {root}: stop it first")
    base = base_port or free_base(n)
    if not ports_free(base, n):
        raise ServerError(f"ports {base}..{base + PORT_BLOCK * (n + 1) - 1} are not all free: use --base-port")
    if servers is not None and store != "postgres":
        raise ValueError("shared servers are PostgreSQL and Azurite: store must be postgres")
    cluster = Cluster(root, n, store, base, pids=[0] * n, extra=list(extra), env=dict(env or {}))
    if ca_from is not None:
        first = cluster.data_dir(0)
        first.mkdir(mode=0o700, exist_ok=True)
        for name in ("ca.pem", "ca.key"):
            shutil.copy2(ca_from / name, first / name)
    try:
        if servers is None:
            _start_storage(cluster)
        else:
            _use_servers(cluster, servers)
        cluster.save()
        for index in range(n):
            cluster.start_process(index)
        cluster.start_haproxy()
        cluster.wait_for(None, "UP")
        cluster.write_endpoints()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _start_storage(cluster: Cluster) -> None:
    if cluster.store == "sqlite":
        shared = cluster.root / "shared"
        shared.mkdir(exist_ok=True, mode=0o700)
        cluster.store_url = f"sqlite://{shared / 'acrlink.db'}"
        cluster.blob_store_url = f"file://{shared / 'blobs'}"
        return
    plan = cluster.layout
    postgres = cluster_servers.start_postgres(cluster.root, plan.postgres)
    cluster.postgres, cluster.postgres_data, cluster.store_url = postgres.pid, str(postgres.data), postgres.url
    cluster.save()
    azurite = cluster_servers.start_azurite(cluster.root, plan.azurite)
    cluster.azurite, cluster.connection_string = azurite.pid, azurite.connection_string
    cluster.blob_store_url = f"azure-blob://{BLOB_CONTAINER}"


def _use_servers(cluster: Cluster, servers: cluster_servers.SharedServers) -> None:
    name = f"acrlink-{uuid.uuid4().hex[:20]}"
    cluster.store_url = servers.new_database(name.replace("-", "_"))
    cluster.connection_string, cluster.azurite_port = servers.connection_string, servers.azurite.port
    cluster.blob_store_url = f"azure-blob://{name}"


def _recorded_pids(root: Path) -> list[int]:
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        cluster = Cluster.load(root)
        return [*cluster.pids, cluster.haproxy, cluster.postgres, cluster.azurite]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="N acrlink processes behind HAProxy over one store.")
    parser.add_argument("command", choices=("start", "stop", "status", "kill", "restart"))
    parser.add_argument("index", nargs="?", type=int, help="the process, for kill and restart")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help=f"the cluster's directory [{DEFAULT_ROOT}]")
    parser.add_argument("--n", type=int, default=2, help="how many acrlink processes [2]")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--base-port", type=int, default=DEFAULT_BASE, help=f"the first port, 0 for any free block [{DEFAULT_BASE}]"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            cluster = start(args.n, args.store, args.root, args.base_port)
            print(f"acrlink cluster of {cluster.n} ({cluster.store}) is up: ARM {cluster.endpoints['arm']}")
            print(f"endpoints in {cluster.root / 'endpoints.json'}; stop it with: run.sh stop")
            return 0
        if not (args.root / "cluster.json").exists():
            print(f"no cluster in {args.root}", file=sys.stderr)
            return 1
        cluster = Cluster.load(args.root.resolve())
        if args.command == "stop":
            cluster.stop()
            print("acrlink cluster stopped")
        elif args.command == "status":
            states = cluster.server_states() if alive(cluster.haproxy) else {}
            for index, pid in enumerate(cluster.pids):
                seen = sorted({state for (_, server), state in states.items() if server == f"acrlink{index}"})
                print(f"process {index}: pid {pid or '-'} {'alive' if alive(pid) else 'stopped'}; HAProxy: {seen}")
        elif args.index is None or not 0 <= args.index < cluster.n:
            print(f"{args.command} needs a process index 0..{cluster.n - 1}", file=sys.stderr)
            return 2
        elif args.command == "kill":
            cluster.kill(args.index)
        else:
            cluster.restart(args.index)
            cluster.write_endpoints()
    except ServerError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
