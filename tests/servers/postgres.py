"""A throwaway PostgreSQL cluster: ``initdb`` and ``postgres`` on 127.0.0.1 and a free port, under a directory
the caller owns, stopped by PID. Durability settings are PostgreSQL's defaults (``fsync`` stays on: the outage
tests rely on what a committed transaction means).

PostgreSQL refuses to run as root; when the tests run as root the server runs as the ``postgres`` OS user
(Debian's package creates it), its data directory owned by that user. Authentication is ``trust`` for
127.0.0.1 only (no Unix socket: nothing but TCP to the loopback address reaches it).

The pytest fixtures (registered in ``tests/conftest.py``): ``postgres_server`` (one cluster per test session,
or per xdist worker) and ``postgres_url`` (a fresh database per test). A missing PostgreSQL fails the tests
with the install hint; it never skips them.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.cluster_example import cluster_servers

INSTALL_HINT = "PostgreSQL is required for these tests: apt-get install postgresql (see scripts/test.sh)"
READY_SECONDS = 60.0
"""How long a start may take before it is a failure (initdb is separate and not bounded here)."""
STOP_SECONDS = 60.0
"""How long a fast shutdown may take before the server is told to quit immediately."""
OS_USER = "postgres"
TEST_LOCALE = "en-US"
"""Test databases collate with ICU's ``en-US`` when the server has ICU: its order is not byte order (it sorts
``b-x`` before ``b/x`` differently from ``C``), so a listing that relies on the database's default collation
shows up in the contract tests."""


class MissingPostgres(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def binaries() -> Path:
    """The directory holding ``initdb`` and ``postgres``: on PATH, else Debian's newest
    ``/usr/lib/postgresql/N/bin``; ``MissingPostgres`` (with the install hint) when there is none."""
    found = shutil.which("initdb")
    if found and Path(found).with_name("postgres").exists():
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0
    )
    if versions:
        return versions[-1].parent
    raise MissingPostgres(INSTALL_HINT)


def free_port() -> int:
    """A free port this server can also restart on (outside the ephemeral range: ``cluster_servers``)."""
    return cluster_servers.restartable_port()


def _as_root() -> bool:
    return os.geteuid() == 0


def _reachable_by_others(directory: Path) -> None:
    """Let the ``postgres`` user traverse every ancestor of ``directory`` (pytest makes its temporary
    directories 0700). Only directories under the system temporary directory are changed."""
    temp_root = Path(tempfile.gettempdir()).resolve()
    for ancestor in reversed(directory.resolve().parents):
        mode = ancestor.stat().st_mode
        if mode & stat.S_IXOTH:
            continue
        if temp_root not in ancestor.parents and ancestor != temp_root:
            raise RuntimeError(f"the postgres user cannot reach {directory}: {ancestor} is closed to it")
        ancestor.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


class PostgresServer:
    """One cluster under ``root`` (created on first start, kept across stop/start, on the same port)."""

    def __init__(self, root: Path) -> None:
        self.bin = binaries()
        self.root = root
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._user: str | None = OS_USER if _as_root() else None
        self._drops: list[threading.Thread] = []

    def _run_as(self) -> dict[str, object]:
        """``subprocess`` arguments that run a command as the server's OS user (nothing when not root)."""
        if self._user is None:
            return {}
        entry = pwd.getpwnam(self._user)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _initdb(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(mode=0o700)
        if self._user is not None:
            _reachable_by_others(self.root)
            entry = pwd.getpwnam(self._user)
            for path in (self.root, self.data):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        result = subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            capture_output=True,
            text=True,
            cwd=self.root,
            **self._run_as(),  # type: ignore[call-overload]
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        """Start the server (initialising the cluster the first time) and wait until it takes connections."""
        if self.process is not None and self.process.poll() is None:
            return
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    str(self.bin / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "unix_socket_directories=",
                    "-c",
                    "max_connections=200",
                ],  # fmt: skip
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                start_new_session=True,
                **self._run_as(),  # type: ignore[call-overload]
            )
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited ({self.process.returncode}); its log:\n{self._log_tail()}")
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"postgres did not accept connections; its log:\n{self._log_tail()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server by its PID: a fast shutdown (open transactions are rolled back), immediate if that
        does not end it in time, killed as a last resort. Always reaped."""
        self._join_drops()
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL):
            process.send_signal(sig)
            try:
                process.wait(STOP_SECONDS)
                return
            except subprocess.TimeoutExpired:
                continue

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def url(self, database: str) -> str:
        """The ``postgresql://`` URL of a database on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database ``t_<uuid>`` (ICU ``en-US`` collation when the server has ICU and is 15 or
        newer, where a database can choose it); its URL."""
        name = f"t_{uuid.uuid4().hex}"
        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=2) as admin:
            icu = admin.execute(
                "SELECT current_setting('server_version_num')::int >= 150000 AND "
                "EXISTS (SELECT 1 FROM pg_collation WHERE collprovider = 'i')"
            ).fetchone()
            if icu and icu[0]:
                admin.execute(
                    f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{TEST_LOCALE}' "
                    "LOCALE 'C.UTF-8'"
                )
            else:
                admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database ``create_database`` made (closing whatever is still connected to it)."""
        name = url.rsplit("/", 1)[1]
        if self.running:
            with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=2) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def drop_database_later(self, url: str) -> None:
        """``drop_database`` in a thread of its own (the next test need not wait for it); ``stop`` waits for
        every drop still running. A drop that fails only leaves the database behind: the cluster is thrown away
        with the session."""

        def drop() -> None:
            with contextlib.suppress(psycopg.Error):
                self.drop_database(url)

        self._drops = [thread for thread in self._drops if thread.is_alive()]
        thread = threading.Thread(target=drop, name=f"drop {url}")
        thread.start()
        self._drops.append(thread)

    def _join_drops(self) -> None:
        drops, self._drops = self._drops, []
        for thread in drops:
            thread.join()

    def _log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"


@contextlib.contextmanager
def running_server(root: Path) -> Iterator[PostgresServer]:
    """A started cluster under ``root``, stopped when the block ends."""
    server = PostgresServer(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the test session (per xdist worker), under the session's basetemp."""
    try:
        binaries()
    except MissingPostgres as missing:
        pytest.fail(str(missing))
    with running_server(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh database on the session's cluster, dropped after the test. A test that stopped the server has
    it started again first."""
    if not postgres_server.running:
        postgres_server.start()
    url = postgres_server.create_database()
    yield url
    if not postgres_server.running:
        postgres_server.start()
    postgres_server.drop_database_later(url)
