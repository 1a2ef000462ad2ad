"""acrlink's own ARM views of the network (``Acrlink.Network``, like its on-premises hosts): what no Azure API
answers but a portal page needs.

- ``networkGraph``: the network as one document (VNets with subnets and peerings, private endpoints with their
  addresses, registries, private zones with their links, hosts), read from the stored resources;
- ``reachability``: every host x every registry name, by ``domain.reachability.matrix`` (one engine with
  ``acrlink check``), computed once per change of the graph or of the role assignments; a VM's cells also say
  whether its managed identity may pull (``identityPull``); for one host each cell carries check's steps, fix
  and identity step (``identity``: ``domain.pull_access`` over ``services.registry_rights``, the rights the
  registry's token service grants), for the host's identity or the ``principal`` asked about;
- ``whatIf``: ARM requests rehearsed on a fork of the world, and how every host's reach changes
  (``domain.reachability.changes``); nothing real changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from acrlink.domain import pull_access, reachability
from acrlink.domain.netgraph import Graph, Host, RegistryNode
from acrlink.domain.principals import object_id
from acrlink.errors import BadRequest, NotFound
from acrlink.services.principals import Principals
from acrlink.services.registry_rights import RegistryRights
from acrlink.services.tenancy import World
from acrlink.store.base import Store

VNET_TYPE = "microsoft.network/virtualnetworks"
SUBNET_TYPE = "microsoft.network/virtualnetworks/subnets"
PE_TYPE = "microsoft.network/privateendpoints"
REGISTRY_TYPE = "microsoft.containerregistry/registries"
ZONE_TYPE = "microsoft.network/privatednszones"
LINK_TYPE = "microsoft.network/privatednszones/virtualnetworklinks"


class Views:
    def __init__(
        self,
        store: Store,
        graph: Callable[[], Graph],
        rights: RegistryRights | None = None,
        world: World | None = None,
        directory: Principals | None = None,
    ) -> None:
        self._store = store
        self._graph = graph
        self._rights = rights
        self._world = world
        self._directory = directory
        self._matrix: tuple[tuple[int, int], list[dict[str, Any]]] | None = None

    def reachability(
        self, host: str | None = None, name: str | None = None, principal: str | None = None
    ) -> list[dict[str, Any]]:
        """The matrix of the current graph, computed once per change of the graph or of the role assignments.
        Filtered to one host (and one name), each cell also carries ``acrlink check``'s steps and fix for its host
        and registry, and the identity step for ``principal`` (a name, client id or object id) or else the
        host's managed identity."""
        if principal is not None and host is None:
            raise BadRequest("InvalidQueryParameterValue", "The 'principal' parameter needs a 'host'.")
        graph = self._graph()
        version = (id(graph), self._rights.version if self._rights is not None else 0)
        if self._matrix is None or self._matrix[0] != version:
            self._matrix = (version, self._with_identities(graph, reachability.matrix(graph)))
        cells = self._matrix[1]
        if host is None:
            return cells
        chosen = [c for c in cells if c["host"].lower() == host.lower()]
        if name is not None:
            chosen = [c for c in chosen if c["name"].lower() == name.lower()]
        explained: dict[str, dict[str, Any]] = {}
        for cell in chosen:
            if cell["registry"] not in explained:
                explained[cell["registry"]] = {
                    **reachability.explain(graph, cell["host"], cell["registry"]),
                    "identity": self.identity(graph, cell["host"], cell["registry"], principal),
                }
        return [{**cell, **explained[cell["registry"]]} for cell in chosen]

    def _with_identities(self, graph: Graph, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each cell of a VM with ``identityPull``: whether its managed identity may pull from the cell's
        registry (one decision per VM and registry)."""
        if self._rights is None:
            return cells
        known: dict[tuple[str, str], bool] = {}
        out = []
        for cell in cells:
            host = graph.host(cell["host"])
            if host is None or host.identity is None:
                out.append(cell)
                continue
            key = (host.name, cell["registry"])
            if key not in known:
                registry = graph.registries[cell["registry"].lower()]
                who = pull_access.Identity(
                    pull_access.managed_label(host.name, host.identity.principal_id),
                    host.identity.principal_id,
                    host.identity.tenant_id,
                )
                known[key] = self._check(who, registry).ok
            out.append({**cell, "identityPull": known[key]})
        return out

    def identity(self, graph: Graph, host_name: str, registry_name: str, principal: str | None) -> dict[str, Any]:
        """``acrlink check``'s identity step for one host and registry, as JSON (``pull_access.as_json``)."""
        host = graph.host(host_name)
        registry = graph.registries.get(registry_name.lower())
        if host is None or registry is None or self._rights is None:
            return pull_access.as_json(None, pull_access.IdentityCheck(None, note="identity not checked"))
        who = self._who(host, registry, principal)
        if who is None:
            return pull_access.as_json(None, pull_access.unchecked(host.name))
        return pull_access.as_json(who, self._check(who, registry))

    def _check(self, who: pull_access.Identity, registry: RegistryNode) -> pull_access.IdentityCheck:
        assert self._rights is not None
        rights = self._rights.of(who.object_id, registry.id, registry.role_assignment_mode)
        grants = tuple(
            pull_access.PullGrant(rights.role_name(a), a.scope, a.condition) for a in rights.granting("pull")
        )
        facts = pull_access.RegistryFacts(
            registry.name, registry.id, registry.role_assignment_mode, self._tenant(registry), registry.anonymous_pull
        )
        return pull_access.check(who, facts, grants)

    def _tenant(self, registry: RegistryNode) -> str:
        """The tenant of the registry's subscription (the home tenant when none holds it)."""
        assert self._world is not None
        parts = registry.id.split("/")
        subscription = parts[2].lower() if len(parts) > 2 else ""
        for tenant in self._world.tenants:
            if subscription in (s.lower() for s in tenant.subscriptions):
                return tenant.tenant_id
        return self._world.tenant_id

    def _who(self, host: Host, registry: RegistryNode, principal: str | None) -> pull_access.Identity | None:
        """The identity that would pull: ``principal`` resolved, else the host's managed identity, else None."""
        if principal is None:
            if host.identity is None:
                return None
            return pull_access.Identity(
                pull_access.managed_label(host.name, host.identity.principal_id),
                host.identity.principal_id,
                host.identity.tenant_id,
            )
        return self.resolve(principal, self._tenant(registry))

    def resolve(self, principal: str, tenant_id: str) -> pull_access.Identity:
        """A principal by display name, client id or object id, among the service principals of ``tenant_id``
        first, then of the other tenants (the default principal, those ``principal create`` made, the VMs'
        identities). Any other GUID is taken as a client id (every client id is a principal here, with no
        roles), in ``tenant_id``; anything else is 404."""
        assert self._world is not None
        wanted = principal.strip().lower()
        tenants = [tenant_id, *(t.tenant_id for t in self._world.tenants if t.tenant_id.lower() != tenant_id.lower())]
        for tenant in tenants if self._directory is not None else []:
            assert self._directory is not None
            for sp in self._directory.service_principals(tenant):
                if wanted in (str(sp["displayName"]).lower(), str(sp["appId"]).lower(), str(sp["id"]).lower()):
                    return pull_access.Identity(
                        pull_access.principal_label(str(sp["displayName"]), str(sp["id"])), str(sp["id"]), tenant
                    )
        if _is_guid(wanted):
            oid = object_id(tenant_id, wanted)
            return pull_access.Identity(pull_access.principal_label(wanted, oid), oid, tenant_id)
        raise NotFound(
            "PrincipalNotFound",
            f"No principal has the name, client id or object id '{principal}' ('acrlink principal create' makes one).",
        )

    def network_graph(self) -> dict[str, Any]:
        graph = self._graph()
        with self._store.transaction() as tx:
            subnets: dict[str, list[dict[str, Any]]] = {}
            for record in tx.query(type=SUBNET_TYPE):
                props = record.body.get("properties") or {}
                subnets.setdefault(record.parent, []).append(
                    {"id": record.body["id"], "name": record.body["name"], "prefix": props.get("addressPrefix")}
                )
            vnets = []
            for record in tx.query(type=VNET_TYPE):
                node = graph.vnets.get(record.key)
                props = record.body.get("properties") or {}
                vnets.append(
                    {
                        "id": record.body["id"],
                        "name": record.body["name"],
                        "location": record.body.get("location"),
                        "prefixes": (props.get("addressSpace") or {}).get("addressPrefixes", []),
                        "subnets": subnets.get(record.key, []),
                        "peers": list(node.peers) if node else [],
                        "dnsServers": list(node.dns_servers) if node else [],
                    }
                )
            nodes = {e.id.lower(): e for e in graph.endpoints}
            endpoints = []
            for record in tx.query(type=PE_TYPE):
                node = nodes.get(record.key)
                props = record.body.get("properties") or {}
                connection = str((record.body.get("_acrlink") or {}).get("connection") or "")
                registry_id = connection.split("/privateEndpointConnections/")[0]
                endpoints.append(
                    {
                        "id": record.body["id"],
                        "name": record.body["name"],
                        "vnetId": node.vnet_id if node else "",
                        "subnetId": (props.get("subnet") or {}).get("id", ""),
                        "registryId": registry_id,
                        "status": node.status if node else "",
                        "addresses": {m.fqdn: m.address for m in node.members} if node else {},
                    }
                )
            registries = []
            for record in tx.query(type=REGISTRY_TYPE):
                node = graph.registries.get(record.body["name"].lower())
                props = record.body.get("properties") or {}
                registries.append(
                    {
                        "id": record.body["id"],
                        "name": record.body["name"],
                        "loginServer": graph.cloud.login_server(record.body["name"]),
                        "regions": list(node.regions) if node else [record.body.get("location")],
                        "dataEndpoints": [graph.cloud.data_endpoint(record.body["name"], r) for r in node.regions]
                        if node and node.data_endpoints
                        else [],
                        "publicNetworkAccess": props.get("publicNetworkAccess", "Enabled"),
                    }
                )
            links: dict[str, list[str]] = {}
            for link in graph.links:
                links.setdefault(link.zone_id, []).append(link.vnet_id)
            zones = [
                {"id": record.body["id"], "name": record.body["name"], "linkedVnets": links.get(record.key, [])}
                for record in tx.query(type=ZONE_TYPE)
            ]
        hosts = [
            {"name": h.name, "kind": h.kind, "vnetId": h.vnet_id, "ip": h.private_ip or h.public_ip}
            for h in graph.hosts.values()
        ]
        return {"vnets": vnets, "endpoints": endpoints, "registries": registries, "zones": zones, "hosts": hosts}


def _is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def parse_requests(body: Any) -> list[dict[str, Any]]:
    """``{"requests": [{"method", "path", "apiVersion", "body"}]}``, checked."""
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests or len(requests) > 100:
        raise BadRequest("InvalidRequestContent", "The body must have 'requests': a list of 1 to 100 ARM requests.")
    for index, request in enumerate(requests):
        ok = (
            isinstance(request, dict)
            and request.get("method") in ("PUT", "PATCH", "POST", "DELETE")
            and isinstance(request.get("path"), str)
            and str(request["path"]).startswith("/subscriptions/")
            and isinstance(request.get("apiVersion"), str)
        )
        if not ok:
            raise BadRequest(
                "InvalidRequestContent",
                f"requests[{index}] must have 'method' (PUT, PATCH, POST or DELETE), 'path' (/subscriptions/...) "
                "and 'apiVersion'.",
            )
    return requests
