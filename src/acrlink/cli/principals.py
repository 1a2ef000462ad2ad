"""``acrlink principal create`` and acting as a principal (``env --as``, ``exec --as``).

A principal is created through the running acrlink's Microsoft Graph face, as the default principal (the
directory's writer), the way ``az ad sp create-for-rbac`` creates one: an application, a client secret, its
service principal. acrlink keeps only the secret's hash; the CLI keeps the secret itself in the data dir
(``principals/NAME/credentials.json``, mode 0600), the way az keeps a login in its config dir, so that
``--as NAME`` can log in as it later. Each principal has its own az config dir beside it.
"""

from __future__ import annotations

import json
import re
import ssl
from pathlib import Path
from typing import Any

import httpx

from acrlink.arm.identity import graph_resource
from acrlink.atomic import write_file
from acrlink.domain.principals import CLIENT_SECRET

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
"""What ``principal create`` takes: a name that is also a directory name."""


class PrincipalError(RuntimeError):
    """Creating or finding a principal failed; the message says why."""


def principal_dir(data_dir: Path, name: str) -> Path:
    return data_dir / "principals" / name.lower()


def credentials(data_dir: Path, name: str) -> dict[str, Any]:
    """The credentials ``principal create`` kept for ``name``."""
    path = principal_dir(data_dir, name) / "credentials.json"
    if not path.exists():
        raise PrincipalError(
            f"no principal called {name!r} was created here; create one with 'acrlink principal create {name}'"
        )
    found: dict[str, Any] = json.loads(path.read_text())
    return found


def environment(data_dir: Path, name: str) -> dict[str, str]:
    """What turns a shell's az and SDK credentials into the principal's: its config dir and its secret."""
    found = credentials(data_dir, name)
    return {
        "AZURE_CONFIG_DIR": str(principal_dir(data_dir, name) / "azure"),
        "AZURE_CLIENT_ID": found["clientId"],
        "AZURE_CLIENT_SECRET": found["clientSecret"],
        "AZURE_TENANT_ID": found["tenantId"],
    }


def resolve_tenant(endpoints: dict[str, Any], tenant: str | None) -> str:
    """A tenant id from an id or a default domain (the home tenant when none is given)."""
    if tenant is None:
        return str(endpoints["tenantId"])
    for known in endpoints.get("tenants") or [{"tenantId": endpoints["tenantId"]}]:
        if tenant.lower() in (str(known["tenantId"]).lower(), str(known.get("defaultDomain", "")).lower()):
            return str(known["tenantId"])
    raise PrincipalError(
        f"no tenant {tenant!r}; acrlink hosts {', '.join(t['tenantId'] for t in endpoints['tenants'])}"
    )


def graph_client(endpoints: dict[str, Any], tenant: str) -> httpx.Client:
    """A client of the Graph face, signed in as the default principal in ``tenant``."""
    arm = str(endpoints["arm"])
    verify = ssl.create_default_context(cafile=str(endpoints["ca"]))
    answer = httpx.post(
        f"{arm}/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": endpoints["clientId"],
            "client_secret": CLIENT_SECRET,
            "scope": f"{graph_resource(arm)}/.default",
        },
        verify=verify,
    )
    answer.raise_for_status()
    token = answer.json()["access_token"]
    return httpx.Client(
        base_url=f"{graph_resource(arm)}/v1.0",
        verify=verify,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _checked(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 300:
        raise PrincipalError(response.json()["error"]["message"])
    found: dict[str, Any] = response.json()
    return found


def create(data_dir: Path, endpoints: dict[str, Any], name: str, tenant: str | None) -> dict[str, str]:
    """A new principal with no roles: ``{name, clientId, clientSecret, objectId, tenantId}``."""
    if not NAME.match(name):
        raise PrincipalError(
            f"invalid principal name {name!r}: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if (principal_dir(data_dir, name) / "credentials.json").exists():
        raise PrincipalError(f"a principal called {name!r} already exists")
    tenant_id = resolve_tenant(endpoints, tenant)
    with graph_client(endpoints, tenant_id) as graph:
        taken = _checked(graph.get("/servicePrincipals", params={"$filter": f"displayName eq '{name}'"}))
        if taken["value"]:
            raise PrincipalError(f"a principal called {name!r} already exists")
        try:
            application = _checked(graph.post("/applications", json={"displayName": name}))
        except PrincipalError as exc:
            raise PrincipalError(f"a principal called {name!r} already exists ({exc})") from None
        secret = _checked(
            graph.post(
                f"/applications/{application['id']}/addPassword",
                json={"passwordCredential": {"displayName": "acrlink"}},
            )
        )
        principal = _checked(graph.post("/servicePrincipals", json={"appId": application["appId"]}))
    result = {
        "name": name,
        "clientId": application["appId"],
        "clientSecret": secret["secretText"],
        "objectId": principal["id"],
        "tenantId": tenant_id,
    }
    directory = principal_dir(data_dir, name)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_file(directory / "credentials.json", json.dumps(result).encode(), 0o600)
    return result
