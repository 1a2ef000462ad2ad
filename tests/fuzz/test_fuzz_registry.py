"""The registry face: generated OCI paths, query strings, headers and manifests get the OCI error shape,
never a 5xx, and a refused request changes nothing (no tag moved, no manifest or blob stored)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.api.conftest import Arm
from tests.api.registry_client import RegistryClient, create_registry

from .conftest import state

HOST = "fuzzreg.azurecr.cn"
SCOPES = ("repository:app:pull,push,delete", "registry:catalog:*")

numbers = st.one_of(
    st.integers(min_value=-3, max_value=10**5).map(str),
    st.sampled_from(["", "0", "-1", "\u00b2", "\u0663", "1e3", "9" * 5000, " 5", "0x1", "١٢"]),
)
references = st.one_of(
    st.sampled_from(
        [
            "latest",
            "v1",
            ".INVALID_MANIFEST_NAME",
            "sha256:" + "0" * 64,
            "sha256:abc",
            "sha512:" + "a" * 128,
            "a" * 129,
            "-x",
            "x@y",
            "%00",
            "..",
        ]
    ),
    st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="/?#%"),
        min_size=1,
        max_size=20,
    ),
)
repos = st.sampled_from(["app", "App", "app/sub", "a" * 300, "x..y", "_x", "other"])
descriptor = st.fixed_dictionaries(
    {},
    optional={
        "mediaType": st.sampled_from(["application/vnd.oci.image.config.v1+json", "x", 5]),
        "digest": st.sampled_from(["sha256:" + "0" * 64, "sha256:z", 7, None]),
        "size": st.one_of(st.integers(min_value=-1, max_value=2**70), st.text(max_size=4), st.none()),
        "platform": st.dictionaries(st.sampled_from(["os", "architecture"]), st.text(max_size=5) | st.integers()),
        "annotations": st.dictionaries(st.text(max_size=5), st.text(max_size=5) | st.integers()),
    },
)
manifests = st.fixed_dictionaries(
    {},
    optional={
        "schemaVersion": st.sampled_from([2, 1, "2", None, 2.5]),
        "mediaType": st.sampled_from(
            [
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.oci.image.index.v1+json",
                "application/vnd.docker.distribution.manifest.v2+json",
                "text/plain",
                3,
            ]
        ),
        "config": descriptor | st.text(max_size=3),
        "layers": st.lists(descriptor, max_size=3) | st.integers(),
        "manifests": st.lists(descriptor, max_size=3) | st.text(max_size=2),
        "subject": descriptor | st.integers(),
        "artifactType": st.text(max_size=10) | st.integers(),
    },
)
bodies = st.one_of(
    manifests.map(lambda m: json.dumps(m).encode()),
    st.binary(max_size=100),
    st.integers(min_value=1, max_value=150_000).map(lambda n: b"[" * n),
)


@pytest.fixture(scope="module")
def reg(fuzz_arm: Arm) -> RegistryClient:
    password = create_registry(fuzz_arm, "fuzzreg")
    client = RegistryClient(fuzz_arm.application, HOST)
    client.login("fuzzreg", password, *SCOPES)
    client.push_manifest("app", "v1", client.image("app"))
    return client


def _check(reg: RegistryClient, fuzz_arm: Arm, method: str, path: str, **kw: Any) -> None:
    before = state(fuzz_arm.application.settings.data_dir)
    response = reg.request(method, path, **kw)
    assert response.status_code < 500, (method, path, kw, response.text[:500])
    if response.status_code >= 400:
        if method != "HEAD" and response.headers.get("content-type", "").startswith("application/json"):
            assert response.json()["errors"][0]["code"], response.text
        assert state(fuzz_arm.application.settings.data_dir) == before, (method, path, kw, response.text[:300])


@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "DELETE"]),
    repo=repos,
    reference=references,
    body=bodies,
    content_type=st.sampled_from(
        ["application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json", "", "text/plain"]
    ),
)
@example(
    method="PUT",
    repo="app",
    reference="bad-index",
    content_type="application/vnd.oci.image.index.v1+json",
    body=json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "config": {"mediaType": "x", "digest": "sha256:" + "0" * 64, "size": "12"},
            "manifests": [],
        }
    ).encode(),
)
@example(method="GET", repo="app", reference=".INVALID_MANIFEST_NAME", body=b"", content_type="")
def test_manifest_requests(
    reg: RegistryClient, fuzz_arm: Arm, method: str, repo: str, reference: str, body: bytes, content_type: str
) -> None:
    """Whatever is stored must still list: a document accepted at PUT can never break a later read."""
    _check(
        reg,
        fuzz_arm,
        method,
        f"/v2/{repo}/manifests/{reference}",
        content=body if method == "PUT" else None,
        headers={"Content-Type": content_type} if content_type else {},
    )
    for listing in (f"/acr/v1/{repo}/_manifests", f"/v2/{repo}/tags/list", f"/acr/v1/{repo}/_tags"):
        assert reg.request("GET", listing).status_code < 500, listing


@given(
    path=st.sampled_from(
        [
            "/v2/_catalog",
            "/v2/app/tags/list",
            "/acr/v1/_catalog",
            "/acr/v1/app/_tags",
            "/acr/v1/app/_manifests",
            "/v2/app/referrers/sha256:" + "0" * 64,
        ]
    ),
    n=st.none() | numbers,
    last=st.none() | st.text(max_size=10),
    orderby=st.none() | st.sampled_from(["timedesc", "timeasc", "x", ""]),
)
@example(path="/v2/_catalog", n="0", last=None, orderby=None)
@example(path="/acr/v1/app/_tags", n="\u00b2", last=None, orderby=None)
def test_listing_queries(
    reg: RegistryClient, fuzz_arm: Arm, path: str, n: str | None, last: str | None, orderby: str | None
) -> None:
    params = {k: v for k, v in (("n", n), ("last", last), ("orderby", orderby)) if v is not None}
    _check(reg, fuzz_arm, "GET", path, params=params)


@given(
    header=st.sampled_from(["Range", "Content-Range", "Content-Length"]),
    value=st.one_of(
        numbers,
        st.sampled_from(
            [
                "bytes=0-",
                "bytes=5-1",
                "bytes=-0",
                "0-",
                "1-0",
                "0-" + "9" * 4000,
                "bytes=0-\u00b2",
                "\u0663-4",
                "bytes=0-1,2-3",
            ]
        ),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    ),
    target=st.sampled_from(["blob", "upload"]),
)
def test_range_headers(reg: RegistryClient, fuzz_arm: Arm, header: str, value: str, target: str) -> None:
    if target == "blob":
        digest = reg.push_blob("app", b"fuzz-layer")
        _check(reg, fuzz_arm, "GET", f"/v2/app/blobs/{digest}", headers={header: value.encode()})
        return
    opened = reg.request("POST", "/v2/app/blobs/uploads/")
    assert opened.status_code == 202, opened.text
    _check(reg, fuzz_arm, "PATCH", opened.headers["Location"], content=b"abcd", headers={header: value.encode()})


@given(
    path=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="?#"), max_size=60),
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]),
)
def test_arbitrary_paths(reg: RegistryClient, fuzz_arm: Arm, path: str, method: str) -> None:
    _check(
        reg, fuzz_arm, method, "/v2/" + path.lstrip("/"), content=b"{}" if method in ("PUT", "POST", "PATCH") else None
    )


@given(
    body=st.one_of(
        st.dictionaries(
            st.sampled_from(["writeEnabled", "deleteEnabled", "readEnabled", "listEnabled", "x"]),
            st.booleans() | st.text(max_size=3) | st.integers() | st.none(),
            max_size=4,
        ).map(lambda d: json.dumps({"changeableAttributes": d}).encode()),
        st.binary(max_size=50),
        st.integers(min_value=1, max_value=150_000).map(lambda n: b"[" * n),
    ),
    path=st.sampled_from(["/acr/v1/app", "/acr/v1/app/_tags/v1", "/acr/v1/nosuch/_tags/v1"]),
)
def test_acr_patch_bodies(reg: RegistryClient, fuzz_arm: Arm, body: bytes, path: str) -> None:
    _check(reg, fuzz_arm, "PATCH", path, content=body, headers={"Content-Type": "application/json"})
