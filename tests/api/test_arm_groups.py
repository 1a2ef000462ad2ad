"""Resource groups through the generic resource path: what ARM answers for its own type and no provider's does
(synchronous writes, HEAD, a 404 for a DELETE of nothing, its own poll URL, no etags, no kept properties)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Arm, error_code, make_arm

GROUPS = "/subscriptions/{sub}/resourcegroups"
GROUP = f"{GROUPS}/My-RG"
PREMIUM = {"location": "chinanorth2", "sku": {"name": "Premium"}}


@pytest.fixture
def async_arm(tmp_path: Path) -> Iterator[Arm]:
    yield from make_arm(tmp_path, arm_async=True)


def test_put_creates_then_replaces_and_keeps_the_first_casing(arm: Arm) -> None:
    created = arm.request("PUT", GROUP, {"location": "chinanorth2", "tags": {"a": "1"}})
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": arm.sub_id("/subscriptions/{sub}/resourceGroups/My-RG"),
        "name": "My-RG",
        "type": "Microsoft.Resources/resourceGroups",
        "location": "chinanorth2",
        "tags": {"a": "1"},
        "properties": {"provisioningState": "Succeeded"},
    }
    again = arm.request("PUT", f"{GROUPS}/my-rg", {"location": "China North 2", "managedBy": "me"})
    assert again.status_code == 200
    assert (again.json()["name"], again.json()["tags"], again.json()["managedBy"]) == ("My-RG", {}, "me")
    assert [g["name"] for g in arm.request("GET", GROUPS).json()["value"]] == ["My-RG"]


def test_a_group_keeps_its_region(arm: Arm) -> None:
    arm.request("PUT", GROUP, {"location": "chinanorth2"})
    moved = arm.request("PUT", GROUP, {"location": "chinaeast2"})
    assert (moved.status_code, error_code(moved)) == (409, "InvalidResourceGroupLocation")
    assert arm.request("GET", GROUP).json()["location"] == "chinanorth2"


def test_properties_the_group_does_not_model_are_not_kept(arm: Arm) -> None:
    body = {"location": "chinanorth2", "properties": {"color": "blue"}, "sku": {"name": "x"}}
    assert arm.request("PUT", GROUP, body).json()["properties"] == {"provisioningState": "Succeeded"}
    patched = arm.request("PATCH", GROUP, {"properties": {"color": "red"}, "tags": {"t": "v"}})
    assert patched.status_code == 200
    assert patched.json()["properties"] == {"provisioningState": "Succeeded"} and patched.json()["tags"] == {"t": "v"}
    assert "sku" not in arm.request("GET", GROUP).json()


def test_conditional_headers_are_not_read_for_a_group(arm: Arm) -> None:
    arm.request("PUT", GROUP, {"location": "chinanorth2"})
    again = arm.request("PUT", GROUP, {"location": "chinanorth2"}, headers={"If-None-Match": "*"})
    assert again.status_code == 200, again.text
    patched = arm.request("PATCH", GROUP, {"tags": {}}, headers={"If-Match": '"no-such-etag"'})
    assert patched.status_code == 200, patched.text
    assert arm.request("DELETE", GROUP, headers={"If-Match": '"no-such-etag"'}).status_code == 200


def test_a_missing_group_is_resource_group_not_found_for_every_method(arm: Arm) -> None:
    for method, body in (("GET", None), ("PATCH", {"tags": {}}), ("DELETE", None)):
        response = arm.request(method, f"{GROUPS}/absent", body)
        assert (response.status_code, error_code(response)) == (404, "ResourceGroupNotFound"), method
        assert "'absent'" in response.json()["error"]["message"]


def test_head_checks_a_group_and_no_provider_resource(arm: Arm) -> None:
    assert arm.request("HEAD", GROUP).status_code == 404
    arm.request("PUT", GROUP, {"location": "chinanorth2"})
    assert arm.request("HEAD", GROUP).status_code == 204
    registry = arm.registry_path("headreg01", "My-RG")
    assert arm.request("PUT", registry, PREMIUM).status_code == 201
    assert arm.request("HEAD", registry).status_code == 405


def test_deleting_a_group_takes_what_is_in_it_and_leaves_other_groups(arm: Arm) -> None:
    arm.request("PUT", GROUP, {"location": "chinanorth2"})
    arm.group("other")
    arm.request("PUT", arm.registry_path("ingroup01", "My-RG"), PREMIUM)
    arm.request("PUT", arm.registry_path("elsewhere1", "other"), PREMIUM)
    assert arm.request("DELETE", GROUP).status_code == 200
    assert [g["name"] for g in arm.request("GET", GROUPS).json()["value"]] == ["other"]
    listed = arm.request("GET", "/subscriptions/{sub}/resources").json()["value"]
    assert [r["name"] for r in listed] == ["elsewhere1"]


def test_group_writes_stay_synchronous_when_arm_answers_asynchronously(async_arm: Arm) -> None:
    created = async_arm.request("PUT", GROUP, {"location": "chinanorth2"})
    assert created.status_code == 201 and "Azure-AsyncOperation" not in created.headers
    patched = async_arm.request("PATCH", GROUP, {"tags": {"a": "b"}})
    assert patched.status_code == 200 and patched.json()["tags"] == {"a": "b"}
    deleted = async_arm.request("DELETE", GROUP)
    assert deleted.status_code == 202
    location = deleted.headers["Location"]
    prefix = f"https://arm.test{async_arm.sub_id('/subscriptions/{sub}')}/operationresults/rg-delete-"
    assert location.startswith(prefix), location
    polled = async_arm.client.get(location)
    assert polled.status_code == 200, polled.text
    assert async_arm.request("HEAD", GROUP).status_code == 404
