"""Every page route of the portal: the page modules' ``ROUTES``, in one list."""

from __future__ import annotations

from acrlink.portal.app import RouteSpec
from acrlink.portal.pages import deployments, home, registries


def portal_routes() -> list[RouteSpec]:
    return [*home.ROUTES, *deployments.ROUTES, *registries.ROUTES]
