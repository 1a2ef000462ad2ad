"""domain.gc: which blob links and stored blobs are garbage."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acrlink.domain import gc
from acrlink.domain.gc import Link, StoredManifest

A, B, C, D = ("sha256:" + c * 64 for c in "abcd")
CFG = "sha256:" + "e" * 64
NOW = 10_000.0
BEFORE = gc.cutoff(NOW, 3600)


def _image(config: str, *layers: str, **extra: object) -> bytes:
    document = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": 1} for d in layers],
        **extra,
    }
    return json.dumps(document).encode()


def _manifest(registry: str, repo: str, body: bytes) -> StoredManifest:
    return StoredManifest(registry, repo, "application/vnd.oci.image.manifest.v1+json", body)


def test_an_image_keeps_its_config_and_layers_alive() -> None:
    assert gc.references(_image(CFG, A, B)) == {CFG, A, B}


def test_foreign_layers_are_kept_too_when_they_are_stored() -> None:
    body = json.loads(_image(CFG, A))
    body["layers"].append({"mediaType": "x", "digest": B, "size": 1, "urls": ["https://example.com/b"]})
    assert gc.references(json.dumps(body).encode()) == {CFG, A, B}


def test_an_index_and_a_subject_name_manifests_not_blobs() -> None:
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": A, "size": 9}],
        "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": B, "size": 9},
    }
    assert gc.references(json.dumps(index).encode()) == frozenset()
    referrer = _image(CFG, C, subject={"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": B})
    assert gc.references(referrer) == {CFG, C}


def test_artifact_and_schema1_manifests_keep_their_blobs() -> None:
    artifact = {"mediaType": "application/vnd.oci.artifact.manifest.v1+json", "blobs": [{"digest": A, "size": 1}]}
    assert gc.references(json.dumps(artifact).encode()) == {A}
    schema1 = {"schemaVersion": 1, "fsLayers": [{"blobSum": B}, {"blobSum": C}, {"nope": 1}]}
    assert gc.references(json.dumps(schema1).encode()) == {B, C}


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'"text"', b'{"layers": "x", "config": 3}'])
def test_bodies_that_are_not_manifests_keep_nothing(body: bytes) -> None:
    assert gc.references(body) == frozenset()


@given(st.binary(max_size=200))
def test_references_never_raise(body: bytes) -> None:
    assert isinstance(gc.references(body), frozenset)


def test_references_are_per_repository_and_in_all() -> None:
    refs = gc.referenced([_manifest("r1", "app", _image(CFG, A)), _manifest("r2", "web", _image(CFG, B))])
    assert refs.digests == {CFG, A, B}
    assert ("r1", "app", A) in refs.in_repository and ("r2", "app", A) not in refs.in_repository
    assert ("r1", "app", B) not in refs.in_repository


def test_a_link_is_stale_when_old_and_unreferenced_in_its_own_repository() -> None:
    refs = gc.referenced([_manifest("r1", "app", _image(CFG, A))])
    old, young = BEFORE - 1, BEFORE + 1
    assert not gc.is_stale(Link("r1", "app", A, old), refs, BEFORE), "referenced by its repository's manifest"
    assert gc.is_stale(Link("r1", "other", A, old), refs, BEFORE), "another repository's manifest does not count"
    assert gc.is_stale(Link("r2", "app", A, old), refs, BEFORE), "nor another registry's"
    assert not gc.is_stale(Link("r1", "other", A, young), refs, BEFORE), "young links stay (a push in progress)"
    assert not gc.is_stale(Link("r1", "other", A, BEFORE), refs, BEFORE), "exactly at the cutoff is not older"


def test_a_blob_is_garbage_only_unreferenced_unlinked_and_old() -> None:
    refs = gc.referenced([_manifest("r1", "app", _image(CFG, A))])
    old, young = BEFORE - 1, BEFORE + 1
    assert not gc.is_garbage(A, old, refs, set(), BEFORE), "a manifest references it (in any registry)"
    assert not gc.is_garbage(B, old, refs, {B}, BEFORE), "a link remains"
    assert not gc.is_garbage(B, young, refs, set(), BEFORE), "bytes written or touched lately"
    assert gc.is_garbage(B, old, refs, set(), BEFORE)


def test_the_plan_removes_stale_links_then_the_bytes_they_kept() -> None:
    manifests = [_manifest("r1", "app", _image(CFG, A)), _manifest("r2", "app", _image(CFG, C))]
    old, young = BEFORE - 10, BEFORE + 10
    links = [
        Link("r1", "app", CFG, old),
        Link("r1", "app", A, old),
        Link("r1", "app", B, old),  # pushed, never referenced: stale, and B goes
        Link("r1", "old", C, old),  # stale here, but r2's manifest keeps C's bytes
        Link("r2", "app", C, old),
        Link("r1", "app", D, young),  # a push in progress: D stays
    ]
    blobs = [(CFG, old), (A, old), (B, old), (C, old), (D, old), ("sha256:" + "f" * 64, old)]
    result = gc.plan(manifests, links, blobs, BEFORE)
    assert result.links == [links[2], links[3]]
    assert result.blobs == [B, "sha256:" + "f" * 64]


def test_a_grace_period_of_zero_collects_everything_unreferenced_before_now() -> None:
    assert gc.cutoff(NOW, 0) == NOW
    with pytest.raises(ValueError):
        gc.cutoff(NOW, -1)
    result = gc.plan([], [Link("r", "a", A, NOW - 0.001)], [(A, NOW - 0.001), (B, NOW)], gc.cutoff(NOW, 0))
    assert (len(result.links), result.blobs) == (1, [A])
