"""Template deployments on the ARM face, in-process: the API's shapes, the engine's order and failures, the
refusals that create nothing, Complete mode, history, what-if and validate."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from acrlink.app import build
from acrlink.settings import Settings
from tests.api.conftest import Arm, error_code, make_arm

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
SUB_SCHEMA = "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
DEPLOYMENTS = "/subscriptions/{sub}/resourcegroups/rg/providers/Microsoft.Resources/deployments"
NET = "2024-05-01"


@pytest.fixture
def arm(tmp_path: Path) -> Iterator[Arm]:
    for made in make_arm(tmp_path):
        made.group()
        yield made


def template(resources: Any, parameters: Any = None, outputs: Any = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": resources, **extra}
    if parameters is not None:
        doc["parameters"] = parameters
    if outputs is not None:
        doc["outputs"] = outputs
    return doc


def vnet(name: str, prefix: str = "10.0.0.0/16", **extra: Any) -> dict[str, Any]:
    return {
        "type": "Microsoft.Network/virtualNetworks",
        "apiVersion": NET,
        "name": name,
        "location": "[resourceGroup().location]",
        "properties": {"addressSpace": {"addressPrefixes": [prefix]}},
        **extra,
    }


def deploy(
    arm: Arm, name: str, tmpl: dict[str, Any], parameters: dict[str, Any] | None = None, mode: str = "Incremental"
) -> Any:
    body = {"properties": {"mode": mode, "template": tmpl, "parameters": parameters or {}}}
    return arm.request("PUT", f"{DEPLOYMENTS}/{name}", body)


def resource(arm: Arm, path: str) -> Any:
    return arm.request("GET", f"/subscriptions/{{sub}}/resourceGroups/rg/providers/{path}")


def test_a_template_deploys_its_resources_in_order_and_records_each_operation(arm: Arm) -> None:
    tmpl = template(
        [
            {
                "type": "Microsoft.Network/virtualNetworks/subnets",
                "apiVersion": NET,
                "name": "vnet1/default",
                "dependsOn": ["[resourceId('Microsoft.Network/virtualNetworks', 'vnet1')]"],
                "properties": {"addressPrefix": "10.0.0.0/24"},
            },
            vnet("vnet1"),
        ],
        outputs={"space": {"type": "array", "value": "[reference('vnet1').addressSpace.addressPrefixes]"}},
    )
    answer = deploy(arm, "first", tmpl)
    assert answer.status_code == 201, answer.text
    doc = answer.json()
    assert doc["properties"]["provisioningState"] == "Succeeded"
    assert doc["properties"]["outputs"]["space"] == {"type": "Array", "value": ["10.0.0.0/16"]}
    assert doc["id"].endswith("/resourceGroups/rg/providers/Microsoft.Resources/deployments/first")
    [network] = doc["properties"]["providers"]
    assert network["resourceTypes"][0] == {"resourceType": "virtualNetworks/subnets", "locations": []}
    assert network["resourceTypes"][1] == {"resourceType": "virtualNetworks", "locations": ["chinanorth2"]}
    assert resource(arm, "Microsoft.Network/virtualNetworks/vnet1/subnets/default").status_code == 200
    operations = arm.request("GET", "/subscriptions/{sub}/resourcegroups/rg/deployments/first/operations").json()
    names = [o["properties"]["targetResource"]["resourceName"] for o in operations["value"]]
    assert names == ["vnet1", "vnet1/default"]
    assert {o["properties"]["statusCode"] for o in operations["value"]} == {"Created"}
    listed = arm.request("GET", f"{DEPLOYMENTS}/").json()["value"]
    assert [d["name"] for d in listed] == ["first"]
    exported = arm.request("POST", f"{DEPLOYMENTS}/first/exportTemplate").json()
    assert exported["template"] == tmpl


def test_az_sends_the_template_verbatim_under_an_unquoted_key_with_comments(arm: Arm) -> None:
    text = '{\n  // a comment, as real templates have\n  "$schema": "' + SCHEMA + '",\n  "contentVersion": "1.0.0.0",\n'
    text += '  "resources": [' + json.dumps(vnet("commented")) + "]\n}"
    prefix = json.dumps({"properties": {"parameters": {}, "mode": "Incremental"}})[:-2]
    raw = f"{prefix}, template:{text}}}}}".encode()
    answer = arm.request("PUT", f"{DEPLOYMENTS}/az", raw=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 201, answer.text
    assert resource(arm, "Microsoft.Network/virtualNetworks/commented").status_code == 200


def nothing_created(arm: Arm, name: str) -> None:
    assert arm.request("GET", f"{DEPLOYMENTS}/{name}").status_code == 404
    listed = arm.request("GET", "/subscriptions/{sub}/resourceGroups/rg/resources").json()["value"]
    assert listed == []


@pytest.mark.parametrize(
    ("tmpl", "parameters", "code", "words"),
    [
        (template([vnet("[foo('x')]")]), None, "InvalidTemplate", "'foo' is not found"),
        (template([vnet("v")], {"n": {"type": "int"}}), {"n": {"value": "three"}}, "InvalidTemplate", "'n'"),
        (template([vnet("v")], {"n": {"type": "string"}}), None, "InvalidTemplate", "'n'"),
        (template([vnet("v")], {"n": {"type": "string"}}), {"m": {"value": "x"}}, "InvalidTemplate", "'m'"),
        (
            template([vnet("a", dependsOn=["b"]), vnet("b", dependsOn=["a"])]),
            None,
            "InvalidTemplate",
            "Circular dependency",
        ),
        (template([vnet("a", dependsOn=["nowhere"])]), None, "InvalidTemplate", "'nowhere' is not defined"),
        (
            template([vnet("[concat('v', copyIndex())]", copy={"name": "loop", "count": 801})]),
            None,
            "InvalidTemplate",
            "800",
        ),
        (
            template([vnet("v", tags={"x": "[reference('missing').foo]"})]),
            None,
            "InvalidTemplate",
            "'missing' is not defined",
        ),
        (
            template([vnet("v")], {"sku": {"type": "string", "allowedValues": ["Basic", "Premium"]}}),
            {"sku": {"value": "Gold"}},
            "InvalidTemplate",
            "allowed value",
        ),
        (
            template([vnet("v")], {"n": {"type": "string", "minLength": 5}}),
            {"n": {"value": "abc"}},
            "InvalidTemplate",
            "5",
        ),
        (template([vnet("[utcNow()]")]), None, "InvalidTemplate", "utcNow"),
    ],
)
def test_bad_templates_are_refused_with_arms_code_and_create_nothing(
    arm: Arm, tmpl: dict[str, Any], parameters: Any, code: str, words: str
) -> None:
    answer = deploy(arm, "bad", tmpl, parameters)
    assert answer.status_code == 400, answer.text
    assert error_code(answer) == code
    assert words in answer.json()["error"]["message"]
    nothing_created(arm, "bad")


def test_a_body_that_is_not_json_is_refused(arm: Arm) -> None:
    answer = arm.request(
        "PUT",
        f"{DEPLOYMENTS}/junk",
        raw=b'{"properties": {"mode": "Incremental", template: {',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400
    assert error_code(answer) == "InvalidRequestContent"
    assert "line" in answer.json()["error"]["message"]
    nothing_created(arm, "junk")


def test_a_failed_resource_fails_the_deployment_and_what_was_created_stays(arm: Arm) -> None:
    tmpl = template(
        [
            vnet("good"),
            {
                "type": "Microsoft.ContainerRegistry/registries",
                "apiVersion": "2025-11-01",
                "name": "x",
                "location": "chinanorth2",
                "sku": {"name": "Premium"},
            },
            vnet("after", dependsOn=["x"]),
        ]
    )
    answer = deploy(arm, "partial", tmpl)
    doc = answer.json()
    assert doc["properties"]["provisioningState"] == "Failed", doc
    error = doc["properties"]["error"]
    assert error["code"] == "DeploymentFailed"
    assert error["details"][0]["code"] == "InvalidResourceName" or "name" in error["details"][0]["message"].lower()
    assert resource(arm, "Microsoft.Network/virtualNetworks/good").status_code == 200
    assert resource(arm, "Microsoft.Network/virtualNetworks/after").status_code == 404
    operations = arm.request("GET", "/subscriptions/{sub}/resourcegroups/rg/deployments/partial/operations").json()[
        "value"
    ]
    failed = [o for o in operations if o["properties"]["provisioningState"] == "Failed"]
    assert failed[0]["properties"]["statusCode"] == "BadRequest"
    assert failed[0]["properties"]["statusMessage"]["error"]["code"] == error["details"][0]["code"]
    # azure-core returns a 201 whose body is already terminal as the result, Failed or not: the answer
    # points at a status that says Failed (with the error), so az raises DeploymentFailed
    status_url = answer.headers["Azure-AsyncOperation"]
    assert answer.headers["Retry-After-Ms"] == "1"
    status = arm.client.get(status_url.split("arm.test", 1)[-1]).json()
    assert (status["status"], status["error"]["code"]) == ("Failed", "DeploymentFailed")


def test_complete_mode_deletes_what_the_template_no_longer_declares(arm: Arm) -> None:
    assert (
        deploy(arm, "one", template([vnet("keep"), vnet("drop", "10.1.0.0/16")])).json()["properties"][
            "provisioningState"
        ]
        == "Succeeded"
    )
    answer = deploy(arm, "two", template([vnet("keep")]), mode="Complete")
    assert answer.json()["properties"]["provisioningState"] == "Succeeded", answer.text
    assert resource(arm, "Microsoft.Network/virtualNetworks/keep").status_code == 200
    assert resource(arm, "Microsoft.Network/virtualNetworks/drop").status_code == 404
    operations = arm.request("GET", "/subscriptions/{sub}/resourcegroups/rg/deployments/two/operations").json()["value"]
    assert [o["properties"]["provisioningOperation"] for o in operations] == ["Create", "Delete"]


def what_if(arm: Arm, tmpl: dict[str, Any], mode: str = "Incremental") -> Any:
    body = {"properties": {"mode": mode, "template": tmpl, "whatIfSettings": {"resultFormat": "FullResourcePayloads"}}}
    answer = arm.request("POST", f"{DEPLOYMENTS}/wi/whatIf", body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_what_if_shows_create_then_no_change_and_redeploying_changes_no_etag(arm: Arm) -> None:
    tmpl = template([vnet("v1"), vnet("v2", "10.1.0.0/16")])
    first = what_if(arm, tmpl)
    assert first["status"] == "Succeeded"
    assert sorted(c["changeType"] for c in first["properties"]["changes"]) == ["Create", "Create"]
    nothing_created(arm, "wi")
    deploy(arm, "d", tmpl)
    etag = resource(arm, "Microsoft.Network/virtualNetworks/v1").json()["etag"]
    again = what_if(arm, tmpl)
    assert [c["changeType"] for c in again["properties"]["changes"]] == ["NoChange", "NoChange"]
    assert deploy(arm, "d2", tmpl).json()["properties"]["provisioningState"] == "Succeeded"
    assert resource(arm, "Microsoft.Network/virtualNetworks/v1").json()["etag"] == etag
    changed = what_if(arm, template([vnet("v1", "10.9.0.0/16")]), mode="Complete")
    kinds = {c["resourceId"].rsplit("/", 1)[-1]: c["changeType"] for c in changed["properties"]["changes"]}
    assert kinds == {"v1": "Modify", "v2": "Delete"}
    delta = next(c for c in changed["properties"]["changes"] if c["changeType"] == "Modify")["delta"]
    assert delta[0]["path"] == "properties.addressSpace.addressPrefixes"


def test_validate_runs_the_providers_checks_and_changes_nothing(arm: Arm) -> None:
    bad = template(
        [
            {
                "type": "Microsoft.ContainerRegistry/registries",
                "apiVersion": "2025-11-01",
                "name": "x",
                "location": "chinanorth2",
                "sku": {"name": "Premium"},
            }
        ]
    )
    answer = arm.request("POST", f"{DEPLOYMENTS}/v/validate", {"properties": {"mode": "Incremental", "template": bad}})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "InvalidTemplateDeployment"
    assert error["details"][0]["code"] == "PreflightValidationCheckFailed"
    good = arm.request(
        "POST", f"{DEPLOYMENTS}/v/validate", {"properties": {"mode": "Incremental", "template": template([vnet("v")])}}
    )
    assert good.status_code == 200, good.text
    assert good.json()["properties"]["provisioningState"] == "Succeeded"
    nothing_created(arm, "v")


def test_copy_loops_conditions_and_nested_deployments(arm: Arm) -> None:
    arm.group("other")
    tmpl = template(
        [
            vnet(
                "[concat('loop', copyIndex())]",
                "[concat('10.', copyIndex(), '.0.0/16')]",
                copy={"name": "nets", "count": 3},
            ),
            vnet("skipped", condition=False),
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "inner",
                "resourceGroup": "other",
                "dependsOn": ["nets"],
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "parameters": {"prefix": {"value": "[reference('loop1').addressSpace.addressPrefixes[0]]"}},
                    "template": template(
                        [vnet("nested", "[parameters('prefix')]")],
                        {"prefix": {"type": "string"}},
                        {"where": {"type": "string", "value": "[resourceGroup().name]"}},
                    ),
                },
            },
        ],
        outputs={"nested": {"type": "string", "value": "[reference('inner').outputs.where.value]"}},
    )
    doc = deploy(arm, "loops", tmpl).json()
    assert doc["properties"]["provisioningState"] == "Succeeded", doc
    assert doc["properties"]["outputs"]["nested"]["value"] == "other"
    for i in range(3):
        assert resource(arm, f"Microsoft.Network/virtualNetworks/loop{i}").status_code == 200
    assert resource(arm, "Microsoft.Network/virtualNetworks/skipped").status_code == 404
    nested = arm.request(
        "GET", "/subscriptions/{sub}/resourceGroups/other/providers/Microsoft.Network/virtualNetworks/nested"
    ).json()
    assert nested["properties"]["addressSpace"]["addressPrefixes"] == ["10.1.0.0/16"]
    inner = arm.request(
        "GET", "/subscriptions/{sub}/resourcegroups/other/providers/Microsoft.Resources/deployments/inner"
    )
    assert inner.json()["properties"]["provisioningState"] == "Succeeded"


def test_subscription_deployment_creates_a_group_and_deploys_into_it(arm: Arm) -> None:
    tmpl = {
        "$schema": SUB_SCHEMA,
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Resources/resourceGroups",
                "apiVersion": "2022-09-01",
                "name": "made",
                "location": "chinanorth2",
            },
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "intoMade",
                "resourceGroup": "made",
                "dependsOn": ["[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'made')]"],
                "properties": {"mode": "Incremental", "template": template([vnet("subvnet")])},
            },
        ],
    }
    path = "/subscriptions/{sub}/providers/Microsoft.Resources/deployments/sub1"
    answer = arm.request(
        "PUT", path, {"location": "chinanorth2", "properties": {"mode": "Incremental", "template": tmpl}}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["properties"]["provisioningState"] == "Succeeded", answer.text
    assert answer.json()["location"] == "chinanorth2"
    made = arm.request(
        "GET", "/subscriptions/{sub}/resourceGroups/made/providers/Microsoft.Network/virtualNetworks/subvnet"
    )
    assert made.status_code == 200
    missing = arm.request(
        "PUT",
        "/subscriptions/{sub}/providers/Microsoft.Resources/deployments/s2",
        {"properties": {"mode": "Incremental", "template": tmpl}},
    )
    assert error_code(missing) == "LocationRequired"


def test_history_is_groomed_above_775_as_arm_does(arm: Arm) -> None:
    empty = template([])
    for index in range(780):
        assert deploy(arm, f"d{index:03d}", empty).status_code == 201
    listed: list[Any] = []
    url = f"{DEPLOYMENTS}/"
    answer = arm.request("GET", url).json()
    listed += answer["value"]
    while "nextLink" in answer:
        answer = arm.client.get(answer["nextLink"].split("arm.test", 1)[-1]).json()
        listed += answer["value"]
    assert 750 <= len(listed) <= 776
    assert "d779" in {d["name"] for d in listed}
    assert "d000" not in {d["name"] for d in listed}


def test_a_deployment_running_when_acrlink_stopped_ends_failed(tmp_path: Path) -> None:
    made = next(make_arm(tmp_path))
    made.group()
    assert deploy(made, "ok", template([])).status_code == 201
    with made.application.store.transaction() as tx:
        record = next(r for r in tx.query(type="Microsoft.Resources/deployments"))
        record.body["properties"]["provisioningState"] = "Running"
        tx.put(record)
    made.application.store.close()
    again = build(Settings(data_dir=tmp_path))
    try:
        with again.store.transaction() as tx:
            doc = next(r for r in tx.query(type="Microsoft.Resources/deployments")).body
        assert doc["properties"]["provisioningState"] == "Failed"
        assert doc["properties"]["error"]["code"] == "DeploymentInterrupted"
    finally:
        again.store.close()


def test_the_deployments_correlation_id_is_its_requests(arm: Arm) -> None:
    answer = deploy(arm, "traced", template([]))
    assert answer.json()["properties"]["correlationId"] == answer.headers["x-ms-correlation-request-id"]
    sent = arm.request(
        "PUT",
        f"{DEPLOYMENTS}/traced2",
        {"properties": {"mode": "Incremental", "template": template([])}},
        headers={"x-ms-correlation-request-id": "0d6a8d8e-0000-4000-8000-00000000c0de"},
    )
    assert sent.json()["properties"]["correlationId"] == "0d6a8d8e-0000-4000-8000-00000000c0de"


def test_a_deployment_name_outside_arms_pattern_is_refused(arm: Arm) -> None:
    answer = deploy(arm, "has%20space", template([]))
    assert answer.status_code == 400
    assert error_code(answer) == "InvalidDeploymentName"
    assert deploy(arm, "x" * 65, template([])).status_code == 400
    assert deploy(arm, "ok-name_(1).v2", template([])).status_code == 201


def test_a_serial_copy_loop_deploys_in_batches_each_after_the_last(arm: Arm) -> None:
    loop = vnet(
        "[concat('s', copyIndex())]",
        "[concat('10.', copyIndex(), '.0.0/16')]",
        copy={"name": "serial", "count": 5, "mode": "serial", "batchSize": 2},
    )
    doc = deploy(arm, "serial", template([loop])).json()
    assert doc["properties"]["provisioningState"] == "Succeeded"
    waits = {
        d["resourceName"]: sorted(x["resourceName"] for x in d["dependsOn"]) for d in doc["properties"]["dependencies"]
    }
    assert waits == {"s2": ["s0", "s1"], "s3": ["s0", "s1"], "s4": ["s2", "s3"]}
    bad = vnet("[concat('t', copyIndex())]", copy={"name": "t", "count": 2, "mode": "serial", "batchSize": 0})
    assert error_code(deploy(arm, "bad", template([bad]))) == "InvalidTemplate"


def test_complete_mode_deletes_dependents_before_what_they_use(arm: Arm) -> None:
    """A private endpoint in a VNet's subnet goes before the VNet (else InUseSubnetCannotBeDeleted)."""
    subnet_vnet = vnet("pevnet", properties={"addressSpace": {"addressPrefixes": ["10.5.0.0/16"]},
                                             "subnets": [{"name": "s", "properties": {"addressPrefix": "10.5.0.0/24"}}]})  # fmt: skip
    registry = {"type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2025-11-01", "name": "completereg",
                "location": "chinanorth2", "sku": {"name": "Premium"}}  # fmt: skip
    endpoint = {
        "type": "Microsoft.Network/privateEndpoints",
        "apiVersion": NET,
        "name": "pe",
        "location": "chinanorth2",
        "dependsOn": ["pevnet", "completereg"],
        "properties": {
            "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'pevnet', 's')]"},
            "privateLinkServiceConnections": [
                {"name": "c", "properties": {"privateLinkServiceId": "[resourceId('Microsoft.ContainerRegistry/registries', 'completereg')]", "groupIds": ["registry"]}}
            ],
        },
    }  # fmt: skip
    first = deploy(arm, "pe1", template([subnet_vnet, registry, endpoint])).json()
    assert first["properties"]["provisioningState"] == "Succeeded", first
    again = deploy(arm, "pe2", template([subnet_vnet, registry, endpoint]), mode="Complete").json()
    assert again["properties"]["provisioningState"] == "Succeeded", again  # the endpoint's NIC stays with it
    gone = deploy(arm, "pe3", template([registry]), mode="Complete").json()
    assert gone["properties"]["provisioningState"] == "Succeeded", gone
    left = arm.request("GET", "/subscriptions/{sub}/resourceGroups/rg/resources").json()["value"]
    assert [r["name"] for r in left] == ["completereg"]


def test_another_process_starting_leaves_a_live_processs_deployment_running(arm: Arm) -> None:
    """A second process over the store recovers only deployments whose owner's lease expired: a running one
    the first process holds stays Running; once that lease is stale the second ends it Failed."""
    assert deploy(arm, "live", template([])).status_code == 201
    history = arm.application.arm.deployments.engine.history  # type: ignore[union-attr]
    target = history.target(arm.sub, "rg")
    with arm.application.store.transaction() as tx:
        doc = history.require(tx, target, "live")
        doc["properties"]["provisioningState"] = "Running"
        history.save(tx, target, doc)  # as the engine does when a run begins: the lease is this process's
    second = build(Settings(data_dir=arm.application.settings.data_dir))
    try:
        state = deploy_state(arm, "live")
        assert state == "Running", "the second process's start did not fail the first's deployment"
        again = second.arm.deployments.engine.history  # type: ignore[union-attr]
        assert again.recover() == 0
        assert again.recover(now=time.time() + 60) == 1, "the first process stopped renewing: its lease expired"
    finally:
        second.store.close()
    failed = arm.request("GET", f"{DEPLOYMENTS}/live").json()["properties"]
    assert failed["provisioningState"] == "Failed" and failed["error"]["code"] == "DeploymentInterrupted"


def deploy_state(arm: Arm, name: str) -> str:
    return str(arm.request("GET", f"{DEPLOYMENTS}/{name}").json()["properties"]["provisioningState"])


def test_a_cancel_on_another_process_reaches_the_process_running_the_deployment(arm: Arm) -> None:
    """Behind a load balancer the cancel may land on a process that does not run the deployment: it is left
    in the shared store, and the running process's flag sees it at its next resource (not 409)."""
    assert deploy(arm, "elsewhere", template([])).status_code == 201
    engine = arm.application.arm.deployments.engine  # type: ignore[union-attr]
    target = engine.history.target(arm.sub, "rg")
    with arm.application.store.transaction() as tx:
        doc = engine.history.require(tx, target, "elsewhere")
        doc["properties"]["provisioningState"] = "Running"
        engine.history.save(tx, target, doc)
    key = doc["id"].lower()
    flag = engine.running.start(key)  # this process runs it
    assert not flag.is_set()
    second = build(Settings(data_dir=arm.application.settings.data_dir))
    try:
        second.arm.deployments.engine.cancel(target, "elsewhere")  # type: ignore[union-attr]
    finally:
        second.store.close()
    assert flag.is_set(), "the running process saw the cancel the other process took"
    engine.running.finish(key)
    assert not engine.running.start(key).is_set(), "a finished run's cancel does not stop the next one"
    engine.running.finish(key)
