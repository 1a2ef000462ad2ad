"""The portal's ARM client: HTTPS to acrlink's own ARM face with a bearer token from its Entra ID face, as
the real portal calls ARM. ARM's answer (status and body) comes back as is; a refusal is ``ArmError`` with
ARM's code and message, which the page shows.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

TOKEN_MARGIN = 300
"""Seconds before expiry at which a cached token is renewed."""


@dataclass
class ArmError(Exception):
    status: int
    code: str
    message: str
    details: list[dict[str, Any]]
    retry_after: str | None = None
    """ARM's ``Retry-After`` (a 503 while a server acrlink depends on is away)."""

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def refusal(answer: httpx.Response) -> ArmError:
    """An ARM (or Entra ID) answer of 4xx/5xx as ``ArmError``: its code and message, or the status and the start
    of the body when it is not ARM's error JSON."""
    try:
        content = answer.json() if answer.content else None
    except ValueError:
        content = None
    error = content.get("error") if isinstance(content, dict) else None
    error = error if isinstance(error, dict) else {}
    return ArmError(
        answer.status_code,
        str(error.get("code", answer.status_code)),
        str(error.get("message", answer.text[:500])),
        list(error.get("details") or []),
        answer.headers.get("retry-after"),
    )


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    client_id: str
    client_secret: str


class ArmClient:
    def __init__(self, arm_url: str, principal: Principal, audience: str, ca: ssl.SSLContext) -> None:
        self.arm_url = arm_url.rstrip("/")
        self._principal = principal
        self._audience = audience
        self.ca = ca
        """The trust the portal's other HTTPS calls use (the registry face's data plane)."""
        self._http = httpx.AsyncClient(base_url=self.arm_url, verify=ca, timeout=120)
        self._token: tuple[str, float] | None = None
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or self._token[1] - TOKEN_MARGIN < time.time():
                answer = await self._http.post(
                    f"/{self._principal.tenant_id}/oauth2/v2.0/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self._principal.client_id,
                        "client_secret": self._principal.client_secret,
                        "scope": f"{self._audience.rstrip('/')}/.default",
                    },
                )
                if answer.status_code >= 400:
                    raise refusal(answer)
                body = answer.json()
                self._token = (str(body["access_token"]), time.time() + float(body.get("expires_in", 3600)))
            return self._token[0]

    async def request(
        self, method: str, path: str, api_version: str, body: Any = None, params: Mapping[str, str] | None = None
    ) -> Any:
        """ARM's JSON answer (None when empty); ``ArmError`` for a 4xx/5xx."""
        headers = {"Authorization": f"Bearer {await self.token()}"}
        query = {"api-version": api_version, **(params or {})}
        answer = await self._http.request(method, path, params=query, json=body, headers=headers)
        if answer.status_code >= 400:
            raise refusal(answer)
        return answer.json() if answer.content else None

    async def get(self, path: str, api_version: str, params: Mapping[str, str] | None = None) -> Any:
        return await self.request("GET", path, api_version, params=params)

    async def list(self, path: str, api_version: str, params: Mapping[str, str] | None = None) -> list[Any]:
        """Every page of a collection (following ``nextLink``)."""
        page = await self.get(path, api_version, params)
        items = list(page.get("value", []))
        while page.get("nextLink"):
            headers = {"Authorization": f"Bearer {await self.token()}"}
            answer = await self._http.get(page["nextLink"], headers=headers)
            if answer.status_code >= 400:
                raise refusal(answer)
            page = answer.json()
            items += page.get("value", [])
        return items

    async def close(self) -> None:
        await self._http.aclose()
