"""A small base image with a shell for the ``mcr.microsoft.com`` stand-in: ``busybox:latest``, built at start-up
from this machine's static busybox (Debian's ``busybox-static``), so a Dockerfile with ``RUN`` steps builds.

One platform, the machine's own; absent (nothing installed) when there is no static busybox. The layer holds
``/bin/busybox``, a symlink per applet it lists, and empty ``/tmp`` and ``/root``; fixed timestamps keep the
digests stable for one busybox binary.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import platform
import subprocess
import tarfile
from pathlib import Path

from acrlink.domain.acr import MCR_HOST
from acrlink.domain.manifests import OCI_MANIFEST
from acrlink.domain.oci import digest_of
from acrlink.services.content import Content

REPOSITORY = "busybox"
TAG = "latest"
CANDIDATES = (Path("/bin/busybox"), Path("/usr/bin/busybox"))
CREATED = "2024-01-01T00:00:00Z"
ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def _static_busybox() -> Path | None:
    for candidate in CANDIDATES:
        if candidate.is_file():
            head = candidate.read_bytes()[:4096]
            if head.startswith(b"\x7fELF") and b"ld-linux" not in head and b"/lib64/ld" not in head:
                return candidate
    return None


def _applets(binary: Path) -> list[str]:
    try:
        out = subprocess.run([str(binary), "--list"], capture_output=True, check=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ["sh"]
    return sorted({a for a in out.decode().split() if a and "/" not in a and a != "busybox"})


def _entry(tar: tarfile.TarFile, name: str, kind: bytes, mode: int, data: bytes = b"", link: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime, info.linkname, info.size = kind, mode, 0, link, len(data)
    tar.addfile(info, io.BytesIO(data) if data else None)


def _layer(binary: Path) -> tuple[bytes, bytes]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in ("bin", "tmp", "root", "etc"):
            _entry(tar, directory, tarfile.DIRTYPE, 0o1777 if directory == "tmp" else 0o755)
        _entry(tar, "bin/busybox", tarfile.REGTYPE, 0o755, binary.read_bytes())
        for applet in _applets(binary):
            _entry(tar, f"bin/{applet}", tarfile.SYMTYPE, 0o777, link="busybox")
        _entry(tar, "etc/passwd", tarfile.REGTYPE, 0o644, b"root:x:0:0:root:/root:/bin/sh\n")
    tar_bytes = raw.getvalue()
    return tar_bytes, gzip.compress(tar_bytes, compresslevel=6, mtime=0)


def install(content: Content) -> str | None:
    """Put ``busybox:latest`` into the stand-in (idempotent); its manifest digest, or None without busybox."""
    binary = _static_busybox()
    architecture = ARCHITECTURES.get(platform.machine())
    if binary is None or architecture is None:
        return None
    tar_bytes, layer = _layer(binary)
    config = json.dumps(
        {
            "architecture": architecture,
            "os": "linux",
            "created": CREATED,
            "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(tar_bytes).hexdigest()}"]},
            "history": [{"created": CREATED, "created_by": "acrlink: the machine's static busybox"}],
        },
        separators=(",", ":"),
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest_of(config),
                       "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest_of(layer),
                        "size": len(layer)}],
        },
        separators=(",", ":"),
    ).encode()  # fmt: skip
    for data in (config, layer):
        content.put_blob(MCR_HOST, REPOSITORY, data)
    content.put_manifest(MCR_HOST, REPOSITORY, TAG, manifest, OCI_MANIFEST)
    return digest_of(manifest)
