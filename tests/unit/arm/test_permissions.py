"""The permission each ARM route needs: Azure's action names at the scope ARM checks them."""

from __future__ import annotations

import pytest

from acrlink.arm import permissions, routes
from acrlink.resources.catalog import build_catalog

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/rg"
REGISTRY = f"{RG}/providers/Microsoft.ContainerRegistry/registries/reg1"


def needed(method: str, path: str) -> tuple[str, str] | None:
    result = permissions.needed(routes.parse(path, build_catalog()), method)
    return None if result is None else (result.action, result.scope)


@pytest.mark.parametrize(
    ("method", "path", "action", "scope"),
    [
        ("GET", REGISTRY, "Microsoft.ContainerRegistry/registries/read", REGISTRY),
        ("PUT", REGISTRY, "Microsoft.ContainerRegistry/registries/write", REGISTRY),
        ("PATCH", REGISTRY, "Microsoft.ContainerRegistry/registries/write", REGISTRY),
        ("DELETE", REGISTRY, "Microsoft.ContainerRegistry/registries/delete", REGISTRY),
        (
            "POST",
            f"{REGISTRY}/listCredentials",
            "Microsoft.ContainerRegistry/registries/listCredentials/action",
            REGISTRY,
        ),
        ("POST", f"{REGISTRY}/importImage", "Microsoft.ContainerRegistry/registries/importImage/action", REGISTRY),
        ("GET", f"{REGISTRY}/listUsages", "Microsoft.ContainerRegistry/registries/listUsages/read", REGISTRY),
        (
            "PUT",
            f"{REGISTRY}/privateEndpointConnections/pe1",
            "Microsoft.ContainerRegistry/registries/privateEndpointConnections/write",
            f"{REGISTRY}/privateEndpointConnections/pe1",
        ),
        (
            "GET",
            f"{RG}/providers/Microsoft.ContainerRegistry/registries",
            "Microsoft.ContainerRegistry/registries/read",
            RG,
        ),
        (
            "GET",
            f"{SUB}/providers/Microsoft.ContainerRegistry/registries",
            "Microsoft.ContainerRegistry/registries/read",
            SUB,
        ),
        ("GET", f"{REGISTRY}/replications", "Microsoft.ContainerRegistry/registries/replications/read", REGISTRY),
        ("PUT", RG, "Microsoft.Resources/subscriptions/resourceGroups/write", RG),
        ("DELETE", RG, "Microsoft.Resources/subscriptions/resourceGroups/delete", RG),
        ("GET", f"{SUB}/resourcegroups", "Microsoft.Resources/subscriptions/resourceGroups/read", SUB),
        ("POST", f"{SUB}/providers/Microsoft.Network/register", "Microsoft.Network/register/action", SUB),
        (
            "PUT",
            f"{RG}/providers/Microsoft.Resources/deployments/d1",
            "Microsoft.Resources/deployments/write",
            f"{RG}/providers/Microsoft.Resources/deployments/d1",
        ),
        (
            "POST",
            f"{RG}/providers/Microsoft.Resources/deployments/d1/whatIf",
            "Microsoft.Resources/deployments/whatIf/action",
            f"{RG}/providers/Microsoft.Resources/deployments/d1",
        ),
        ("GET", f"{RG}/resources", "Microsoft.Resources/subscriptions/resourceGroups/resources/read", RG),
    ],
)
def test_route_needs_azures_action_at_its_scope(method: str, path: str, action: str, scope: str) -> None:
    assert needed(method, path) == (action, scope)


@pytest.mark.parametrize("path", ["/tenants", SUB, f"{SUB}/locations", f"{SUB}/providers"])
def test_tenant_and_subscription_reads_are_decided_by_visibility(path: str) -> None:
    assert needed("GET", path) is None
