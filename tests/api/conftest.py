"""The ARM face in-process: an ASGI transport, a fresh data dir per test."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from acrlink import signing
from acrlink.app import Application, build
from acrlink.arm import edge, routes
from acrlink.errors import AcrlinkError
from acrlink.resources import api_versions
from acrlink.services import key_material
from acrlink.settings import Settings


class AsgiClient:
    """A synchronous client for an ASGI app: one event loop run per request, no sockets."""

    def __init__(self, app: Any, headers: dict[str, str]) -> None:
        self._app = app
        self._headers = headers

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self._app)
            async with httpx.AsyncClient(
                transport=transport, base_url="https://arm.test", headers=self._headers
            ) as client:
                response = await client.request(method, url, headers=headers, **kwargs)
                await response.aread()
                return response

        return asyncio.run(send())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        pass


class Arm:
    def __init__(self, application: Application) -> None:
        self.application = application
        token, _ = application.identity.issue(
            application.tenancy.world.default_client_id, "https://management.core.chinacloudapi.cn/"
        )
        self.client = AsgiClient(application.arm.app(), {"Authorization": f"Bearer {token}"})
        self.sub = application.tenancy.world.default_subscription

    def url(self, path: str, api: str | None = "auto") -> str:
        """``auto``: the newest stable api-version of what the path addresses; None: no api-version."""
        if api == "auto":
            api = self.api_for(path)
        path = path.replace("{sub}", self.sub)
        return f"{path}?api-version={api}" if api else path

    def api_for(self, path: str) -> str:
        """The newest stable api-version acrlink's table has for what ``path`` addresses."""
        try:
            route = routes.parse(path.replace("{sub}", self.sub).split("?")[0], self.application.service.catalog)
        except AcrlinkError:
            return "2025-11-01"  # a path ARM refuses before it looks at the api-version
        return api_versions.newest_stable(edge.type_key(route))

    def sub_id(self, path: str) -> str:
        return path.replace("{sub}", self.sub)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        api: str | None = "auto",
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.client.request(
            method, self.url(path, api), json=body if raw is None else None, content=raw, headers=headers
        )

    def group(self, name: str = "rg", location: str = "chinanorth2") -> None:
        assert self.request(
            "PUT", f"/subscriptions/{{sub}}/resourcegroups/{name}", {"location": location}
        ).status_code in (200, 201)

    def registry_path(self, name: str, group: str = "rg") -> str:
        return f"/subscriptions/{{sub}}/resourceGroups/{group}/providers/Microsoft.ContainerRegistry/registries/{name}"


_ENTRA_KEY: list[bytes] = []


def seed_entra_key(data_dir: Path) -> None:
    """One Entra signing key for the session, copied into each fresh data dir as another process would
    have left it: generating a 2048-bit RSA key takes ~0.2 s, and every test builds an application."""
    if not _ENTRA_KEY:
        _ENTRA_KEY.append(signing.new_rsa_pem())
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / key_material.LEGACY_ENTRA_FILE
    if not target.exists():
        target.write_bytes(_ENTRA_KEY[0])
        target.chmod(0o600)


def make_arm(tmp_path: Path, **settings: Any) -> Iterator[Arm]:
    seed_entra_key(tmp_path)
    application = build(Settings(data_dir=tmp_path, **settings))
    arm = Arm(application)
    yield arm
    arm.client.close()
    application.store.close()
    application.registry.face.content.blobs.close()


@pytest.fixture
def arm(tmp_path: Path) -> Iterator[Arm]:
    yield from make_arm(tmp_path)


def make_azurite_arm(tmp_path: Path, request: pytest.FixtureRequest, **settings: Any) -> Iterator[Arm]:
    """``make_arm`` with the registry's blobs in a fresh container of the test's Azurite
    (``azure-blob://CONTAINER``, the account from ``AZURE_STORAGE_CONNECTION_STRING``)."""
    container = request.getfixturevalue("azurite_container")
    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", container.connection_string)
    yield from make_arm(tmp_path, blob_store_url=f"azure-blob://{container.name}", **settings)


@pytest.fixture
def azurite_arm(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Arm]:
    """An application whose registry keeps its blobs on Azurite (SQLite for the rest)."""
    yield from make_azurite_arm(tmp_path, request)


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])
