"""Settings: everything configurable, read once by the composition root."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from acrlink.domain import gc
from acrlink.domain.cloud import AZURE_CHINA, CloudProfile
from acrlink.store import blob_cache


def default_data_dir() -> Path:
    """``$ACRLINK_DATA_DIR``, else ``~/.acrlink``."""
    configured = os.environ.get("ACRLINK_DATA_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".acrlink"


@dataclass(frozen=True)
class Ports:
    arm: int = 0
    registry: int = 0
    dns: int = 0
    proxy: int = 0
    portal: int = 0
    blob: int = 0


def _env_number(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _env_bytes(name: str, default: int) -> int:
    """A byte count from the environment: a whole number, 0 or more; ``ValueError`` that names the variable."""
    value = os.environ.get(name)
    if not value:
        return default
    if not value.strip().isdigit():
        raise ValueError(f"{name} must be a whole number of bytes (0 or more), not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Limits:
    """How long a client may take and how many connections it may hold, per face (issue 8: a client that
    never finishes its request, or hundreds that sit idle, must not take the file descriptors the other
    faces need). ``from_env`` reads ``ACRLINK_HEADER_TIMEOUT``, ``ACRLINK_IDLE_TIMEOUT``,
    ``ACRLINK_TUNNEL_IDLE_TIMEOUT`` and ``ACRLINK_MAX_CONNECTIONS`` (tests set them short)."""

    header_seconds: float = 10.0
    """From accept to a complete TLS handshake and request head (or CONNECT request, or DNS message); from
    the first byte of a later request on a kept-alive connection to its complete head."""
    idle_seconds: float = 30.0
    """A kept-alive HTTP connection with no request, or a transfer that makes no progress, is closed."""
    tunnel_idle_seconds: float = 240.0
    """A relayed proxy tunnel with no bytes either way is closed (Azure's load balancers: 4 minutes)."""
    connections: int = 256
    """Concurrent connections per face; further ones wait in the kernel's listen backlog, holding no
    descriptor of this process (DNS over TCP closes them instead)."""

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            header_seconds=_env_number("ACRLINK_HEADER_TIMEOUT", cls.header_seconds),
            idle_seconds=_env_number("ACRLINK_IDLE_TIMEOUT", cls.idle_seconds),
            tunnel_idle_seconds=_env_number("ACRLINK_TUNNEL_IDLE_TIMEOUT", cls.tunnel_idle_seconds),
            connections=int(_env_number("ACRLINK_MAX_CONNECTIONS", cls.connections)),
        )


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    ports: Ports = field(default_factory=Ports)
    cloud: CloudProfile = AZURE_CHINA
    arm_async: bool = False
    """Answer writes like real ARM (201/202 + Azure-AsyncOperation/Location, Retry-After: 1) instead of
    completing synchronously."""
    legacy_pe_network_policies: bool = False
    """Refuse private endpoints in subnets with private endpoint network policies enabled, as Azure did
    before 2023 (S10)."""
    internet_ip: str = "203.0.113.50"
    """The public address the internet host (the machine itself, by default) connects from."""
    blackhole_seconds: float = 3.0
    """How long the proxy holds a connection the network drops (a Pending endpoint, an unreachable
    address) before answering 504, so clients see a timeout."""
    page_size: int = field(default_factory=lambda: int(os.environ.get("ACRLINK_PAGE_SIZE", "100")))
    """Items per page of an ARM collection; the rest follows through ``nextLink``. ``ACRLINK_PAGE_SIZE``
    sets it (tests page over a few items)."""
    log_requests: bool = True
    tasks_concurrency: int = field(default_factory=lambda: int(os.environ.get("ACRLINK_TASKS_CONCURRENCY", "2")))
    """ACR Tasks runs built at once (``ACRLINK_TASKS_CONCURRENCY``); further runs wait Queued."""
    limits: Limits = field(default_factory=Limits.from_env)
    proxy_handoff: bool = field(default_factory=lambda: os.environ.get("ACRLINK_PROXY_HANDOFF", "1") != "0")
    """The proxy serves TLS itself on a CONNECT to acrlink's own registry face (no byte relayed); ``0``
    relays to the internal listener with a signed PROXY header instead (bench/proxy compares both)."""

    gc_grace_seconds: float = field(
        default_factory=lambda: _env_number("ACRLINK_GC_GRACE_SECONDS", gc.DEFAULT_GRACE_SECONDS)
    )
    """Garbage collection removes unreferenced blobs and links only once they are this old (``acrlink gc
    --grace-seconds`` overrides it for one run)."""
    gc_interval_seconds: float = field(
        default_factory=lambda: _env_number("ACRLINK_GC_INTERVAL_SECONDS", gc.DEFAULT_INTERVAL_SECONDS)
    )
    """``acrlink up`` collects garbage this often; 0 never (``acrlink gc`` still does)."""
    trusted_proxies: tuple[str, ...] = ()
    """Load balancers (addresses or networks) in front of the public listeners, e.g. HAProxy with
    ``send-proxy-v2``: a connection from one must start with a PROXY v2 header, whose source address is then
    the connection's peer (``trustedproxy.py``). Empty (the default): no header is expected or honoured."""

    store_url: str | None = None
    """The store (``store/urls.py``): ``None`` is the embedded default, ``sqlite:///DATA_DIR/acrlink.db``.
    Processes that share one store (and one blob store) serve one world (examples/cluster)."""
    blob_store_url: str | None = None
    """The blob store: ``None`` is the embedded default, ``file:///DATA_DIR/blobs``. ACR Tasks' contexts and
    logs live beside it (``tasks/blobs.py``)."""
    public_blob_url: str | None = None
    """The Tasks blob face's URL as clients reach it, e.g. a load balancer's ``https://HOST:PORT`` in front of
    every process (``--public-blob-url``): the SAS URLs ARM hands out name it. ``None``: this process's own."""
    blob_cache_bytes: int = field(
        default_factory=lambda: _env_bytes("ACRLINK_BLOB_CACHE_BYTES", blob_cache.DEFAULT_LIMIT)
    )
    """The bound of the local read cache (``DATA_DIR/blob-cache``) of a blob store behind a network (Azure
    Blob Storage); 0 turns it off (``ACRLINK_BLOB_CACHE_BYTES``, default 2 GiB). The files backend has none."""

    @property
    def database_path(self) -> Path:
        return self.data_dir / "acrlink.db"

    @property
    def store(self) -> str:
        """The store URL in effect."""
        return self.store_url or f"sqlite://{self.database_path.resolve()}"

    @property
    def blob_store(self) -> str:
        """The blob store URL in effect."""
        return self.blob_store_url or f"file://{(self.data_dir / 'blobs').resolve()}"

    @property
    def blob_cache_dir(self) -> Path:
        """Where a blob store behind a network keeps its local read cache."""
        return self.data_dir / "blob-cache"

    @property
    def endpoints_path(self) -> Path:
        return self.data_dir / "endpoints.json"
