"""Microsoft.Authorization extension paths: every scope form parses to its kind with the scope kept, other
prefixes are refused, and each kind needs its own action at the scope (or at the assignment's id)."""

from __future__ import annotations

import pytest

from acrlink.arm.permissions import Needed, needed
from acrlink.arm.routes import parse
from acrlink.errors import BadRequest, NotFound
from acrlink.resources.catalog import Catalog, build_catalog

SUB = "/subscriptions/sub1"
GROUP = f"{SUB}/resourceGroups/rg1"
REGISTRY = f"{GROUP}/providers/Microsoft.ContainerRegistry/registries/myreg"
REPLICA = f"{REGISTRY}/replications/chinaeast2"
RA = "/providers/Microsoft.Authorization/roleAssignments"
RD = "/providers/Microsoft.Authorization/roleDefinitions"
NAME = "0b1c2d3e-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog()


@pytest.mark.parametrize("scope", [SUB, GROUP, REGISTRY, REPLICA])
def test_assignments_at_every_scope(catalog: Catalog, scope: str) -> None:
    listing = parse(scope + RA, catalog)
    item = parse(f"{scope}{RA.lower()}/{NAME}", catalog)
    assert (listing.kind, item.kind) == ("role_assignments", "role_assignment")
    assert listing.scope == item.scope == scope and item.name == NAME and item.subscription == "sub1"
    assert needed(listing, "GET") == Needed("Microsoft.Authorization/roleAssignments/read", scope)
    assert needed(item, "PUT") == Needed("Microsoft.Authorization/roleAssignments/write", f"{scope}{RA}/{NAME}")
    assert needed(item, "DELETE") is not None and needed(item, "DELETE").action.endswith("/delete")  # type: ignore[union-attr]


def test_resource_scope_carries_the_resource(catalog: Catalog) -> None:
    route = parse(REGISTRY + RA, catalog)
    assert route.rtype is not None and route.rtype.type == "Microsoft.ContainerRegistry/registries"
    assert route.ref is not None and route.ref.name == "myreg" and route.resource_group == "rg1"


def test_definitions_at_a_scope_and_at_the_tenant_root(catalog: Catalog) -> None:
    assert parse(GROUP + RD, catalog).kind == "role_definitions"
    root = parse(f"{RD}/{NAME}", catalog)
    assert (root.kind, root.scope, root.name) == ("role_definition", "/", NAME)
    assert needed(root, "GET") is None
    assert needed(parse(SUB + RD, catalog), "GET") == Needed("Microsoft.Authorization/roleDefinitions/read", SUB)


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (RA, NotFound),  # no assignments at the tenant root here
        (f"{SUB}/resourceGroups{RA}", NotFound),
        (f"{SUB}/locations{RA}", NotFound),
        (f"{SUB}{RA}/{NAME}/extra", NotFound),
        (f"{GROUP}/providers/Microsoft.ContainerRegistry/nosuchtype/x{RA}", BadRequest),
    ],
)
def test_other_prefixes_are_refused(catalog: Catalog, path: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse(path, catalog)
