"""The shared servers of an acrlink cluster: a throwaway PostgreSQL cluster and Azurite (Azure Blob Storage).

Both are started as background processes whose PIDs the cluster records and stops by PID.

- PostgreSQL: ``initdb`` (trust authentication, listening on 127.0.0.1 only) and ``pg_ctl start``, a database
  ``acrlink``. PostgreSQL refuses to run as root: as root, its data directory is a fresh directory of the
  ``postgres`` OS user under the system's temporary directory (a directory under the cluster root may not be
  reachable by that user) and every command runs through ``runuser -u postgres --``.
  ``ACRLINK_PG_BIN`` names the directory of its binaries; else ``pg_config --bindir``, else the newest
  ``/usr/lib/postgresql/*/bin``.
- Azurite: ``azurite-blob`` from ``ACRLINK_AZURITE``, else the project's own copy (``tests/servers``), else the
  PATH. Its account is Azurite's documented development account (``devstoreaccount1``).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
"""Azurite's well-known development account key (public, the same in every Azurite)."""
AZURITE_CANDIDATES = (
    REPOSITORY / "tests" / "servers" / "node_modules" / ".bin" / "azurite-blob",
    REPOSITORY / "node_modules" / ".bin" / "azurite-blob",
)
READY_SECONDS = 60.0
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
"""The processes this interpreter spawned, by PID, until they are reaped (``alive`` polls them)."""


class ServerError(RuntimeError):
    """A shared server could not be found or started; the message says what to install or look at."""


def wait_for_port(port: int, what: str, pid: int | None = None, seconds: float = READY_SECONDS) -> None:
    """Until 127.0.0.1:``port`` accepts a connection; ``ServerError`` if ``pid`` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if pid is not None and not alive(pid):
            raise ServerError(f"{what} exited before it listened on port {port}")
        time.sleep(0.1)
    raise ServerError(f"{what} did not listen on port {port} within {seconds:g} s")


EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_FIXED_PORT = 10000


def fixed_port_range(span: int = 1) -> range:
    """Where to put a server that must come back on the same port after a stop or a kill: below the kernel's
    ephemeral range (``ip_local_port_range``), else above it. A port inside that range can be taken, while its
    server is down, as the source port of any outgoing connection, and the restart then fails with "Address
    already in use" (CI saw it). ``span`` consecutive ports must fit from any start in the range."""
    try:
        low, high = (int(part) for part in EPHEMERAL_RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    if low - LOWEST_FIXED_PORT >= span:
        return range(LOWEST_FIXED_PORT, low - span + 1)
    if 65535 - high >= span:
        return range(high + 1, 65536 - span)
    return range(1024, 65536 - span)


def port_free(port: int, udp: bool = False) -> bool:
    """Whether 127.0.0.1:``port`` can be bound now, for TCP (and for UDP too with ``udp``)."""
    kinds = (socket.SOCK_STREAM, socket.SOCK_DGRAM) if udp else (socket.SOCK_STREAM,)
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def restartable_port() -> int:
    """A free 127.0.0.1 TCP port in ``fixed_port_range`` (``ServerError`` if none is found)."""
    choices = fixed_port_range()
    for _ in range(200):
        port = random.choice(choices)
        if port_free(port):
            return port
    raise ServerError(f"no free port found in {choices.start}..{choices.stop - 1}")


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie child of ours is not)."""
    if pid <= 0:
        return False
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _CHILDREN[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def stop_pid(pid: int, signum: int = signal.SIGTERM, seconds: float = 15.0) -> None:
    """Send ``signum`` to ``pid`` and wait until it has gone; SIGKILL after ``seconds``."""
    if not alive(pid):
        return
    os.kill(pid, signum)
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
        while alive(pid):
            time.sleep(0.05)


def spawn(command: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    """Start ``command`` in a session of its own, its output appended to ``log``; its PID."""
    with open(log, "ab") as output:
        child = subprocess.Popen(  # noqa: S603 - the cluster's own commands
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,
            env=env,
        )
    _CHILDREN[child.pid] = child
    return child.pid


# PostgreSQL -----------------------------------------------------------------------------------------


def postgres_bin() -> Path:
    """The directory of PostgreSQL's server binaries."""
    configured = os.environ.get("ACRLINK_PG_BIN")
    candidates = [Path(configured)] if configured else []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)  # noqa: S603
        candidates.append(Path(found.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists():
            return candidate
    raise ServerError("PostgreSQL is not installed: apt-get install postgresql (or set ACRLINK_PG_BIN)")


@dataclass(frozen=True)
class Postgres:
    data: Path
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/acrlink"


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def start_postgres(root: Path, port: int, max_connections: int = 100) -> Postgres:
    """A fresh PostgreSQL cluster on 127.0.0.1:``port`` with a database ``acrlink``."""
    binaries = postgres_bin()
    if os.geteuid() == 0:
        data = Path(tempfile.mkdtemp(prefix="acrlink-cluster-pg-"))
        shutil.chown(data, "postgres", "postgres")
    else:
        data = root / "postgres"
        data.mkdir(mode=0o700)
    pgdata, log = data / "data", data / "postgres.log"
    initdb = [str(binaries / "initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    run = subprocess.run(_as_postgres(initdb), capture_output=True, text=True, check=False)  # noqa: S603
    if run.returncode != 0:
        raise ServerError(f"initdb failed: {run.stderr.strip()}")
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections={max_connections}"
    start = [str(binaries / "pg_ctl"), "start", "-w", "-D", str(pgdata), "-l", str(log), "-o", options]
    run = subprocess.run(_as_postgres(start), capture_output=True, text=True, check=False)  # noqa: S603
    if run.returncode != 0:
        raise ServerError(f"PostgreSQL did not start: {run.stderr.strip()} (see {log})")
    pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    server = Postgres(data, port, pid)
    try:
        create_database(server, "acrlink")
    except ServerError:
        stop_pid(pid, signal.SIGINT)
        raise
    return server


def create_database(server: Postgres, name: str) -> str:
    """A new database ``name`` on ``server``; its URL."""
    created = subprocess.run(  # noqa: S603
        [str(postgres_bin() / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", name],
        capture_output=True,
        text=True,
        check=False,
    )
    if created.returncode != 0:
        raise ServerError(f"createdb failed: {created.stderr.strip()}")
    return f"postgresql://postgres@127.0.0.1:{server.port}/{name}"


def stop_postgres(data: Path, pid: int) -> None:
    """Fast shutdown (SIGINT) of the postmaster, then its throwaway directory goes."""
    stop_pid(pid, signal.SIGINT, seconds=30)
    shutil.rmtree(data, ignore_errors=True)


# Azurite --------------------------------------------------------------------------------------------


def find_azurite() -> Path:
    """``azurite-blob``: ``ACRLINK_AZURITE``, the project's own copy, or the PATH."""
    configured = os.environ.get("ACRLINK_AZURITE")
    if configured:
        return Path(configured)
    for candidate in AZURITE_CANDIDATES:
        if candidate.exists():
            return candidate
    found = shutil.which("azurite-blob")
    if found:
        return Path(found)
    raise ServerError(
        "Azurite is not installed: scripts/test.sh installs the project's copy (npm ci in tests/servers), "
        "or set ACRLINK_AZURITE to an azurite-blob"
    )


@dataclass(frozen=True)
class Azurite:
    location: Path
    port: int
    pid: int

    @property
    def connection_string(self) -> str:
        """What ``AZURE_STORAGE_CONNECTION_STRING`` holds for the processes."""
        return (
            f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{self.port}/{DEV_ACCOUNT};"
        )


def start_azurite(root: Path, port: int) -> Azurite:
    """Azurite's blob service on 127.0.0.1:``port``, its data under ``root/azurite``."""
    executable = find_azurite()
    location = root / "azurite"
    location.mkdir(exist_ok=True)
    command = [
        str(executable),
        "--silent",
        "--skipApiVersionCheck",
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
        "--location",
        str(location),
    ]
    pid = spawn(command, root / "azurite.log")
    wait_for_port(port, "Azurite", pid)
    return Azurite(location, port, pid)


# Shared servers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedServers:
    """One PostgreSQL and one Azurite that many clusters use, each in a database and a container of its own
    (``cluster.start(..., servers=...)``): starting both takes seconds, a database and a container do not.
    ``stop`` stops both by PID; a cluster's own ``stop`` leaves them running."""

    root: Path
    postgres: Postgres
    azurite: Azurite

    @classmethod
    def start(cls, root: Path, postgres_port: int, azurite_port: int, max_connections: int = 400) -> SharedServers:
        """PostgreSQL on ``postgres_port`` (room for ``max_connections``) and Azurite on ``azurite_port``."""
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        postgres = start_postgres(root, postgres_port, max_connections)
        try:
            azurite = start_azurite(root, azurite_port)
        except BaseException:
            stop_postgres(postgres.data, postgres.pid)
            raise
        return cls(root, postgres, azurite)

    @property
    def connection_string(self) -> str:
        return self.azurite.connection_string

    def new_database(self, name: str) -> str:
        """A new database ``name`` (lower-case letters, digits, underscores); its URL."""
        return create_database(self.postgres, name)

    def stop(self) -> None:
        stop_pid(self.azurite.pid, seconds=2.0)
        stop_postgres(self.postgres.data, self.postgres.pid)
