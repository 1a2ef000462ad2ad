"""The proxy's two ways of carrying a CONNECT to acrlink's own registry face (issue 8, item 20): handed off
(the proxy's socket is served by the face's HTTPS server with the origin attached in-process) and relayed
(a signed PROXY v2 header to the internal listener). Both serve the same registry; the public port never
takes an origin from the client."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from acrlink.netsim import proxyproto
from acrlink.services.key_material import load_keys
from acrlink.store.urls import open_running_store

from .conftest import Running, start, stop

pytestmark = pytest.mark.slow

MANIFEST = "https://mcr.microsoft.com/v2/hello-world/manifests/latest"
ACCEPT = "Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json"


@pytest.fixture(scope="module")
def relaying(tmp_path_factory: pytest.TempPathFactory, acrlink: Running) -> Iterator[Running]:
    """A process whose proxy relays instead of handing off."""
    saved = os.environ.get("ACRLINK_PROXY_HANDOFF")
    os.environ["ACRLINK_PROXY_HANDOFF"] = "0"
    try:
        running = start(tmp_path_factory.mktemp("relaying"), ca_from=acrlink.data_dir)
    finally:
        if saved is None:
            os.environ.pop("ACRLINK_PROXY_HANDOFF", None)
        else:
            os.environ["ACRLINK_PROXY_HANDOFF"] = saved
    yield running
    stop(running)


def _pull_manifest(running: Running, *proxy: str) -> subprocess.CompletedProcess[str]:
    """The anonymous docker flow against the mcr stand-in, through the proxy: token, then the manifest."""
    ca = running.endpoints["ca"]
    token = subprocess.run(
        ["curl", "-sS", "--fail", "--cacert", ca, *proxy,
         "https://mcr.microsoft.com/oauth2/token?service=mcr.microsoft.com&scope=repository:hello-world:pull"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    access = token.split('"access_token":"', 1)[1].split('"', 1)[0] if "access_token" in token else ""
    headers = ["-H", f"Authorization: Bearer {access}"] if access else []
    return subprocess.run(
        ["curl", "-sS", "--fail", "--cacert", ca, *proxy, *headers, "-H", ACCEPT, "-o", "-", MANIFEST],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("mode", ["handoff", "relay"])
def test_the_mcr_stand_in_answers_through_the_proxy(acrlink: Running, relaying: Running, mode: str) -> None:
    running = acrlink if mode == "handoff" else relaying
    answer = _pull_manifest(running, "-x", running.endpoints["proxy"])
    assert answer.returncode == 0, answer.stderr
    assert '"schemaVersion"' in answer.stdout


def test_the_public_port_never_takes_a_proxy_header(acrlink: Running) -> None:
    """Even a header signed with the store's own key (which a client never has) is no TLS handshake."""
    store = open_running_store(acrlink.data_dir, acrlink.endpoints)
    key = load_keys(store).secret
    store.close()
    parts = urlsplit(acrlink.endpoints["registry"])
    assert parts.hostname and parts.port
    origin = proxyproto.Origin("10.0.0.4", 50000, "mcr.microsoft.com", "vm1", "private")
    header = proxyproto.encode(origin, (parts.hostname, parts.port), key)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as raw:
        raw.sendall(header)
        answer = b""
        try:
            while chunk := raw.recv(4096):
                answer += chunk
        except ConnectionResetError:
            pass
    # A TLS alert (content type 21) or nothing, then the end of the connection: never a served request.
    assert answer == b"" or answer[0] == 21, answer[:40]
