"""ARM URL grammar: each kind of path, case-insensitive matching, and the errors of bad paths."""

from __future__ import annotations

import pytest

from acrlink.arm.routes import Route, parse
from acrlink.errors import BadRequest, NotFound
from acrlink.ids import ResourceRef, group_ref
from acrlink.resources.catalog import Catalog, build_catalog
from acrlink.resources.connection import CONNECTIONS_TYPE
from acrlink.resources.registry import REGISTRIES
from acrlink.resources.replication import REPLICATIONS_TYPE

NS = "Microsoft.ContainerRegistry"
SUB = "/subscriptions/sub1"
GROUP = f"{SUB}/resourceGroups/rg1"
REGISTRY = f"{GROUP}/providers/{NS}/registries/MyReg01"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog()


def _registry_ref(name: str = "MyReg01") -> ResourceRef:
    return ResourceRef("sub1", "rg1", NS, (("registries", name),))


# --- tenancy ---------------------------------------------------------------------------------


def test_tenants(catalog: Catalog) -> None:
    assert parse("/tenants", catalog) == Route("tenants")


def test_subscriptions(catalog: Catalog) -> None:
    assert parse("/subscriptions", catalog) == Route("subscriptions")


def test_subscription(catalog: Catalog) -> None:
    assert parse(SUB, catalog) == Route("subscription", "sub1")


def test_trailing_slash_is_ignored(catalog: Catalog) -> None:
    assert parse(f"{SUB}/", catalog) == Route("subscription", "sub1")


def test_groups_are_the_collection_of_the_group_type(catalog: Catalog) -> None:
    route = parse(f"{SUB}/resourceGroups", catalog)
    assert route == Route("collection", "sub1", namespace="Microsoft.Resources", rtype=catalog.groups)
    assert route.resource_group is None and route.ref is None


def test_group_is_a_resource_of_the_group_type_and_keeps_the_name_casing(catalog: Catalog) -> None:
    route = parse(f"{SUB}/resourceGroups/My-RG", catalog)
    assert route == Route(
        "resource", "sub1", "My-RG", "Microsoft.Resources", rtype=catalog.groups, ref=group_ref("sub1", "My-RG")
    )
    assert route.ref is not None and route.ref.id == f"{SUB}/resourceGroups/My-RG" and route.ref.name == "My-RG"


def test_no_provider_path_reaches_the_group_type(catalog: Catalog) -> None:
    with pytest.raises(BadRequest):
        parse(f"{GROUP}/providers/Microsoft.Resources/resourceGroups/x", catalog)
    with pytest.raises(BadRequest):
        parse(f"{SUB}/providers/Microsoft.Resources/resourceGroups", catalog)


def test_resources_of_a_subscription(catalog: Catalog) -> None:
    route = parse(f"{SUB}/resources", catalog)
    assert route == Route("resources", "sub1")
    assert route.resource_group is None


def test_resources_of_a_group(catalog: Catalog) -> None:
    assert parse(f"{GROUP}/resources", catalog) == Route("resources", "sub1", "rg1")


# --- providers and operations ----------------------------------------------------------------


def test_providers(catalog: Catalog) -> None:
    assert parse(f"{SUB}/providers", catalog) == Route("providers", "sub1")


def test_provider(catalog: Catalog) -> None:
    assert parse(f"{SUB}/providers/{NS}", catalog) == Route("provider", "sub1", namespace=NS)


@pytest.mark.parametrize("action", ["register", "unregister", "Register", "UNREGISTER"])
def test_provider_register_and_unregister(catalog: Catalog, action: str) -> None:
    route = parse(f"{SUB}/providers/{NS}/{action}", catalog)
    assert route == Route("provider_action", "sub1", namespace=NS, name=action.lower())


@pytest.mark.parametrize("kind", ["operationStatuses", "operationResults", "operations"])
def test_operation_status_and_result_urls(catalog: Catalog, kind: str) -> None:
    route = parse(f"{SUB}/providers/{NS}/locations/chinanorth2/{kind}/Op-1", catalog)
    assert route == Route("operation", "sub1", namespace=NS, name="Op-1", rest=(kind.lower(),))


def test_operation_url_gets_the_canonical_namespace(catalog: Catalog) -> None:
    route = parse(f"{SUB}/providers/microsoft.containerregistry/locations/x/operationStatuses/op", catalog)
    assert route.namespace == NS


def test_group_operation(catalog: Catalog) -> None:
    assert parse(f"{SUB}/operationresults/Abc123", catalog) == Route("group_operation", "sub1", name="Abc123")


def test_group_operation_in_any_casing(catalog: Catalog) -> None:
    assert parse(f"{SUB}/operationResults/abc", catalog).kind == "group_operation"


def test_namespace_operations(catalog: Catalog) -> None:
    assert parse(f"/providers/{NS}/operations", catalog) == Route("namespace_operations", namespace=NS)


def test_namespace_operations_gets_the_canonical_namespace(catalog: Catalog) -> None:
    route = parse("/PROVIDERS/microsoft.containerregistry/OPERATIONS", catalog)
    assert route == Route("namespace_operations", namespace=NS)


@pytest.mark.parametrize("namespace", ["Microsoft.Network", "Microsoft.Resources"])
def test_namespace_operations_of_every_known_namespace(catalog: Catalog, namespace: str) -> None:
    assert parse(f"/providers/{namespace.lower()}/operations", catalog).namespace == namespace


# --- subscription-level collections and actions ----------------------------------------------


def test_subscription_collection_of_registries(catalog: Catalog) -> None:
    route = parse(f"{SUB}/providers/{NS}/registries", catalog)
    assert route == Route("collection", "sub1", None, NS, rtype=REGISTRIES)
    assert route.ref is None


def test_subscription_collection_in_any_casing(catalog: Catalog) -> None:
    route = parse(f"{SUB}/PROVIDERS/microsoft.containerregistry/Registries", catalog)
    assert (route.kind, route.namespace, route.rtype) == ("collection", NS, REGISTRIES)


def test_check_name_availability_is_a_namespace_action(catalog: Catalog) -> None:
    route = parse(f"{SUB}/providers/{NS}/checkNameAvailability", catalog)
    assert route == Route("namespace_action", "sub1", namespace=NS, name="checkNameAvailability")


def test_namespace_action_in_any_casing(catalog: Catalog) -> None:
    route = parse(f"{SUB}/providers/microsoft.containerregistry/CHECKNAMEAVAILABILITY", catalog)
    assert (route.kind, route.namespace) == ("namespace_action", NS)


# --- group-scoped resources ------------------------------------------------------------------


def test_group_collection_of_registries(catalog: Catalog) -> None:
    route = parse(f"{GROUP}/providers/{NS}/registries", catalog)
    assert route == Route("collection", "sub1", "rg1", NS, rtype=REGISTRIES, ref=None)


def test_registry_resource(catalog: Catalog) -> None:
    route = parse(REGISTRY, catalog)
    assert route == Route("resource", "sub1", "rg1", NS, rtype=REGISTRIES, ref=_registry_ref())
    assert route.ref is not None and route.ref.id == REGISTRY


def test_child_collection_of_replications(catalog: Catalog) -> None:
    route = parse(f"{REGISTRY}/replications", catalog)
    assert route.rtype is not None and route.rtype.type == REPLICATIONS_TYPE.type
    assert (route.kind, route.subscription, route.resource_group, route.ref) == (
        "collection",
        "sub1",
        "rg1",
        _registry_ref(),
    )


def test_child_replication_resource(catalog: Catalog) -> None:
    route = parse(f"{REGISTRY}/replications/chinaeast2", catalog)
    assert route.kind == "resource"
    assert route.rtype is not None and route.rtype.type == REPLICATIONS_TYPE.type
    assert route.ref == _registry_ref().child("replications", "chinaeast2")


def test_child_connection_resource_gets_the_canonical_type_name(catalog: Catalog) -> None:
    route = parse(f"{REGISTRY}/privateendpointconnections/MyReg01.abc", catalog)
    assert route.rtype is not None and route.rtype.type == CONNECTIONS_TYPE.type
    assert route.ref is not None
    assert route.ref.id == f"{REGISTRY}/privateEndpointConnections/MyReg01.abc"


@pytest.mark.parametrize(
    ("segment", "action"),
    [
        ("listUsages", "listusages"),
        ("privateLinkResources", "privatelinkresources"),
        ("listCredentials", "listcredentials"),
        ("regenerateCredential", "regeneratecredential"),
    ],
)
def test_registry_action(catalog: Catalog, segment: str, action: str) -> None:
    route = parse(f"{REGISTRY}/{segment}", catalog)
    assert route == Route("action", "sub1", "rg1", NS, name=action, rtype=REGISTRIES, ref=_registry_ref())
    assert route.rest == ()


def test_action_keeps_the_segments_after_it(catalog: Catalog) -> None:
    route = parse(f"{REGISTRY}/privateLinkResources/Registry", catalog)
    assert (route.kind, route.name, route.rest) == ("action", "privatelinkresources", ("Registry",))


def test_action_in_any_casing(catalog: Catalog) -> None:
    assert parse(f"{REGISTRY}/LISTUSAGES", catalog).name == "listusages"


def test_case_insensitive_path_gives_canonical_types_and_keeps_names(catalog: Catalog) -> None:
    route = parse("/SUBSCRIPTIONS/x/RESOURCEGROUPS/rg/PROVIDERS/microsoft.containerregistry/REGISTRIES/MyReg", catalog)
    assert route.kind == "resource"
    assert route.namespace == NS
    assert route.ref is not None
    assert route.ref.id == ("/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/MyReg")
    assert route.ref.name == "MyReg"


def test_case_insensitive_child_path_gives_canonical_child_type(catalog: Catalog) -> None:
    route = parse(f"{GROUP}/providers/{NS}/REGISTRIES/MyReg01/REPLICATIONS/ChinaEast2", catalog)
    assert route.ref is not None
    assert route.ref.id == f"{REGISTRY}/replications/ChinaEast2"


def test_scope_names_keep_their_casing(catalog: Catalog) -> None:
    route = parse(f"/subscriptions/Sub-A/resourceGroups/My-RG/providers/{NS}/registries/r12345", catalog)
    assert (route.subscription, route.resource_group) == ("Sub-A", "My-RG")


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{GROUP}/providers/Microsoft.Bogus/things/x",
        f"{SUB}/providers/Microsoft.Bogus/things",
        f"{SUB}/providers/Microsoft.Bogus/locations/x/operationStatuses/1",
        "/providers/Microsoft.Bogus/operations",
    ],
)
def test_unknown_namespace_is_invalid_resource_namespace(catalog: Catalog, path: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(path, catalog)
    assert caught.value.code == "InvalidResourceNamespace"
    assert caught.value.message == "The resource namespace 'Microsoft.Bogus' is invalid."


@pytest.mark.parametrize(
    "path",
    [
        f"{GROUP}/providers/{NS}/widgets",
        f"{GROUP}/providers/{NS}/widgets/w1",
        f"{SUB}/providers/{NS}/widgets",
        f"{REGISTRY}/widgets/w1",
        f"{REGISTRY}/bogusAction",
        f"{REGISTRY}/replications/chinaeast2/listUsages",
    ],
)
def test_unknown_type_or_action_is_invalid_resource_type(catalog: Catalog, path: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(path, catalog)
    assert caught.value.code == "InvalidResourceType"


def test_invalid_resource_type_names_type_and_namespace(catalog: Catalog) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(f"{GROUP}/providers/{NS}/widgets/w1", catalog)
    assert caught.value.message == (
        "The resource type 'widgets' could not be found in the namespace 'Microsoft.ContainerRegistry'."
    )


def test_invalid_action_names_the_type_path(catalog: Catalog) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(f"{REGISTRY}/bogusAction", catalog)
    assert "'registries/bogusAction'" in caught.value.message


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "/foo",
        "/tenants/t1",
        "/providers",
        "/providers/Microsoft.ContainerRegistry",
        f"{SUB}/bogus",
        f"{SUB}/operationresults",
        f"{SUB}/resources/x",
        f"{GROUP}/bogus",
        f"{GROUP}/resources/x",
        f"{GROUP}/providers",
        f"{GROUP}/providers/{NS}",
        f"{SUB}/providers/{NS}/locations/x/operationStatuses",
        f"{SUB}/providers/{NS}/locations/x/bogus/op",
        f"{SUB}/providers/{NS}/registries/r/x/y/z",
    ],
)
def test_garbage_path_is_invalid_request_uri(catalog: Catalog, path: str) -> None:
    with pytest.raises(NotFound) as caught:
        parse(path, catalog)
    assert caught.value.code == "InvalidRequestUri"
    assert caught.value.message == f"The request URI '{path}' is not valid."
