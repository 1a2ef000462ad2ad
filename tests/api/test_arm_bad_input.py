"""Bad input gets Azure's error and changes nothing."""

from __future__ import annotations

from .conftest import Arm, error_code

PREMIUM = {"location": "chinanorth2", "sku": {"name": "Premium"}}


def test_api_version_is_required(arm: Arm) -> None:
    response = arm.request("GET", "/subscriptions/{sub}/resourcegroups", api=None)
    assert response.status_code == 400
    assert error_code(response) == "MissingApiVersionParameter"


def test_arm_api_versions_are_checked(arm: Arm) -> None:
    for version in ("2016-02-01", "2024-11-01", "2025-04-01"):
        assert arm.request("GET", "/subscriptions/{sub}/resourcegroups", api=version).status_code == 200
    for version in ("1999-01-01", "garbage", "2026-09-01-preview"):
        refused = arm.request("GET", "/subscriptions/{sub}/resourcegroups", api=version)
        assert (refused.status_code, error_code(refused)) == (400, "InvalidApiVersionParameter")
        message = refused.json()["error"]["message"]
        assert message.startswith(f"The api-version '{version}' is invalid. The supported versions are '2025-04-01,")


def test_requests_need_a_token_acrlink_signed(arm: Arm) -> None:
    path = arm.url("/subscriptions/{sub}/resourcegroups")
    missing = arm.client.get(path, headers={"Authorization": ""})
    assert (missing.status_code, error_code(missing)) == (401, "AuthenticationFailed")
    forged = arm.client.get(path, headers={"Authorization": "Bearer a.b.c"})
    assert (forged.status_code, error_code(forged)) == (401, "InvalidAuthenticationToken")


def test_invalid_group_name(arm: Arm) -> None:
    response = arm.request("PUT", "/subscriptions/{sub}/resourcegroups/bad*name", {"location": "chinanorth2"})
    assert (response.status_code, error_code(response)) == (400, "InvalidResourceGroup")
    assert "'*'" in response.json()["error"]["message"]
    assert arm.request("GET", "/subscriptions/{sub}/resourcegroups").json()["value"] == []


def test_group_location_must_be_a_region_of_the_cloud(arm: Arm) -> None:
    missing = arm.request("PUT", "/subscriptions/{sub}/resourcegroups/rg", {})
    assert (missing.status_code, error_code(missing)) == (400, "LocationRequired")
    wrong = arm.request("PUT", "/subscriptions/{sub}/resourcegroups/rg", {"location": "westus"})
    assert (wrong.status_code, error_code(wrong)) == (400, "LocationNotAvailableForResourceGroup")
    display = arm.request("PUT", "/subscriptions/{sub}/resourcegroups/rg", {"location": "China North 2"})
    assert display.json()["location"] == "chinanorth2"


def test_invalid_registry_names(arm: Arm) -> None:
    arm.group()
    for name in ("abc", "has-dash", "x" * 51, "under_score"):
        response = arm.request("PUT", arm.registry_path(name), PREMIUM)
        assert response.status_code == 400, name
        assert error_code(response) == "InvalidResourceName"
    assert (
        arm.request(
            "GET", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries"
        ).json()["value"]
        == []
    )


def test_duplicate_registry_name_in_another_group(arm: Arm) -> None:
    arm.group("rg")
    arm.group("rg2")
    assert arm.request("PUT", arm.registry_path("dupname1", "rg"), PREMIUM).status_code == 201
    response = arm.request("PUT", arm.registry_path("DupName1", "rg2"), PREMIUM)
    assert (response.status_code, error_code(response)) == (409, "AlreadyInUse")
    assert arm.request("GET", arm.registry_path("DupName1", "rg2")).status_code == 404


def test_non_json_body(arm: Arm) -> None:
    arm.group()
    response = arm.request("PUT", arm.registry_path("nonjson1"), raw=b"{not json")
    assert (response.status_code, error_code(response)) == (400, "InvalidRequestContent")
    listed = arm.request("PUT", arm.registry_path("nonjson1"), [1, 2])
    assert (listed.status_code, error_code(listed)) == (400, "InvalidRequestContent")
    assert arm.request("GET", arm.registry_path("nonjson1")).status_code == 404


def test_wrongly_typed_body_names_every_bad_field(arm: Arm) -> None:
    arm.group()
    body = {
        "location": "chinanorth2",
        "sku": {"name": "Gold"},
        "properties": {
            "adminUserEnabled": "yes",
            "publicNetworkAccess": 3,
            "networkRuleSet": {"ipRules": [{"value": "300.1.1.1"}]},
        },
    }
    response = arm.request("PUT", arm.registry_path("typed01"), body)
    assert (response.status_code, error_code(response)) == (400, "InvalidRequestContent")
    targets = {d["target"] for d in response.json()["error"]["details"]}
    assert targets == {
        "sku.name",
        "properties.adminUserEnabled",
        "properties.publicNetworkAccess",
        "properties.networkRuleSet.ipRules[0].value",
    }
    assert arm.request("GET", arm.registry_path("typed01")).status_code == 404


def test_registry_location_rules(arm: Arm) -> None:
    arm.group()
    missing = arm.request("PUT", arm.registry_path("noloc01"), {"sku": {"name": "Premium"}})
    assert (missing.status_code, error_code(missing)) == (400, "LocationRequired")
    wrong = arm.request("PUT", arm.registry_path("noloc01"), {"location": "eastus", "sku": {"name": "Premium"}})
    assert (wrong.status_code, error_code(wrong)) == (400, "LocationNotAvailableForResourceType")
    assert arm.request("PUT", arm.registry_path("moving01"), PREMIUM).status_code == 201
    moved = arm.request("PUT", arm.registry_path("moving01"), {**PREMIUM, "location": "chinaeast2"})
    assert (moved.status_code, error_code(moved)) == (400, "InvalidResourceLocation")
    assert arm.request("GET", arm.registry_path("moving01")).json()["location"] == "chinanorth2"


def test_unknown_types_and_namespaces(arm: Arm) -> None:
    arm.group()
    unknown_type = arm.request(
        "PUT", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/gizmos/g1", {}
    )
    assert (unknown_type.status_code, error_code(unknown_type)) == (400, "InvalidResourceType")
    unknown_ns = arm.request("PUT", "/subscriptions/{sub}/resourceGroups/rg/providers/Contoso.Things/gizmos/g1", {})
    assert (unknown_ns.status_code, error_code(unknown_ns)) == (400, "InvalidResourceNamespace")
    nowhere = arm.request("GET", "/nothing/here")
    assert nowhere.status_code == 404


def test_sku_violations_on_create_and_update(arm: Arm) -> None:
    arm.group()
    basic_closed = {
        "location": "chinanorth2",
        "sku": {"name": "Basic"},
        "properties": {"publicNetworkAccess": "Disabled"},
    }
    refused = arm.request("PUT", arm.registry_path("basic001"), basic_closed)
    assert (refused.status_code, error_code(refused)) == (400, "DisablingPublicNetworkAccessNotSupported")
    assert arm.request("GET", arm.registry_path("basic001")).status_code == 404
    rules = {
        "location": "chinanorth2",
        "sku": {"name": "Standard"},
        "properties": {"networkRuleSet": {"defaultAction": "Deny"}, "dataEndpointEnabled": True},
    }
    both = arm.request("PUT", arm.registry_path("standard1"), rules)
    assert (both.status_code, error_code(both)) == (400, "SkuNotSupported")
    assert len(both.json()["error"]["details"]) == 1, "the second problem is named too"
    assert arm.request("PUT", arm.registry_path("premium01"), PREMIUM).status_code == 201
    replica = arm.request(
        "PUT", arm.registry_path("premium01") + "/replications/chinaeast2", {"location": "chinaeast2"}
    )
    assert replica.status_code == 201
    downgrade = arm.request("PATCH", arm.registry_path("premium01"), {"sku": {"name": "Standard"}})
    assert (downgrade.status_code, error_code(downgrade)) == (400, "SkuNotSupported")
    assert arm.request("GET", arm.registry_path("premium01")).json()["sku"]["name"] == "Premium"


def test_missing_group_and_parent(arm: Arm) -> None:
    no_group = arm.request("PUT", arm.registry_path("orphan01", "nogroup"), PREMIUM)
    assert (no_group.status_code, error_code(no_group)) == (404, "ResourceGroupNotFound")
    arm.group()
    no_parent = arm.request(
        "PUT", arm.registry_path("absent01") + "/replications/chinaeast2", {"location": "chinaeast2"}
    )
    assert (no_parent.status_code, error_code(no_parent)) == (404, "ParentResourceNotFound")
    gone = arm.request("GET", arm.registry_path("absent01"))
    assert (gone.status_code, error_code(gone)) == (404, "ResourceNotFound")
    assert "Microsoft.ContainerRegistry/registries/absent01" in gone.json()["error"]["message"]


def test_wrong_methods(arm: Arm) -> None:
    arm.group()
    arm.request("PUT", arm.registry_path("methods01"), PREMIUM)
    assert arm.request("GET", arm.registry_path("methods01") + "/listCredentials").status_code == 405
    assert arm.request("POST", arm.registry_path("methods01")).status_code == 405
    connection = arm.request("PATCH", arm.registry_path("methods01") + "/privateEndpointConnections/x", {})
    assert connection.status_code == 405


def test_if_none_match_star_refuses_an_existing_resource(arm: Arm) -> None:
    arm.group()
    assert arm.request("PUT", arm.registry_path("ifnone01"), PREMIUM).status_code == 201
    again = arm.request("PUT", arm.registry_path("ifnone01"), PREMIUM, headers={"If-None-Match": "*"})
    assert (again.status_code, error_code(again)) == (412, "PreconditionFailed")


def test_bad_filter(arm: Arm) -> None:
    response = arm.client.get(arm.url("/subscriptions/{sub}/resources") + "&$filter=tagName eq 'x'")
    assert (response.status_code, error_code(response)) == (400, "InvalidFilterInQueryString")


def test_a_resource_group_filter_lists_that_group(arm: Arm) -> None:
    """``az resource list -g G`` sends ``$filter=resourceGroup eq 'G'`` to the subscription's list."""
    arm.group()
    arm.group("other")
    arm.request("PUT", arm.registry_path("filtered001"), PREMIUM)
    listed = arm.client.get(arm.url("/subscriptions/{sub}/resources") + "&$filter=resourceGroup eq 'RG'")
    assert listed.status_code == 200, listed.text
    assert [d["name"] for d in listed.json()["value"]] == ["filtered001"]
    other = arm.client.get(arm.url("/subscriptions/{sub}/resources") + "&$filter=resourceGroup eq 'other'")
    assert other.json()["value"] == []


def test_connection_put_needs_an_existing_connection(arm: Arm) -> None:
    arm.group()
    arm.request("PUT", arm.registry_path("conns001"), PREMIUM)
    body = {"properties": {"privateLinkServiceConnectionState": {"status": "Approved"}}}
    response = arm.request("PUT", arm.registry_path("conns001") + "/privateEndpointConnections/conns001.abc", body)
    assert response.status_code == 404
    deleted = arm.request("DELETE", arm.registry_path("conns001") + "/privateEndpointConnections/conns001.abc")
    assert deleted.status_code == 204
    assert "x-ms-warning" in deleted.headers


def test_no_business_error_uses_a_retried_status(arm: Arm) -> None:
    """Clients retry 408/429/5xx; none of the refusals above may use them."""
    arm.group()
    responses = [
        arm.request("PUT", arm.registry_path("x"), PREMIUM),
        arm.request("PUT", arm.registry_path("retry001"), raw=b"\xff\xfe"),
        arm.request("DELETE", "/subscriptions/{sub}/resourcegroups/absent"),
        arm.request("GET", "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups"),
    ]
    for response in responses:
        assert response.status_code < 500 and response.status_code not in (408, 429)


def test_oversized_body_is_refused(arm: Arm) -> None:
    arm.group()
    response = arm.request("PUT", arm.registry_path("huge0001"), raw=b"{" + b" " * (4 * 1024 * 1024) + b"}")
    assert (response.status_code, error_code(response)) == (413, "RequestContentTooLarge")
    assert arm.request("GET", arm.registry_path("huge0001")).status_code == 404
