"""What a deployment does to the network: for every host and every name a client of a registry must
reach, how the answer differs between the graph before and the graph after.

One engine with ``acrlink check`` (``diagnosis``): a host resolves the name through its DNS view and the
network routes it (``access.route``), then the registry's firewall judges it (``access.refusal``, the rule
behind ``access.admit``). This module only compares the outcomes of the two graphs and says the
difference in words; the what-if result carries them as ``properties.reachability`` (``as_json``) and as
``properties.diagnostics`` (``as_diagnostic``, which az prints).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acrlink.domain import access, diagnosis
from acrlink.domain.netgraph import Graph

REACHABLE = "reachable"
UNRESOLVABLE = "unresolvable"
NO_SUCH_REGISTRY = "no such registry"
NO_SUCH_HOST = "no such host"
DENIED = "denied: "
DROPPED = "dropped: "


@dataclass(frozen=True)
class Reach:
    """What one host gets when it connects to one name."""

    address: str | None
    """The address the host's DNS view answers, None when it answers none."""
    path: str | None
    """``public`` or ``private`` when the network carries (or drops) the connection on that path."""
    verdict: str
    """``reachable``, ``denied: <firewall reason>``, ``unresolvable``, ``unreachable: ...``,
    ``dropped: ...``, ``no such registry`` or ``no such host``."""

    @property
    def ok(self) -> bool:
        """Only a connection the network carries and the firewall admits is reachable."""
        return self.verdict == REACHABLE


def reach(graph: Graph, host_name: str, registry_name: str, name: str) -> Reach:
    """Route, then firewall, as ``acrlink check`` does for one step: a missing host or registry is a
    verdict of its own; a carried connection is ``reachable`` unless the firewall refuses it (from the
    address the registry sees, ``access.source_ip``); a connection the network cannot carry says why."""
    host = graph.host(host_name)
    if host is None:
        return Reach(None, None, NO_SUCH_HOST)
    registry = graph.registries.get(registry_name.lower())
    if registry is None:
        return Reach(None, None, NO_SUCH_REGISTRY)
    route = access.route(graph, host, name)
    if route.outcome == access.CARRY:
        source = access.source_ip(host, route.path)
        why = access.refusal(registry, graph, host.kind, source, route.path or "public", route.endpoint_id)
        return Reach(route.address, route.path, REACHABLE if why is None else DENIED + why)
    if route.outcome == access.UNRESOLVABLE:
        return Reach(None, None, UNRESOLVABLE)
    if route.outcome == access.BLACKHOLE:
        endpoint = next((e for e in graph.endpoints if e.id.lower() == (route.endpoint_id or "").lower()), None)
        status = endpoint.status if endpoint else "not Approved"
        return Reach(route.address, route.path, f"{DROPPED}private endpoint connection {status}")
    if route.outcome == access.UNREACHABLE:
        return Reach(route.address, None, "unreachable: no private endpoint at that address in its network")
    return Reach(route.address, route.path, route.reason)


@dataclass(frozen=True)
class ReachChange:
    """One host and one name whose address, path or verdict the deployment changes."""

    host: str
    name: str
    before: Reach
    after: Reach

    @property
    def detail(self) -> str:
        """The change without the host: gains access (where to), loses access (why), moves (from where to
        where), or stays without access for another reason."""
        before, after = self.before, self.after
        if after.ok and not before.ok:
            return f"{self.name} gains access: {_where(after)}"
        if before.ok and not after.ok:
            return f"{self.name} loses access: {_why(after)}"
        if before.ok and after.ok:
            return f"{self.name} from {_where(before)} to {_where(after)}"
        if before.verdict == after.verdict:
            return f"{self.name} from {_where(before)} to {_where(after)}, still no access: {_why(after)}"
        return f"{self.name} still no access: {_why(after)} (was: {_why(before)})"

    @property
    def summary(self) -> str:
        """``HOST: detail``, e.g. ``myVM: myregistry.azurecr.cn from public 20.45.1.144 to private 10.0.0.4``."""
        return f"{self.host}: {self.detail}"


def _where(reach: Reach) -> str:
    if reach.address is None:
        return "no address"
    return f"{reach.path} {reach.address}" if reach.path else reach.address


def _why(reach: Reach) -> str:
    if reach.verdict == UNRESOLVABLE:
        return "the name does not resolve"
    if reach.verdict.startswith(DROPPED):
        return f"{reach.verdict.removeprefix(DROPPED)}, traffic dropped"
    return reach.verdict.removeprefix(DENIED)


def changes(before: Graph, after: Graph) -> list[ReachChange]:
    """Every (host, name) whose ``reach`` differs between the graphs, by host (those of ``before`` first,
    in its order, then new ones), then registry name, then name (login server, then data endpoints).

    Hosts and registries are those of either graph; a registry's names are those it needs in either
    (enabling data endpoints or adding a replica adds names; a removed registry keeps its old ones)."""
    hosts = [*before.hosts, *(key for key in after.hosts if key not in before.hosts)]
    registries = sorted({*before.registries, *after.registries})
    found: list[ReachChange] = []
    for key in hosts:
        host = after.host(key) or before.host(key)
        assert host is not None
        for registry in registries:
            for name in _names(before, after, registry):
                was, now = reach(before, key, registry, name), reach(after, key, registry, name)
                if was != now:
                    found.append(ReachChange(host.name, name, was, now))
    return found


def _names(before: Graph, after: Graph, registry: str) -> list[str]:
    names: list[str] = []
    for graph in (before, after):
        node = graph.registries.get(registry)
        for name in access.names_to_reach(graph, node) if node else []:
            if name not in names:
                names.append(name)
    return names


def as_json(change: ReachChange) -> dict[str, Any]:
    """The entry of the what-if result's ``properties.reachability`` list (an acrlink extension)."""
    return {
        "host": change.host,
        "name": change.name,
        "before": _reach_json(change.before),
        "after": _reach_json(change.after),
        "summary": change.summary,
    }


def _reach_json(reach: Reach) -> dict[str, Any]:
    return {"address": reach.address, "path": reach.path, "verdict": reach.verdict}


def as_diagnostic(change: ReachChange) -> dict[str, str]:
    """A ``DeploymentDiagnosticsDefinition`` for ``properties.diagnostics``. az prints each as
    ``TARGET (CODE) MESSAGE``, so the target is the host and the message leaves the host out."""
    return {"level": "Info", "code": "NetworkReachability", "target": change.host, "message": change.detail}


def matrix(graph: Graph) -> list[dict[str, Any]]:
    """Every host x every name of every registry: where it resolves, the path and the verdict (``reach``, the
    same engine as ``acrlink check``). Compact: ``explain`` gives a cell's steps and fix."""
    cells: list[dict[str, Any]] = []
    for host in graph.hosts.values():
        for registry in sorted(graph.registries.values(), key=lambda r: r.name):
            for name in access.names_to_reach(graph, registry):
                got = reach(graph, host.name, registry.name, name)
                cells.append(
                    {
                        "host": host.name,
                        "hostKind": host.kind,
                        "registry": registry.name,
                        "name": name,
                        "address": got.address,
                        "path": got.path,
                        "verdict": got.verdict,
                        "ok": got.ok,
                    }
                )
    return cells


def explain(graph: Graph, host_name: str, registry_name: str) -> dict[str, Any]:
    """``acrlink check``'s diagnosis of one host and registry: each step, and the fixing command (``fix``)
    or, when no command can be known, a ``hint``."""
    host = graph.host(host_name)
    if host is None:
        return {"steps": [], "fix": None, "hint": f"no host called {host_name}"}
    diagnosed = diagnosis.diagnose(graph, host, registry_name)
    steps = [{"ok": s.ok, "title": s.title, "details": list(s.details)} for s in diagnosed.steps]
    return {"steps": steps, "fix": diagnosed.fix, "hint": diagnosed.hint}
