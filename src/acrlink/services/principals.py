"""The directory: applications and their service principals, the one writer of them.

One key/value entry per principal (``principal/{appId}``): its name (the application's display name), its
home tenant, whether its service principal exists, and its client secrets, kept as SHA-256 hashes with their
validity (a secret is shown once, when added, as in Entra ID; 40 random characters make a hash enough).
Object ids are derived, never stored: the service principal's is ``domain.principals.object_id(tenant,
appId)``, the application object's ``application_object_id``.

Two kinds of principal are not stored: the default principal (acrlink's own, present in every tenant, any
secret accepted) and the VMs' managed identities (derived from their NICs, listed by ``managed``).

Who may write the directory: Graph's permissions are not Azure RBAC. acrlink keeps it simple: the default
principal holds the directory writer's rights (creating applications, service principals and secrets); every
other principal may read the directory (as an application with ``Directory.Read.All``) and nothing more.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from acrlink import unconfirmed
from acrlink.domain import principals
from acrlink.domain.principals import ManagedIdentity
from acrlink.errors import BadRequest, Conflict, Forbidden, NotFound
from acrlink.ids import new_guid
from acrlink.store.base import Store, Transaction

KEY_PREFIX = "principal/"
DEFAULT_NAME = "acrlink"
"""The display name of the default principal's service principal."""
SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 40

Doc = dict[str, Any]
ManagedIdentities = Callable[[], Iterable[tuple[str, ManagedIdentity]]]
"""(host name, identity) of every VM."""


def key(app_id: str) -> str:
    return KEY_PREFIX + app_id.lower()


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """A client secret in Entra's form: three characters, ``8Q~``, then 34 more (never a leading ``-``, which
    ``az login -p`` would read as an option)."""
    body = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH - 3))
    return f"{body[:3]}8Q~{body[3 : SECRET_LENGTH - 3]}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def _now() -> datetime:
    return datetime.now(UTC)


class Principals:
    def __init__(self, store: Store, default_client_id: str, managed: ManagedIdentities = lambda: ()) -> None:
        self._store = store
        self.default_client_id = default_client_id
        self._managed = managed

    # Who may write -----------------------------------------------------------------------------------

    def may_write(self, app_id: str) -> bool:
        """Whether a caller may create applications, service principals and secrets (module docstring)."""
        return app_id.lower() == self.default_client_id.lower()

    def require_writer(self, app_id: str) -> None:
        if not self.may_write(app_id):
            raise Forbidden("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

    # Reading -----------------------------------------------------------------------------------------

    def _entries(self, tx: Transaction) -> list[Doc]:
        return [doc for _key, doc in tx.kv_items(KEY_PREFIX)]

    def applications(self, tenant_id: str) -> list[Doc]:
        with self._store.transaction() as tx:
            return [_application(e) for e in self._entries(tx) if _home(e, tenant_id)]

    def application(self, tenant_id: str, object_id: str) -> Doc:
        with self._store.transaction() as tx:
            return _application(self._entry_by_object(tx, tenant_id, object_id))

    def service_principals(self, tenant_id: str) -> list[Doc]:
        """Every service principal of the tenant: the default principal's, the stored ones', the managed
        identities'."""
        found = [_service_principal(tenant_id, self.default_client_id, DEFAULT_NAME, tenant_id)]
        with self._store.transaction() as tx:
            found += [
                _service_principal(tenant_id, e["appId"], e["name"], e["tenantId"])
                for e in self._entries(tx)
                if _home(e, tenant_id) and e.get("servicePrincipal")
            ]
        for host, identity in self._managed():
            if identity.tenant_id.lower() == tenant_id.lower():
                found.append(_managed_service_principal(host, identity))
        return found

    def objects(self, tenant_id: str, ids: Iterable[str]) -> list[Doc]:
        """The directory objects (service principals) of the tenant with these object ids, in the order asked
        (``directoryObjects/getByIds``); ids that name nothing are left out, as Graph leaves them out."""
        by_id = {sp["id"].lower(): sp for sp in self.service_principals(tenant_id)}
        return [
            {"@odata.type": "#microsoft.graph.servicePrincipal", **by_id[i.lower()]} for i in ids if i.lower() in by_id
        ]

    # Writing -----------------------------------------------------------------------------------------

    def create_application(self, tenant_id: str, display_name: str) -> Doc:
        """A new application (and its app id) in the tenant; a name already in use is refused (names are how
        ``acrlink env --as`` finds a principal)."""
        if not display_name.strip():
            raise BadRequest(
                "Request_BadRequest", "Invalid value specified for property 'displayName' of resource 'Application'."
            )
        with self._store.transaction() as tx:
            if display_name.lower() == DEFAULT_NAME or any(
                e["name"].lower() == display_name.lower() for e in self._entries(tx)
            ):
                raise BadRequest("Request_BadRequest", unconfirmed.GRAPH_NAME_IN_USE)
            entry: Doc = {
                "name": display_name,
                "appId": new_guid(),
                "tenantId": tenant_id,
                "createdDateTime": _iso(_now()),
                "servicePrincipal": False,
                "secrets": [],
            }
            tx.kv_put(key(entry["appId"]), entry)
        return _application(entry)

    def rename_application(self, tenant_id: str, object_id: str, display_name: str | None) -> None:
        """PATCH of an application: its display name is all acrlink keeps (other properties are accepted and
        not stored)."""
        with self._store.transaction() as tx:
            entry = self._entry_by_object(tx, tenant_id, object_id)
            renamed = bool(display_name) and str(display_name).lower() != entry["name"].lower()
            if renamed and any(e["name"].lower() == str(display_name).lower() for e in self._entries(tx)):
                raise BadRequest("Request_BadRequest", unconfirmed.GRAPH_NAME_IN_USE)
            if display_name:
                entry["name"] = display_name
            tx.kv_put(key(entry["appId"]), entry)

    def add_password(
        self, tenant_id: str, object_id: str, display_name: str | None, start: str | None, end: str | None
    ) -> Doc:
        """A new client secret for the application: the credential with its ``secretText``, shown this once.
        Without dates it is valid from now for two years (Graph's default)."""
        started = _parse(start) if start else _now()
        ends = _parse(end) if end else started + timedelta(days=730)
        secret = new_secret()
        credential = {
            "customKeyIdentifier": None,
            "displayName": display_name,
            "endDateTime": _iso(ends),
            "hint": secret[:3],
            "keyId": new_guid(),
            "startDateTime": _iso(started),
        }
        with self._store.transaction() as tx:
            entry = self._entry_by_object(tx, tenant_id, object_id)
            entry["secrets"].append({**credential, "hash": secret_hash(secret)})
            tx.kv_put(key(entry["appId"]), entry)
        return {**credential, "secretText": secret}

    def remove_password(self, tenant_id: str, object_id: str, key_id: str) -> None:
        with self._store.transaction() as tx:
            entry = self._entry_by_object(tx, tenant_id, object_id)
            kept = [s for s in entry["secrets"] if s["keyId"].lower() != key_id.lower()]
            if len(kept) == len(entry["secrets"]):
                raise NotFound("Request_ResourceNotFound", f"No password credential found with keyId {key_id}.")
            entry["secrets"] = kept
            tx.kv_put(key(entry["appId"]), entry)

    def create_service_principal(self, tenant_id: str, app_id: str) -> Doc:
        """The service principal of an application of this tenant."""
        with self._store.transaction() as tx:
            entry = tx.kv_get(key(app_id))
            if entry is None or not _home(entry, tenant_id):
                raise BadRequest(
                    "Request_BadRequest",
                    f"The appId '{app_id}' of the service principal does not reference a valid application object.",
                )
            if entry.get("servicePrincipal"):
                raise Conflict("Request_MultipleObjectsWithSameKeyValue", unconfirmed.GRAPH_SP_EXISTS)
            entry["servicePrincipal"] = True
            tx.kv_put(key(app_id), entry)
        return _service_principal(tenant_id, entry["appId"], entry["name"], entry["tenantId"])

    # The token endpoint's question -------------------------------------------------------------------

    def secret_check(self, tenant_id: str, client_id: str, secret: str) -> bool | None:
        """True when ``secret`` is a current secret of a stored principal, False when it is not (wrong or
        expired), None for any other client id (whose secret acrlink does not know)."""
        with self._store.transaction() as tx:
            entry = tx.kv_get(key(client_id))
        if entry is None:
            return None
        digest = secret_hash(secret)
        now = _now()
        return any(
            hmac.compare_digest(s["hash"], digest) and _parse(s["startDateTime"]) <= now < _parse(s["endDateTime"])
            for s in entry["secrets"]
        )

    def _entry_by_object(self, tx: Transaction, tenant_id: str, object_id: str) -> Doc:
        for entry in self._entries(tx):
            if _home(entry, tenant_id) and _application(entry)["id"].lower() == object_id.lower():
                return entry
        raise NotFound(
            "Request_ResourceNotFound",
            f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
        )


def _home(entry: Doc, tenant_id: str) -> bool:
    return str(entry["tenantId"]).lower() == tenant_id.lower()


def _application(entry: Doc) -> Doc:
    """An application as Graph answers it (the properties az reads, with Graph's defaults)."""
    return {
        "id": principals.application_object_id(entry["tenantId"], entry["appId"]),
        "appId": entry["appId"],
        "displayName": entry["name"],
        "createdDateTime": entry["createdDateTime"],
        "signInAudience": "AzureADMyOrg",
        "identifierUris": [],
        "keyCredentials": [],
        "passwordCredentials": [{k: v for k, v in s.items() if k != "hash"} for s in entry["secrets"]],
        "publisherDomain": None,
        "requiredResourceAccess": [],
        "tags": [],
        "web": {"homePageUrl": None, "redirectUris": [], "logoutUrl": None},
        "api": {"requestedAccessTokenVersion": None, "oauth2PermissionScopes": []},
    }


def _service_principal(tenant_id: str, app_id: str, name: str, owner_tenant: str) -> Doc:
    """A service principal as Graph answers it."""
    return {
        "id": principals.object_id(tenant_id, app_id),
        "appId": app_id,
        "displayName": name,
        "appDisplayName": name,
        "accountEnabled": True,
        "appOwnerOrganizationId": owner_tenant,
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMyOrg",
        "alternativeNames": [],
        "tags": [],
        "keyCredentials": [],
        "passwordCredentials": [],
    }


def _managed_service_principal(host: str, identity: ManagedIdentity) -> Doc:
    """A VM's system-assigned identity as Graph lists it: named after the VM, of type ``ManagedIdentity``."""
    return {
        **_service_principal(identity.tenant_id, identity.client_id, host, identity.tenant_id),
        "id": identity.principal_id,
        "servicePrincipalType": principals.MANAGED_IDENTITY,
        "appOwnerOrganizationId": None,
    }
