"""What a pushed manifest is, and what it refers to: the four manifest types a registry accepts.

Pure: parses bytes and headers, returns what the registry must check (referenced blobs and child
manifests) and index (subject, artifactType, annotations). Raises ``MANIFEST_INVALID`` for anything
that is not a well-formed manifest of a supported type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from acrlink.domain.oci import parse_digest
from acrlink.errors import BadRequest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
MANIFEST_TYPES = INDEX_TYPES | IMAGE_TYPES
GENERIC_TYPES = frozenset({"application/json", "application/octet-stream"})
"""Content types that say nothing about the manifest: the body's ``mediaType`` decides."""

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
"""Manifests larger than 4 MiB are refused (the spec's minimum a registry must accept, and ACR's limit)."""


@dataclass(frozen=True)
class Descriptor:
    """A manifest's reference to content (a blob or a child manifest): its type, digest and size."""

    media_type: str
    digest: str
    size: int


@dataclass(frozen=True)
class ParsedManifest:
    """What a well-formed manifest refers to and declares: the registry checks ``blobs`` and ``children``
    exist before storing it, and indexes ``subject``, ``artifact_type`` and ``annotations`` for referrers."""

    media_type: str
    blobs: list[Descriptor] = field(default_factory=list)
    """Config and layers (image manifests): each must be in the repository."""
    children: list[Descriptor] = field(default_factory=list)
    """Manifests an index lists: each must be in the repository."""
    subject: str | None = None
    artifact_type: str | None = None
    annotations: dict[str, str] | None = None


def _invalid(message: str) -> BadRequest:
    return BadRequest("MANIFEST_INVALID", f"manifest invalid: {message}")


def _descriptor(value: Any, where: str) -> Descriptor:
    if not isinstance(value, dict):
        raise _invalid(f"{where} must be a descriptor object")
    media_type, digest, size = value.get("mediaType"), value.get("digest"), value.get("size")
    if not isinstance(media_type, str) or not media_type:
        raise _invalid(f"{where}.mediaType is required")
    if not isinstance(digest, str):
        raise _invalid(f"{where}.digest is required")
    try:
        parse_digest(digest)
    except BadRequest:
        raise _invalid(f"{where}.digest {digest!r} is not a valid digest") from None
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _invalid(f"{where}.size must be a non-negative integer")
    return Descriptor(media_type, digest, size)


def _descriptors(value: Any, where: str) -> list[Descriptor]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(f"{where} must be an array")
    return [_descriptor(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _media_type(content_type: str | None, document: dict[str, Any]) -> str:
    """The manifest's type: ``Content-Type`` and the body's ``mediaType`` must agree when both are set."""
    declared = (content_type or "").split(";")[0].strip().lower()
    in_body = document.get("mediaType")
    if in_body is not None and not isinstance(in_body, str):
        raise _invalid("mediaType must be a string")
    if declared in MANIFEST_TYPES:
        if in_body and in_body != declared:
            raise _invalid(f"mediaType {in_body!r} does not match Content-Type {declared!r}")
        return declared
    if declared and declared not in GENERIC_TYPES:
        raise BadRequest("MANIFEST_INVALID", f"manifest invalid: unsupported manifest media type {declared!r}")
    if in_body in MANIFEST_TYPES:
        return str(in_body)
    if "manifests" in document and not declared:
        return OCI_INDEX
    raise BadRequest(
        "MANIFEST_INVALID",
        f"manifest invalid: unsupported manifest media type {declared or in_body or '(none)'!r}",
    )


def parse_manifest(body: bytes, content_type: str | None) -> ParsedManifest:
    """Parse a pushed manifest of one of the four supported types; ``MANIFEST_INVALID`` for anything else
    (not JSON, not schema version 2, a type the header and body disagree on, a malformed descriptor)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _invalid("not valid JSON") from None
    except RecursionError:
        raise _invalid("JSON nested too deeply") from None
    if not isinstance(document, dict):
        raise _invalid("not a JSON object")
    if document.get("schemaVersion") != 2:
        raise _invalid("schemaVersion must be 2")
    media_type = _media_type(content_type, document)
    subject = document.get("subject")
    subject_digest = _descriptor(subject, "subject").digest if subject is not None else None
    annotations = document.get("annotations")
    if annotations is not None and not (
        isinstance(annotations, dict) and all(isinstance(v, str) for v in annotations.values())
    ):
        raise _invalid("annotations must map strings to strings")
    artifact_type = document.get("artifactType")
    if artifact_type is not None and not isinstance(artifact_type, str):
        raise _invalid("artifactType must be a string")
    if media_type in INDEX_TYPES:
        if "manifests" not in document:
            raise _invalid("an index needs manifests")
        children = _descriptors(document["manifests"], "manifests")
        # Not part of an index, but what is stored is read back: descriptors where an image has them
        # must be descriptors here too.
        if "config" in document:
            _descriptor(document["config"], "config")
        _descriptors(document.get("layers"), "layers")
        return ParsedManifest(media_type, [], children, subject_digest, artifact_type, annotations)
    if "config" not in document:
        raise _invalid("an image manifest needs config")
    config = _descriptor(document["config"], "config")
    layers = _descriptors(document.get("layers"), "layers")
    # Layers with external URLs (non-distributable) need not be in the registry.
    local_layers = [
        layer
        for layer, raw in zip(layers, document.get("layers") or [], strict=True)
        if not (isinstance(raw, dict) and raw.get("urls"))
    ]
    return ParsedManifest(
        media_type,
        [config, *local_layers],
        [],
        subject_digest,
        artifact_type or config.media_type,
        annotations,
    )


def acceptable(media_type: str, accept_header: str | None) -> bool:
    """Whether a manifest of ``media_type`` satisfies the client's ``Accept`` (absent or ``*/*``: yes)."""
    if not accept_header:
        return True
    accepted = {part.split(";")[0].strip().lower() for part in accept_header.split(",")}
    return bool(accepted & {media_type, "*/*", "application/*"})
