"""ACR's token service: Entra ID token -> refresh token -> access token with scoped actions.

Who may have what:
- an Entra ID principal (a token acrlink's identity endpoint issued, of the tenant the registry's
  subscription belongs to) gets what its role assignments on the registry allow when each access token is
  issued (``services/registry_rights.py``: per repository, by the registry's ``roleAssignmentMode``); the
  refresh token it exchanges its Entra token for records only who it is (object id and tenant);
- the admin user (while ``adminUserEnabled``) gets every action it asks for;
- anyone, without credentials, gets ``pull`` on repositories while ``anonymousPullEnabled`` (an Entra
  principal too, on top of its roles);
- the user ``00000000-0000-0000-0000-000000000000`` with a refresh token as password is the refresh
  token's identity (what ``docker login`` after ``az acr login`` sends);
- a registry token (``registries/tokens``: its name as user, one of its passwords) gets, per repository, what
  its scope map gives (``services/token_logins.py``), the catalog only with a rule on every repository; a
  disabled token or an expired password is refused at login.
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
from acrlink.registry.scopes import (
    ANONYMOUS_ACTIONS,
    Grant,
    InsufficientScope,
    Scope,
    everything,
    joined,
    narrowed,
    parse_scopes,
    permits,
    repository_actions,
)
from acrlink.services.registry import RegistryView
from acrlink.services.registry_rights import RegistryRights
from acrlink.services.tenancy import World
from acrlink.services.token_logins import TokenLogin, TokenLogins
from acrlink.unconfirmed import (
    ENTRA_TOKEN_TENANT_MISMATCH_MESSAGE,
    MISSING_ROLE_IS_UNAUTHORIZED,
    OFFLINE_REFRESH_FOR_TOKEN_LOGIN,
    REGISTRY_TENANT_MISMATCH_MESSAGE,
)

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
    """``admin``, ``anonymous``, an Entra ID object id or a registry token's name (``scoped``)."""
    grant: Grant
    """What this caller may have of each scope it asks for."""
    tenant: str | None = None
    """An Entra ID principal's tenant."""
    scoped: bool = False
    """A registry token: refused what it lacks the way an Entra principal is (401 with the scope)."""


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
    def __init__(
        self,
        key: bytes,
        world: World,
        entra: signing.RsaKey,
        rights: RegistryRights,
        logins: TokenLogins | None = None,
    ) -> None:
        self._key = key
        self._world = world
        self._entra_key = entra
        self._rights = rights
        self._logins = logins
        self._access = signing.Verified(lambda token: signing.decode(token, key))

    # Who is calling -----------------------------------------------------------------------------------

    def registry_tenant(self, registry: RegistryView) -> str | None:
        """The tenant of the subscription the registry lives in (None for ``mcr.microsoft.com``)."""
        subscription = registry.subscription
        if subscription is None:
            return None
        for tenant in self._world.tenants:
            if any(s.lower() == subscription.lower() for s in tenant.subscriptions):
                return tenant.tenant_id
        return None

    def _entra(self, token: str, tenant: str | None, registry: RegistryView) -> tuple[str, str]:
        """The object id and tenant of an Entra ID access token acrlink issued, for a tenant it hosts and the
        registry's own (ACR accepts a token of the registry's tenant only)."""
        try:
            claims = self._entra_key.verify(token)
        except signing.InvalidToken as exc:
            raise _unauthorized(f"the Azure AD access token is invalid ({exc})") from None
        token_tenant = str(claims.get("tid") or "")
        if self._world.tenant(token_tenant) is None or "oid" not in claims:
            raise _unauthorized("the Azure AD access token is not from a tenant of this cloud")
        if tenant and tenant.lower() != token_tenant.lower():
            raise _unauthorized(ENTRA_TOKEN_TENANT_MISMATCH_MESSAGE.format(tenant=tenant, token_tenant=token_tenant))
        home = self.registry_tenant(registry)
        if home is not None and home.lower() != token_tenant.lower():
            raise _unauthorized(
                REGISTRY_TENANT_MISMATCH_MESSAGE.format(
                    token_tenant=token_tenant, registry=registry.login_server, registry_tenant=home
                )
            )
        return str(claims["oid"]), token_tenant

    def _principal(self, object_id: str, tenant: str | None, registry: RegistryView) -> Caller:
        """An Entra ID principal, whose grant its role assignments on the registry decide as they stand now."""
        if registry.resource_id:
            rights = self._rights.of(object_id, registry.resource_id, registry.role_assignment_mode)

            def by_roles(scope: Scope) -> Scope:
                if scope.type == "repository":
                    return narrowed(scope, rights.repository(scope.name), False)
                return narrowed(scope, frozenset(), rights.catalog())

            grant: Grant = by_roles
        else:
            grant = repository_actions(frozenset())
        if registry.anonymous_pull:
            grant = joined(grant, repository_actions(ANONYMOUS_ACTIONS))
        return Caller(object_id, grant, tenant)

    def _from_refresh(self, token: str, registry: RegistryView) -> Caller:
        try:
            claims = signing.decode(token, self._key)
        except signing.InvalidToken as exc:
            raise _unauthorized(f"the refresh token is invalid ({exc})") from None
        if claims.get("kind") != REFRESH or str(claims.get("aud", "")).lower() != registry.login_server:
            raise _unauthorized("the refresh token is not for this registry")
        tenant = claims.get("tenant")
        return self._principal(str(claims["sub"]), str(tenant) if tenant else None, registry)

    def _from_password(self, username: str, password: str, registry: RegistryView) -> Caller:
        if username == NULL_USER:
            return self._from_refresh(password, registry)
        if registry.check_admin(username, password):
            return Caller("admin", everything)
        found = self._logins.login(registry, username, password) if self._logins is not None else None
        if found is not None:
            return self._token(found, registry)
        raise _unauthorized("invalid username or password")

    def _token(self, login: TokenLogin, registry: RegistryView) -> Caller:
        """A registry token, whose grant its scope map's rules decide (read when it logged in)."""
        rules = login.rules

        def by_map(scope: Scope) -> Scope:
            if scope.type == "repository":
                return narrowed(scope, rules.actions_on(scope.name), False)
            return narrowed(scope, frozenset(), rules.registry_wide)

        grant: Grant = by_map
        if registry.anonymous_pull:
            grant = joined(grant, repository_actions(ANONYMOUS_ACTIONS))
        return Caller(login.name, grant, scoped=True)

    def _anonymous(self, registry: RegistryView) -> Caller:
        if not registry.anonymous_pull:
            raise _unauthorized()
        return Caller("anonymous", repository_actions(ANONYMOUS_ACTIONS))

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
        subject, tenant = self._entra(token, form.get("tenant"), registry)
        return self._refresh_token(subject, tenant, registry)

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
            refresh = self._refresh_token(caller.subject, caller.tenant, registry)
        return access, refresh

    def _check_service(self, form: dict[str, str], registry: RegistryView) -> None:
        service = form.get("service")
        if service and service.lower() != registry.login_server:
            raise BadRequest("UNSUPPORTED", f"service {service!r} does not match {registry.login_server}")

    def task_refresh_token(self, subject: str, tenant: str | None, registry: RegistryView) -> str:
        """A refresh token for an ACR Tasks run acting as ``subject`` (who scheduled it): the build agent logs
        in with it as the null user, and each access token it gets carries what that principal's roles allow."""
        return self._refresh_token(subject, tenant, registry)

    # Tokens -------------------------------------------------------------------------------------------

    def _refresh_token(self, subject: str, tenant: str | None, registry: RegistryView) -> str:
        """Who the caller is, for this registry: what it may do is decided again for every access token."""
        now = epoch()
        claims = {
            "kind": REFRESH,
            "jti": str(uuid.uuid4()),
            "sub": subject,
            "aud": registry.login_server,
            "iss": "Azure Container Registry",
            "tenant": tenant,
            "grant_type": "refresh_token",
            "iat": now,
            "nbf": now,
            "exp": now + REFRESH_LIFETIME,
        }
        return signing.encode(claims, self._key)

    def _access_token(self, caller: Caller, scopes: list[Scope], registry: RegistryView) -> str:
        now = epoch()
        access = [caller.grant(s).claim() for s in scopes]
        by_password = not caller.scoped and caller.subject in ("admin", "anonymous")
        claims = {
            "kind": ACCESS,
            "jti": str(uuid.uuid4()),
            "sub": caller.subject,
            "aud": registry.login_server,
            "iss": "Azure Container Registry",
            "grant_type": "password" if by_password else "access_token",
            "access": access,
            "iat": now,
            "nbf": now,
            "exp": now + ACCESS_LIFETIME,
        }
        return signing.encode(claims, self._key)

    # Checking a data-plane request --------------------------------------------------------------------

    def authorize(self, authorization: str | None, registry: RegistryView, needed: Scope | None) -> dict[str, Any]:
        """The claims of a bearer access token for this registry that grants ``needed``.

        No token, or an invalid or expired one, is ``UNAUTHORIZED`` (401). A valid token that lacks the
        scope is, for an Entra ID principal or a registry token, ``UNAUTHORIZED`` (401) too, with ACR's
        authentication message and the scope in ``detail`` (what ACR answers a principal without the role, and a
        token its scope map does not cover, Azure/acr#675); for the admin user or
        anonymous pull it is ``DENIED`` (403). All carry the scope the client should ask a token for, so
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
            if MISSING_ROLE_IS_UNAUTHORIZED and claims.get("grant_type") == "access_token":
                raise InsufficientScope("UNAUTHORIZED", AUTH_MESSAGE, target=str(needed))
            raise Forbidden(
                "DENIED",
                f"requested access to the resource is denied: the token does not grant {needed}",
                target=str(needed),
            )
        return claims
