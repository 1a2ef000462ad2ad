"""Entra ID as far as clients need it: OpenID discovery (v1 and v2) with the signing keys, the token
endpoint (client credentials), managed identity, and ``/metadata/endpoints`` for ``az cloud register`` /
``ARM_CLOUD_METADATA_URL``.

Any client id and secret are accepted, except for the principals whose secrets acrlink keeps
(``secret_check``: those created through the Graph face). Access tokens are RS256 JWTs (``kid`` in the
header, the key at ``jwks_uri``) carrying ``aud``, ``iss``, ``tid``, ``oid``, ``appid`` and ``exp``; they are
v1.0 tokens, as Entra issues for ARM. The issuer is on the authority's own host (msal-node refuses a discovery
document whose issuer is elsewhere): ``https://HOST/TENANT/v2.0`` in the v2 document,
``https://HOST/TENANT/`` (Entra's ``sts`` form) in the v1 document and in the tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from acrlink import signing, unconfirmed
from acrlink.arm import auth
from acrlink.arm.wire import json_response
from acrlink.clock import epoch
from acrlink.domain import principals
from acrlink.domain.cloud import CLI_CLOUD_NAME, CloudProfile
from acrlink.domain.principals import ManagedIdentity, Principal
from acrlink.errors import MethodNotAllowed

TOKEN_LIFETIME = 3600
DEFAULT_AUTHORITY = "https://login.acrlink"
"""The issuer host of tokens minted without a request (in-process tests); the endpoints use their own."""
MULTI_TENANT = ("organizations", "common")
TENANT_PLACEHOLDER = "{tenantid}"
"""What Entra's multi-tenant discovery documents put where the tenant goes."""

__all__ = ["Identity", "Principal"]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


SecretCheck = Callable[[str, str, str], bool | None]
"""(tenant id, client id, secret) -> True/False for a principal whose secret acrlink knows, None for any other
client id (any secret is accepted for those)."""
HostIdentity = Callable[[str], ManagedIdentity | None]
"""A host's name -> its managed identity (None for a host without one, or no such host)."""


def graph_resource(base: str) -> str:
    """Microsoft Graph's resource id (and endpoint) in the cloud metadata: the ARM face's own origin, where
    ``/v1.0/...`` is served (``arm.graph``). Like ``https://microsoftgraph.chinacloudapi.cn``, no trailing
    slash."""
    return base.rstrip("/")


class Identity:
    def __init__(
        self,
        key: signing.RsaKey,
        tenants: dict[str, str],
        cloud: CloudProfile,
        secret_check: SecretCheck | None = None,
        host_identity: HostIdentity | None = None,
        host_key: bytes | None = None,
    ) -> None:
        """``tenants``: every tenant id acrlink hosts -> its default domain, the home tenant first.
        ``host_identity`` and ``host_key`` (the data dir's secret) let the managed-identity endpoint tell
        which host asks (``signing.host_credential``) and issue that host's identity's token."""
        self._key = key
        self.tenants = dict(tenants)
        self.tenant_id = next(iter(self.tenants))
        self.cloud = cloud
        self._secret_check = secret_check
        self._host_identity = host_identity
        self._host_key = host_key
        self._verified = signing.Verified(key.verify)
        self._tenant_ids = frozenset(t.lower() for t in self.tenants)

    # Tokens ------------------------------------------------------------------------------------------

    def resolve_tenant(self, tenant: str) -> str | None:
        """The tenant id a path's tenant segment names (an id, a default domain, or the multi-tenant
        ``organizations``/``common``, which mean the home tenant); None for a tenant acrlink does not host."""
        low = tenant.lower()
        if low in MULTI_TENANT:
            return self.tenant_id
        for tenant_id, domain in self.tenants.items():
            if low in (tenant_id.lower(), domain.lower()):
                return tenant_id
        return None

    def issuer(self, authority: str, tenant: str | None = None, version: str = "1.0") -> str:
        """The issuer on the authority's host: per tenant, or Entra's placeholder for the multi-tenant
        paths."""
        if tenant and tenant.lower() in MULTI_TENANT:
            tid = TENANT_PLACEHOLDER
        else:
            tid = (self.resolve_tenant(tenant) if tenant else None) or self.tenant_id
        return f"{authority}/{tid}/v2.0" if version == "2.0" else f"{authority}/{tid}/"

    def issue(
        self, app_id: str, audience: str, authority: str = DEFAULT_AUTHORITY, tenant_id: str | None = None
    ) -> tuple[str, int]:
        """An access token for ``app_id`` in ``tenant_id`` (the home tenant by default); its object id is
        derived from both, so it is stable."""
        now = epoch()
        tid = tenant_id or self.tenant_id
        object_id = principals.object_id(tid, app_id)
        claims = {
            "aud": audience,
            "iss": self.issuer(authority, tid),
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "tid": tid,
            "oid": object_id,
            "sub": object_id,
            "appid": app_id,
            "idtyp": "app",
            "ver": "1.0",
        }
        return self._key.sign(claims), now + TOKEN_LIFETIME

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of an unexpired access token this Entra face issued (any audience)."""
        return self._verified(token)

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller of an ARM request, from its bearer token (see ``arm.auth``)."""
        return auth.authenticate(authorization, self.verify, self._tenant_ids, self.cloud)

    # Routing -----------------------------------------------------------------------------------------

    async def answer(self, request: Request) -> Response | None:
        """The Entra/metadata endpoint this request addresses, or None for an ARM request."""
        parts = [p for p in request.url.path.lower().split("/") if p]
        tenant = request.url.path.split("/")[1] if parts else ""
        if parts == ["metadata", "endpoints"]:
            return self.cloud_metadata(_base(request), request.query_params.get("api-version"))
        if parts in (["msi", "token"], ["metadata", "identity", "oauth2", "token"]):
            return self.managed_identity(request)
        if len(parts) >= 3 and parts[-2:] == ["oauth2", "token"] or parts[-3:] == ["oauth2", "v2.0", "token"]:
            if request.method != "POST":
                raise MethodNotAllowed("MethodNotAllowed", "The token endpoint takes POST.")
            return await self.token(request, tenant)
        if len(parts) >= 3 and parts[-2:] == [".well-known", "openid-configuration"]:
            version = "2.0" if parts[-3] == "v2.0" else "1.0"
            return self.openid_configuration(_base(request), tenant, version)
        if len(parts) == 3 and parts[1:] == ["discovery", "keys"]:
            return self.keys(_base(request), tenant, "1.0")
        if len(parts) == 4 and parts[1:] == ["discovery", "v2.0", "keys"]:
            return self.keys(_base(request), tenant, "2.0")
        if parts[-2:] == ["discovery", "instance"]:
            base = _base(request)
            return json_response(
                200,
                {
                    "tenant_discovery_endpoint": f"{base}/{self.tenant_id}/v2.0/.well-known/openid-configuration",
                    "api-version": "1.1",
                    "metadata": [],
                },
            )
        return None

    # Endpoints ---------------------------------------------------------------------------------------

    def openid_configuration(self, base: str, tenant: str, version: str = "2.0") -> Response:
        """Entra's discovery document: v2 at ``/TENANT/v2.0/.well-known/openid-configuration`` (what MSAL
        reads), v1 at ``/TENANT/.well-known/openid-configuration``."""
        if not self._known_tenant(tenant):
            return _unknown_tenant(tenant)
        authority = f"{base}/{tenant}"
        v2 = "/v2.0" if version == "2.0" else ""
        document: dict[str, Any] = {
            "token_endpoint": f"{authority}/oauth2{v2}/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{authority}/discovery{v2}/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": self.issuer(base, tenant, version),
            "authorization_endpoint": f"{authority}/oauth2{v2}/authorize",
            "device_authorization_endpoint": f"{authority}/oauth2{v2}/devicecode",
            "tenant_region_scope": "AS",
            "cloud_instance_name": "acrlink",
        }
        return json_response(200, document)

    def keys(self, base: str, tenant: str, version: str) -> Response:
        """The JWKS at ``jwks_uri``: the public key every access token's ``kid`` names."""
        if not self._known_tenant(tenant):
            return _unknown_tenant(tenant)
        jwk = self._key.jwk()
        if version == "2.0":
            jwk["issuer"] = self.issuer(base, tenant, "2.0")
        return json_response(200, {"keys": [jwk]})

    def _known_tenant(self, tenant: str) -> bool:
        return self.resolve_tenant(tenant) is not None

    async def token(self, request: Request, tenant: str) -> Response:
        """OAuth 2.0 client credentials (what ``az login --service-principal`` and ClientSecretCredential
        send); errors in Entra ID's shape."""
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if not self._known_tenant(tenant):
            return _unknown_tenant(tenant)
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
        tenant_id = self.resolve_tenant(tenant) or self.tenant_id
        secret = form.get("client_secret")
        if (
            secret is not None
            and self._secret_check is not None
            and self._secret_check(tenant_id, app_id, secret) is False
        ):
            return _oauth_error(
                401,
                "invalid_client",
                7000215,
                f"Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                f"value, not the client secret ID, for a secret added to app '{app_id}'.",
            )
        scope = form.get("scope") or form.get("resource") or self.cloud.arm_audience
        audience = scope.split(" ")[0].removesuffix("/.default")
        token, expires = self.issue(app_id, audience, str(request.base_url).rstrip("/"), tenant_id)
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
        """The managed-identity endpoint, App Service style (``IDENTITY_ENDPOINT`` + ``X-IDENTITY-HEADER``,
        what ``acrlink exec --from VM`` sets): the header names the host in a way no client can forge for
        another, and the token is that host's system-assigned identity's (client id, ``oid`` = its
        principalId, ``tid`` = its tenant). A missing or forged header is refused (400), and so is a host
        without an identity (the internet, on-premises hosts) or a ``client_id``/``object_id`` that is not
        the host's, as Azure answers for an identity the machine does not have."""
        header = request.headers.get("x-identity-header")
        host = signing.credential_host(self._host_key, header) if header and self._host_key else None
        if host is None:
            return _mi_error(unconfirmed.MI_BAD_HEADER)
        resource = request.query_params.get("resource")
        if not resource:
            return _mi_error("Required query parameter resource is missing.")
        identity = self._host_identity(host) if self._host_identity else None
        asked = {request.query_params.get(k, "").lower() for k in ("client_id", "object_id", "principal_id")} - {""}
        if identity is None or not asked <= {identity.client_id.lower(), identity.principal_id.lower()}:
            return _mi_error(unconfirmed.MI_NOT_FOUND)
        token, expires = self.issue(
            identity.client_id, resource.removesuffix("/.default"), _base(request), identity.tenant_id
        )
        return json_response(
            200,
            {
                "access_token": token,
                "expires_on": str(expires),
                "expires_in": str(TOKEN_LIFETIME),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": identity.client_id,
            },
        )

    def cloud_metadata(self, base: str, api_version: str | None) -> Response:
        """One cloud object (api-version 2022-09-01 and later) or the list form older versions
        (and ``ARM_CLOUD_METADATA_URL``) expect. Microsoft Graph (``microsoftGraphResourceId``, which az needs set
        before any ``az role`` command) is this host: without a Graph face the look-ups az makes there (principal
        names in ``az role assignment list``) are refused at once and az goes on without them."""
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
            "graph": f"{graph_resource(base)}/",
            "graphAudience": f"{graph_resource(base)}/",
            "microsoftGraphResourceId": graph_resource(base),
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


def _mi_error(description: str) -> Response:
    return json_response(400, {"error": "invalid_request", "error_description": description})


def _unknown_tenant(tenant: str) -> Response:
    return _oauth_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")


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
