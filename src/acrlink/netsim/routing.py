"""The network's decisions, as the proxy and the registry face apply them.

``proxy_policy`` answers the proxy: which host a client acts as (the proxy user name), what the
CONNECT name resolves to from there, and the path (``domain.access.route``). ``firewall`` answers the
registry face, per request: whether the connection's origin may use the registry
(``domain.access.admit``).
"""

from __future__ import annotations

from collections.abc import Callable

from acrlink.domain import access
from acrlink.domain.netgraph import INTERNET, INTERNET_HOST, Graph
from acrlink.netsim.proxy import Decide, Refusal
from acrlink.netsim.proxyproto import Origin


def proxy_policy(
    graph: Callable[[], Graph],
    serves: Callable[[str], object | None],
    blackhole_seconds: float,
    always_public: frozenset[str] = frozenset(),
    catch_up: Callable[[], bool] = lambda: False,
) -> Decide:
    """(proxy user, name, port) -> the origin to carry the connection with, or why not.

    ``always_public`` names (the ``mcr.microsoft.com`` stand-in) are outside the emulated DNS and
    reached on the public path from every host. A refusal for something unknown (the host, the name, the
    registry) is decided again once ``catch_up`` (``ChangeSignal.catch_up``) finds the world moved: another
    process may have created it an instant ago.
    """

    def decide(user: str | None, name: str, port: int) -> Refusal | Origin:
        answer = decide_now(user, name, port)
        if isinstance(answer, Refusal) and answer.status in (407, 502, 403) and catch_up():
            return decide_now(user, name, port)
        return answer

    def decide_now(user: str | None, name: str, port: int) -> Refusal | Origin:
        now = graph()
        host = now.host(user or INTERNET_HOST)
        if host is None:
            return Refusal(407, f"unknown host {user!r}: 'acrlink hosts' lists the hosts you can act as")
        if port != 443:
            return Refusal(403, f"{name} answers on port 443 only, not {port}")
        if name in always_public:
            return Origin(host.public_ip, 0, name, host.name, "public", access.client_region(now, host))
        route = access.route(now, host, name)
        if route.outcome == access.CARRY:
            if serves(name) is None:
                return Refusal(403, f"{name} resolves to {route.address}, but no registry answers there")
            source = host.private_ip if route.path == "private" and host.private_ip else host.public_ip
            return Origin(source, 0, name, host.name, route.path or "public", route.region, route.endpoint_id)
        if route.outcome in (access.BLACKHOLE, access.UNREACHABLE):
            return Refusal(504, f"connection to {route.address}:{port} timed out: {route.reason}", blackhole_seconds)
        if route.outcome == access.UNRESOLVABLE:
            return Refusal(502, route.reason)
        return Refusal(403, route.reason)

    return decide


Firewall = Callable[[str, Origin | None], str | None]


def firewall(graph: Callable[[], Graph], internet_ip: str) -> Firewall:
    """(registry name, origin) -> None to serve, or ACR's firewall message. A connection straight to the
    registry port, without the proxy, is the machine itself on the public path: the internet host."""

    def check(registry: str, origin: Origin | None) -> str | None:
        now = graph()
        node = now.registries.get(registry.lower())
        if node is None:
            return None
        if origin is None:
            return access.admit(node, now, INTERNET, internet_ip, "public", None)
        host = now.host(origin.host)
        return access.admit(node, now, host.kind if host else INTERNET, origin.source, origin.path, origin.link_id)

    return check
