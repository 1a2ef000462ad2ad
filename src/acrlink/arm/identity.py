"""Entra ID as far as clients need it: OpenID discovery, the token endpoint (client credentials),
managed identity, and ``/metadata/endpoints`` for ``az cloud register`` / ``ARM_CLOUD_METADATA_URL``.

Any client id and secret are accepted; the tokens are JWTs signed with the data dir's key, carrying
``tid``, ``oid``, ``appid`` and ``exp``. ARM accepts only tokens it signed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from acrlink import signing
from acrlink.arm.wire import json_response
from acrlink.clock import epoch
from acrlink.domain.cloud import CloudProfile
from acrlink.errors import Unauthorized

TOKEN_LIFETIME = 3600
CLI_CLOUD_NAME = "acrlink"
"""The cloud name az sees. Not ``AzureCloud``: az rewrites that cloud's login endpoint to the internet."""


@dataclass(frozen=True)
class Principal:
    object_id: str
    app_id: str


class Identity:
    def __init__(self, key: bytes, tenant_id: str, cloud: CloudProfile) -> None:
        self._key = key
        self.tenant_id = tenant_id
        self.cloud = cloud

    # Tokens ------------------------------------------------------------------------------------------

    def issue(self, app_id: str, audience: str) -> tuple[str, int]:
        """An access token for ``app_id``; its object id is derived from the app id, so it is stable."""
        now = epoch()
        object_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"acrlink:{self.tenant_id}:{app_id}"))
        claims = {
            "aud": audience,
            "iss": f"https://sts.acrlink/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "tid": self.tenant_id,
            "oid": object_id,
            "sub": object_id,
            "appid": app_id,
            "idtyp": "app",
            "ver": "1.0",
        }
        return signing.encode(claims, self._key), now + TOKEN_LIFETIME

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller of an ARM request, from its bearer token."""
        if not authorization:
            raise Unauthorized("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized(
                "InvalidAuthenticationToken",
                "The access token is invalid. The 'Authorization' header must be 'Bearer <token>'.",
            )
        try:
            claims = signing.decode(token.strip(), self._key)
        except signing.InvalidToken as exc:
            raise Unauthorized(
                "InvalidAuthenticationToken", f"The access token is invalid ({exc}). Sign in again."
            ) from None
        return Principal(str(claims.get("oid", "")), str(claims.get("appid", "")))

    # Endpoints ---------------------------------------------------------------------------------------

    def openid_configuration(self, base: str, tenant: str) -> Response:
        authority = f"{base}/{tenant}"
        return json_response(
            200,
            {
                "issuer": f"https://sts.acrlink/{self.tenant_id}/",
                "authorization_endpoint": f"{authority}/oauth2/v2.0/authorize",
                "token_endpoint": f"{authority}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{authority}/oauth2/v2.0/devicecode",
                "jwks_uri": f"{authority}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "tenant_region_scope": "AS",
                "cloud_instance_name": "acrlink",
            },
        )

    def _known_tenant(self, tenant: str) -> bool:
        return tenant.lower() in (
            self.tenant_id.lower(),
            "organizations",
            "common",
            "acrlink.onmicrosoft.com",
        )

    async def token(self, request: Request, tenant: str) -> Response:
        """OAuth 2.0 client credentials (what ``az login --service-principal`` and ClientSecretCredential
        send); errors in Entra ID's shape."""
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if not self._known_tenant(tenant):
            return _oauth_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type; use client_credentials.",
            )
        app_id = form.get("client_id")
        if not app_id:
            return _oauth_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            )
        if not (form.get("client_secret") or form.get("client_assertion")):
            return _oauth_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        scope = form.get("scope") or form.get("resource") or self.cloud.arm_audience
        audience = scope.split(" ")[0].removesuffix("/.default")
        token, expires = self.issue(app_id, audience)
        return json_response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "ext_expires_in": TOKEN_LIFETIME,
                "expires_on": expires,
                "access_token": token,
            },
        )

    def managed_identity(self, request: Request) -> Response:
        """App Service style (``IDENTITY_ENDPOINT`` + ``X-IDENTITY-HEADER``) and IMDS style
        (``Metadata: true``) managed identity tokens."""
        if not (request.headers.get("x-identity-header") or request.headers.get("metadata") == "true"):
            return json_response(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Required header X-IDENTITY-HEADER or Metadata is missing.",
                },
            )
        resource = request.query_params.get("resource")
        if not resource:
            return json_response(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Required query parameter resource is missing.",
                },
            )
        client_id = request.query_params.get("client_id") or "acrlink-managed-identity"
        token, expires = self.issue(client_id, resource.removesuffix("/.default"))
        return json_response(
            200,
            {
                "access_token": token,
                "expires_on": str(expires),
                "expires_in": str(TOKEN_LIFETIME),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": client_id,
            },
        )

    def cloud_metadata(self, base: str, api_version: str | None) -> Response:
        """One cloud object (api-version 2022-09-01 and later) or the list form older versions
        (and ``ARM_CLOUD_METADATA_URL``) expect."""
        cloud = {
            "name": CLI_CLOUD_NAME,
            "portal": self.cloud.portal,
            "resourceManager": f"{base}/",
            "authentication": {
                "loginEndpoint": base,
                "audiences": [self.cloud.arm_audience],
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "gallery": f"{base}/",
            "graph": f"{base}/",
            "graphAudience": f"{base}/",
            "media": f"{base}/",
            "batch": f"{base}/",
            "sqlManagement": f"{base}/",
            "vmImageAliasDoc": f"{base}/vm-image-aliases",
            "activeDirectoryDataLake": f"{base}/",
            "suffixes": {
                "acrLoginServer": self.cloud.acr_suffix,
                "storage": "core.chinacloudapi.cn",
                "keyVaultDns": "vault.azure.cn",
                "sqlServerHostname": "database.chinacloudapi.cn",
            },
        }
        if (api_version or "") >= "2022-09-01":
            return json_response(200, cloud)
        return json_response(200, [cloud])


def _oauth_error(status: int, error: str, code: int, description: str) -> Response:
    body: dict[str, Any] = {
        "error": error,
        "error_description": f"AADSTS{code}: {description}",
        "error_codes": [code],
        "timestamp": "",
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }
    return json_response(status, body)
