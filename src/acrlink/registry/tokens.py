"""ACR's token service: Entra ID token -> refresh token -> access token with scoped actions.

Who may have what (acrlink models no RBAC on the data plane):
- an Entra ID identity of acrlink's tenant (a token acrlink's identity endpoint issued) and the admin
  user (while ``adminUserEnabled``) get every action they ask for;
- anyone, without credentials, gets ``pull`` on repositories while ``anonymousPullEnabled``;
- the user ``00000000-0000-0000-0000-000000000000`` with a refresh token as password is the refresh
  token's identity (what ``docker login`` after ``az acr login`` sends).
Refresh and access tokens are JWTs signed with the data dir's secret (HS256: only acrlink reads them back,
clients read their claims without checking a signature), so they work across restarts and processes. The
Entra ID tokens exchanged for them are verified against the Entra face's published RS256 key, so no
registry token passes for an Entra one, nor the reverse.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

from acrlink import signing
from acrlink.clock import epoch
from acrlink.errors import BadRequest, Forbidden, Unauthorized
from acrlink.registry.scopes import ANONYMOUS_ACTIONS, Scope, grantable, parse_scopes, permits
from acrlink.services.registry import RegistryView
from acrlink.unconfirmed import OFFLINE_REFRESH_FOR_TOKEN_LOGIN

REFRESH_LIFETIME = 3 * 3600
"""ACR documents refresh tokens from ``az acr login --expose-token`` as valid for 3 hours."""
ACCESS_LIFETIME = 75 * 60
"""Access tokens live 75 minutes (clients refresh on 401 anyway)."""
NULL_USER = "00000000-0000-0000-0000-000000000000"
REFRESH, ACCESS = "acr-refresh", "acr-access"
AUTH_MESSAGE = "authentication required, visit https://aka.ms/acr/authorization for more information."


def _unauthorized(message: str = AUTH_MESSAGE, scope: Scope | None = None) -> Unauthorized:
    return Unauthorized("UNAUTHORIZED", message, target=str(scope) if scope else None)


@dataclass(frozen=True)
class Caller:
    subject: str
    """``admin``, ``anonymous`` or an Entra ID object id."""
    allowed: frozenset[str] | None
    """The actions this caller may be granted on repositories; None means all."""


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthorized("invalid basic credentials") from None
    username, _, password = decoded.partition(":")
    return username, password


class TokenService:
    def __init__(self, key: bytes, tenant_id: str, entra: signing.RsaKey) -> None:
        self._key = key
        self.tenant_id = tenant_id
        self._entra_key = entra
        self._access = signing.Verified(lambda token: signing.decode(token, key))

    # Who is calling -----------------------------------------------------------------------------------

    def _entra(self, token: str, tenant: str | None) -> str:
        """The object id of an Entra ID access token acrlink issued for its tenant."""
        try:
            claims = self._entra_key.verify(token)
        except signing.InvalidToken as exc:
            raise _unauthorized(f"the Azure AD access token is invalid ({exc})") from None
        if claims.get("tid") != self.tenant_id or "oid" not in claims:
            raise _unauthorized("the Azure AD access token is not from this tenant")
        if tenant and tenant.lower() != self.tenant_id.lower():
            raise _unauthorized(f"the tenant {tenant} does not match the Azure AD access token")
        return str(claims["oid"])

    def _from_refresh(self, token: str, registry: RegistryView) -> Caller:
        try:
            claims = signing.decode(token, self._key)
        except signing.InvalidToken as exc:
            raise _unauthorized(f"the refresh token is invalid ({exc})") from None
        if claims.get("kind") != REFRESH or str(claims.get("aud", "")).lower() != registry.login_server:
            raise _unauthorized("the refresh token is not for this registry")
        return Caller(str(claims["sub"]), None)

    def _from_password(self, username: str, password: str, registry: RegistryView) -> Caller:
        if username == NULL_USER:
            return self._from_refresh(password, registry)
        if registry.check_admin(username, password):
            return Caller("admin", None)
        raise _unauthorized("invalid username or password")

    def _anonymous(self, registry: RegistryView) -> Caller:
        if not registry.anonymous_pull:
            raise _unauthorized()
        return Caller("anonymous", ANONYMOUS_ACTIONS)

    # Endpoints ----------------------------------------------------------------------------------------

    def exchange(self, form: dict[str, str], registry: RegistryView) -> str:
        """``POST /oauth2/exchange``: an Entra ID access token for a refresh token of this registry."""
        grant = form.get("grant_type", "")
        if grant not in ("access_token", "access_token_refresh_token"):
            raise BadRequest("UNSUPPORTED", f"grant_type {grant!r} is not supported; use access_token")
        self._check_service(form, registry)
        token = form.get("access_token")
        if not token:
            raise BadRequest("UNSUPPORTED", "access_token is required")
        subject = self._entra(token, form.get("tenant"))
        return self._refresh_token(subject, registry)

    def token(self, form: dict[str, str], registry: RegistryView) -> str:
        """``POST /oauth2/token``: ``refresh_token`` or ``password`` grant -> access token."""
        grant = form.get("grant_type", "")
        self._check_service(form, registry)
        if grant == "refresh_token":
            caller = self._from_refresh(form.get("refresh_token", ""), registry)
        elif grant == "password":
            username, password = form.get("username", ""), form.get("password", "")
            if username or password:
                caller = self._from_password(username, password, registry)
            elif form.get("refresh_token"):
                caller = self._from_refresh(form["refresh_token"], registry)
            else:
                caller = self._anonymous(registry)
        else:
            raise BadRequest("UNSUPPORTED", f"grant_type {grant!r} is not supported")
        return self._access_token(caller, parse_scopes(form.get("scope", "").split(" ")), registry)

    def realm(
        self, authorization: str | None, scopes: list[str], registry: RegistryView, offline: bool = False
    ) -> tuple[str, str | None]:
        """``GET /oauth2/token`` (docker's token protocol): Basic credentials or none -> (access token,
        refresh token or None). ``offline`` (``offline_token=true``, what docker login asks) gives the null
        user, who logged in with a refresh token, a new refresh token: docker keeps it as its identity token."""
        credentials = basic_credentials(authorization)
        caller = self._anonymous(registry) if credentials is None else self._from_password(*credentials, registry)
        access = self._access_token(caller, parse_scopes(scopes), registry)
        refresh = None
        if OFFLINE_REFRESH_FOR_TOKEN_LOGIN and offline and credentials is not None and credentials[0] == NULL_USER:
            refresh = self._refresh_token(caller.subject, registry)
        return access, refresh

    def _check_service(self, form: dict[str, str], registry: RegistryView) -> None:
        service = form.get("service")
        if service and service.lower() != registry.login_server:
            raise BadRequest("UNSUPPORTED", f"service {service!r} does not match {registry.login_server}")

    # Tokens -------------------------------------------------------------------------------------------

    def _refresh_token(self, subject: str, registry: RegistryView) -> str:
        now = epoch()
        claims = {
            "kind": REFRESH,
            "jti": str(uuid.uuid4()),
            "sub": subject,
            "aud": registry.login_server,
            "iss": "Azure Container Registry",
            "tenant": self.tenant_id,
            "grant_type": "refresh_token",
            "iat": now,
            "nbf": now,
            "exp": now + REFRESH_LIFETIME,
        }
        return signing.encode(claims, self._key)

    def _access_token(self, caller: Caller, scopes: list[Scope], registry: RegistryView) -> str:
        now = epoch()
        access = [grantable(s, caller.allowed).claim() for s in scopes]
        claims = {
            "kind": ACCESS,
            "jti": str(uuid.uuid4()),
            "sub": caller.subject,
            "aud": registry.login_server,
            "iss": "Azure Container Registry",
            "grant_type": "access_token" if caller.subject not in ("admin", "anonymous") else "password",
            "access": access,
            "iat": now,
            "nbf": now,
            "exp": now + ACCESS_LIFETIME,
        }
        return signing.encode(claims, self._key)

    # Checking a data-plane request --------------------------------------------------------------------

    def authorize(self, authorization: str | None, registry: RegistryView, needed: Scope | None) -> dict[str, Any]:
        """The claims of a bearer access token for this registry that grants ``needed``.

        No token, or an invalid or expired one, is ``UNAUTHORIZED`` (401); a valid token that lacks
        the scope is ``DENIED`` (403). Both carry the scope the client should ask a token for, so
        clients that fetch a new token on either (docker, oras) recover.
        """
        if not authorization or not authorization.lower().startswith("bearer "):
            raise _unauthorized(scope=needed)
        try:
            claims = self._access(authorization[7:].strip())
        except signing.InvalidToken:
            raise _unauthorized(scope=needed) from None
        if claims.get("kind") != ACCESS or str(claims.get("aud", "")).lower() != registry.login_server:
            raise _unauthorized(scope=needed)
        if needed is not None and not permits(list(claims.get("access") or []), needed):
            raise Forbidden(
                "DENIED",
                f"requested access to the resource is denied: the token does not grant {needed}",
                target=str(needed),
            )
        return claims
