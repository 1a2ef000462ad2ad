"""Every page route of the portal: the page modules' ``ROUTES``, in one list."""

from __future__ import annotations

from acrlink.portal.app import RouteSpec
from acrlink.portal.pages import deployments, dns_zones, endpoints, home, networks, reachability, registries, topology


def portal_routes() -> list[RouteSpec]:
    return [
        *home.ROUTES,
        *deployments.ROUTES,
        *networks.ROUTES,
        *dns_zones.ROUTES,
        *topology.ROUTES,
        *reachability.ROUTES,
        *registries.ROUTES,
        *endpoints.ROUTES,
    ]
