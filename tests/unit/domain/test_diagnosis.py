"""acrlink check: each broken step and the az command that fixes it."""

from __future__ import annotations

from dataclasses import replace

from acrlink.domain import diagnosis

from .netgraph_world import ENDPOINT, RECORDS, REGISTRY, graph, with_records, with_status


def _check(g, host: str, registry: str = "myregistry") -> diagnosis.Diagnosis:  # type: ignore[no-untyped-def]
    return diagnosis.diagnose(g, g.host(host), registry)


def test_reachable_from_the_vnet() -> None:
    result = _check(graph(), "myvm")
    assert result.reachable and result.fix is None
    assert [s.title for s in result.steps] == [
        "myregistry.azurecr.cn",
        "myregistry.chinanorth2.data.azurecr.cn",
        "myregistry.chinaeast2.data.azurecr.cn",
    ]


def test_missing_data_record_names_the_record_to_add() -> None:
    records = {k: v for k, v in RECORDS.items() if k[0] != "myregistry.chinaeast2.data"}
    result = _check(with_records(records), "myvm")
    assert not result.reachable
    assert [s.ok for s in result.steps] == [True, True, False]
    assert result.fix is not None
    assert "record-set a add-record" in result.fix and "--record-set-name myregistry.chinaeast2.data" in result.fix
    assert "--ipv4-address 10.0.0.6" in result.fix


def test_pending_connection_names_the_approval() -> None:
    result = _check(with_status("Pending"), "myvm")
    assert result.fix == (
        "az acr private-endpoint-connection approve --registry-name myregistry "
        "--name mype.1b2c3d4e-0000-4000-8000-000000000001"
    ), "the real connection name, not a placeholder"


def test_public_access_disabled_from_the_internet() -> None:
    closed = graph(registries={**graph().registries, "myregistry": replace(REGISTRY, public_network_access=False)})
    result = _check(closed, "internet")
    assert not result.reachable
    assert result.fix is not None and "--public-network-enabled true" in result.fix


def test_peered_vnet_without_a_zone_link_names_the_link() -> None:
    closed = graph(registries={**graph().registries, "myregistry": replace(REGISTRY, public_network_access=False)})
    result = _check(closed, "peervm")
    assert result.fix is not None and "private-dns link vnet create" in result.fix


def test_ip_rule_fix_for_a_denied_public_client() -> None:
    rules = graph(registries={**graph().registries, "myregistry": replace(REGISTRY, default_action_deny=True)})
    result = _check(rules, "internet")
    assert result.fix == "az acr network-rule add --name myregistry --ip-address 203.0.113.50"


def test_unknown_registry() -> None:
    result = _check(graph(), "internet", "nosuchreg")
    assert not result.reachable and result.fix is None, "no group to create it in can be known"
    assert result.hint is not None and "az acr create --name nosuchreg" in result.hint


def test_reopening_a_registry_az_closed_also_admits_the_host() -> None:
    """az's --public-network-enabled false also sets defaultAction Deny: reopening alone leaves it closed."""
    closed = replace(REGISTRY, public_network_access=False, default_action_deny=True)
    result = _check(graph(registries={**graph().registries, "myregistry": closed}), "internet")
    assert result.fix == (
        "az acr update --name myregistry --public-network-enabled true && "
        "az acr network-rule add --name myregistry --ip-address 203.0.113.50"
    )


def test_no_fix_has_a_placeholder() -> None:
    closed = graph(registries={**graph().registries, "myregistry": replace(REGISTRY, public_network_access=False)})
    for g, host in ((closed, "peervm"), (with_status("Pending"), "myvm"), (closed, "internet")):
        fix = _check(g, host).fix
        assert fix is not None and "<" not in fix and "GROUP" not in fix, fix


def test_records_missing_because_the_connection_waits_names_the_approval() -> None:
    """The zone group writes the records on approval: adding them by hand would reach a black hole."""
    g = replace(with_records({}), endpoints=(replace(ENDPOINT, status="Pending"),))
    result = _check(g, "myvm")
    assert result.fix is not None and result.fix.startswith("az acr private-endpoint-connection approve")
