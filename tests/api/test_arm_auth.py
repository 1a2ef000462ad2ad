"""ARM accepts only Entra ID access tokens for its own audiences; everything else acrlink signs is refused
with ARM's codes, messages and challenge. The Entra face publishes the key tokens verify against."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from acrlink import signing
from acrlink.services.key_material import load_keys
from tests.api.conftest import Arm, error_code
from tests.api.registry_client import RegistryClient

APP = "00000000-0000-0000-0000-0000000000aa"


def _app(arm: Arm) -> str:
    """The default principal's client id: Owner of the subscriptions, so only the token is on trial."""
    return arm.application.tenancy.world.default_client_id


HOST = "myreg.azurecr.cn"
ALLOWED = (
    "'https://management.core.chinacloudapi.cn/','https://management.core.chinacloudapi.cn',"
    "'https://management.chinacloudapi.cn/','https://management.chinacloudapi.cn'"
)


def _arm_get(arm: Arm, token: str | None, authorization: str | None = None) -> httpx.Response:
    headers = {"Authorization": authorization or f"Bearer {token}"}
    return arm.client.get(f"/subscriptions/{arm.sub}/resourcegroups?api-version=2022-09-01", headers=headers)


def _challenge(response: httpx.Response) -> str:
    return response.headers["WWW-Authenticate"]


def _registry_tokens(arm: Arm) -> dict[str, str]:
    """A registry's refresh and access tokens, and the mcr stand-in's anonymous token."""
    arm.group()
    assert arm.request(
        "PUT", arm.registry_path("myreg"), {"location": "chinanorth2", "sku": {"name": "Premium"}}
    ).status_code in (200, 201)
    client = RegistryClient(arm.application, HOST)
    entra, _ = arm.application.identity.issue(_app(arm), "https://containerregistry.azure.net")
    refresh = client.request(
        "POST", "/oauth2/exchange", data={"grant_type": "access_token", "service": HOST, "access_token": entra}
    ).json()["refresh_token"]
    access = client.request(
        "POST",
        "/oauth2/token",
        data={"grant_type": "refresh_token", "service": HOST, "scope": "repository:app:pull", "refresh_token": refresh},
    ).json()["access_token"]
    mcr = RegistryClient(arm.application, "mcr.microsoft.com").request(
        "GET", "/oauth2/token", params={"service": "mcr.microsoft.com", "scope": "repository:hello-world:pull"}
    )
    assert mcr.status_code == 200, mcr.text
    return {"refresh": refresh, "access": access, "mcr-anonymous": mcr.json()["access_token"]}


@pytest.mark.parametrize("kind", ["refresh", "access", "mcr-anonymous"])
def test_registry_tokens_are_not_arm_tokens(arm: Arm, kind: str) -> None:
    response = _arm_get(arm, _registry_tokens(arm)[kind])
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}
    assert _challenge(response) == (
        'Bearer authorization_uri="https://arm.test/", error="invalid_token", '
        'error_description="The access token is invalid."'
    )


@pytest.mark.parametrize(
    "audience",
    ["https://containerregistry.azure.net", "https://graph.chinacloudapi.cn/", "https://management.azure.com/"],
)
def test_entra_token_for_another_audience_is_refused_as_azure_words_it(arm: Arm, audience: str) -> None:
    token, _ = arm.application.identity.issue(_app(arm), audience)
    response = _arm_get(arm, token)
    assert response.status_code == 401
    message = (
        f"The access token has been obtained for wrong audience or resource '{audience}'. "
        f"It should exactly match with one of the allowed audiences {ALLOWED}."
    )
    assert response.json()["error"] == {"code": "InvalidAuthenticationTokenAudience", "message": message}
    assert _challenge(response) == (
        f'Bearer authorization_uri="https://arm.test/", error="invalid_token", error_description="{message}"'
    )


@pytest.mark.parametrize(
    "audience",
    [
        "https://management.core.chinacloudapi.cn/",
        "https://management.core.chinacloudapi.cn",
        "https://management.chinacloudapi.cn/",
        "https://management.chinacloudapi.cn",
    ],
)
def test_every_arm_audience_with_and_without_slash_is_accepted(arm: Arm, audience: str) -> None:
    token, _ = arm.application.identity.issue(_app(arm), audience)
    assert _arm_get(arm, token).status_code == 200


def test_hmac_state_forged_with_arm_claims_is_refused(arm: Arm) -> None:
    """The data dir's secret signs upload state and registry tokens; a token it signs with every claim
    ARM wants is still not an Entra token."""
    secret = arm.application.registry.face.key
    good, _ = arm.application.identity.issue(_app(arm), "https://management.core.chinacloudapi.cn/")
    claims = jwt.decode(good, options={"verify_signature": False})
    response = _arm_get(arm, signing.encode(claims, secret))
    assert response.status_code == 401
    assert error_code(response) == "InvalidAuthenticationToken"


def test_expired_token_is_refused_with_both_times(arm: Arm) -> None:
    good, _ = arm.application.identity.issue(_app(arm), "https://management.core.chinacloudapi.cn/")
    claims = jwt.decode(good, options={"verify_signature": False})
    key = load_keys(arm.application.store).entra
    response = _arm_get(arm, key.sign({**claims, "exp": 1_781_511_771}))  # 2026-06-15 08:22:51 UTC
    assert response.status_code == 401
    assert error_code(response) == "ExpiredAuthenticationToken"
    assert response.json()["error"]["message"].startswith(
        "The access token expiry UTC time '6/15/2026 8:22:51 AM' is earlier than current UTC time '"
    )


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("", "AuthenticationFailed"),
        ("Basic abc", "AuthenticationFailed"),
        ("Bearer not.a.jwt", "InvalidAuthenticationToken"),
    ],
)
def test_missing_or_malformed_authorization(arm: Arm, authorization: str, code: str) -> None:
    response = arm.client.get(
        f"/subscriptions/{arm.sub}/resourcegroups?api-version=2022-09-01", headers={"Authorization": authorization}
    )
    assert response.status_code == 401
    assert error_code(response) == code
    assert _challenge(response).startswith('Bearer authorization_uri="https://arm.test/", error="invalid_token"')


# --- what the Entra face publishes ---------------------------------------------------------------


def _token_from_endpoint(arm: Arm, tenant: str, scope: str) -> str:
    response = arm.client.post(
        f"/{tenant}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": APP, "client_secret": "s", "scope": scope},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.mark.parametrize("version", ["v2.0/", ""])
def test_token_verifies_with_pyjwt_against_the_published_jwks(arm: Arm, version: str) -> None:
    tenant = arm.application.tenancy.world.tenant_id
    config = arm.client.get(f"/{tenant}/{version}.well-known/openid-configuration").json()
    assert config["jwks_uri"] == f"https://arm.test/{tenant}/discovery/{version}keys"
    jwks = arm.client.get(config["jwks_uri"].removeprefix("https://arm.test")).json()
    token = _token_from_endpoint(arm, tenant, "https://management.chinacloudapi.cn/.default")
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(
        token,
        key.key,
        algorithms=config["id_token_signing_alg_values_supported"],
        audience="https://management.chinacloudapi.cn",
        issuer=f"https://arm.test/{tenant}/",
    )
    assert claims["tid"] == tenant and claims["ver"] == "1.0" and claims["exp"] > time.time()


def test_issuers_are_on_the_authority_host(arm: Arm) -> None:
    tenant = arm.application.tenancy.world.tenant_id
    v2 = arm.client.get(f"/{tenant}/v2.0/.well-known/openid-configuration").json()
    v1 = arm.client.get(f"/{tenant}/.well-known/openid-configuration").json()
    assert v2["issuer"] == f"https://arm.test/{tenant}/v2.0"
    assert v1["issuer"] == f"https://arm.test/{tenant}/"
    assert v1["token_endpoint"] == f"https://arm.test/{tenant}/oauth2/token"
    common = arm.client.get("/organizations/v2.0/.well-known/openid-configuration").json()
    assert common["issuer"] == "https://arm.test/{tenantid}/v2.0"
    keys = arm.client.get(f"/{tenant}/discovery/v2.0/keys").json()["keys"]
    assert keys[0]["issuer"] == f"https://arm.test/{tenant}/v2.0"


def test_unknown_tenant_has_no_keys_nor_configuration(arm: Arm) -> None:
    for path in ("/nosuchtenant/discovery/v2.0/keys", "/nosuchtenant/v2.0/.well-known/openid-configuration"):
        response = arm.client.get(path)
        assert response.status_code == 400
        assert response.json()["error_codes"] == [90002]
