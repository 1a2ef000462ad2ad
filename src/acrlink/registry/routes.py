"""Every registry route, as data: path pattern, and per method the handler and the access it needs.

``access`` is what the route's token must grant: ``None`` (no token: the token service itself),
``""`` (any valid token for the registry: ``/v2/``), a repository action (on the route's ``name``)
or ``registry:catalog``. Order matters: the first pattern that matches the path wins.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.responses import Response

from acrlink.registry.handlers import acr, oauth, pull, push
from acrlink.registry.handlers.base import Call
from acrlink.registry.scopes import Scope

Handler = Callable[[Call], Awaitable[Response]]
CATALOG = "registry:catalog"


@dataclass(frozen=True)
class Method:
    handler: Handler
    access: str | None


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    methods: dict[str, Method]

    def scope(self, method: str, params: dict[str, str]) -> Scope | None:
        access = self.methods[method].access
        if not access:
            return None
        if access == CATALOG:
            return Scope("registry", "catalog", frozenset({"*"}))
        return Scope("repository", params["name"], frozenset({access}))


def _route(path: str, **methods: tuple[Handler, str | None]) -> Route:
    table = {m: Method(h, a) for m, (h, a) in methods.items()}
    if "GET" in table and "HEAD" not in table:
        table["HEAD"] = table["GET"]
    return Route(re.compile(f"^{path}$"), table)


NAME = r"(?P<name>.+?)"
SEGMENT = r"[^/]+"

ROUTES: tuple[Route, ...] = (
    _route("/oauth2/exchange", POST=(oauth.exchange, None)),
    _route("/oauth2/token", GET=(oauth.realm, None), POST=(oauth.token, None)),
    _route("/v2/", GET=(pull.base, "")),
    _route("/v2/_catalog", GET=(pull.catalog, CATALOG)),
    _route(f"/v2/{NAME}/tags/list", GET=(pull.tags_list, "pull")),
    _route(
        f"/v2/{NAME}/manifests/(?P<reference>{SEGMENT})",
        GET=(pull.get_manifest, "pull"),
        PUT=(push.put_manifest, "push"),
        DELETE=(push.delete_manifest, "delete"),
    ),
    _route(f"/v2/{NAME}/blobs/uploads/", POST=(push.start_upload, "push")),
    _route(
        f"/v2/{NAME}/blobs/uploads/(?P<upload>{SEGMENT})",
        GET=(push.upload_status, "push"),
        PATCH=(push.patch_upload, "push"),
        PUT=(push.finish_upload, "push"),
        DELETE=(push.cancel_upload, "push"),
    ),
    _route(f"/v2/{NAME}/blobs/(?P<digest>{SEGMENT})", GET=(pull.get_blob, "pull"), DELETE=(push.delete_blob, "delete")),
    _route(f"/v2/{NAME}/referrers/(?P<digest>{SEGMENT})", GET=(pull.referrers, "pull")),
    _route("/acr/v1/_catalog", GET=(acr.catalog, CATALOG)),
    _route(f"/acr/v1/{NAME}/_tags", GET=(acr.tags, "metadata_read")),
    _route(
        f"/acr/v1/{NAME}/_tags/(?P<tag>{SEGMENT})",
        GET=(acr.tag, "metadata_read"),
        PATCH=(acr.update_tag, "metadata_write"),
        DELETE=(acr.delete_tag, "delete"),
    ),
    _route(f"/acr/v1/{NAME}/_manifests", GET=(acr.manifests, "metadata_read")),
    _route(
        f"/acr/v1/{NAME}/_manifests/(?P<digest>{SEGMENT})",
        GET=(acr.manifest, "metadata_read"),
        PATCH=(acr.update_manifest, "metadata_write"),
        DELETE=(acr.delete_manifest, "delete"),
    ),
    _route(
        f"/acr/v1/{NAME}",
        GET=(acr.repository, "metadata_read"),
        PATCH=(acr.update_repository, "metadata_write"),
        DELETE=(acr.delete_repository, "delete"),
    ),
)

DATA_ENDPOINT_ROUTES: tuple[Route, ...] = (
    _route(f"/v2/{NAME}/blobs/(?P<digest>{SEGMENT})", GET=(pull.data_endpoint_blob, None)),
)
"""A data endpoint serves signed blob URLs and nothing else (no token service: S24)."""


def match(routes: tuple[Route, ...], path: str) -> tuple[Route, dict[str, str]] | None:
    for route in routes:
        found = route.pattern.match(path)
        if found:
            return route, found.groupdict()
    return None
