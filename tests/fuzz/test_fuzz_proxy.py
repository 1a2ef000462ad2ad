"""The client proxy of a real ``acrlink up``: generated request lines and headers get an HTTP status line
(400, 403, 405, 407, or a CONNECT's outcome) or a closed connection within seconds; never a 500, never a
connection left hanging, and the proxy keeps serving."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.e2e.conftest import Running, start, stop

pytestmark = pytest.mark.slow

ANSWER_WITHIN = 6.0


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    running: Running = start(Path(tmp_path_factory.mktemp("proxyfuzz")), "--blackhole-seconds", "0.2")
    host, port = running.endpoints["proxy"].removeprefix("http://").split(":")
    yield host, int(port)
    stop(running)


text = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=255, blacklist_characters="\r\n"), max_size=40)
targets = st.one_of(
    st.sampled_from(
        [
            "myregistry.azurecr.cn:443",
            "mcr.microsoft.com:443",
            "example.com:443",
            "127.0.0.1:22",
            "x.azurecr.cn:\xb2",
            "x.azurecr.cn:" + "9" * 5000,
            "[::1]:443",
            ":443",
            "a..b:443",
            "myregistry.azurecr.cn:0",
            "myregistry.azurecr.cn:-1",
            "myregistry.azurecr.cn",
        ]
    ),
    text,
)
credentials = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "Basic " + base64.b64encode(b"internet:").decode(),
            "Basic " + base64.b64encode(b"nosuchvm:").decode(),
            "Basic !!!",
            "Basic",
            "Bearer x",
            "Basic " + base64.b64encode(b"\xff\xfe").decode(),
            "",
        ]
    ),
    text,
)


def _exchange(address: tuple[str, int], request: bytes) -> bytes:
    with socket.create_connection(address, timeout=ANSWER_WITHIN) as sock:
        sock.sendall(request)
        try:
            return sock.recv(4096)
        except ConnectionResetError:
            return b""


def _status(reply: bytes) -> int | None:
    if not reply:
        return None  # closed without an answer: allowed for what is not HTTP at all
    line = reply.split(b"\r\n", 1)[0].split(b" ")
    assert len(line) >= 2 and line[0].startswith(b"HTTP/1."), reply[:200]
    return int(line[1])


@given(
    method=st.sampled_from(["CONNECT", "GET", "connect", "POST", "", "CONNECT CONNECT"]),
    target=targets,
    version=st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2", "", "HTTP/1.1 x"]),
    auth=credentials,
    extra=st.lists(st.tuples(text, text), max_size=3),
)
def test_request_lines_and_headers(
    proxy: tuple[str, int], method: str, target: str, version: str, auth: str | None, extra: list[tuple[str, str]]
) -> None:
    lines = [f"{method} {target} {version}".encode("latin-1")]
    if auth is not None:
        lines.append(b"Proxy-Authorization: " + auth.encode("latin-1"))
    lines += [f"{k}: {v}".encode("latin-1") for k, v in extra]
    reply = _exchange(proxy, b"\r\n".join(lines) + b"\r\n\r\n")
    status = _status(reply)
    assert status is None or status != 500, reply[:300]
    assert status is None or 200 <= status < 600


@given(target=targets, auth=credentials)
@example(target="x.azurecr.cn:\xb2", auth=None)
@example(target="x.azurecr.cn:" + "9" * 5000, auth=None)
@example(target="myregistry.azurecr.cn:443", auth="Basic !!!")
def test_connect_targets(proxy: tuple[str, int], target: str, auth: str | None) -> None:
    """Well-formed CONNECT requests to every kind of target, each with its own answer."""
    lines = [f"CONNECT {target} HTTP/1.1".encode("latin-1"), f"Host: {target}".encode("latin-1")]
    if auth is not None:
        lines.append(b"Proxy-Authorization: " + auth.encode("latin-1"))
    reply = _exchange(proxy, b"\r\n".join(lines) + b"\r\n\r\n")
    status = _status(reply)
    assert status is not None, "a CONNECT request always gets an answer"
    assert status != 500, reply[:300]


@given(junk=st.binary(min_size=1, max_size=300))
def test_bytes_that_are_not_http(proxy: tuple[str, int], junk: bytes) -> None:
    reply = _exchange(proxy, junk + b"\r\n\r\n")
    status = _status(reply)
    assert status is None or 400 <= status < 500, reply[:300]


def test_the_proxy_still_serves_after_the_fuzzing(proxy: tuple[str, int]) -> None:
    reply = _exchange(proxy, b"CONNECT mcr.microsoft.com:443 HTTP/1.1\r\nHost: mcr.microsoft.com:443\r\n\r\n")
    assert _status(reply) == 200, reply
