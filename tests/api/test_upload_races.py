"""Requests racing on one blob upload session: the loser is refused, and no blob is ever stored under a
digest its bytes do not match (issue 8, item 1). In-process: concurrent requests on one event loop, with the
registry's blobs on files and on Azure Blob Storage (a real Azurite)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from acrlink.app import Application
from tests.api.conftest import Arm, make_arm, make_azurite_arm
from tests.api.registry_client import RegistryClient, create_registry

VICTIM, ATTACKER = "victimreg", "attackreg"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


async def _slow(data: bytes, pieces: int, pause: float) -> AsyncIterator[bytes]:
    step = max(1, len(data) // pieces)
    for start in range(0, len(data), step):
        await asyncio.sleep(pause)
        yield data[start : start + step]


class Async:
    """Concurrent requests to the registry ASGI app as ``https://HOST`` with a bearer token."""

    def __init__(self, application: Application, host: str, token: str) -> None:
        self._transport = httpx.ASGITransport(app=application.registry)
        self._host = host
        self._token = token

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(transport=self._transport, base_url=f"https://{self._host}") as client:
            headers = {"Authorization": f"Bearer {self._token}", **kw.pop("headers", {})}
            response = await client.request(method, url, headers=headers, **kw)
            await response.aread()
            return response


def _login(arm: Arm, name: str) -> RegistryClient:
    password = create_registry(arm, name)
    client = RegistryClient(arm.application, f"{name}.azurecr.cn")
    client.login(name, password, "repository:app:pull,push,delete")
    return client


@pytest.fixture(params=["files", "azurite"])
def arm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Arm]:
    """The application with its blobs on files (the embedded default) or on Azurite."""
    if request.param == "files":
        yield from make_arm(tmp_path)
    else:
        yield from make_azurite_arm(tmp_path, request)


def assert_store_is_sound(application: Application) -> int:
    """Every blob the blob store lists reads back whole (its listed size) and hashes to the digest it is
    stored under; how many there are. Through the port, so on every backend."""
    blobs = application.registry.face.content.blobs
    count = 0
    for blob in blobs.stored():
        hasher, size = hashlib.new(blob.digest.algorithm), 0
        opened = blobs.open_range(blob.digest, 0, blob.size - 1)
        try:
            for chunk in opened.chunks():
                hasher.update(chunk)
                size += len(chunk)
        finally:
            opened.close()
        assert size == blob.size, f"{blob.digest} reads {size} of its {blob.size} bytes"
        assert hasher.hexdigest() == blob.digest.encoded, f"{blob.digest} is corrupt"
        count += 1
    return count


def test_slow_final_put_and_a_concurrent_patch_never_corrupt_a_shared_blob(arm: Arm) -> None:
    """The attack of issue 8: half a layer another registry holds, a slow final PUT, and 4 bytes PATCHed
    to the same Location meanwhile. At most one of them succeeds; the layer stays intact everywhere."""
    victim = _login(arm, VICTIM)
    attacker = _login(arm, ATTACKER)
    layer = os.urandom(256 * 1024)
    digest = victim.push_blob("app", layer)
    half = len(layer) // 2
    session = attacker.request("POST", "/v2/app/blobs/uploads/")
    first = attacker.request("PATCH", session.headers["location"], content=layer[:half])
    assert first.status_code == 202
    location = first.headers["location"]
    client = Async(arm.application, f"{ATTACKER}.azurecr.cn", str(attacker.token))

    async def race() -> tuple[httpx.Response, httpx.Response]:
        final = asyncio.ensure_future(
            client.request("PUT", location + f"&digest={digest}", content=_slow(layer[half:], 8, 0.05))
        )
        await asyncio.sleep(0.1)
        evil = await client.request("PATCH", location, content=b"EVIL")
        return await final, evil

    final, evil = asyncio.run(race())
    assert not (final.is_success and evil.is_success), "two requests on one session both succeeded"
    assert evil.status_code in (400, 404, 416), evil.text
    assert final.status_code == 201, final.text
    for client_of, name in ((victim, VICTIM), (attacker, ATTACKER)):
        served = client_of.request("GET", f"/v2/app/blobs/{digest}")
        assert served.status_code == 200 and _sha(served.content) == digest, f"{name} serves corrupt bytes"
    assert assert_store_is_sound(arm.application) >= 1


def test_a_new_digest_raced_by_a_patch_is_stored_only_verified(arm: Arm) -> None:
    """Same race on a digest nobody holds yet: whatever wins, what is stored under D hashes to D."""
    attacker = _login(arm, ATTACKER)
    blob = os.urandom(128 * 1024)
    digest = _sha(blob)
    half = len(blob) // 2
    location = attacker.request("POST", "/v2/app/blobs/uploads/").headers["location"]
    location = attacker.request("PATCH", location, content=blob[:half]).headers["location"]
    client = Async(arm.application, f"{ATTACKER}.azurecr.cn", str(attacker.token))

    async def race() -> list[httpx.Response]:
        final = asyncio.ensure_future(
            client.request("PUT", location + f"&digest={digest}", content=_slow(blob[half:], 8, 0.05))
        )
        await asyncio.sleep(0.1)
        patches = [await client.request("PATCH", location, content=b"EVIL") for _ in range(3)]
        return [await final, *patches]

    responses = asyncio.run(race())
    assert sum(r.is_success for r in responses) == 1, [r.status_code for r in responses]
    served = attacker.request("GET", f"/v2/app/blobs/{digest}")
    assert served.status_code == 200 and served.content == blob
    assert assert_store_is_sound(arm.application) >= 1


def test_a_stale_state_is_refused_with_416_and_status_reports_the_stored_offset(arm: Arm) -> None:
    """The offset is the one signed in ``_state``: a request with an older Location is refused (the OCI
    conformance suite's "Retry previous blob chunk should return 416"), and GET on the stale Location
    reports where the session really is, with a fresh Location."""
    client = _login(arm, ATTACKER)
    opened = client.request("POST", "/v2/app/blobs/uploads/").headers["location"]
    moved = client.request("PATCH", opened, content=b"01234", headers={"Content-Range": "0-4"})
    assert moved.status_code == 202
    for body, headers in ((b"01234", {"Content-Range": "0-4"}), (b"56789", {})):
        stale = client.request("PATCH", opened, content=body, headers=headers)
        assert stale.status_code == 416 and stale.json()["errors"][0]["code"] == "RANGE_INVALID", stale.text
    stale_put = client.request("PUT", opened + "&digest=" + _sha(b"56789"), content=b"56789")
    assert stale_put.status_code == 416
    status = client.request("GET", opened)
    assert status.status_code == 204 and status.headers["range"] == "0-4"
    done = client.request("PUT", status.headers["location"] + "&digest=" + _sha(b"0123456789"), content=b"56789")
    assert done.status_code == 201, done.text
    assert client.request("GET", "/v2/app/blobs/" + _sha(b"0123456789")).content == b"0123456789"


def test_random_interleavings_on_one_session(arm: Arm) -> None:
    """Many rounds of PATCHes and PUTs fired at one session at random moments, some with stale or
    wrong-digest states: every blob served hashes to its digest, and the store holds nothing else."""
    client = _login(arm, ATTACKER)
    racer = Async(arm.application, f"{ATTACKER}.azurecr.cn", str(client.token))
    rng = random.Random(8)
    committed: list[str] = []
    for _round in range(12):
        blob = rng.randbytes(rng.randint(1, 40_000))
        cut = rng.randint(0, len(blob))
        location = client.request("POST", "/v2/app/blobs/uploads/").headers["location"]
        if cut:
            location = client.request("PATCH", location, content=blob[:cut]).headers["location"]

        async def fire(location: str = location, blob: bytes = blob, cut: int = cut) -> list[httpx.Response]:
            jobs = []
            for _ in range(rng.randint(2, 5)):
                kind = rng.choice(["patch", "put", "put-wrong", "status"])
                body = blob[cut:] if kind.startswith("put") else rng.randbytes(rng.randint(1, 64))
                stream = _slow(body, rng.randint(1, 4), rng.random() * 0.02) if body else b""
                digest = _sha(blob) if kind == "put" else _sha(b"x" + blob)
                if kind == "patch":
                    jobs.append(racer.request("PATCH", location, content=stream))
                elif kind == "status":
                    jobs.append(racer.request("GET", location))
                else:
                    jobs.append(racer.request("PUT", location + f"&digest={digest}", content=stream))
            return list(await asyncio.gather(*jobs))

        for response in asyncio.run(fire()):
            assert response.status_code < 500, response.text
            if response.status_code == 201:
                committed.append(response.headers["docker-content-digest"])
    for digest in committed:
        served = client.request("GET", f"/v2/app/blobs/{digest}")
        assert served.status_code == 200 and _sha(served.content) == digest
    assert assert_store_is_sound(arm.application) >= len(set(committed))


@pytest.mark.parametrize("lease", [0.2])
def test_a_crashed_request_does_not_wedge_the_session(arm: Arm, lease: float) -> None:
    """A request that claimed the session and never came back (a killed process) holds it only for its
    lease; after that the client's retry continues the upload from the last signed offset."""
    client = _login(arm, ATTACKER)
    uploads = arm.application.registry.face.uploads
    uploads.lease_seconds = lease
    location = client.request("POST", "/v2/app/blobs/uploads/").headers["location"]
    location = client.request("PATCH", location, content=b"abc").headers["location"]
    upload_id = location.split("/blobs/uploads/")[1].split("?")[0]
    state = location.split("_state=")[1]
    uploads.claim(ATTACKER, "app", upload_id, urllib.parse.unquote(state))
    busy = client.request("PATCH", location, content=b"def")
    assert busy.status_code == 404 and busy.json()["errors"][0]["code"] == "BLOB_UPLOAD_INVALID", busy.text
    asyncio.run(asyncio.sleep(lease * 1.5))
    done = client.request("PUT", location + "&digest=" + _sha(b"abcdef"), content=b"def")
    assert done.status_code == 201, done.text


def test_abandoned_sessions_are_swept_while_running_not_only_at_start_up(arm: Arm) -> None:
    """Issue 8, item 9: opening a session sweeps abandoned ones, at most every ``SWEEP_INTERVAL``."""
    from acrlink.services.uploads import SESSION_LIFETIME, SWEEP_INTERVAL

    client = _login(arm, ATTACKER)
    uploads = arm.application.registry.face.uploads
    old = client.request("POST", "/v2/app/blobs/uploads/").headers["location"]
    old = client.request("PATCH", old, content=b"abc").headers["location"]
    upload_id = old.split("/blobs/uploads/")[1].split("?")[0]
    with arm.application.store.transaction() as tx:
        tx.content.update_upload(upload_id, {}, {"touched": 1})
    client.request("POST", "/v2/app/blobs/uploads/")
    assert client.request("GET", old).status_code == 204, "swept at most every SWEEP_INTERVAL"
    started = uploads.clock()
    uploads.clock = lambda: started + SWEEP_INTERVAL + 1
    fresh = client.request("POST", "/v2/app/blobs/uploads/").headers["location"]
    gone = client.request("GET", old)
    assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == "BLOB_UPLOAD_UNKNOWN"
    assert client.request("GET", fresh).status_code == 204, "a live session is kept"
    assert SESSION_LIFETIME > SWEEP_INTERVAL


def test_a_request_silent_past_its_lease_loses_the_session_to_the_retry(arm: Arm) -> None:
    """A PATCH that stops sending for longer than its lease is taken over by the client's retry: the
    retry's bytes land in a fresh staged object, and the stalled request, when it resumes, is refused
    without touching them."""
    client = _login(arm, ATTACKER)
    uploads = arm.application.registry.face.uploads
    uploads.lease_seconds = 0.3
    location = client.request("POST", "/v2/app/blobs/uploads/").headers["location"]
    location = client.request("PATCH", location, content=b"head-").headers["location"]
    racer = Async(arm.application, f"{ATTACKER}.azurecr.cn", str(client.token))

    async def stalled_body() -> AsyncIterator[bytes]:
        yield b"STALE"
        await asyncio.sleep(1.0)
        yield b"STALE"

    async def race() -> tuple[httpx.Response, httpx.Response]:
        stalled = asyncio.ensure_future(racer.request("PATCH", location, content=stalled_body()))
        await asyncio.sleep(0.6)
        retry = await racer.request("PUT", location + "&digest=" + _sha(b"head-tail"), content=b"tail")
        return await stalled, retry

    stalled, retry = asyncio.run(race())
    assert retry.status_code == 201, retry.text
    assert stalled.status_code == 404 and stalled.json()["errors"][0]["code"] == "BLOB_UPLOAD_INVALID"
    assert client.request("GET", "/v2/app/blobs/" + _sha(b"head-tail")).content == b"head-tail"
    assert assert_store_is_sound(arm.application) >= 1
