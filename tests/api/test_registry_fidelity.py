"""What real clients and the OCI conformance suite see of ACR's answers (issue 8, items 14 and 15)."""

from __future__ import annotations

import pytest

from tests.api.conftest import Arm
from tests.api.registry_client import RegistryClient, create_registry

HOST = "myreg.azurecr.cn"


@pytest.fixture
def reg(arm: Arm) -> RegistryClient:
    client = RegistryClient(arm.application, HOST)
    client.login("myreg", create_registry(arm, "myreg"), "repository:app:pull,push,delete")
    client.push_manifest("app", "v1", client.image("app"))
    return client


def test_an_unknown_tag_is_acrs_manifest_tagged_by(reg: RegistryClient) -> None:
    for method in ("GET", "HEAD"):
        response = reg.request(method, "/v2/app/manifests/nosuchtag")
        assert response.status_code == 404
    body = reg.request("GET", "/v2/app/manifests/nosuchtag").json()
    assert body == {
        "errors": [
            {
                "code": "MANIFEST_UNKNOWN",
                "message": 'manifest tagged by "nosuchtag" is not found',
                "detail": {"Tag": "nosuchtag"},
            }
        ]
    }


def test_an_unknown_digest_is_acrs_manifest_is_not_found(reg: RegistryClient) -> None:
    digest = "sha256:" + "0" * 64
    error = reg.request("GET", f"/v2/app/manifests/{digest}").json()["errors"][0]
    assert (error["code"], error["message"]) == ("MANIFEST_UNKNOWN", f"manifest {digest} is not found")


@pytest.mark.parametrize("reference", [".INVALID_MANIFEST_NAME", "-x", "a" * 129])
def test_a_reference_that_is_not_a_tag_is_unknown_on_reads(reg: RegistryClient, reference: str) -> None:
    """The OCI conformance suite's "HEAD/GET nonexistent manifest should return 404" uses a reference
    that is not a valid tag; a read answers 404 MANIFEST_UNKNOWN (a push still gets TAG_INVALID)."""
    for method in ("GET", "HEAD"):
        response = reg.request(method, f"/v2/app/manifests/{reference}")
        assert response.status_code == 404, (method, response.status_code)
    assert reg.request("GET", f"/v2/app/manifests/{reference}").json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    pushed = reg.push_manifest("app", reference, reg.image("app"))
    assert pushed.status_code == 400 and pushed.json()["errors"][0]["code"] == "TAG_INVALID"


def test_a_malformed_digest_reference_is_a_conformant_400(reg: RegistryClient) -> None:
    """The suite's "400 response body should contain OCI-conforming JSON message": 400 or 404, and a 400
    names one of the spec's codes."""
    response = reg.request("GET", "/v2/app/manifests/sha256:totallywrong")
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "DIGEST_INVALID"


@pytest.mark.parametrize("path", ["/v2/", "/v2/app/manifests/v1", "/v2/app/manifests/nosuchtag", "/nowhere"])
def test_every_answer_carries_acrs_server_header(reg: RegistryClient, path: str) -> None:
    assert reg.request("GET", path).headers["server"] == "AzureContainerRegistry"


def test_an_unknown_registry_answers_with_the_server_header_too(arm: Arm) -> None:
    response = RegistryClient(arm.application, "nosuch.azurecr.cn").request("GET", "/v2/")
    assert response.status_code == 404 and response.headers["server"] == "AzureContainerRegistry"
