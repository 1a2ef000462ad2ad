"""ARM template deployments driven through the real az, each command a user types: ``az deployment group
create | show | list | export | delete | validate | what-if | cancel``, ``az deployment operation group
list``, ``az deployment sub create``; the ways az takes ``--parameters``; ARM's error codes for bad input
as az prints them, with nothing created; Complete mode; redeploying changes nothing; what-if's network
reachability diagnostics (and ``acrlink check --what-if``); subscription-scope and cross-subscription
nested deployments (provider registration); ``--arm-async`` polling and cancel; a deployment interrupted by
a killed process. The templates are written here, as files with ``//`` comments (az sends them verbatim).
test_templates.py covers the seed templates themselves."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Running, start, stop
from .templates.generate import many_resources

pytestmark = [pytest.mark.slow, pytest.mark.az]

TEMPLATES = Path(__file__).parent / "templates"
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
SUB_SCHEMA = "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
PARAMS_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
NETWORK = "2025-07-01"
PRIVATE_DNS = "2024-06-01"
ACR = "2025-11-01"
CANCEL_RESOURCES = 500
"""Big enough that ``az deployment group cancel`` (one az start-up, about 2 s) lands while the deployment
still runs (500 cheap resources take about 6 s to apply), small enough to validate quickly."""


def template(resources: list[Any], parameters: Any = None, outputs: Any = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "parameters": parameters or {}}
    doc.update(extra)
    doc["resources"] = resources
    doc["outputs"] = outputs or {}
    return doc


def write(directory: Path, name: str, doc: dict[str, Any], comment: str | None = None) -> Path:
    """``doc`` as a template file, a ``//`` comment on its first line when given (az sends the file as is)."""
    path = directory / name
    text = json.dumps(doc, indent=2)
    if comment:
        text = text.replace("{\n", "{\n  // " + comment + "\n", 1)
    path.write_text(text)
    return path


def vnet(name: str, prefix: str = "10.0.0.0/16", **extra: Any) -> dict[str, Any]:
    return {
        "type": "Microsoft.Network/virtualNetworks",
        "apiVersion": NETWORK,
        "name": name,
        "location": "[resourceGroup().location]",
        "properties": {"addressSpace": {"addressPrefixes": [prefix]}},
        **extra,
    }


def zone(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Microsoft.Network/privateDnsZones",
        "apiVersion": PRIVATE_DNS,
        "name": name,
        "location": "global",
        "properties": {},
        **extra,
    }


def fails(running: Running, *args: str) -> str:
    """``az ARGS`` that must fail (stdin not a terminal, so az cannot prompt); what it printed."""
    result = subprocess.run(
        [sys.executable, "-m", "acrlink", "az", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "ACRLINK_DATA_DIR": str(running.data_dir)},
    )
    assert result.returncode != 0, f"az {' '.join(args)} succeeded:\n{result.stdout}"
    return result.stdout + result.stderr


def group(running: Running, name: str, *extra: str) -> str:
    running.azs(f"group create -n {name} -l chinanorth2 {' '.join(extra)}")
    return name


def names_in(running: Running, rg: str, *extra: str) -> list[str]:
    """Every resource ``az resource list -g`` shows in the group."""
    return sorted(running.az_json("resource", "list", "-g", rg, "--query", "[].name", *extra))


def outputs_of(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v["value"] for k, v in (doc["properties"]["outputs"] or {}).items()}


# 1. --parameters every way az takes them; show, list, operations, export, delete -----------------------

PARAMETERIZED = template(
    [
        vnet(
            "[format('{0}-{1}', parameters('prefix'), copyIndex())]",
            "[format('10.{0}.0.0/16', copyIndex())]",
            copy={"name": "nets", "count": "[parameters('count')]"},
            tags={"tagged": "[string(parameters('tagged'))]"},
        ),
        zone("[parameters('zones')[copyIndex()]]", copy={"name": "zoneLoop", "count": "[length(parameters('zones'))]"}),
    ],
    {
        "prefix": {"type": "string"},
        "count": {"type": "int", "defaultValue": 1, "minValue": 0},
        "tagged": {"type": "bool", "defaultValue": False},
        "zones": {"type": "array", "defaultValue": []},
    },
    {
        "count": {"type": "int", "value": "[parameters('count')]"},
        "tagged": {"type": "bool", "value": "[parameters('tagged')]"},
        "zones": {"type": "array", "value": "[parameters('zones')]"},
        "first": {"type": "string", "value": "[format('{0}-0', parameters('prefix'))]"},
    },
)


def test_parameters_inline_file_and_key_value_then_show_list_operations_export_delete(
    net: Running, tmp_path: Path
) -> None:
    rg = group(net, "dep-params")
    path = write(tmp_path, "params.json", PARAMETERIZED, "count, tagged and zones typed by the template")
    parameters_file = tmp_path / "values.json"
    parameters_file.write_text(
        '{\n  "$schema": "' + PARAMS_SCHEMA + '",\n  "contentVersion": "1.0.0.0",\n'
        "  // a parameters file may carry comments too\n"
        '  "parameters": {"prefix": {"value": "f"}, "count": {"value": 1}}\n}\n'
    )

    def create(name: str, *parameters: str) -> dict[str, Any]:
        doc: dict[str, Any] = net.az_json("deployment", "group", "create", "-g", rg, "-n", name, "-f", str(path),
                                          "-p", *parameters)  # fmt: skip
        assert doc["properties"]["provisioningState"] == "Succeeded", doc
        return doc

    inline = create("inline", '{"prefix": {"value": "i"}, "tagged": {"value": true}}')
    assert outputs_of(inline) == {"count": 1, "tagged": True, "zones": [], "first": "i-0"}
    assert outputs_of(create("atfile", f"@{parameters_file}"))["first"] == "f-0"
    assert outputs_of(create("plainfile", str(parameters_file)))["first"] == "f-0"
    typed = create("keyvalue", "prefix=k", "count=2", "tagged=true", 'zones=["a.dep.test", "b.dep.test"]')
    assert outputs_of(typed) == {"count": 2, "tagged": True, "zones": ["a.dep.test", "b.dep.test"], "first": "k-0"}
    # key=value pairs are sent typed by the template (int, bool, array), and ARM reports the types
    assert {k: v["type"] for k, v in typed["properties"]["parameters"].items()} == {
        "prefix": "String", "count": "Int", "tagged": "Bool", "zones": "Array"
    }  # fmt: skip

    shown = net.az_json("deployment", "group", "show", "-g", rg, "-n", "keyvalue")
    assert shown["name"] == "keyvalue"
    assert (
        shown["id"]
        == f"/subscriptions/{net.subscription}/resourceGroups/{rg}/providers/Microsoft.Resources/deployments/keyvalue"
    )
    assert shown["properties"]["provisioningState"] == "Succeeded"
    assert shown["properties"]["correlationId"] == typed["properties"]["correlationId"]
    assert outputs_of(shown) == outputs_of(typed)

    # newest first; --query runs over the listed deployments
    assert net.az_json("deployment", "group", "list", "-g", rg, "--query", "[].name") == [
        "keyvalue", "plainfile", "atfile", "inline"
    ]  # fmt: skip
    query = "[?properties.parameters.prefix.value=='f'].name"
    assert net.az_json("deployment", "group", "list", "-g", rg, "--query", query) == ["plainfile", "atfile"]
    assert net.azs(f"deployment group list -g {rg} --query length([?properties.outputs.tagged.value])") == "2"

    operations = net.az_json("deployment", "operation", "group", "list", "-g", rg, "-n", "keyvalue")
    group_id = f"/subscriptions/{net.subscription}/resourceGroups/{rg}"
    expected = {
        f"{group_id}/providers/Microsoft.Network/virtualNetworks/k-0",
        f"{group_id}/providers/Microsoft.Network/virtualNetworks/k-1",
        f"{group_id}/providers/Microsoft.Network/privateDnsZones/a.dep.test",
        f"{group_id}/providers/Microsoft.Network/privateDnsZones/b.dep.test",
    }
    assert sorted(o["properties"]["targetResource"]["id"] for o in operations) == sorted(expected)
    for operation in operations:
        properties = operation["properties"]
        assert (properties["provisioningOperation"], properties["provisioningState"], properties["statusCode"]) == (
            "Create", "Succeeded", "Created"
        ), operation  # fmt: skip
        target = properties["targetResource"]
        assert target["resourceName"] == target["id"].rsplit("/", 1)[1]
        assert target["resourceType"] in {"Microsoft.Network/virtualNetworks", "Microsoft.Network/privateDnsZones"}
        assert re.fullmatch(r"[0-9A-F]{16}", operation["operationId"])

    # export prints the template itself (az prints it, not through --output); the comment is gone
    exported = net.az("deployment", "group", "export", "-g", rg, "-n", "keyvalue").stdout
    assert json.loads(exported) == PARAMETERIZED

    net.azs(f"deployment group delete -g {rg} -n inline")
    assert "DeploymentNotFound" in fails(net, "deployment", "group", "show", "-g", rg, "-n", "inline")
    # deleting a deployment deletes its history entry, not what it deployed
    assert names_in(net, rg) == ["a.dep.test", "b.dep.test", "f-0", "i-0", "k-0", "k-1"]
    assert net.az_json("deployment", "group", "list", "-g", rg, "--query", "[].name") == [
        "keyvalue", "plainfile", "atfile"
    ]  # fmt: skip


# 2. validate ------------------------------------------------------------------------------------------


def registry(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Microsoft.ContainerRegistry/registries",
        "apiVersion": ACR,
        "name": name,
        "location": "[resourceGroup().location]",
        "sku": {"name": "Premium"},
        "properties": {"adminUserEnabled": False},
        **extra,
    }


def test_validate_says_succeeded_for_a_good_template_and_prints_the_preflight_errors_of_a_bad_one(
    net: Running, tmp_path: Path
) -> None:
    rg = group(net, "dep-validate")
    good = write(tmp_path, "good.json", template([vnet("checked"), registry("depvalidreg")]), "a good template")
    assert net.azs(f"deployment group validate -g {rg} -f {good} --query properties.provisioningState") == "Succeeded"

    bad = write(
        tmp_path, "bad.json", template([vnet("fine"), registry("not-valid!")]), "registry names: letters, digits"
    )
    printed = fails(net, "deployment", "group", "validate", "-g", rg, "-f", str(bad))
    assert "InvalidTemplateDeployment" in printed
    assert "The template deployment 'bad' is not valid according to the validation procedure" in printed
    assert "PreflightValidationCheckFailed" in printed
    assert "InvalidResourceName" in printed and "registries/not-valid!" in printed  # the inner error, its target
    # create validates first: same refusal, no deployment recorded
    assert "PreflightValidationCheckFailed" in fails(net, "deployment", "group", "create", "-g", rg, "-f", str(bad))
    assert net.az_json("deployment", "group", "list", "-g", rg) == []
    assert names_in(net, rg) == []


# 3. bad input: ARM's codes as az prints them, nothing created ------------------------------------------

BAD = [
    # (file, template, --parameters, what az must print)
    ("unknownfn", template([vnet("[nosuch('x')]")]), [], ["InvalidTemplate", "'nosuch' is not found", "line '"]),
    (
        "wrongtype",
        template([vnet("v")], {"n": {"type": "int"}}),
        ['{"n": {"value": "three"}}'],
        ["InvalidTemplate", "template parameter 'n'", "Expected a value of type 'Int'"],
    ),
    (
        "cycle",
        template([vnet("a", dependsOn=["b"]), vnet("b", "10.1.0.0/16", dependsOn=["a"])]),
        [],
        ["InvalidTemplate", "Circular dependency", "virtualNetworks/a"],
    ),
    ("dangling", template([vnet("a", dependsOn=["nowhere"])]), [], ["InvalidTemplate", "'nowhere' is not defined"]),
    (
        "copy801",
        template([vnet("[concat('c', copyIndex())]", copy={"name": "many", "count": 801})]),
        [],
        ["InvalidTemplate", "copy count '801'", "cannot exceed '800'"],
    ),
    (
        "refmissing",
        template([vnet("r", tags={"x": "[reference('ghost').foo]"})]),
        [],
        ["InvalidTemplate", "'ghost' is not defined"],
    ),
]


def test_bad_templates_get_arms_codes_in_azs_output_and_create_nothing(net: Running, tmp_path: Path) -> None:
    rg = group(net, "dep-bad")
    for name, doc, parameters, words in BAD:
        path = write(tmp_path, f"{name}.json", doc, name)
        printed = fails(net, "deployment", "group", "create", "-g", rg, "-f", str(path), *(["-p", *parameters] if parameters else []))  # fmt: skip
        for word in words:
            assert word in printed, (name, printed)

    typed = write(tmp_path, "typed.json", template([vnet("v")], {"n": {"type": "int"}}))
    # az itself types key=value by the template: a non-number for an int parameter never leaves the client
    assert "invalid literal for int()" in fails(net, "deployment", "group", "create", "-g", rg, "-f", str(typed), "-p", "n=three")  # fmt: skip

    missing = write(tmp_path, "missing.json", template([vnet("[parameters('n')]")], {"n": {"type": "string"}}))
    # without a terminal az cannot prompt: it refuses before sending anything
    assert "Missing input parameters: n" in fails(net, "deployment", "group", "create", "-g", rg, "-f", str(missing))
    # --no-prompt only warns; ARM refuses the deployment, naming the parameter and its position
    printed = fails(net, "deployment", "group", "create", "-g", rg, "-f", str(missing), "--no-prompt")
    assert "WARNING: Missing input parameters: n" in printed
    assert "InvalidTemplate" in printed and "The value for the template parameter 'n' at line '" in printed
    assert "is not provided" in printed

    assert net.az_json("deployment", "group", "list", "-g", rg) == []
    assert names_in(net, rg) == []


def test_a_resource_the_provider_refuses_fails_the_deployment_and_what_was_created_stays(
    net: Running, tmp_path: Path
) -> None:
    rg = group(net, "dep-fail")
    ghost = f"/subscriptions/{net.subscription}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/depghostreg"
    endpoint = {
        "type": "Microsoft.Network/privateEndpoints",
        "apiVersion": NETWORK,
        "name": "orphan",
        "location": "[resourceGroup().location]",
        "dependsOn": ["pevnet"],
        "properties": {
            "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'pevnet', 's')]"},
            "privateLinkServiceConnections": [
                {"name": "c", "properties": {"privateLinkServiceId": ghost, "groupIds": ["registry"]}}
            ],
        },
    }
    network = vnet("pevnet", "10.50.0.0/16")
    network["properties"]["subnets"] = [{"name": "s", "properties": {"addressPrefix": "10.50.0.0/24"}}]
    path = write(
        tmp_path, "orphan.json", template([network, endpoint]), "the registry the endpoint names does not exist"
    )

    # the registry is only looked up when the endpoint is created: validation passes
    assert net.azs(f"deployment group validate -g {rg} -f {path} --query properties.provisioningState") == "Succeeded"
    printed = fails(net, "deployment", "group", "create", "-g", rg, "-f", str(path))
    assert '"code":"DeploymentFailed"' in printed.replace(" ", "")
    assert "At least one resource deployment operation failed" in printed
    assert "PrivateLinkServiceResourceNotFound" in printed and "depghostreg" in printed

    shown = net.az_json("deployment", "group", "show", "-g", rg, "-n", "orphan")
    error = shown["properties"]["error"]
    assert (shown["properties"]["provisioningState"], error["code"]) == ("Failed", "DeploymentFailed")
    assert [d["code"] for d in error["details"]] == ["PrivateLinkServiceResourceNotFound"]
    by_name = {
        o["properties"]["targetResource"]["resourceName"]: o["properties"]
        for o in net.az_json("deployment", "operation", "group", "list", "-g", rg, "-n", "orphan")
    }
    assert (by_name["pevnet"]["provisioningState"], by_name["pevnet"]["statusCode"]) == ("Succeeded", "Created")
    assert (by_name["orphan"]["provisioningState"], by_name["orphan"]["statusCode"]) == ("Failed", "BadRequest")
    assert by_name["orphan"]["statusMessage"]["error"]["code"] == "PrivateLinkServiceResourceNotFound"
    # the VNet made before the failure stays, as in Azure; the endpoint was never made
    assert names_in(net, rg) == ["pevnet"]
    assert net.azs(f"network vnet show -g {rg} -n pevnet --query subnets[0].name") == "s"


# 4. Complete mode; 5. redeploying changes nothing -------------------------------------------------------

DECLARED = template(
    [
        {**vnet("keep", "10.1.0.0/16"), "properties": {
            "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
            "subnets": [{"name": "s", "properties": {"addressPrefix": "10.1.0.0/24"}}],
        }},
        zone("keep.dep.test"),
    ]
)  # fmt: skip


def resource_lines(printed: str) -> list[str]:
    """The resource lines of az's pretty what-if (``  <symbol> <id> [apiVersion]``)."""
    return sorted(line.strip() for line in printed.splitlines() if re.match(r"^  [-+~=*!x] \S+ \[", line))


def test_complete_mode_deletes_the_undeclared_and_what_if_shows_it_as_delete(net: Running, tmp_path: Path) -> None:
    rg = group(net, "dep-complete")
    net.azs(f"network vnet create -g {rg} -n undeclared --address-prefixes 10.9.0.0/16")
    path = write(tmp_path, "declared.json", DECLARED, "keep and keep.dep.test; nothing else")

    incremental = net.az("deployment", "group", "what-if", "-g", rg, "-f", str(path)).stdout
    assert [line[:1] for line in resource_lines(incremental)] == ["*", "+", "+"]  # Ignore the undeclared VNet
    printed = net.az("deployment", "group", "what-if", "-g", rg, "-f", str(path), "--mode", "Complete").stdout
    assert "  - Delete" in printed
    deleted = [line for line in resource_lines(printed) if line.startswith("-")]
    assert len(deleted) == 1 and deleted[0].startswith("- Microsoft.Network/virtualNetworks/undeclared ["), printed
    assert "Resource changes: 1 to delete, 2 to create." in printed
    assert names_in(net, rg) == ["undeclared"]  # what-if changes nothing

    doc = net.az_json("deployment", "group", "create", "-g", rg, "-f", str(path), "--mode", "Complete")
    assert (doc["properties"]["provisioningState"], doc["properties"]["mode"]) == ("Succeeded", "Complete")
    assert names_in(net, rg) == ["keep", "keep.dep.test"]
    operations = net.az_json("deployment", "operation", "group", "list", "-g", rg, "-n", "declared")
    done = sorted((o["properties"]["provisioningOperation"], o["properties"]["targetResource"]["resourceName"])
                  for o in operations)  # fmt: skip
    assert done == [("Create", "keep"), ("Create", "keep.dep.test"), ("Delete", "undeclared")]


def etags(net: Running, rg: str) -> dict[str, str]:
    return {
        "keep": net.azs(f"network vnet show -g {rg} -n keep --query etag"),
        "zone": net.azs(f"network private-dns zone show -g {rg} -n keep.dep.test --query etag"),
    }


def test_redeploying_the_same_template_is_all_no_change_and_changes_no_etag(net: Running, tmp_path: Path) -> None:
    rg = group(net, "dep-again")
    path = write(tmp_path, "again.json", DECLARED, "deployed twice")
    net.azs(f"deployment group create -g {rg} -f {path} -n first")
    before = etags(net, rg)

    printed = net.az("deployment", "group", "what-if", "-g", rg, "-f", str(path)).stdout
    assert resource_lines(printed) == [
        f"= Microsoft.Network/privateDnsZones/keep.dep.test [{PRIVATE_DNS}]",
        f"= Microsoft.Network/virtualNetworks/keep [{NETWORK}]",
    ]
    assert "  = Nochange" in printed  # az's legend (the change type .title()-cased)
    assert "Resource changes: 2 no change." in printed

    net.azs(f"deployment group create -g {rg} -f {path} -n second")
    assert etags(net, rg) == before


# 6. what-if and the network --------------------------------------------------------------------------

ADD_ENDPOINT = template(
    [
        zone("[variables('zone')]"),
        {
            "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
            "apiVersion": PRIVATE_DNS,
            "name": "[format('{0}/{1}-link', variables('zone'), parameters('vnetName'))]",
            "location": "global",
            "dependsOn": ["[resourceId('Microsoft.Network/privateDnsZones', variables('zone'))]"],
            "properties": {
                "registrationEnabled": False,
                "virtualNetwork": {"id": "[resourceId('Microsoft.Network/virtualNetworks', parameters('vnetName'))]"},
            },
        },
        {
            "type": "Microsoft.Network/privateEndpoints",
            "apiVersion": NETWORK,
            "name": "reachpe",
            "location": "[resourceGroup().location]",
            "properties": {
                "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('vnetName'), 'default')]"},
                "privateLinkServiceConnections": [{"name": "reachpe-conn", "properties": {
                    "privateLinkServiceId": "[resourceId('Microsoft.ContainerRegistry/registries', parameters('registryName'))]",
                    "groupIds": ["registry"],
                }}],
            },
        },
        {
            "type": "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
            "apiVersion": NETWORK,
            "name": "reachpe/default",
            "dependsOn": ["reachpe", "[resourceId('Microsoft.Network/privateDnsZones', variables('zone'))]"],
            "properties": {"privateDnsZoneConfigs": [{"name": "acr", "properties": {
                "privateDnsZoneId": "[resourceId('Microsoft.Network/privateDnsZones', variables('zone'))]"
            }}]},
        },
    ],
    {"registryName": {"type": "string"}, "vnetName": {"type": "string"}},
    variables={"zone": "[concat('privatelink', environment().suffixes.acrLoginServer)]"},
)  # fmt: skip


def test_what_if_states_who_moves_from_public_to_private_and_who_loses_access(net: Running, tmp_path: Path) -> None:
    rg, reg, vm = group(net, "dep-reach"), "depreachreg", "depReachVM"
    net.azs(f"acr create -n {reg} -g {rg} --sku Premium")
    net.azs(f"network vnet create -g {rg} -n reachvnet --address-prefixes 10.40.0.0/16 --subnet-name default "
            "--subnet-prefixes 10.40.0.0/24")  # fmt: skip
    net.cli("vm", "create", vm, "-g", rg, "--vnet-name", "reachvnet", "--subnet", "default")  # takes 10.40.0.4
    path = write(tmp_path, "endpoint.json", ADD_ENDPOINT, "private endpoint, zone, link, zone group")
    before = names_in(net, rg)

    printed = net.az("deployment", "group", "what-if", "-g", rg, "-f", str(path),
                     "-p", f"registryName={reg}", "vnetName=reachvnet").stdout  # fmt: skip
    assert "Resource changes: 4 to create" in printed
    assert re.search(r"^Diagnostics \(\d+\):", printed, re.M), printed
    moved = rf"^{vm} \(NetworkReachability\) {reg}\.azurecr\.cn from public [\d.]+ to private 10\.40\.0\.5$"
    assert re.search(moved, printed, re.M), printed

    closing = TEMPLATES / "disable-public.json"
    printed = net.az("deployment", "group", "what-if", "-g", rg, "-f", str(closing), "-p", f"registryName={reg}").stdout
    assert "Resource changes: 1 to modify" in printed
    assert re.search(rf"^  ~ Microsoft\.ContainerRegistry/registries/{reg} \[", printed, re.M), printed
    lost = f"internet (NetworkReachability) {reg}.azurecr.cn loses access: public network access disabled"
    assert lost in printed.splitlines(), printed

    # the same summaries from acrlink's own command line, --parameters as az takes them (-p a=1 b=2)
    checked = net.cli("check", "--what-if", str(path), "-g", rg, "-p", f"registryName={reg}", "vnetName=reachvnet")
    assert re.search(rf"^{vm}: {reg}\.azurecr\.cn from public [\d.]+ to private 10\.40\.0\.5$", checked.stdout, re.M)
    closed = net.cli("check", "--what-if", str(closing), "-g", rg, "-p", f"registryName={reg}")
    assert f"internet: {reg}.azurecr.cn loses access: public network access disabled" in closed.stdout.splitlines()

    assert names_in(net, rg) == before  # what-if and check --what-if wrote nothing
    assert net.azs(f"acr show -n {reg} --query publicNetworkAccess") == "Enabled"


# 7. subscription scope; a nested deployment into another subscription ---------------------------------


def test_subscription_deployment_creates_a_group_and_deploys_into_it_with_inner_scope(
    net: Running, tmp_path: Path
) -> None:
    inner = template(
        [vnet("subvnet", "[parameters('prefix')]")],
        {"prefix": {"type": "string"}},
        {"group": {"type": "string", "value": "[resourceGroup().name]"}},
    )
    doc = {
        "$schema": SUB_SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": {"groupName": {"type": "string"}, "prefix": {"type": "string", "defaultValue": "10.30.0.0/16"}},
        "resources": [
            {
                "type": "Microsoft.Resources/resourceGroups",
                "apiVersion": "2022-09-01",
                "name": "[parameters('groupName')]",
                "location": "[deployment().location]",
            },
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "intoGroup",
                "resourceGroup": "[parameters('groupName')]",
                "dependsOn": [
                    "[subscriptionResourceId('Microsoft.Resources/resourceGroups', parameters('groupName'))]"
                ],
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "parameters": {"prefix": {"value": "[parameters('prefix')]"}},
                    "template": inner,
                },
            },
        ],
        "outputs": {"nestedGroup": {"type": "string", "value": "[reference('intoGroup').outputs.group.value]"}},
    }
    path = write(tmp_path, "sub.json", doc, "a group, then a nested deployment into it")
    created = net.az_json(
        "deployment", "sub", "create", "-l", "chinanorth2", "-f", str(path), "-p", "groupName=dep-made"
    )
    assert created["properties"]["provisioningState"] == "Succeeded", created
    assert outputs_of(created) == {"nestedGroup": "dep-made"}

    shown = net.az_json("deployment", "sub", "show", "-n", "sub")
    assert (shown["id"], shown["location"]) == (
        f"/subscriptions/{net.subscription}/providers/Microsoft.Resources/deployments/sub", "chinanorth2"
    )  # fmt: skip
    assert shown["properties"]["provisioningState"] == "Succeeded"
    operations = net.az_json("deployment", "operation", "sub", "list", "-n", "sub")
    assert sorted((o["properties"]["targetResource"]["resourceType"], o["properties"]["targetResource"]["resourceName"],
                   o["properties"]["provisioningState"]) for o in operations) == [
        ("Microsoft.Resources/deployments", "intoGroup", "Succeeded"),
        ("Microsoft.Resources/resourceGroups", "dep-made", "Succeeded"),
    ]  # fmt: skip
    # the nested deployment is a deployment of the group, with its own history
    assert net.azs("deployment group show -g dep-made -n intoGroup --query properties.provisioningState") == "Succeeded"
    assert net.azs("network vnet show -g dep-made -n subvnet --query addressSpace.addressPrefixes[0]") == "10.30.0.0/16"


def test_a_nested_deployment_into_a_subscription_without_the_provider_needs_it_registered(
    net: Running, tmp_path: Path
) -> None:
    other, reg = net.second_subscription, "depcrossreg"
    group(net, "dep-other", "--subscription", other)
    inner = template(
        [{**registry(reg), "sku": {"name": "Basic"}}],
        outputs={"subscription": {"type": "string", "value": "[subscription().subscriptionId]"}},
    )
    doc = {
        "$schema": SUB_SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": {"other": {"type": "string"}},
        "resources": [
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "intoOther",
                "subscriptionId": "[parameters('other')]",
                "resourceGroup": "dep-other",
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "template": inner,
                },
            }
        ],
        "outputs": {"where": {"type": "string", "value": "[reference('intoOther').outputs.subscription.value]"}},
    }
    path = write(tmp_path, "cross.json", doc, "a registry in a group of the second subscription")
    assert net.azs(
        f"provider show -n Microsoft.ContainerRegistry --subscription {other} --query registrationState"
    ) == ("NotRegistered")
    printed = fails(net, "deployment", "sub", "create", "-l", "chinanorth2", "-f", str(path), "-p", f"other={other}")
    assert "MissingSubscriptionRegistration" in printed
    assert "The subscription is not registered to use namespace 'Microsoft.ContainerRegistry'" in printed
    assert names_in(net, "dep-other", "--subscription", other) == []

    net.azs(f"provider register -n Microsoft.ContainerRegistry --subscription {other} --wait")
    created = net.az_json("deployment", "sub", "create", "-l", "chinanorth2", "-f", str(path), "-p", f"other={other}")
    assert created["properties"]["provisioningState"] == "Succeeded", created
    assert outputs_of(created) == {"where": other}
    assert net.azs(f"acr show -n {reg} --subscription {other} --query id") == (
        f"/subscriptions/{other}/resourceGroups/dep-other/providers/Microsoft.ContainerRegistry/registries/{reg}"
    )


# 8. --arm-async: polling and cancel -------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.json"
    path.write_text(f"// {CANCEL_RESOURCES} cheap resources\n" + json.dumps(many_resources(CANCEL_RESOURCES), indent=2))
    return path


@pytest.fixture
def azure_cli(az_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACRLINK_AZ", az_path)


def test_async_create_polls_to_success_and_cancel_ends_canceled(
    acrlink_async: Running, azure_cli: None, tmp_path: Path, big_template: Path
) -> None:
    arm = acrlink_async
    rg = group(arm, "dep-async")
    path = write(tmp_path, "small.json", DECLARED, "polled through Azure-AsyncOperation")
    started = time.monotonic()
    doc = arm.az_json("deployment", "group", "create", "-g", rg, "-f", str(path))
    assert doc["properties"]["provisioningState"] == "Succeeded", doc
    assert time.monotonic() - started < 20  # polled every second (Retry-After), not az's default 30 s
    assert names_in(arm, rg) == ["keep", "keep.dep.test"]

    rg = group(arm, "dep-cancel")
    arm.azs(f"deployment group create -g {rg} -n big -f {big_template} --no-wait")
    arm.azs(f"deployment group cancel -g {rg} -n big")  # exits 0 only if the deployment was still running
    shown = arm.az_json("deployment", "group", "show", "-g", rg, "-n", "big")
    assert shown["properties"]["provisioningState"] == "Canceled", shown["properties"]
    applied = int(arm.azs(f"deployment operation group list -g {rg} -n big --query length(@)"))
    assert 0 < applied < CANCEL_RESOURCES  # it stopped part way
    # a finished deployment cannot be canceled
    assert "cannot be canceled" in fails(arm, "deployment", "group", "cancel", "-g", rg, "-n", "big")


# 9. a deployment interrupted by a killed process -----------------------------------------------------


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting for its reaper does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.fixture
def private_async(tmp_path: Path, acrlink: Running, azure_cli: None) -> Iterator[list[Running]]:
    """An --arm-async acrlink of this test's own (the test kills it and starts it again)."""
    data = tmp_path / "data"
    data.mkdir()
    instances = [start(data, "--arm-async", ca_from=acrlink.data_dir)]
    yield instances
    stop(instances[-1])


@pytest.mark.single_process(
    reason="kill -9 and restart of one process on its data dir (a dead owner's lease across processes: tests/api/test_deployments.py)"
)
def test_a_deployment_interrupted_by_a_killed_process_ends_failed_after_restart(
    private_async: list[Running], big_template: Path
) -> None:
    arm = private_async[0]
    rg = group(arm, "dep-interrupted")
    arm.azs(f"deployment group create -g {rg} -n big -f {big_template} --no-wait")
    pid = int(arm.endpoints["pid"])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.05)

    again = start(arm.data_dir, "--arm-async")
    private_async.append(again)
    shown = again.az_json("deployment", "group", "show", "-g", rg, "-n", "big")
    assert shown["properties"]["provisioningState"] == "Failed", shown["properties"]
    assert shown["properties"]["error"]["code"] == "DeploymentInterrupted"
    assert "interrupted" in shown["properties"]["error"]["message"]
    applied = int(again.azs(f"deployment operation group list -g {rg} -n big --query length(@)"))
    assert applied < CANCEL_RESOURCES  # killed part way; what it applied stays
