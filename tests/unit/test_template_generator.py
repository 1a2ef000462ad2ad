"""tests/e2e/templates/generate.py: the template has exactly n resources, and its resources with the
expressions worked out by hand are the direct requests the benchmark sends (same paths, same bodies)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.templates import by_hand
from tests.e2e.templates.generate import counts, direct_requests, expected_outputs, many_resources

SUB = "00000000-0000-0000-0000-000000000001"
GROUP = "bench-rg"


def hand_values(n: int) -> by_hand.Values:
    split = counts(n)
    zone = f"/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Microsoft.Network/privateDnsZones/bench.acrlink.test"
    purpose = f"bench of {n} resources"
    return {
        "[parameters('zoneName')]": "bench.acrlink.test",
        "[variables('purpose')]": purpose,
        "[parameters('location')]": "chinanorth2",
        "[parameters('vnetCount')]": split.vnets,
        "[parameters('aCount')]": split.a,
        "[parameters('txtCount')]": split.txt,
        "[resourceId('Microsoft.Network/privateDnsZones', parameters('zoneName'))]": zone,
        "[format('{0}-vnet-{1}', parameters('prefix'), padLeft(copyIndex(), 3, '0'))]": lambda i: f"rec-vnet-{i:03}",
        "[string(copyIndex())]": str,
        "[format('10.{0}.0.0/16', copyIndex())]": lambda i: f"10.{i}.0.0/16",
        "[format('10.{0}.0.0/24', copyIndex())]": lambda i: f"10.{i}.0.0/24",
        "[format('{0}/{1}-{2}', parameters('zoneName'), parameters('prefix'), padLeft(copyIndex(1), 4, '0'))]":
            lambda i: f"bench.acrlink.test/rec-{i + 1:04}",
        "[add(300, mul(mod(copyIndex(), 5), 60))]": lambda i: 300 + i % 5 * 60,
        "[format('10.255.{0}.{1}', div(copyIndex(), 250), add(mod(copyIndex(), 250), 1))]":
            lambda i: f"10.255.{i // 250}.{i % 250 + 1}",
        "[concat(parameters('zoneName'), '/', toLower(format('TXT-{0}', copyIndex())))]":
            lambda i: f"bench.acrlink.test/txt-{i}",
        "[concat(variables('purpose'), ' ', string(copyIndex()))]": lambda i: f"{purpose} {i}",
    }  # fmt: skip


@pytest.mark.parametrize("n", [1, 2, 11, 200, 800])
def test_template_resources_are_the_direct_requests(n: int) -> None:
    template = json.loads(json.dumps(many_resources(n)))  # plain JSON, as az sends it
    filled = [r for _, r in by_hand.instances(template, hand_values(n))]
    assert len(filled) == n == counts(n).total
    group = f"/subscriptions/{SUB}/resourceGroups/{GROUP}"
    from_template: list[tuple[str, str, dict[str, Any]]] = []
    for resource in filled:
        path = by_hand.resource_path(group, resource["type"], resource["name"])
        body = {k: v for k, v in resource.items() if k not in ("type", "apiVersion", "name")}
        from_template.append(("PUT", f"{path}?api-version={resource['apiVersion']}", body))
    assert from_template == direct_requests(n, SUB, GROUP)
    assert expected_outputs(n)["recordSets"] == counts(n).a + counts(n).txt + 1


def test_limits() -> None:
    for bad in (0, 801):
        with pytest.raises(ValueError):
            many_resources(bad)


def test_jsonc_loader_drops_comments_but_not_strings() -> None:
    text = '{\n  // a comment\n  "a": "http://x//y", /* block\n */ "b": "/* not a comment */"\n}'
    assert json.loads(by_hand.strip_comments(text)) == {"a": "http://x//y", "b": "/* not a comment */"}


@pytest.mark.parametrize("name", ["seed", "seed.v2", "disable-public", "params.seed"])
def test_templates_parse_as_jsonc(name: str) -> None:
    document = by_hand.load(name)
    assert document["contentVersion"] == "1.0.0.0"
    assert "deploymentParameters" in document["$schema"] if name.startswith("params") else "resources" in document
