"""In-process access to the registry face: an ASGI client per host name, and token helpers."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from typing import Any

import httpx

from acrlink.app import Application
from tests.api.conftest import Arm


class RegistryClient:
    """Synchronous requests to the registry ASGI app as ``https://HOST``."""

    def __init__(self, application: Application, host: str) -> None:
        self._app = application.registry
        self.host = host
        self.token: str | None = None

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self._app)
            async with httpx.AsyncClient(transport=transport, base_url=f"https://{self.host}") as client:
                sent = dict(headers or {})
                if self.token and "Authorization" not in sent:
                    sent["Authorization"] = f"Bearer {self.token}"
                response = await client.request(method, path, headers=sent, **kw)
                await response.aread()
                return response

        return asyncio.run(send())

    def login(self, username: str, password: str, *scopes: str) -> str:
        basic = base64.b64encode(f"{username}:{password}".encode()).decode()
        response = self.request(
            "GET",
            "/oauth2/token",
            params=[("service", self.host), *(("scope", s) for s in scopes)],
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 200, response.text
        self.token = str(response.json()["access_token"])
        return self.token

    # Content helpers ------------------------------------------------------------------------------------

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        response = self.request("POST", f"/v2/{repo}/blobs/uploads/", params={"digest": digest}, content=data)
        assert response.status_code == 201, response.text
        return digest

    def push_manifest(self, repo: str, reference: str, document: dict[str, Any], **headers: str) -> httpx.Response:
        media = str(document.get("mediaType", "application/vnd.oci.image.manifest.v1+json"))
        return self.request(
            "PUT",
            f"/v2/{repo}/manifests/{reference}",
            content=json.dumps(document).encode(),
            headers={"Content-Type": media, **headers},
        )

    def image(self, repo: str, layer: bytes = b"layer", **extra: Any) -> dict[str, Any]:
        config = b"{}"
        return {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": self.push_blob(repo, config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": self.push_blob(repo, layer),
                    "size": len(layer),
                }
            ],
            **extra,
        }


def create_registry(arm: Arm, name: str, **properties: Any) -> str:
    """A Premium registry with the admin user on; its admin password."""
    arm.group()
    body = {
        "location": "chinanorth2",
        "sku": {"name": "Premium"},
        "properties": {"adminUserEnabled": True, **properties},
    }
    assert arm.request("PUT", arm.registry_path(name), body).status_code in (200, 201)
    credentials = arm.request("POST", arm.registry_path(name) + "/listCredentials").json()
    return str(credentials["passwords"][0]["value"])
