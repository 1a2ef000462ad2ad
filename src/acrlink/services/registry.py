"""Which registry a host name addresses, and what that registry's settings allow on the data plane.

The registry face is virtual-hosted: ``NAME.azurecr.cn`` is a registry's login server and
``NAME.REGION.data.azurecr.cn`` one of its data endpoints (one per region it lives in). The built-in
stand-in for ``mcr.microsoft.com`` is a read-only registry anyone may pull from.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from acrlink.domain import acr
from acrlink.domain.acr import MCR_HOST
from acrlink.domain.builtin_roles import LEGACY_MODE
from acrlink.domain.cloud import CloudProfile
from acrlink.store.base import Store, Transaction

REGISTRY_TYPE = "microsoft.containerregistry/registries"


@dataclass(frozen=True)
class RegistryView:
    """What the data plane needs to know about one registry, read in one go."""

    name: str
    """Lower case; content is keyed by it."""
    login_server: str
    home: str
    regions: tuple[str, ...]
    admin_enabled: bool = False
    passwords: tuple[str, ...] = ()
    anonymous_pull: bool = False
    redirects_blobs: bool = False
    """Blob GETs on the login server redirect to a data endpoint (``dataEndpointEnabled``, or any
    private endpoint connection, as Azure does)."""
    read_only: bool = False
    key: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    resource_id: str = ""
    """The registry's ARM id (the scope its role assignments are checked at); empty for ``mcr.microsoft.com``."""
    role_assignment_mode: str = LEGACY_MODE
    """``roleAssignmentMode``: which roles give data-plane rights, and whether repository conditions apply."""

    @property
    def subscription(self) -> str | None:
        """The subscription the registry lives in (its tenant's), from its id."""
        parts = self.resource_id.split("/")
        return parts[2] if len(parts) > 2 and parts[1].lower() == "subscriptions" else None

    def check_admin(self, username: str, password: str) -> bool:
        """The admin user is the registry's name (any case) with either password, while enabled."""
        if not self.admin_enabled or username.lower() != self.name:
            return False
        return any(hmac.compare_digest(password.encode(), p.encode()) for p in self.passwords if p)


@dataclass(frozen=True)
class Target:
    """A host name the registry face serves: the registry, and the region when it is a data endpoint."""

    registry: RegistryView
    data_region: str | None = None


class Registries:
    def __init__(self, store: Store, cloud: CloudProfile) -> None:
        self._store = store
        self.cloud = cloud

    def mcr(self) -> RegistryView:
        return RegistryView(MCR_HOST, MCR_HOST, "", (), anonymous_pull=True, read_only=True)

    def resolve(self, host: str) -> Target | None:
        """The registry (and data endpoint region) a host name addresses; ``None`` when nothing answers
        to it (no such registry, or no replica in that region)."""
        host = host.split(":")[0].rstrip(".").lower()
        if host == MCR_HOST:
            return Target(self.mcr())
        suffix = f".{self.cloud.acr_suffix}"
        if not host.endswith(suffix):
            return None
        labels = host[: -len(suffix)].split(".")
        if len(labels) == 1:
            view = self.find(labels[0])
            return Target(view) if view else None
        if len(labels) == 3 and labels[2] == "data":
            view = self.find(labels[0])
            if view and labels[1] in view.regions:
                return Target(view, labels[1])
        return None

    def find(self, name: str) -> RegistryView | None:
        with self._store.transaction() as tx:
            return self.find_in(tx, name)

    def find_in(self, tx: Transaction, name: str) -> RegistryView | None:
        """The registry called ``name`` (any case) in any subscription; names are unique per cloud."""
        for record in tx.query(type=REGISTRY_TYPE):
            if record.body["name"].lower() == name.lower():
                return self._view(tx, record.key, record.body)
        return None

    def _view(self, tx: Transaction, key: str, doc: dict[str, object]) -> RegistryView:
        props = doc["properties"]
        assert isinstance(props, dict)
        replicas = [r.body["location"] for r in tx.query(type=f"{REGISTRY_TYPE}/replications", parent=key)]
        connections = tx.query(type=f"{REGISTRY_TYPE}/privateendpointconnections", parent=key)
        home = str(doc["location"])
        stored = tx.kv_get(f"registry-credentials:{key}") or {}
        name = str(doc["name"]).lower()
        tags = doc.get("tags")
        return RegistryView(
            name=name,
            login_server=self.cloud.login_server(name),
            home=home,
            regions=tuple(acr.regions(home, replicas)),
            admin_enabled=bool(props.get("adminUserEnabled")),
            passwords=(str(stored.get("password", "")), str(stored.get("password2", ""))),
            anonymous_pull=bool(props.get("anonymousPullEnabled")),
            redirects_blobs=bool(props.get("dataEndpointEnabled")) or bool(connections),
            key=key,
            tags=dict(tags) if isinstance(tags, dict) else {},
            resource_id=str(doc.get("id") or ""),
            role_assignment_mode=str(props.get("roleAssignmentMode") or LEGACY_MODE),
        )
