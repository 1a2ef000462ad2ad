"""The proxy's decisions decide again when the world moved under a refusal for something unknown
(``routing.proxy_policy``'s ``catch_up``): behind a load balancer, a host or a registry another process made an
instant ago must not be refused."""

from __future__ import annotations

from acrlink.domain.cloud import find_cloud
from acrlink.domain.netgraph import INTERNET, INTERNET_HOST, Graph, Host
from acrlink.netsim.proxy import Refusal
from acrlink.netsim.routing import proxy_policy

CLOUD = find_cloud("AzureChinaCloud")
INTERNET_ONLY = Graph(CLOUD, hosts={INTERNET_HOST: Host(INTERNET_HOST, INTERNET, "203.0.113.50")})
WITH_VM = Graph(CLOUD, hosts={**INTERNET_ONLY.hosts, "newvm": Host("newvm", "vm", "40.72.0.9", "/v", "10.0.0.4")})


class World:
    """The graph as this process sees it, and the store's, which ``catch_up`` brings it to."""

    def __init__(self) -> None:
        self.seen, self.stored, self.catch_ups = INTERNET_ONLY, INTERNET_ONLY, 0

    def graph(self) -> Graph:
        return self.seen

    def catch_up(self) -> bool:
        self.catch_ups += 1
        moved = self.seen is not self.stored
        self.seen = self.stored
        return moved


def test_a_host_another_process_just_made_is_found_after_catching_up() -> None:
    world = World()
    decide = proxy_policy(world.graph, lambda _: None, 1.0, catch_up=world.catch_up)
    world.stored = WITH_VM
    answer = decide("newvm", "example.azurecr.cn", 443)
    assert not (isinstance(answer, Refusal) and answer.status == 407), answer
    assert world.catch_ups == 1


def test_an_unknown_host_stays_refused_when_nothing_moved() -> None:
    world = World()
    decide = proxy_policy(world.graph, lambda _: None, 1.0, catch_up=world.catch_up)
    answer = decide("nosuchvm", "example.azurecr.cn", 443)
    assert isinstance(answer, Refusal) and answer.status == 407
    assert world.catch_ups == 1


def test_an_answer_that_is_no_refusal_never_catches_up() -> None:
    world = World()
    decide = proxy_policy(world.graph, lambda _: None, 1.0, frozenset({"mcr.microsoft.com"}), world.catch_up)
    assert not isinstance(decide(None, "mcr.microsoft.com", 443), Refusal)
    assert world.catch_ups == 0
