"""Settings: everything configurable, read once by the composition root."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from acrlink.domain.cloud import AZURE_CHINA, CloudProfile


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

    @property
    def database_path(self) -> Path:
        return self.data_dir / "acrlink.db"

    @property
    def endpoints_path(self) -> Path:
        return self.data_dir / "endpoints.json"
