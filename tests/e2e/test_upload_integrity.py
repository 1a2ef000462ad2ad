"""Blob upload integrity against a real ``acrlink up`` over TLS: requests racing on one upload session
never store bytes under a digest they do not match, and a blob two registries share is never corrupted
(issue 8, item 1: the attack, with a slow final PUT, plus random interleavings)."""

from __future__ import annotations

import hashlib
import os
import random
import ssl
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from .conftest import Running, arm_client, start, stop, stored_blobs

pytestmark = pytest.mark.slow
API = "api-version=2023-07-01"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """Raw OCI requests to one registry on the registry port (the public path), Host naming it."""

    def __init__(self, running: Running, arm: httpx.Client, verify: ssl.SSLContext, name: str) -> None:
        group = f"/subscriptions/{running.subscription}/resourceGroups/integrity"
        assert arm.put(f"{group}?{API}", json={"location": "chinanorth2"}).status_code in (200, 201)
        path = f"{group}/providers/Microsoft.ContainerRegistry/registries/{name}"
        body = {"location": "chinanorth2", "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": True}}
        assert arm.put(f"{path}?{API}", json=body).status_code in (200, 201)
        password = arm.post(f"{path}/listCredentials?{API}").json()["passwords"][0]["value"]
        self.host = f"{name}.azurecr.cn"
        self._base = running.endpoints["registry"]
        self._verify = verify
        with self.client() as client:
            token = client.get(
                "/oauth2/token",
                params={"service": self.host, "scope": "repository:app:pull,push"},
                auth=(name, password),
            )
        assert token.status_code == 200, token.text
        self.token = token.json()["access_token"]

    def client(self) -> httpx.Client:
        headers = {"Host": self.host}
        if getattr(self, "token", None):
            headers["Authorization"] = f"Bearer {self.token}"
        return httpx.Client(base_url=self._base, verify=self._verify, headers=headers, timeout=60)

    def push(self, data: bytes) -> str:
        with self.client() as client:
            response = client.post("/v2/app/blobs/uploads/", params={"digest": _sha(data)}, content=data)
            assert response.status_code == 201, response.text
        return _sha(data)

    def session(self, first: bytes) -> str:
        with self.client() as client:
            location = client.post("/v2/app/blobs/uploads/").headers["location"]
            if first:
                patched = client.patch(location, content=first)
                assert patched.status_code == 202, patched.text
                location = patched.headers["location"]
        return str(location)

    def served(self, digest: str) -> bytes:
        with self.client() as client:
            response = client.get(f"/v2/app/blobs/{digest}")
            assert response.status_code == 200, response.text
            return response.content


def _slow(data: bytes, pieces: int, pause: float) -> Iterator[bytes]:
    step = max(1, len(data) // pieces)
    for first in range(0, len(data), step):
        time.sleep(pause)
        yield data[first : first + step]


def _store_is_sound(running: Running) -> int:
    count = 0
    for name, data in stored_blobs(running):
        assert hashlib.sha256(data).hexdigest() == name, f"blob {name} is corrupt"
        count += 1
    return count


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    started = start(tmp_path_factory.mktemp("integrity"))
    yield started
    stop(started)


@pytest.fixture(scope="module")
def registries(running: Running) -> tuple[Registry, Registry]:
    verify = ssl.create_default_context(cafile=running.endpoints["ca"])
    with arm_client(running, verify) as arm:
        return Registry(running, arm, verify, "victimreg"), Registry(running, arm, verify, "attackreg")


def test_the_slow_put_attack_is_refused_and_the_shared_layer_stays_intact(
    running: Running, registries: tuple[Registry, Registry]
) -> None:
    victim, attacker = registries
    layer = os.urandom(4 << 20)
    digest = victim.push(layer)
    half = len(layer) // 2
    location = attacker.session(layer[:half])
    results: dict[str, httpx.Response] = {}

    def final_put() -> None:
        with attacker.client() as client:
            results["put"] = client.put(location + f"&digest={digest}", content=_slow(layer[half:], 10, 0.1))

    putter = threading.Thread(target=final_put)
    putter.start()
    time.sleep(0.3)
    with attacker.client() as client:
        results["patch"] = client.patch(location, content=b"EVIL")
    putter.join(timeout=60)
    assert results["patch"].status_code == 404, results["patch"].text
    assert results["patch"].json()["errors"][0]["code"] == "BLOB_UPLOAD_INVALID"
    assert results["put"].status_code == 201, results["put"].text
    for registry in (victim, attacker):
        assert _sha(registry.served(digest)) == digest, f"{registry.host} serves corrupt bytes"
    assert _store_is_sound(running) >= 1


def test_random_interleavings_over_tls(running: Running, registries: tuple[Registry, Registry]) -> None:
    _, attacker = registries
    rng = random.Random(12)
    committed: list[str] = []
    for _round in range(6):
        blob = rng.randbytes(rng.randint(1, 300_000))
        cut = rng.randint(0, len(blob))
        location = attacker.session(blob[:cut])
        responses: list[httpx.Response] = []

        def fire(
            kind: str,
            body: bytes,
            pause: float,
            location: str = location,
            blob: bytes = blob,
            responses: list[httpx.Response] = responses,
        ) -> None:
            with attacker.client() as client:
                stream = _slow(body, 3, pause)
                if kind == "patch":
                    response = client.patch(location, content=stream)
                else:
                    wanted = _sha(blob) if kind == "put" else _sha(blob + b"x")
                    response = client.put(location + f"&digest={wanted}", content=stream)
            responses.append(response)

        threads = []
        for _ in range(rng.randint(2, 4)):
            kind = rng.choice(["patch", "put", "put-wrong"])
            body = blob[cut:] if kind != "patch" else rng.randbytes(rng.randint(1, 2048))
            threads.append(threading.Thread(target=fire, args=(kind, body or b"", rng.random() * 0.05)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for response in responses:
            assert response.status_code < 500, response.text
            if response.status_code == 201:
                committed.append(response.headers["docker-content-digest"])
    for digest in committed:
        assert _sha(attacker.served(digest)) == digest
    assert _store_is_sound(running) >= len(set(committed))
