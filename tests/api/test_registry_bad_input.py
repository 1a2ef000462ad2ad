"""Bad input on the registry face gets a 4xx in OCI error JSON, never a 500 or a stored bad document
(issue 8, item 5): page sizes, numbers ``int`` refuses or that are thousands of digits long, deeply
nested JSON, and schema-invalid manifests."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import Arm
from tests.api.registry_client import RegistryClient, create_registry

HOST = "myreg.azurecr.cn"
SCOPES = ("repository:app:pull,push,delete,metadata_read,metadata_write", "registry:catalog:*")
LISTINGS = ("/v2/_catalog", "/v2/app/tags/list", "/acr/v1/_catalog", "/acr/v1/app/_tags", "/acr/v1/app/_manifests")
HUGE = "9" * 5000
DEEP = b"[" * 100_000


@pytest.fixture
def reg(arm: Arm) -> RegistryClient:
    client = RegistryClient(arm.application, HOST)
    client.login("myreg", create_registry(arm, "myreg"), *SCOPES)
    client.push_manifest("app", "v1", client.image("app"))
    return client


def _code(response: object) -> str:
    return str(response.json()["errors"][0]["code"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", LISTINGS)
def test_n_zero_is_an_empty_page(reg: RegistryClient, path: str) -> None:
    response = reg.request("GET", path, params={"n": "0"})
    assert response.status_code == 200, response.text
    assert "link" not in response.headers
    listed = [v for v in response.json().values() if isinstance(v, list)]
    assert listed == [[]], response.json()


@pytest.mark.parametrize("path", LISTINGS)
@pytest.mark.parametrize("n", ["²", "٣", HUGE, "-1", "1e3", " 1", "0x10"])
def test_n_that_is_not_a_plain_number_is_pagination_number_invalid(reg: RegistryClient, path: str, n: str) -> None:
    response = reg.request("GET", path, params={"n": n})
    assert response.status_code == 400, response.text
    assert _code(response) == "PAGINATION_NUMBER_INVALID"


@pytest.mark.parametrize("path", LISTINGS)
@pytest.mark.parametrize("last", ["x" * 10_000, "\x00", "²", "%ff", "sha256:"])
def test_odd_last_values_never_fail(reg: RegistryClient, path: str, last: str) -> None:
    response = reg.request("GET", path, params={"n": "1", "last": last})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("header", ["0-²", f"0-{HUGE}", f"{HUGE}-{HUGE}", "٠-٤"])
def test_content_ranges_with_odd_numbers_are_range_invalid(reg: RegistryClient, header: str) -> None:
    location = reg.request("POST", "/v2/app/blobs/uploads/").headers["location"]
    response = reg.request("PATCH", location, content=b"01234", headers={"Content-Range": header.encode()})
    assert response.status_code == 416, response.text
    assert _code(response) == "RANGE_INVALID"
    assert reg.request("GET", location).headers["range"] == "0-0", "the session is as it was"


@pytest.mark.parametrize("header", [f"bytes={HUGE}-", f"bytes=-{HUGE}", f"bytes=0-{HUGE}"])
def test_blob_ranges_with_huge_numbers_are_range_invalid(reg: RegistryClient, header: str) -> None:
    digest = reg.push_blob("app", b"0123456789")
    response = reg.request("GET", f"/v2/app/blobs/{digest}", headers={"Range": header})
    assert response.status_code == 416, response.text
    assert _code(response) == "RANGE_INVALID"


def test_unicode_digit_ranges_serve_the_whole_blob(reg: RegistryClient) -> None:
    digest = reg.push_blob("app", b"0123456789")
    response = reg.request("GET", f"/v2/app/blobs/{digest}", headers={"Range": "bytes=²-".encode()})
    assert response.status_code == 200 and response.content == b"0123456789"


def test_a_huge_content_length_on_a_manifest_is_not_a_500(reg: RegistryClient) -> None:
    response = reg.request(
        "PUT",
        "/v2/app/manifests/v2",
        content=b"{}",
        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json", "Content-Length": HUGE},
    )
    assert response.status_code == 400 and _code(response) == "MANIFEST_INVALID"


def test_deeply_nested_manifest_is_manifest_invalid(reg: RegistryClient) -> None:
    response = reg.request(
        "PUT", "/v2/app/manifests/v2", content=DEEP, headers={"Content-Type": "application/vnd.oci.image.index.v1+json"}
    )
    assert response.status_code == 400, response.text
    assert _code(response) == "MANIFEST_INVALID"


@pytest.mark.parametrize("path", ["/acr/v1/app", "/acr/v1/app/_tags/v1"])
@pytest.mark.parametrize("body", [DEEP, b"[" * 60_000], ids=["100k", "under-the-size-limit"])
def test_deeply_nested_patch_body_is_a_400(reg: RegistryClient, path: str, body: bytes) -> None:
    response = reg.request("PATCH", path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["code"]


@pytest.mark.parametrize(
    "broken",
    [
        {
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": "sha256:" + "1" * 64,
                "size": "7",
            }
        },
        {"config": "nope"},
        {"layers": [{"mediaType": "x", "digest": "sha256:" + "1" * 64, "size": "big"}]},
        {"layers": {"size": 1}},
    ],
)
def test_schema_invalid_index_is_refused_and_never_stored(reg: RegistryClient, broken: dict[str, object]) -> None:
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [], **broken}
    response = reg.push_manifest("app", "broken", index)
    assert response.status_code == 400, response.text
    assert _code(response) == "MANIFEST_INVALID"
    assert reg.request("GET", "/v2/app/manifests/broken").status_code == 404
    listed = reg.request("GET", "/acr/v1/app/_manifests")
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["manifests"]) == 1


def test_image_manifest_with_a_string_layer_size_is_refused(reg: RegistryClient) -> None:
    image = reg.image("app")
    image["layers"][0]["size"] = str(image["layers"][0]["size"])
    response = reg.push_manifest("app", "v2", image)
    assert response.status_code == 400 and _code(response) == "MANIFEST_INVALID"
    assert json.dumps(image)
