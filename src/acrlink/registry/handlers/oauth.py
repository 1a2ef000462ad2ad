"""ACR's token service endpoints on the login server: exchange, token (POST), realm (GET)."""

from __future__ import annotations

from starlette.responses import Response

from acrlink.registry.handlers.base import Call
from acrlink.registry.wire import json_response


async def exchange(call: Call) -> Response:
    """``POST /oauth2/exchange``: Entra ID access token -> ``{"refresh_token"}``."""
    form = await call.form()
    return json_response(200, {"refresh_token": call.face.tokens.exchange(form, call.registry)})


async def token(call: Call) -> Response:
    """``POST /oauth2/token``: refresh token or password grant -> ``{"access_token"}``."""
    form = await call.form()
    return json_response(200, {"access_token": call.face.tokens.token(form, call.registry)})


async def realm(call: Call) -> Response:
    """``GET /oauth2/token?service=&scope=[&offline_token=true]``: docker's token protocol with Basic
    credentials or none."""
    query = call.request.query_params
    offline = query.get("offline_token", "").lower() == "true"
    token, refresh = call.face.tokens.realm(
        call.request.headers.get("authorization"), query.getlist("scope"), call.registry, offline
    )
    body = {"access_token": token, "token": token}
    if refresh is not None:
        body["refresh_token"] = refresh
    return json_response(200, body)
