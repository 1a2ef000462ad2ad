"""The registry face in-process: pull, push, discovery, auth and data endpoints through the ASGI app."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from acrlink import signing
from acrlink.app import build
from acrlink.settings import Settings
from tests.api.conftest import Arm
from tests.api.registry_client import RegistryClient, create_registry

HOST = "myreg.azurecr.cn"
ALL = "repository:app:pull,push,delete"


@pytest.fixture
def reg(arm: Arm) -> RegistryClient:
    password = create_registry(arm, "myreg")
    client = RegistryClient(arm.application, HOST)
    client.password = password  # type: ignore[attr-defined]
    client.login("myreg", password, ALL, "repository:other:pull,push,delete", "registry:catalog:*")
    return client


def codes(response: object) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]  # type: ignore[attr-defined]


def test_challenge_is_acrs(arm: Arm) -> None:
    create_registry(arm, "myreg")
    client = RegistryClient(arm.application, HOST)
    response = client.request("GET", "/v2/")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'Bearer realm="https://{HOST}/oauth2/token",service="{HOST}"'
    assert response.headers["docker-distribution-api-version"] == "registry/2.0"
    assert codes(response) == ["UNAUTHORIZED"]
    scoped = client.request("GET", "/v2/app/tags/list")
    assert scoped.headers["www-authenticate"].endswith(',scope="repository:app:pull"')
    catalog = client.request("GET", "/v2/_catalog")
    assert catalog.headers["www-authenticate"].endswith(',scope="registry:catalog:*"')


def test_unknown_registry_is_name_unknown(arm: Arm) -> None:
    response = RegistryClient(arm.application, "nosuch.azurecr.cn").request("GET", "/v2/")
    assert response.status_code == 404 and codes(response) == ["NAME_UNKNOWN"]


def test_push_pull_round_trip(reg: RegistryClient) -> None:
    image = reg.image("app")
    pushed = reg.push_manifest("app", "v1", image)
    assert pushed.status_code == 201
    digest = pushed.headers["docker-content-digest"]
    body = json.dumps(image).encode()
    assert digest == "sha256:" + hashlib.sha256(body).hexdigest()
    for reference in ("v1", digest):
        got = reg.request("GET", f"/v2/app/manifests/{reference}")
        assert got.status_code == 200 and got.content == body
        assert got.headers["content-type"] == image["mediaType"]
        assert got.headers["docker-content-digest"] == digest
    head = reg.request("HEAD", "/v2/app/manifests/v1")
    assert head.status_code == 200 and head.headers["content-length"] == str(len(body))
    layer = reg.request("GET", f"/v2/app/blobs/{image['layers'][0]['digest']}")
    assert layer.content == b"layer"
    part = reg.request("GET", f"/v2/app/blobs/{image['layers'][0]['digest']}", headers={"Range": "bytes=1-3"})
    assert part.status_code == 206 and part.content == b"aye"
    assert part.headers["content-range"] == "bytes 1-3/5"


def test_chunked_upload_and_out_of_order_chunk(reg: RegistryClient) -> None:
    started = reg.request("POST", "/v2/app/blobs/uploads/")
    assert started.status_code == 202 and started.headers["range"] == "0-0"
    location = started.headers["location"]
    first = reg.request("PATCH", location, content=b"01234", headers={"Content-Range": "0-4"})
    assert first.status_code == 202 and first.headers["range"] == "0-4"
    location = first.headers["location"]
    for bad in ("10-14", "0-4"):
        refused = reg.request("PATCH", location, content=b"56789", headers={"Content-Range": bad})
        assert refused.status_code == 416 and codes(refused) == ["RANGE_INVALID"]
    status = reg.request("GET", location)
    assert status.status_code == 204 and status.headers["range"] == "0-4"
    second = reg.request("PATCH", location, content=b"56789", headers={"Content-Range": "5-9"})
    digest = "sha256:" + hashlib.sha256(b"0123456789").hexdigest()
    wrong = reg.request("PUT", second.headers["location"] + "&digest=sha256:" + "0" * 64)
    assert wrong.status_code == 400 and codes(wrong) == ["DIGEST_INVALID"]
    assert reg.request("HEAD", f"/v2/app/blobs/{digest}").status_code == 404
    done = reg.request("PUT", second.headers["location"] + f"&digest={digest}")
    assert done.status_code == 201 and done.headers["docker-content-digest"] == digest
    assert reg.request("GET", f"/v2/app/blobs/{digest}").content == b"0123456789"


def test_sha512_monolithic_and_bad_digest(reg: RegistryClient) -> None:
    digest = "sha512:" + hashlib.sha512(b"data").hexdigest()
    ok = reg.request("POST", "/v2/app/blobs/uploads/", params={"digest": digest}, content=b"data")
    assert ok.status_code == 201
    bad = "sha256:" + hashlib.sha256(b"other").hexdigest()
    refused = reg.request("POST", "/v2/app/blobs/uploads/", params={"digest": bad}, content=b"data")
    assert refused.status_code == 400 and codes(refused) == ["DIGEST_INVALID"]
    assert reg.request("HEAD", f"/v2/app/blobs/{bad}").status_code == 404
    malformed = reg.request("POST", "/v2/app/blobs/uploads/", params={"digest": "md5:abc"}, content=b"data")
    assert codes(malformed) == ["DIGEST_INVALID"]


def test_upload_survives_a_restart_and_tampering_is_refused(reg: RegistryClient, tmp_path: Path) -> None:
    location = reg.request("POST", "/v2/app/blobs/uploads/").headers["location"]
    location = reg.request("PATCH", location, content=b"abc").headers["location"]
    tampered = location.replace("_state=", "_state=x")
    assert codes(reg.request("PATCH", tampered, content=b"d")) == ["BLOB_UPLOAD_UNKNOWN"]
    second = build(Settings(data_dir=tmp_path))
    try:
        again = RegistryClient(second, HOST)
        again.token = reg.token
        digest = "sha256:" + hashlib.sha256(b"abcdef").hexdigest()
        done = again.request("PUT", location + f"&digest={digest}", content=b"def")
        assert done.status_code == 201, done.text
    finally:
        second.store.close()


def test_cancel_upload(reg: RegistryClient) -> None:
    location = reg.request("POST", "/v2/app/blobs/uploads/").headers["location"]
    assert reg.request("DELETE", location).status_code == 204
    assert codes(reg.request("PATCH", location, content=b"x")) == ["BLOB_UPLOAD_UNKNOWN"]


def test_unknown_and_bad_ranges(reg: RegistryClient) -> None:
    unknown = reg.request("GET", "/v2/app/blobs/sha256:" + "0" * 64)
    assert unknown.status_code == 404 and codes(unknown) == ["BLOB_UNKNOWN"]
    digest = reg.push_blob("app", b"12345")
    bad = reg.request("GET", f"/v2/app/blobs/{digest}", headers={"Range": "bytes=10-20"})
    assert bad.status_code == 416 and codes(bad) == ["RANGE_INVALID"]
    assert codes(reg.request("GET", "/v2/app/manifests/nope")) == ["MANIFEST_UNKNOWN"]
    assert codes(reg.request("GET", "/v2/app/tags/list")) == ["NAME_UNKNOWN"]


def test_manifest_rules(reg: RegistryClient) -> None:
    image = reg.image("app")
    missing = {**image, "layers": [{"mediaType": "x", "digest": "sha256:" + "9" * 64, "size": 1}]}
    assert codes(reg.push_manifest("app", "v1", missing)) == ["MANIFEST_BLOB_UNKNOWN"]
    huge = reg.push_manifest("app", "v1", {**image, "annotations": {"x": "y" * (4 * 1024 * 1024)}})
    assert huge.status_code == 413
    wrong_digest = reg.push_manifest("app", "sha256:" + "0" * 64, image)
    assert codes(wrong_digest) == ["DIGEST_INVALID"]
    assert codes(reg.push_manifest("app", "-bad", image)) == ["TAG_INVALID"]
    assert codes(reg.push_manifest("App", "v1", image)) == ["NAME_INVALID"]
    assert codes(reg.request("GET", "/v2/app%2F..%2Fother/tags/list")) == ["NAME_INVALID"]
    assert codes(reg.request("GET", "/v2/app/tags/list")) == ["NAME_UNKNOWN"], "nothing was stored"


def test_scope_is_enforced(reg: RegistryClient, arm: Arm) -> None:
    reg.push_manifest("app", "v1", reg.image("app"))
    reader = RegistryClient(arm.application, HOST)
    reader.login("myreg", reg.password, "repository:app:pull")  # type: ignore[attr-defined]
    assert reader.request("GET", "/v2/app/manifests/v1").status_code == 200
    denied = reader.push_manifest("app", "v2", reg.image("app"))
    assert denied.status_code == 403 and codes(denied) == ["DENIED"]
    assert 'scope="repository:app:push"' in denied.headers["www-authenticate"]
    assert reader.request("DELETE", "/v2/app/manifests/v1").status_code == 403
    assert [t for t in reg.request("GET", "/v2/app/tags/list").json()["tags"]] == ["v1"]
    wrong_password = reader.request(
        "GET", "/oauth2/token", params={"scope": ALL}, headers={"Authorization": "Basic bXlyZWc6bm9wZQ=="}
    )
    assert wrong_password.status_code == 401 and codes(wrong_password) == ["UNAUTHORIZED"]


def test_expired_token(reg: RegistryClient, arm: Arm) -> None:
    claims = signing.decode(str(reg.token), arm.application.registry.face.key)
    expired = signing.encode({**claims, "exp": 1}, arm.application.registry.face.key)
    response = reg.request("GET", "/v2/", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and codes(response) == ["UNAUTHORIZED"]


def test_pagination_and_catalog(reg: RegistryClient) -> None:
    image = reg.image("app")
    for tag in ("c", "a", "b"):
        reg.push_manifest("app", tag, image)
    page = reg.request("GET", "/v2/app/tags/list", params={"n": 2})
    assert page.json() == {"name": "app", "tags": ["a", "b"]}
    assert page.headers["link"] == '</v2/app/tags/list?last=b&n=2>; rel="next"'
    rest = reg.request("GET", "/v2/app/tags/list", params={"n": 2, "last": "b"})
    assert rest.json()["tags"] == ["c"] and "link" not in rest.headers
    reg.push_manifest("other", "v1", reg.image("other"))
    catalog = reg.request("GET", "/v2/_catalog", params={"n": 1})
    assert catalog.json() == {"repositories": ["app"]} and "last=app" in catalog.headers["link"]
    assert codes(reg.request("GET", "/v2/_catalog", params={"n": "x"})) == ["PAGINATION_NUMBER_INVALID"]


def test_referrers_and_subject(reg: RegistryClient) -> None:
    subject = reg.push_manifest("app", "v1", reg.image("app"))
    subject_digest = subject.headers["docker-content-digest"]
    descriptor = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject_digest, "size": 1}
    for kind in ("application/x-sbom", "application/x-signature"):
        referrer = reg.image("app", layer=kind.encode(), subject=descriptor, artifactType=kind)
        pushed = reg.push_manifest(
            "app", f"sha256:{hashlib.sha256(json.dumps(referrer).encode()).hexdigest()}", referrer
        )
        assert pushed.status_code == 201 and pushed.headers["oci-subject"] == subject_digest
    every = reg.request("GET", f"/v2/app/referrers/{subject_digest}")
    assert every.headers["content-type"] == "application/vnd.oci.image.index.v1+json"
    assert sorted(m["artifactType"] for m in every.json()["manifests"]) == [
        "application/x-sbom",
        "application/x-signature",
    ]
    assert "oci-filters-applied" not in every.headers
    sboms = reg.request("GET", f"/v2/app/referrers/{subject_digest}", params={"artifactType": "application/x-sbom"})
    assert sboms.headers["oci-filters-applied"] == "artifactType"
    assert [m["artifactType"] for m in sboms.json()["manifests"]] == ["application/x-sbom"]
    assert codes(reg.request("GET", "/v2/app/referrers/sha256:bad")) == ["DIGEST_INVALID"]


def test_mount_and_deletes(reg: RegistryClient) -> None:
    digest = reg.push_blob("app", b"shared")
    mounted = reg.request("POST", "/v2/other/blobs/uploads/", params={"mount": digest, "from": "app"})
    assert mounted.status_code == 201 and mounted.headers["docker-content-digest"] == digest
    fallback = reg.request("POST", "/v2/other/blobs/uploads/", params={"mount": "sha256:" + "7" * 64, "from": "app"})
    assert fallback.status_code == 202 and "/blobs/uploads/" in fallback.headers["location"]
    assert reg.request("DELETE", f"/v2/other/blobs/{digest}").status_code == 202
    assert codes(reg.request("GET", f"/v2/other/blobs/{digest}")) == ["BLOB_UNKNOWN"]
    assert reg.request("GET", f"/v2/app/blobs/{digest}").status_code == 200
    digest_v1 = reg.push_manifest("app", "v1", reg.image("app")).headers["docker-content-digest"]
    reg.push_manifest("app", "v2", reg.image("app"))
    assert reg.request("DELETE", "/v2/app/manifests/v2").status_code == 202
    assert reg.request("GET", f"/v2/app/manifests/{digest_v1}").status_code == 200
    assert reg.request("DELETE", f"/v2/app/manifests/{digest_v1}").status_code == 202
    assert reg.request("GET", "/v2/app/tags/list").json()["tags"] == []


def test_anonymous_pull(arm: Arm) -> None:
    password = create_registry(arm, "myreg", anonymousPullEnabled=True)
    owner = RegistryClient(arm.application, HOST)
    owner.login("myreg", password, ALL)
    owner.push_manifest("app", "v1", owner.image("app"))
    anonymous = RegistryClient(arm.application, HOST)
    token = anonymous.request("GET", "/oauth2/token", params={"scope": ALL}).json()["access_token"]
    claims = signing.decode(token, arm.application.registry.face.key)
    assert claims["access"] == [{"type": "repository", "name": "app", "actions": ["pull"]}]
    anonymous.token = token
    assert anonymous.request("GET", "/v2/app/manifests/v1").status_code == 200
    assert anonymous.push_manifest("app", "v2", owner.image("app")).status_code == 403


def test_token_service(arm: Arm) -> None:
    create_registry(arm, "myreg")
    client = RegistryClient(arm.application, HOST)
    # The default principal (Owner of the subscription): a client id of its own would have no role.
    entra, _ = arm.application.identity.issue(
        arm.application.tenancy.world.default_client_id, "https://containerregistry.azure.net"
    )
    form = {"grant_type": "access_token", "service": HOST, "access_token": entra}
    refresh = client.request("POST", "/oauth2/exchange", data=form)
    assert refresh.status_code == 200, refresh.text
    form = {
        "grant_type": "refresh_token",
        "service": HOST,
        "scope": ALL,
        "refresh_token": refresh.json()["refresh_token"],
    }
    access = client.request("POST", "/oauth2/token", data=form)
    client.token = access.json()["access_token"]
    assert client.request("GET", "/v2/app/tags/list").status_code == 404, "authorized; the repository is unknown"
    bad = client.request("POST", "/oauth2/exchange", data={"grant_type": "access_token", "access_token": "x.y.z"})
    assert bad.status_code == 401 and codes(bad) == ["UNAUTHORIZED"]
    unsupported = client.request("POST", "/oauth2/token", data={"grant_type": "magic"})
    assert unsupported.status_code in (400, 405) and codes(unsupported) == ["UNSUPPORTED"]


def test_data_endpoints(arm: Arm) -> None:
    password = create_registry(arm, "myreg", dataEndpointEnabled=True)
    client = RegistryClient(arm.application, HOST)
    client.login("myreg", password, ALL)
    digest = client.push_blob("app", b"payload")
    redirect = client.request("GET", f"/v2/app/blobs/{digest}")
    assert redirect.status_code == 307
    location = redirect.headers["location"]
    assert location.startswith(f"https://myreg.chinanorth2.data.azurecr.cn/v2/app/blobs/{digest}?se=")
    data = RegistryClient(arm.application, "myreg.chinanorth2.data.azurecr.cn")
    assert data.request("GET", location).content == b"payload"
    assert data.request("GET", location + "x").status_code == 403
    assert data.request("POST", "/oauth2/token").status_code == 404, "no token service on data endpoints"
    path = location.split(".cn", 1)[1]
    elsewhere = RegistryClient(arm.application, "myreg.chinaeast2.data.azurecr.cn")
    assert elsewhere.request("GET", path).status_code == 404, "no replica in chinaeast2: no such data endpoint"
