"""What every registry handler gets: the services, the addressed registry, the request and its params."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs

from starlette.requests import Request

from acrlink.domain.cloud import CloudProfile
from acrlink.domain.oci import parse_page_size
from acrlink.domain.webhooks import Origin
from acrlink.errors import BadRequest
from acrlink.registry.tokens import TokenService
from acrlink.services.content import Content
from acrlink.services.read_cache import ReadCache
from acrlink.services.registry import Registries, RegistryView
from acrlink.services.uploads import Uploads

FORM_LIMIT = 64 * 1024
T = TypeVar("T")


def page(items: list[T], n: int | None) -> tuple[list[T], bool]:
    """The first ``n`` of ``items`` (all when ``n`` is None), and whether more follow (a ``Link`` then).
    ``n=0`` is an empty page with no ``Link``, as Distribution answers."""
    if n is None:
        return items, False
    return items[:n], 0 < n < len(items)


@dataclass(frozen=True)
class Face:
    """The registry face's collaborators (built by the composition root)."""

    registries: Registries
    content: Content
    uploads: Uploads
    tokens: TokenService
    cloud: CloudProfile
    key: bytes
    """Signs data endpoint URLs."""
    firewall: Callable[[str, Any], str | None] = lambda _registry, _origin: None
    """(registry name, connection origin or None) -> None to serve, else ACR's firewall message."""
    cache: ReadCache = field(kw_only=True)
    """Host -> registry and manifest lookups of the hot path, valid while the change signal stays."""


@dataclass
class Call:
    face: Face
    request: Request
    registry: RegistryView
    params: dict[str, str]
    data_region: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.params["name"]

    @property
    def origin(self) -> Origin:
        """The request as a webhook event names it: login server, method, user agent."""
        agent = self.request.headers.get("user-agent", "")
        return Origin(self.registry.login_server, self.request.method, agent)

    def chunks(self) -> AsyncIterator[bytes]:
        return self.request.stream()

    async def form(self) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body (the token endpoints), first value per key."""
        body = b""
        async for chunk in self.request.stream():
            body += chunk
            if len(body) > FORM_LIMIT:
                raise BadRequest("UNSUPPORTED", "form body too large")
        try:
            text = body.decode()
        except UnicodeDecodeError:
            raise BadRequest("UNSUPPORTED", "form body is not UTF-8") from None
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}

    def query_int(self, name: str) -> int | None:
        """A non-negative integer query parameter (``n``); anything else is ``PAGINATION_NUMBER_INVALID``."""
        return parse_page_size(self.request.query_params.get(name))
