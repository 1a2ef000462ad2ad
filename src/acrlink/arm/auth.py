"""Who is calling ARM: the bearer token check, with ARM's codes, messages and challenge.

ARM accepts only an Entra ID access token: RS256, signed by the key the Entra face publishes at
``jwks_uri``, for acrlink's tenant, unexpired, and for one of ARM's audiences (exactly, as Azure
compares them). Anything else signed by acrlink (a registry refresh or access token, the ``mcr``
stand-in's anonymous token, upload state) fails the signature check, as a token from another issuer
fails in Azure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from acrlink import signing
from acrlink.clock import epoch
from acrlink.domain.cloud import CloudProfile
from acrlink.domain.principals import Principal
from acrlink.errors import Unauthorized
from acrlink.unconfirmed import BAD_AUTHORIZATION_FORMAT_MESSAGE, FOREIGN_TOKEN_CODE, FOREIGN_TOKEN_MESSAGE


def _utc(moment: int) -> str:
    """.NET's invariant ``G`` format, which ARM's messages use: ``6/15/2026 8:22:51 AM``."""
    when = datetime.fromtimestamp(moment, UTC)
    hour = when.hour % 12 or 12
    return f"{when.month}/{when.day}/{when.year} {hour}:{when:%M:%S} {'AM' if when.hour < 12 else 'PM'}"


def wrong_audience(audience: str, cloud: CloudProfile) -> Unauthorized:
    allowed = ",".join(f"'{a}'" for a in cloud.arm_audiences)
    return Unauthorized(
        "InvalidAuthenticationTokenAudience",
        f"The access token has been obtained for wrong audience or resource '{audience}'. "
        f"It should exactly match with one of the allowed audiences {allowed}.",
    )


def authenticate(
    authorization: str | None,
    verify: Callable[[str], dict[str, Any]],
    tenant_ids: Collection[str],
    cloud: CloudProfile,
) -> Principal:
    """The caller of an ARM request, from its ``Authorization`` header; ``verify`` checks an Entra token's
    signature and expiry, ``tenant_ids`` (lower case) are the tenants acrlink hosts. Which tenant may address
    which subscription is the ARM face's check (``InvalidAuthenticationTokenTenant``)."""
    if not authorization:
        raise Unauthorized("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("AuthenticationFailed", BAD_AUTHORIZATION_FORMAT_MESSAGE)
    try:
        claims = verify(token.strip())
    except signing.ExpiredToken as expired:
        raise Unauthorized(
            "ExpiredAuthenticationToken",
            f"The access token expiry UTC time '{_utc(expired.expired_at)}' is earlier than current UTC time "
            f"'{_utc(epoch())}'.",
        ) from None
    except signing.InvalidToken:
        raise Unauthorized(FOREIGN_TOKEN_CODE, FOREIGN_TOKEN_MESSAGE) from None
    audience = claims.get("aud")
    if not isinstance(audience, str) or audience not in cloud.arm_audiences:
        raise wrong_audience(str(audience), cloud)
    if str(claims.get("tid", "")).lower() not in tenant_ids or not claims.get("oid"):
        raise Unauthorized(
            "InvalidAuthenticationToken",
            "The received access token is not valid: at least one of the claims 'puid' or 'altsecid' or 'oid' "
            "should be present. If you are accessing as application please make sure service principal is "
            "properly created in the tenant.",
        )
    return Principal(str(claims["oid"]), str(claims.get("appid", "")), str(claims["tid"]))


def challenge(authority: str, message: str) -> str:
    """The ``WWW-Authenticate`` header of ARM's 401s: the authority to get a token from, and why."""
    description = message.replace("\\", "\\\\").replace('"', '\\"')
    return f'Bearer authorization_uri="{authority}", error="invalid_token", error_description="{description}"'
