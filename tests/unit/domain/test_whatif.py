"""What-if: noise, the property delta, the change type, and what the real az prints for them."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from acrlink.domain import whatif

RG = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg"
VNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/myvnet"
REGISTRY = f"{RG}/providers/Microsoft.ContainerRegistry/registries/myregistry"
ZONE = f"{RG}/providers/Microsoft.Network/privateDnsZones/privatelink.azurecr.cn"
PE = f"{RG}/providers/Microsoft.Network/privateEndpoints/mype"
NIC = f"{RG}/providers/Microsoft.Network/networkInterfaces/oldnic"


def vnet(prefixes: list[str], subnet_prefix: str, tags: dict[str, str], etag: str = 'W/"1"') -> dict[str, Any]:
    return {
        "id": VNET,
        "name": "myvnet",
        "type": "Microsoft.Network/virtualNetworks",
        "location": "chinanorth2",
        "etag": etag,
        "tags": tags,
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": "5f2b0d36-0000-4000-8000-000000000001",
            "addressSpace": {"addressPrefixes": prefixes},
            "subnets": [
                {
                    "name": "default",
                    "etag": etag,
                    "properties": {"addressPrefix": subnet_prefix, "provisioningState": "Succeeded"},
                }
            ],
        },
    }


def registry(created: str) -> dict[str, Any]:
    return {
        "id": REGISTRY,
        "name": "myregistry",
        "type": "Microsoft.ContainerRegistry/registries",
        "location": "chinanorth2",
        "sku": {"name": "Premium"},
        "systemData": {"lastModifiedAt": created},
        "properties": {
            "publicNetworkAccess": "Enabled",
            "provisioningState": "Succeeded",
            "policies": {"retentionPolicy": {"days": 7, "status": "disabled", "lastUpdatedTime": created}},
        },
    }


def test_comparable_drops_the_noise_at_every_depth() -> None:
    clean = whatif.comparable(vnet(["10.0.0.0/16"], "10.0.0.0/24", {}))
    assert "etag" not in clean and "provisioningState" not in clean["properties"]
    assert clean["properties"]["subnets"] == [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}]
    assert clean["properties"]["resourceGuid"], "stable across a re-PUT: kept"
    reg = whatif.comparable(registry("2025-01-01T00:00:00Z"))
    assert "systemData" not in reg and reg["properties"]["policies"]["retentionPolicy"] == {
        "days": 7,
        "status": "disabled",
    }


def test_a_re_put_is_no_change() -> None:
    """Only noise differs between two GETs around a no-op PUT."""
    before = registry("2025-01-01T00:00:00Z")
    after = registry("2025-06-01T00:00:00Z")
    result = whatif.change(REGISTRY, before, after, True, api_version="2023-07-01")
    assert result["changeType"] == "NoChange" and "delta" not in result
    assert result["before"] == result["after"]
    assert list(result["after"])[0] == "apiVersion" and result["after"]["apiVersion"] == "2023-07-01"


def test_property_changes_flatten_objects_and_index_arrays() -> None:
    before = {"sku": {"name": "Basic"}, "tags": {"a": "1"}, "properties": {"x": [1, 2], "gone": {"k": True}}}
    after = {"sku": {"name": "Premium"}, "tags": {}, "properties": {"x": [1, 3, 4], "new": {"k": 1}}}
    assert whatif.property_changes(before, after) == [
        {"path": "sku.name", "propertyChangeType": "Modify", "before": "Basic", "after": "Premium"},
        {"path": "tags.a", "propertyChangeType": "Delete", "before": "1"},
        {
            "path": "properties.x",
            "propertyChangeType": "Array",
            "children": [
                {"path": "1", "propertyChangeType": "Delete", "before": 2},
                {"path": "1", "propertyChangeType": "Create", "after": 3},
                {"path": "2", "propertyChangeType": "Create", "after": 4},
            ],
        },
        {"path": "properties.gone", "propertyChangeType": "Delete", "before": {"k": True}},
        {"path": "properties.new", "propertyChangeType": "Create", "after": {"k": 1}},
    ]


def test_array_items_that_are_objects_or_arrays_nest() -> None:
    before = {"a": [{"name": "s", "p": {"q": 1}}, [1, 2]]}
    after = {"a": [{"name": "s", "p": {"q": 2}}, [1]]}
    assert whatif.property_changes(before, after) == [
        {
            "path": "a",
            "propertyChangeType": "Array",
            "children": [
                {
                    "path": "0",
                    "propertyChangeType": "Modify",
                    "children": [{"path": "p.q", "propertyChangeType": "Modify", "before": 1, "after": 2}],
                },
                {
                    "path": "1",
                    "propertyChangeType": "Array",
                    "children": [{"path": "1", "propertyChangeType": "Delete", "before": 2}],
                },
            ],
        }
    ]


def test_true_is_not_one_and_key_order_does_not_matter() -> None:
    assert whatif.property_changes({"v": True}, {"v": 1}) == [
        {"path": "v", "propertyChangeType": "Modify", "before": True, "after": 1}
    ]
    assert whatif.property_changes({"o": {"a": 1, "b": 2}}, {"o": {"b": 2, "a": 1.0}}) == []
    assert whatif.property_changes({"kind": {"a": 1}}, {"kind": "x"}) == [
        {"path": "kind", "propertyChangeType": "Modify", "before": {"a": 1}, "after": "x"}
    ]


@pytest.mark.parametrize(
    ("before", "after", "declared", "mode", "result_format", "expected"),
    [
        (None, {"id": "x"}, True, "Incremental", "FullResourcePayloads", "Create"),
        (None, {"id": "x"}, True, "Incremental", "ResourceIdOnly", "Create"),
        ({"id": "x"}, {"id": "x"}, False, "Incremental", "FullResourcePayloads", "Ignore"),
        ({"id": "x"}, None, False, "Incremental", "FullResourcePayloads", "Ignore"),
        ({"id": "x"}, None, False, "Complete", "FullResourcePayloads", "Delete"),
        ({"id": "x"}, None, False, "Complete", "ResourceIdOnly", "Delete"),
        ({"id": "x"}, {"id": "x"}, False, "Complete", "FullResourcePayloads", "Ignore"),
        ({"id": "x"}, {"id": "x"}, True, "Incremental", "ResourceIdOnly", "Deploy"),
        ({"id": "x"}, {"id": "x", "tags": {}}, True, "Complete", "FullResourcePayloads", "Modify"),
        ({"id": "x"}, {"id": "x"}, True, "Complete", "FullResourcePayloads", "NoChange"),
    ],
)
def test_change_types(
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    declared: bool,
    mode: whatif.Mode,
    result_format: whatif.ResultFormat,
    expected: str,
) -> None:
    result = whatif.change("x", before, after, declared, mode, result_format)
    assert result["changeType"] == expected
    if result_format == "ResourceIdOnly":
        assert set(result) == {"resourceId", "changeType"}


def test_payloads_per_change_type() -> None:
    doc = {"id": "x", "name": "x"}
    assert set(whatif.change("x", None, doc, True)) == {"resourceId", "changeType", "after"}
    assert set(whatif.change("x", doc, None, False, "Complete")) == {"resourceId", "changeType", "before"}
    assert set(whatif.change("x", doc, doc, False)) == {"resourceId", "changeType", "before"}
    assert set(whatif.change("x", doc, {**doc, "name": "y"}, True)) == {
        "resourceId",
        "changeType",
        "before",
        "after",
        "delta",
    }
    with pytest.raises(ValueError):
        whatif.change("x", None, None, True)
    with pytest.raises(ValueError):
        whatif.change("x", doc, doc, True, "incremental")  # type: ignore[arg-type]


def sample_result() -> dict[str, Any]:
    """One of each: Create, Modify (a nested leaf, a leaf array, an array of objects), NoChange, Ignore,
    Delete; and a diagnostic."""
    before = vnet(["10.0.0.0/16"], "10.0.0.0/24", {"env": "dev"})
    after = vnet(["10.0.0.0/15", "10.8.0.0/16"], "10.0.1.0/24", {"env": "prod", "owner": "me"}, 'W/"2"')
    zone = {"id": ZONE, "name": "privatelink.azurecr.cn", "type": "Microsoft.Network/privateDnsZones"}
    pe = {
        "id": PE,
        "name": "mype",
        "type": "Microsoft.Network/privateEndpoints",
        "location": "chinanorth2",
        "properties": {"provisioningState": "Succeeded", "subnet": {"id": VNET + "/subnets/default"}},
    }
    nic = {"id": NIC, "name": "oldnic", "type": "Microsoft.Network/networkInterfaces", "properties": {}}
    changes = [
        whatif.change(PE, None, pe, True, api_version="2023-11-01"),
        whatif.change(VNET, before, after, True, api_version="2023-11-01"),
        whatif.change(REGISTRY, registry("a"), registry("b"), True, api_version="2023-07-01"),
        whatif.change(ZONE, zone, copy.deepcopy(zone), False, api_version="2020-06-01"),
        whatif.change(NIC, nic, None, False, "Complete", api_version="2023-11-01"),
    ]
    diagnostic = {
        "level": "Info",
        "code": "NetworkReachability",
        "target": "myVM",
        "message": "myregistry.azurecr.cn from public 20.45.1.144 to private 10.0.0.4",
    }
    return {"status": "Succeeded", "properties": {"changes": changes, "diagnostics": [diagnostic]}}


RENDERED = """\
Resource and property changes are indicated with these symbols:
  - Delete
  + Create
  ~ Modify
  = Nochange
  * Ignore

The deployment will update the following scope:

Scope: /subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg

  - Microsoft.Network/networkInterfaces/oldnic [2023-11-01]

      apiVersion: "2023-11-01"
      id:         "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/oldnic"
      name:       "oldnic"
      type:       "Microsoft.Network/networkInterfaces"
      properties: {}

  + Microsoft.Network/privateEndpoints/mype [2023-11-01]

      apiVersion:           "2023-11-01"
      id:                   "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/mype"
      name:                 "mype"
      type:                 "Microsoft.Network/privateEndpoints"
      location:             "chinanorth2"
      properties.subnet.id: "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/myvnet/subnets/default"

  ~ Microsoft.Network/virtualNetworks/myvnet [2023-11-01]
    + tags.owner: "me"
    ~ properties.addressSpace.addressPrefixes: [
      - 0: "10.0.0.0/16"
      + 0: "10.0.0.0/15"
      + 1: "10.8.0.0/16"
      ]
    ~ properties.subnets: [
      ~ 0:

        ~ properties.addressPrefix: "10.0.0.0/24" => "10.0.1.0/24"

      ]
    ~ tags.env:   "dev" => "prod"

  = Microsoft.ContainerRegistry/registries/myregistry [2023-07-01]
  * Microsoft.Network/privateDnsZones/privatelink.azurecr.cn [2020-06-01]

Resource changes: 1 to delete, 1 to create, 1 to modify, 1 no change, 1 to ignore.

Diagnostics (1):
myVM (NetworkReachability) myregistry.azurecr.cn from public 20.45.1.144 to private 10.0.0.4
"""

RENDER = """\
import json, sys
from azure.cli.command_modules.resource._formatters import format_what_if_operation_result
from azure.mgmt.resource.deployments.models import WhatIfOperationResult
result = WhatIfOperationResult.deserialize(json.load(sys.stdin))
print(format_what_if_operation_result(result, enable_color=False), end="")
"""


def az_python() -> Path:
    """The interpreter of the real az (``.venv-az`` next to the venv running the tests, or in the project)."""
    candidates = [Path(sys.prefix).parent / ".venv-az", Path(__file__).resolve().parents[3] / ".venv-az"]
    for venv in candidates:
        if (venv / "bin" / "python").exists():
            return venv / "bin" / "python"
    pytest.fail(f"the real az is not installed (looked in {', '.join(map(str, candidates))})")


def render_with_az(result: dict[str, Any]) -> str:
    """What ``az deployment group what-if`` prints for this result (colour off), by az's own formatter."""
    done = subprocess.run(
        [str(az_python()), "-c", RENDER], input=json.dumps(result), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_az_renders_the_changes() -> None:
    text = render_with_az(sample_result())
    assert text.startswith("Note: The result may contain false positive predictions (noise).")
    body = text[text.index("Resource and property changes") :]
    # az ends "Diagnostics (1): " with a space; compare without trailing blanks.
    assert [line.rstrip() for line in body.splitlines()] == RENDERED.splitlines()
