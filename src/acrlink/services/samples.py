"""The built-in stand-in for ``mcr.microsoft.com``: a real, tiny, multi-platform ``hello-world``.

Generated at first start and byte-for-byte deterministic (fixed timestamps, owners and gzip header),
so its digests are the same on every machine. Each platform's layer holds one static ELF executable,
``/hello``, hand-assembled for linux/amd64 and linux/arm64, that prints a greeting and exits 0.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import struct
import tarfile

from acrlink.domain.acr import MCR_HOST
from acrlink.domain.manifests import OCI_INDEX, OCI_MANIFEST
from acrlink.domain.oci import digest_of
from acrlink.services.content import Content

REPOSITORY = "hello-world"
TAG = "latest"
GREETING = b"Hello from acrlink!\nThis tiny image stands in for mcr.microsoft.com/hello-world.\n"
CREATED = "2024-01-01T00:00:00Z"
_BASE = 0x400000
_HEADERS = 64 + 56


def _amd64_code() -> bytes:
    length = len(GREETING)
    return (
        b"\xb8\x01\x00\x00\x00"  # mov eax, 1 (write)
        + b"\xbf\x01\x00\x00\x00"  # mov edi, 1 (stdout)
        + b"\x48\x8d\x35\x10\x00\x00\x00"  # lea rsi, [rip+16] (the greeting after this code)
        + b"\xba"
        + struct.pack("<I", length)  # mov edx, len
        + b"\x0f\x05"  # syscall
        + b"\xb8\x3c\x00\x00\x00"  # mov eax, 60 (exit)
        + b"\x31\xff"  # xor edi, edi
        + b"\x0f\x05"  # syscall
    )


def _arm64_code() -> bytes:
    words = [
        0xD2800020,  # mov x0, #1
        0x100000E1,  # adr x1, #28 (the greeting after this code)
        0xD2800002 | (len(GREETING) << 5),  # mov x2, #len
        0xD2800808,  # mov x8, #64 (write)
        0xD4000001,  # svc #0
        0xD2800000,  # mov x0, #0
        0xD2800BA8,  # mov x8, #93 (exit)
        0xD4000001,  # svc #0
    ]
    return b"".join(struct.pack("<I", w) for w in words)


def elf(machine: int, code: bytes) -> bytes:
    """A static ELF64 executable: one PT_LOAD segment holding headers, code and the greeting."""
    total = _HEADERS + len(code) + len(GREETING)
    ident = b"\x7fELF\x02\x01\x01" + b"\x00" * 9
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, _BASE + _HEADERS, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    program = struct.pack("<IIQQQQQQ", 1, 5, 0, _BASE, _BASE, total, total, 0x1000)
    return header + program + code + GREETING


PLATFORMS = {"amd64": (0x3E, _amd64_code), "arm64": (0xB7, _arm64_code)}


def _layer(binary: bytes) -> tuple[bytes, bytes]:
    """(uncompressed tar, gzip) of a layer holding ``/hello``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("hello")
        info.size, info.mode, info.mtime = len(binary), 0o755, 0
        tar.addfile(info, io.BytesIO(binary))
    tar_bytes = raw.getvalue()
    return tar_bytes, gzip.compress(tar_bytes, compresslevel=9, mtime=0)


def _json(document: dict[str, object]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def build() -> tuple[dict[str, bytes], list[bytes], bytes]:
    """(blobs by digest, platform manifests, index): everything the sample is made of."""
    blobs: dict[str, bytes] = {}
    manifests: list[bytes] = []
    entries = []
    for arch, (machine, code) in PLATFORMS.items():
        tar_bytes, layer = _layer(elf(machine, code()))
        config = _json(
            {
                "architecture": arch,
                "os": "linux",
                "created": CREATED,
                "config": {"Cmd": ["/hello"]},
                "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(tar_bytes).hexdigest()}"]},
                "history": [{"created": CREATED, "created_by": "acrlink sample"}],
            }
        )
        blobs[digest_of(config)] = config
        blobs[digest_of(layer)] = layer
        manifest = _json(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": digest_of(config),
                    "size": len(config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": digest_of(layer),
                        "size": len(layer),
                    }
                ],
            }
        )
        manifests.append(manifest)
        entries.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": digest_of(manifest),
                "size": len(manifest),
                "platform": {"architecture": arch, "os": "linux"},
            }
        )
    index = _json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    return blobs, manifests, index


def install(content: Content) -> str:
    """Put the sample into the stand-in registry (idempotent); the index digest."""
    blobs, manifests, index = build()
    for data in blobs.values():
        content.put_blob(MCR_HOST, REPOSITORY, data)
    for manifest in manifests:
        content.put_manifest(MCR_HOST, REPOSITORY, digest_of(manifest), manifest, OCI_MANIFEST)
    content.put_manifest(MCR_HOST, REPOSITORY, TAG, index, OCI_INDEX)
    return digest_of(index)
