"""The faces while the shared store is away: acrlink on PostgreSQL, the server stopped and started again. Every
request during the outage gets 503 with Retry-After in its face's error shape, nothing is half written, and the
same application serves again once the server is back."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from acrlink.app import Application
from acrlink.domain.principals import CLIENT_SECRET
from acrlink.portal.app import PortalFace
from acrlink.portal.app import World as PortalWorld
from acrlink.portal.armclient import ArmClient
from acrlink.portal.armclient import Principal as PortalPrincipal
from acrlink.portal.routes import portal_routes
from tests.api.conftest import Arm, make_arm
from tests.api.registry_client import RegistryClient, create_registry
from tests.servers.postgres import PostgresServer, free_port

HOST = "outagereg.azurecr.cn"


@pytest.fixture
def pg_arm(tmp_path: Path, postgres_url: str) -> Iterator[Arm]:
    yield from make_arm(tmp_path, store_url=postgres_url)


def _group(name: str) -> str:
    return f"/subscriptions/{{sub}}/resourcegroups/{name}"


def test_arm_answers_503_during_the_outage_and_serves_after_it(pg_arm: Arm, postgres_server: PostgresServer) -> None:
    pg_arm.group("kept")
    postgres_server.stop()
    try:
        for method, path, body in (
            ("GET", _group("kept"), None),
            ("PUT", _group("during"), {"location": "chinanorth2"}),
            ("DELETE", _group("kept"), None),
            ("GET", "/subscriptions/{sub}/resourcegroups", None),
        ):
            answer = pg_arm.request(method, path, body)
            assert answer.status_code == 503, (method, path, answer.text)
            assert answer.headers["retry-after"] == "1"
            error = answer.json()["error"]
            assert error["code"] == "ServiceUnavailable" and error["message"]
    finally:
        postgres_server.start()
    assert pg_arm.request("GET", _group("kept")).status_code == 200, "the DELETE during the outage did nothing"
    assert pg_arm.request("GET", _group("during")).status_code == 404, "the PUT during the outage wrote nothing"
    created = pg_arm.request("PUT", _group("during"), {"location": "chinanorth2"})
    assert created.status_code == 201, created.text
    listed = pg_arm.request("GET", "/subscriptions/{sub}/resourcegroups").json()["value"]
    assert sorted(g["name"] for g in listed) == ["during", "kept"]


def test_the_registry_answers_503_during_the_outage_and_serves_after_it(
    pg_arm: Arm, postgres_server: PostgresServer
) -> None:
    password = create_registry(pg_arm, "outagereg")
    client = RegistryClient(pg_arm.application, HOST)
    client.login("outagereg", password, "repository:app:pull,push")
    image = client.image("app")
    assert client.push_manifest("app", "v1", image).status_code == 201
    postgres_server.stop()
    try:
        for method, path in (
            ("GET", "/v2/app/manifests/v1"),
            ("GET", "/v2/app/tags/list"),
            ("POST", "/v2/app/blobs/uploads/"),
            ("GET", "/v2/"),
        ):
            answer = client.request(method, path)
            assert answer.status_code == 503, (method, path, answer.text)
            assert answer.headers["retry-after"] == "1"
            assert [e["code"] for e in answer.json()["errors"]] == ["UNAVAILABLE"]
    finally:
        postgres_server.start()
    got = client.request("GET", "/v2/app/manifests/v1", headers={"Accept": image["mediaType"]})
    assert got.status_code == 200, got.text
    assert client.request("GET", "/v2/app/tags/list").json()["tags"] == ["v1"]


def test_acrlink_up_says_why_it_cannot_start_when_the_store_is_away(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    result = subprocess.run(
        [sys.executable, "-m", "acrlink", "up", "--data-dir", str(tmp_path / "data"),
         "--store", f"postgresql://postgres@127.0.0.1:{closed}/acrlink",
         "--arm-port", "0", "--registry-port", "0", "--dns-port", "0", "--proxy-port", "0", "--portal-port", "0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "acrlink cannot start: the PostgreSQL store cannot be reached" in result.stderr
    assert "Traceback" not in result.stderr


def _portal(application: Application) -> PortalFace:
    """The portal as ``app.build_portal`` makes it, its ARM client calling the ARM face in-process."""
    world = application.tenancy.world
    principal = PortalPrincipal(world.tenant_id, world.default_client_id, CLIENT_SECRET)
    arm = ArmClient(
        "https://arm.test", principal, application.settings.cloud.arm_audience, ssl.create_default_context()
    )
    arm._http = httpx.AsyncClient(transport=httpx.ASGITransport(app=application.arm.app()), base_url="https://arm.test")
    portal_world = PortalWorld(
        tuple(world.subscriptions), world.default_subscription, world.tenant_id,
        dict(application.settings.cloud.regions), application.settings.cloud.acr_suffix, "https://registry.test",
    )  # fmt: skip
    return PortalFace(arm, portal_world, portal_routes())


def _page(portal: PortalFace, path: str) -> httpx.Response:
    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=portal.app())
        async with httpx.AsyncClient(transport=transport, base_url="https://portal.test") as client:
            return await client.get(path)

    return asyncio.run(get())


def test_the_portal_answers_503_during_the_outage_and_serves_after_it(
    pg_arm: Arm, postgres_server: PostgresServer
) -> None:
    pg_arm.group("shown")
    portal = _portal(pg_arm.application)
    assert _page(portal, "/resourcegroups").status_code == 200
    postgres_server.stop()
    try:
        for path in ("/resourcegroups", "/"):
            answer = _page(portal, path)
            assert answer.status_code == 503, (path, answer.text[:300])
            assert answer.headers["retry-after"] == "1"
            assert "ServiceUnavailable" in answer.text
    finally:
        postgres_server.start()
    shown = _page(portal, "/resourcegroups")
    assert shown.status_code == 200 and "shown" in shown.text
