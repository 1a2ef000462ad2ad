"""The registry over a blob store behind a network (Azure Blob Storage, here a real Azurite) never waits on
it on the event loop: a blob store call that hangs holds up its own request only, and other requests are
served meanwhile. On the files backend the loop calls the store directly, one write per received chunk.

Deterministic, not timed: a gated call signals that it started and waits for the test to release it. The
only timeout is a guard against a hang (a call that blocks the loop fails the test after ``GUARD`` seconds
instead of hanging it)."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from acrlink.app import Application
from acrlink.services.offload import BATCH
from acrlink.store.base import StagedWriter
from tests.api.conftest import Arm, make_arm, make_azurite_arm
from tests.api.registry_client import RegistryClient, create_registry

NAME = "offloadreg"
GUARD = 60.0
KiB = 1 << 10


class Gate:
    """A call that stops until released: ``entered`` is set when it starts."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.threads: set[int] = set()

    def hold(self) -> None:
        self.threads.add(threading.get_ident())
        self.entered.set()
        if not self.release.wait(GUARD):
            raise TimeoutError("the gated blob store call was never released")


class GatedWriter:
    """A staged writer whose writes wait at the gate (each write, or only the first: ``once``)."""

    def __init__(self, inner: StagedWriter, gate: Gate, sizes: list[tuple[int, int]]) -> None:
        self._inner, self._gate, self._sizes = inner, gate, sizes

    @property
    def start(self) -> int:
        return self._inner.start

    @property
    def offset(self) -> int:
        return self._inner.offset

    def write(self, data: bytes | memoryview) -> None:
        self._sizes.append((threading.get_ident(), len(data)))
        self._gate.hold()
        self._inner.write(data)

    def rewind(self) -> None:
        self._inner.rewind()

    def close(self) -> None:
        self._inner.close()


class Async:
    """Concurrent requests to the registry ASGI app on one event loop."""

    def __init__(self, application: Application, token: str) -> None:
        self._transport = httpx.ASGITransport(app=application.registry)
        self._token = token

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(transport=self._transport, base_url=f"https://{NAME}.azurecr.cn") as client:
            headers = {"Authorization": f"Bearer {self._token}", **kw.pop("headers", {})}
            response = await client.request(method, url, headers=headers, **kw)
            await response.aread()
            return response


async def _body(data: bytes, piece: int = 64 * KiB) -> AsyncIterator[bytes]:
    for start in range(0, len(data), piece):
        yield data[start : start + piece]


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["files", "azurite"])
def any_arm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Arm]:
    if request.param == "files":
        yield from make_arm(tmp_path)
    else:
        yield from make_azurite_arm(tmp_path, request)


def _setup(arm: Arm) -> tuple[RegistryClient, Any]:
    client = RegistryClient(arm.application, f"{NAME}.azurecr.cn")
    client.login(NAME, create_registry(arm, NAME), "repository:app:pull,push,delete")
    assert client.push_manifest("app", "v1", client.image("app")).status_code == 201
    return client, arm.application.registry.face.content.blobs


async def _entered(gate: Gate) -> None:
    assert await asyncio.to_thread(gate.entered.wait, GUARD), "the gated call never started"


def test_a_hanging_upload_write_does_not_stall_a_manifest_get(
    azurite_arm: Arm, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, blobs = _setup(azurite_arm)
    assert blobs.blocking
    gate, sizes = Gate(), []
    opened = blobs.writer
    monkeypatch.setattr(blobs, "writer", lambda key, offset: GatedWriter(opened(key, offset), gate, sizes))
    layer = b"L" * (2 * BATCH + 5)
    location = client.request("POST", "/v2/app/blobs/uploads/").headers["location"]
    racer = Async(azurite_arm.application, str(client.token))

    async def race() -> tuple[httpx.Response, bool, httpx.Response]:
        patch = asyncio.ensure_future(racer.request("PATCH", location, content=_body(layer)))
        await _entered(gate)
        manifest = await racer.request("GET", "/v2/app/manifests/v1")
        in_flight = not patch.done()
        gate.release.set()
        return manifest, in_flight, await patch

    manifest, in_flight, patch = asyncio.run(race())
    assert manifest.status_code == 200, manifest.text
    assert in_flight, "the manifest GET waited for the upload's blob store write: the write blocked the loop"
    assert patch.status_code == 202, patch.text
    done = client.request("PUT", patch.headers["location"] + f"&digest={_sha(layer)}")
    assert done.status_code == 201, done.text
    assert client.request("GET", f"/v2/app/blobs/{_sha(layer)}").content == layer


def test_a_hanging_blob_lookup_does_not_stall_a_manifest_get(azurite_arm: Arm, monkeypatch: pytest.MonkeyPatch) -> None:
    client, blobs = _setup(azurite_arm)
    layer = b"a layer looked up slowly"
    digest = client.push_blob("app", layer)
    gate = Gate()
    size = blobs.size

    def gated_size(wanted: Any) -> int | None:
        gate.hold()
        return size(wanted)  # type: ignore[no-any-return]

    monkeypatch.setattr(blobs, "size", gated_size)
    racer = Async(azurite_arm.application, str(client.token))

    async def race() -> tuple[httpx.Response, bool, httpx.Response]:
        pull = asyncio.ensure_future(racer.request("GET", f"/v2/app/blobs/{digest}"))
        await _entered(gate)
        manifest = await racer.request("GET", "/v2/app/manifests/v1")
        in_flight = not pull.done()
        gate.release.set()
        return manifest, in_flight, await pull

    manifest, in_flight, pull = asyncio.run(race())
    assert manifest.status_code == 200, manifest.text
    assert in_flight, "the manifest GET waited for a blob lookup: the lookup blocked the loop"
    assert pull.status_code == 200 and pull.content == layer


def test_files_are_written_on_the_loop_per_chunk_and_azure_off_it_a_megabyte_at_a_time(
    any_arm: Arm, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, blobs = _setup(any_arm)
    gate, sizes = Gate(), []
    gate.release.set()
    opened = blobs.writer
    monkeypatch.setattr(blobs, "writer", lambda key, offset: GatedWriter(opened(key, offset), gate, sizes))
    layer = bytes(range(256)) * (10 * 1024) + b"tail"  # 2.5 MiB and 4 bytes
    location = client.request("POST", "/v2/app/blobs/uploads/").headers["location"]
    racer = Async(any_arm.application, str(client.token))

    async def upload() -> tuple[int, httpx.Response]:
        loop_thread = threading.get_ident()
        response = await racer.request("PUT", location + f"&digest={_sha(layer)}", content=_body(layer))
        return loop_thread, response

    loop_thread, response = asyncio.run(upload())
    assert response.status_code == 201, response.text
    assert sum(n for _, n in sizes) == len(layer)
    threads = {thread for thread, _ in sizes}
    if blobs.blocking:
        assert loop_thread not in threads, "a blocking store was written on the event loop"
        assert all(n >= BATCH for _, n in sizes[:-1]) and len(sizes) == 3, [n for _, n in sizes]
    else:
        assert threads == {loop_thread}, "the files backend was written through a thread hop"
        assert len([n for _, n in sizes if n]) == -(-len(layer) // (64 * KiB)), "one write per received chunk"
    assert client.request("GET", f"/v2/app/blobs/{_sha(layer)}").content == layer
