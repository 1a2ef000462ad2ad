"""acrlink's own ARM views of the network (``Acrlink.Network``, like its on-premises hosts): what no Azure API
answers but a portal page needs.

- ``networkGraph``: the network as one document (VNets with subnets and peerings, private endpoints with their
  addresses, registries, private zones with their links, hosts), read from the stored resources;
- ``reachability``: every host x every registry name, by ``domain.reachability.matrix`` (one engine with
  ``acrlink check``), computed once per change of the graph;
- ``whatIf``: ARM requests rehearsed on a fork of the world, and how every host's reach changes
  (``domain.reachability.changes``); nothing real changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from acrlink.domain import reachability
from acrlink.domain.netgraph import Graph
from acrlink.errors import BadRequest
from acrlink.store.base import Store

VNET_TYPE = "microsoft.network/virtualnetworks"
SUBNET_TYPE = "microsoft.network/virtualnetworks/subnets"
PE_TYPE = "microsoft.network/privateendpoints"
REGISTRY_TYPE = "microsoft.containerregistry/registries"
ZONE_TYPE = "microsoft.network/privatednszones"
LINK_TYPE = "microsoft.network/privatednszones/virtualnetworklinks"


class Views:
    def __init__(self, store: Store, graph: Callable[[], Graph]) -> None:
        self._store = store
        self._graph = graph
        self._matrix: tuple[int, list[dict[str, Any]]] | None = None

    def reachability(self, host: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
        """The matrix of the current graph, computed once per change of the graph. Filtered to one host (and
        one name), each cell also carries ``acrlink check``'s steps and fix for its host and registry."""
        graph = self._graph()
        if self._matrix is None or self._matrix[0] != id(graph):
            self._matrix = (id(graph), reachability.matrix(graph))
        cells = self._matrix[1]
        if host is None:
            return cells
        chosen = [c for c in cells if c["host"].lower() == host.lower()]
        if name is not None:
            chosen = [c for c in chosen if c["name"].lower() == name.lower()]
        explained: dict[str, dict[str, Any]] = {}
        for cell in chosen:
            if cell["registry"] not in explained:
                explained[cell["registry"]] = reachability.explain(graph, cell["host"], cell["registry"])
        return [{**cell, **explained[cell["registry"]]} for cell in chosen]

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
