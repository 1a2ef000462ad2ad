"""The portal as an ASGI app: sessions, languages, the page routes, and the blades ARM's refusals become.

Pages are plain async functions of a ``Page`` (the request, its session, its labels, the ARM client and a
renderer); each page module lists its routes in ``ROUTES``. Server-rendered with Jinja2; no build step,
nothing fetched from outside.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from acrlink.errors import Unavailable
from acrlink.portal.armclient import ArmClient, ArmError
from acrlink.portal.i18n import Labels, from_accept_language
from acrlink.portal.session import COOKIE, Session, Sessions, cookie_header, same_token

log = logging.getLogger("acrlink.portal")
HERE = Path(__file__).parent
MAX_FORM = 256 * 1024


@dataclass(frozen=True)
class World:
    """What every page may know about the emulator without asking ARM (what the real portal knows from
    its sign-in): the subscriptions, the regions, the cloud's names."""

    subscriptions: tuple[str, ...]
    default_subscription: str
    tenant_id: str
    regions: dict[str, str]
    acr_suffix: str
    registry_url: str
    """The registry face (the portal's data-plane views call it as the internet host)."""


class Forbidden(Exception):
    """A state-changing request without the session's token, or from another origin."""


@dataclass
class Page:
    request: Request
    session: Session
    labels: Labels
    arm: ArmClient
    world: World
    env: Environment
    cookies: list[str] = field(default_factory=list)
    _form: dict[str, list[str]] | None = None

    def t(self, key: str) -> str:
        return self.labels.t(key)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(
            t=self.labels.t,
            lang=self.labels.html_lang,
            language=self.labels.language,
            csrf=self.session.csrf,
            path=self.request.url.path,
            world=self.world,
            **values,
        )
        response = HTMLResponse(html, status_code=status)
        for cookie in self.cookies:
            response.headers.append("set-cookie", cookie)
        return response

    def redirect(self, to: str) -> Response:
        response = RedirectResponse(to, status_code=303)
        for cookie in self.cookies:
            response.headers.append("set-cookie", cookie)
        return response

    async def form(self) -> dict[str, list[str]]:
        """The posted form (``application/x-www-form-urlencoded``, what the pages' forms send), each name
        with its values in order; at most ``MAX_FORM`` bytes."""
        if self._form is None:
            body = b""
            async for chunk in self.request.stream():
                body += chunk
                if len(body) > MAX_FORM:
                    raise Forbidden("The form is larger than the portal accepts.")
            self._form = {}
            for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                self._form.setdefault(key, []).append(value)
        return self._form

    async def field(self, name: str, default: str = "") -> str:
        """A form field's (first) value."""
        values = (await self.form()).get(name)
        return values[0] if values else default

    async def fields(self, name: str) -> list[str]:
        """Every value of a repeated form field (checkboxes, list rows)."""
        return list((await self.form()).get(name, []))


Handler = Callable[[Page], Awaitable[Response]]
RouteSpec = tuple[str, Handler, tuple[str, ...]]


class PortalFace:
    def __init__(self, arm: ArmClient, world: World, routes: Iterable[RouteSpec], origin_check: bool = True) -> None:
        self.arm = arm
        self.world = world
        self.sessions = Sessions()
        self.origin_check = origin_check
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._routes = list(routes)

    def app(self) -> Starlette:
        routes: list[Any] = [
            Route(path, self._wrap(handler), methods=list(methods)) for path, handler, methods in self._routes
        ]
        routes.append(Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"))
        return Starlette(routes=routes)

    def _wrap(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            page = self._page(request)
            try:
                if request.method == "POST":
                    await self._check_post(page)
                return await handler(page)
            except Forbidden as refused:
                return page.render("error.html", 403, code="Forbidden", message=str(refused))
            except ArmError as error:
                if error.status == 404:
                    return page.render("notfound.html", 404, error=error)
                if error.status == 503:
                    unavailable = page.render("error.html", 503, code=error.code, message=error.message)
                    unavailable.headers["Retry-After"] = error.retry_after or str(Unavailable.retry_after)
                    return unavailable
                return page.render("error.html", error.status if error.status < 500 else 502,
                                   code=error.code, message=error.message)  # fmt: skip
            except Exception:  # noqa: BLE001 - the page says so; the log has the trace
                log.exception("portal page %s failed", request.url.path)
                return page.render("error.html", 500, code="InternalError", message="The page failed to load.")

        return endpoint

    def _page(self, request: Request) -> Page:
        session = self.sessions.get(request.cookies.get(COOKIE))
        cookies: list[str] = []
        if session is None:
            session = self.sessions.open()
            cookies.append(cookie_header(session))
        language = session.language or from_accept_language(request.headers.get("accept-language"))
        return Page(request, session, Labels(language), self.arm, self.world, self.env, cookies)

    async def _check_post(self, page: Page) -> None:
        origin = page.request.headers.get("origin")
        if self.origin_check and origin is not None:
            own = f"{page.request.url.scheme}://{page.request.url.netloc}"
            parsed = urlparse(origin)
            if f"{parsed.scheme}://{parsed.netloc}" != own:
                raise Forbidden(f"Requests from '{origin}' may not act in this portal.")
        if not same_token(page.session, await page.field("csrf") or None):
            raise Forbidden("The request did not carry this session's token. Reload the page and try again.")
