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


def test_conformance_chunked_flow_with_an_out_of_order_final_put(reg: RegistryClient) -> None:
    """The suite's chunked push (main branch, "PutLastChunk"): an out-of-order chunk, even as the final
    PUT, is 416; GET on the Location recovers the range; the in-order chunks then complete the blob."""
    import hashlib

    body = bytes(range(256)) * 8
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    location = reg.request("POST", "/v2/app/blobs/uploads/", headers={"Content-Length": "0"}).headers["location"]
    first = reg.request("PATCH", location, content=body[:1024], headers={"Content-Range": "0-1023"})
    assert first.status_code == 202 and first.headers["range"] == "0-1023"
    location = first.headers["location"]
    skipped = reg.request(
        "PUT", location + f"&digest={digest}", content=body[1536:], headers={"Content-Range": f"1536-{len(body) - 1}"}
    )
    assert skipped.status_code == 416, skipped.text
    status = reg.request("GET", location)
    assert status.status_code == 204 and status.headers["range"] == "0-1023"
    done = reg.request(
        "PUT",
        status.headers["location"] + f"&digest={digest}",
        content=body[1024:],
        headers={"Content-Range": f"1024-{len(body) - 1}"},
    )
    assert done.status_code == 201, done.text
    ranged = reg.request("GET", f"/v2/app/blobs/{digest}", headers={"Range": "bytes=500-1499"})
    assert ranged.status_code == 206 and ranged.content == body[500:1500]
    assert ranged.headers["content-range"] == f"bytes 500-1499/{len(body)}"
    inverted = reg.request("GET", f"/v2/app/blobs/{digest}", headers={"Range": "bytes=500-0"})
    assert inverted.status_code == 200 and inverted.content == body, "ignored, as the suite's fallback allows"
