"""``acrlink check --what-if``: az's request body, the 202 poll, and what is printed for an answer."""

from __future__ import annotations

import json

import httpx
import pytest

from acrlink.cli import whatif
from acrlink.cli.deployment_parameters import ParameterError

TEMPLATE_TEXT = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  // the registry to close
  "contentVersion": "1.0.0.0",
  "parameters": {"registryName": {"type": "string"}, "open": {"type": "bool", "defaultValue": false}},
  "resources": []
}"""


def test_the_body_is_azs_bytes_with_the_template_spliced_in_verbatim() -> None:
    name, body = whatif.prepare(
        "deploy/main.json", TEMPLATE_TEXT, ["registryName=myregistry", "open=true"], "complete", None
    )
    assert name == "main", "the file name without its extension, as az defaults --name"
    assert (
        body
        == (
            '{"properties": {"parameters": {"registryName": {"value": "myregistry"}, "open": {"value": true}}, '
            '"mode": "Complete", "whatIfSettings": {"resultFormat": "FullResourcePayloads"}, template:'
            + TEMPLATE_TEXT
            + "}}"
        ).encode()
    )


def test_prepare_refuses_what_az_refuses() -> None:
    with pytest.raises(whatif.UsageError, match="Missing input parameters: registryName"):
        whatif.prepare("main.json", TEMPLATE_TEXT, [], "Incremental", None)
    with pytest.raises(whatif.UsageError, match="--mode"):
        whatif.prepare("main.json", TEMPLATE_TEXT, ["registryName=r"], "Sideways", None)
    with pytest.raises(whatif.UsageError, match="Invalid deployment name"):
        whatif.prepare("main.json", TEMPLATE_TEXT, ["registryName=r"], "Incremental", "no spaces")
    with pytest.raises(whatif.UsageError, match="valid JSON"):
        whatif.prepare("main.json", "{", [], "Incremental", None)
    with pytest.raises(ParameterError):
        whatif.prepare("main.json", TEMPLATE_TEXT, ["other=1"], "Incremental", None)


def test_the_path_is_azs() -> None:
    assert whatif.what_if_path("sub", "rg", "main") == (
        "/subscriptions/sub/resourcegroups/rg/providers/Microsoft.Resources/deployments/main/whatIf"
        "?api-version=2025-04-01"
    )


RESULT = {
    "status": "Succeeded",
    "properties": {
        "changes": [],
        "reachability": [
            {
                "host": "internet",
                "name": "myregistry.azurecr.cn",
                "before": {"address": "20.45.2.144", "path": "public", "verdict": "reachable"},
                "after": {
                    "address": "20.45.2.144",
                    "path": "public",
                    "verdict": "denied: public network access disabled",
                },
                "summary": "internet: myregistry.azurecr.cn loses access: public network access disabled",
            },
            {
                "host": "myVM",
                "name": "other.azurecr.cn",
                "before": {"address": "20.45.2.144", "path": "public", "verdict": "reachable"},
                "after": {"address": "10.0.0.4", "path": "private", "verdict": "reachable"},
                "summary": "myVM: other.azurecr.cn from public 20.45.2.144 to private 10.0.0.4",
            },
        ],
    },
}


def test_report_prints_each_summary_then_a_count() -> None:
    assert whatif.report(RESULT) == (
        0,
        [
            "internet: myregistry.azurecr.cn loses access: public network access disabled",
            "myVM: other.azurecr.cn from public 20.45.2.144 to private 10.0.0.4",
            "2 reachability changes.",
        ],
    )
    assert whatif.report(RESULT, registry="myregistry.azurecr.cn")[1][-1] == "1 reachability change."
    assert whatif.report(RESULT, host="myvm")[1] == [
        "myVM: other.azurecr.cn from public 20.45.2.144 to private 10.0.0.4",
        "1 reachability change.",
    ]
    assert whatif.report({"status": "Succeeded", "properties": {"changes": []}}) == (0, ["0 reachability changes."])


def test_report_of_an_error_is_its_code_and_message() -> None:
    failed = {
        "status": "Failed",
        "error": {
            "code": "InvalidTemplateDeployment",
            "message": "The template deployment 'main' is not valid.",
            "details": [{"code": "InvalidTemplate", "message": "Unknown function 'foo'."}],
        },
    }
    assert whatif.report(failed) == (
        1,
        [
            "InvalidTemplateDeployment: The template deployment 'main' is not valid.",
            "  InvalidTemplate: Unknown function 'foo'.",
        ],
    )


def test_post_follows_the_location_until_the_result() -> None:
    seen: list[tuple[str, str, bytes]] = []
    polls = iter([202, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url), request.content))
        if request.method == "POST":
            return httpx.Response(
                202, headers={"Location": "https://arm.test/subscriptions/s/operationresults/t1", "Retry-After": "2"}
            )
        status = next(polls)
        if status == 202:
            return httpx.Response(202, headers={"Location": "https://arm.test/subscriptions/s/operationresults/t1"})
        return httpx.Response(200, json=RESULT)

    slept: list[float] = []
    with httpx.Client(base_url="https://arm.test", transport=httpx.MockTransport(handler)) as client:
        answer = whatif.post(client, "/x/whatIf?api-version=2025-04-01", b"{}", slept.append)
    assert answer == RESULT
    assert [m for m, _, _ in seen] == ["POST", "GET", "GET"]
    assert seen[0][2] == b"{}"
    assert slept == [2.0, whatif.DEFAULT_POLL_SECONDS]


def test_post_turns_an_arm_error_or_a_bare_status_into_an_error() -> None:
    def arm_error(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            404, json={"error": {"code": "ResourceGroupNotFound", "message": "Resource group 'rg' could not be found."}}
        )

    def bare(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="bad gateway")

    for handler, code in ((arm_error, "ResourceGroupNotFound"), (bare, "HTTP502")):
        with httpx.Client(base_url="https://arm.test", transport=httpx.MockTransport(handler)) as client:
            answer = whatif.post(client, "/x", b"{}", lambda _: None)
        assert answer["error"]["code"] == code
        assert whatif.report(answer)[0] == 1


def test_a_result_without_reachability_still_counts() -> None:
    assert json.loads(json.dumps(whatif.report({"properties": {}}))) == [0, ["0 reachability changes."]]


def test_check_takes_several_values_after_one_p_as_az_does() -> None:
    """``-p a=1 b=2``: the parser leaves ``b=2`` positional; it is a parameter, not the REGISTRY filter."""
    from acrlink.cli.main import _az_parameters

    assert _az_parameters("b=2", ["@more.json", "myreg"], ["a=1"]) == ("myreg", ["a=1", "b=2", "@more.json"])
    assert _az_parameters('{"c": {"value": 3}}', [], []) == (None, ['{"c": {"value": 3}}'])
    assert _az_parameters("myreg.azurecr.cn", [], ["a=1"]) == ("myreg.azurecr.cn", ["a=1"])
