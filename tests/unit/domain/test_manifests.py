"""Manifest parsing (acrlink.domain.manifests)."""

from __future__ import annotations

import json

import pytest

from acrlink.domain.manifests import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    acceptable,
    parse_manifest,
)
from acrlink.errors import AcrlinkError

D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def _image(**extra: object) -> bytes:
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D2, "size": 3}],
        **extra,
    }
    return json.dumps(document).encode()


def test_image_manifest() -> None:
    parsed = parse_manifest(_image(), OCI_MANIFEST)
    assert [b.digest for b in parsed.blobs] == [D1, D2]
    assert parsed.artifact_type == "application/vnd.oci.image.config.v1+json"
    assert parsed.subject is None


def test_subject_and_artifact_type() -> None:
    subject = {"mediaType": OCI_MANIFEST, "digest": D2, "size": 10}
    parsed = parse_manifest(_image(subject=subject, artifactType="application/x-sbom"), None)
    assert parsed.subject == D2
    assert parsed.artifact_type == "application/x-sbom"


def test_index_and_docker_types() -> None:
    index = {"schemaVersion": 2, "manifests": [{"mediaType": OCI_MANIFEST, "digest": D1, "size": 5}]}
    assert [c.digest for c in parse_manifest(json.dumps(index).encode(), OCI_INDEX).children] == [D1]
    assert parse_manifest(json.dumps(index).encode(), DOCKER_LIST).media_type == DOCKER_LIST
    docker = json.loads(_image())
    docker["mediaType"] = DOCKER_MANIFEST
    assert parse_manifest(json.dumps(docker).encode(), DOCKER_MANIFEST).media_type == DOCKER_MANIFEST


def test_foreign_layers_need_not_be_present() -> None:
    document = json.loads(_image())
    document["layers"][0]["urls"] = ["https://example.com/layer"]
    assert [b.digest for b in parse_manifest(json.dumps(document).encode(), OCI_MANIFEST).blobs] == [D1]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"not json", OCI_MANIFEST),
        (b"[]", OCI_MANIFEST),
        (json.dumps({"schemaVersion": 1}).encode(), OCI_MANIFEST),
        (_image(), DOCKER_MANIFEST),
        (_image(), "application/vnd.docker.distribution.manifest.v1+prettyjws"),
        (json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST}).encode(), OCI_MANIFEST),
        (_image(layers=[{"digest": "sha256:x", "size": 1, "mediaType": "a"}]), OCI_MANIFEST),
        (_image(layers=[{"digest": D1, "size": -1, "mediaType": "a"}]), OCI_MANIFEST),
        (_image(annotations={"a": 1}), OCI_MANIFEST),
    ],
)
def test_invalid(body: bytes, content_type: str) -> None:
    with pytest.raises(AcrlinkError) as caught:
        parse_manifest(body, content_type)
    assert caught.value.code == "MANIFEST_INVALID"


def test_accept() -> None:
    assert acceptable(OCI_INDEX, None)
    assert acceptable(OCI_INDEX, f"{DOCKER_MANIFEST}, {OCI_INDEX};q=0.5")
    assert acceptable(OCI_INDEX, "*/*")
    assert not acceptable(OCI_INDEX, DOCKER_MANIFEST)
