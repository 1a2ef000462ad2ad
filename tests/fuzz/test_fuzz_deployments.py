"""Template deployments: generated templates (valid, half-valid and nonsense: expressions, copy counts,
dependencies, parameters, nested deployments) never get a 5xx; a refused deployment, and any validate or
what-if, changes nothing; a deployment never stays Running."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.api.conftest import Arm

from .conftest import state

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
GROUP = "/subscriptions/{sub}/resourcegroups/fuzzrg"
DEPLOYMENTS = f"{GROUP}/providers/Microsoft.Resources/deployments"

expressions = st.sampled_from(
    [
        "[concat('v', copyIndex())]",
        "[parameters('p')]",
        "[variables('v')]",
        "[reference('a').addressSpace]",
        "[reference('nowhere')]",
        "[if(true(), 'a', 'b')]",
        "[foo(]",
        "[concat(]",
        "[[literal]",
        "[utcNow()]",
        "[newGuid()]",
        "[resourceGroup().location]",
        "[resourceId('Microsoft.Network/virtualNetworks', 'a')]",
        "[uniqueString(resourceGroup().id)]",
        "[length(range(0, 5000))]",
        "[json('{')]",
        "[div(1, 0)]",
        "[substring('abc', 5, 1)]",
        "[copyIndex('nope')]",
        "[lambda('x', lambdaVariables('x'))]",
        "[map(range(0, 3), lambda('i', add(lambdaVariables('i'), 1)))]",
        "[createArray(1, 2)[9]]",
        "[environment().suffixes.acrLoginServer]",
        "[variables('v')[0]]",
        "a",
        "b",
        "vnet1",
    ]
) | st.text(max_size=20)
types_ = st.sampled_from(
    [
        "Microsoft.Network/virtualNetworks",
        "Microsoft.Network/virtualNetworks/subnets",
        "Microsoft.Network/privateDnsZones",
        "Microsoft.Network/privateDnsZones/A",
        "Microsoft.ContainerRegistry/registries",
        "Microsoft.Resources/deployments",
        "Microsoft.Nowhere/things",
        "nonsense",
    ]
)
values = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 1000), st.text(max_size=10), expressions,
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)  # fmt: skip
resources = st.fixed_dictionaries(
    {
        "type": types_ | expressions,
        "name": expressions,
        "apiVersion": st.sampled_from(["2024-05-01", "2025-11-01", "x"]),
    },
    optional={
        "location": st.sampled_from(["chinanorth2", "global", "nowhere", "[resourceGroup().location]"]),
        "dependsOn": st.lists(expressions, max_size=3),
        "condition": st.one_of(st.booleans(), expressions, st.integers()),
        "copy": st.fixed_dictionaries(
            {"name": st.sampled_from(["loop", "a"]), "count": st.one_of(st.integers(-2, 900), expressions)}
        ),
        "properties": st.dictionaries(
            st.sampled_from(["addressSpace", "template", "mode", "parameters", "x"]), values, max_size=3
        ),
        "sku": st.fixed_dictionaries({"name": st.sampled_from(["Premium", "Basic", "Gold"])}),
        "existing": st.booleans(),
        "resourceGroup": st.sampled_from(["fuzzrg", "nowhere"]),
    },
)
templates = st.fixed_dictionaries(
    {"$schema": st.sampled_from([SCHEMA, "nonsense"]), "contentVersion": st.just("1.0.0.0"),
     "resources": st.lists(resources, max_size=4)},
    optional={
        "parameters": st.dictionaries(
            st.sampled_from(["p", "q"]),
            st.fixed_dictionaries({"type": st.sampled_from(["string", "int", "array", "bool", "weird"])},
                                  optional={"defaultValue": values, "allowedValues": st.lists(values, max_size=2),
                                            "minLength": st.integers(-1, 5)}),
            max_size=2,
        ),
        "variables": st.dictionaries(st.sampled_from(["v", "w", "copy"]), values, max_size=2),
        "outputs": st.dictionaries(
            st.sampled_from(["o"]),
            st.fixed_dictionaries({"type": st.sampled_from(["string", "object", "x"]), "value": values}),
            max_size=1,
        ),
        "languageVersion": st.sampled_from(["2.0", "9.9"]),
    },
)  # fmt: skip
parameters = st.dictionaries(st.sampled_from(["p", "q", "r"]), st.fixed_dictionaries({"value": values}), max_size=2)

_READY: set[int] = set()


def _group(arm: Arm) -> None:
    if id(arm) not in _READY:
        assert arm.request("PUT", GROUP, {"location": "chinanorth2"}).status_code in (200, 201)
        _READY.add(id(arm))


def _send(arm: Arm, path: str, body: Any) -> Any:
    return arm.client.request(
        path.split(" ")[0],
        path.split(" ")[1].replace("{sub}", arm.sub),
        params={"api-version": "2025-04-01"},
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )


@given(template=templates, supplied=parameters, mode=st.sampled_from(["Incremental", "Complete", "Sideways"]))
def test_generated_templates_never_get_a_5xx(
    fuzz_arm: Arm, template: dict[str, Any], supplied: dict[str, Any], mode: str
) -> None:
    arm = fuzz_arm
    _group(arm)
    body = {"properties": {"mode": mode, "template": template, "parameters": supplied}}
    for action in ("validate", "whatIf"):
        before = state(arm.application.settings.data_dir)
        answer = _send(arm, f"POST {DEPLOYMENTS}/fuzz/{action}", body)
        assert answer.status_code < 500, (action, template, answer.text[:500])
        assert state(arm.application.settings.data_dir) == before, (action, template, answer.text[:300])
        if answer.status_code >= 400:
            assert answer.json()["error"]["code"]
    before = state(arm.application.settings.data_dir)
    answer = _send(arm, f"PUT {DEPLOYMENTS}/fuzz", body)
    assert answer.status_code < 500, (template, answer.text[:500])
    if answer.status_code >= 400:
        assert answer.json()["error"]["code"]
        assert state(arm.application.settings.data_dir) == before, (template, answer.text[:300])
    else:
        assert answer.json()["properties"]["provisioningState"] in ("Succeeded", "Failed"), answer.text[:300]
