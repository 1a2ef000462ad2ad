"""Azurite, the Azure Blob Storage emulator, as a test server: the project's own copy (``tests/servers``,
``npm ci`` from the committed lock file, as ``scripts/test.sh`` does), in memory, on a free 127.0.0.1 port.

``azurite`` (session) starts one server per test process and stops it by its PID; ``azurite_container`` gives
each test its own container on it (deleted afterwards). A missing Azurite fails the test with the install hint.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
BINARY = HERE / "node_modules" / ".bin" / "azurite-blob"
INSTALL_HINT = "Azurite is not installed: run `npm ci` in tests/servers (bash scripts/test.sh does)"
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
"""Azurite's well-known development account and key (public, the same in every Azurite)."""
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Azurite:
    """A running Azurite blob service."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.endpoint};"
        )


@dataclass(frozen=True)
class Container:
    """A fresh container on the test's Azurite: what ``AzureBlobStore(connection_string, name)`` takes."""

    azurite: Azurite
    name: str

    @property
    def connection_string(self) -> str:
        return self.azurite.connection_string


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    """Whether an HTTP server answers on the port (any status: Azurite refuses the unsigned request)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", f"/{ACCOUNT}?comp=list")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


def start(workdir: Path) -> Azurite:
    """Start Azurite's blob service in memory on a free port and wait until it answers; ``pytest.fail`` with
    the install hint when it is not installed, with its output when it does not come up."""
    if not BINARY.exists():
        pytest.fail(INSTALL_HINT, pytrace=False)
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = workdir / "azurite.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [
                str(BINARY),
                "--silent",
                "--inMemoryPersistence",  # Azurite refuses --location with it: the workspace is the cwd
                "--disableTelemetry",
                "--skipApiVersionCheck",  # azure-storage-blob may speak a newer API version than Azurite knows
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(port),
            ],
            cwd=workdir,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = Azurite(port, process)
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(server)
            pytest.fail(f"Azurite did not start on port {port}:\n{log.read_text(errors='replace')}", pytrace=False)
        time.sleep(0.05)
    return server


def stop(server: Azurite) -> None:
    """Stop the server by its PID (SIGTERM, then SIGKILL after 2 s: Azurite ignores SIGTERM for about 15 s once
    it has served a request, and its in-memory data is throwaway)."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """One Azurite blob service for this test process."""
    server = start(tmp_path_factory.mktemp("azurite"))
    try:
        yield server
    finally:
        stop(server)


@pytest.fixture
def azurite_container(azurite: Azurite) -> Iterator[Container]:
    """A container name no other test uses (the store under test creates it); deleted after the test."""
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.blob import BlobServiceClient

    container = Container(azurite, f"t-{uuid.uuid4().hex}")
    yield container
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    with contextlib.suppress(ResourceNotFoundError):
        service.delete_container(container.name)
