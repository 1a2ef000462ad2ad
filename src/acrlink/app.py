"""The composition root: settings -> store -> services -> faces -> servers. Nothing else wires."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from acrlink import certs, signing
from acrlink.arm.handlers import ArmFace
from acrlink.arm.identity import Identity
from acrlink.arm.lro import Answers
from acrlink.atomic import write_file
from acrlink.resources.catalog import build_catalog
from acrlink.services.arm import ResourceService
from acrlink.services.tenancy import Tenancy
from acrlink.settings import Settings
from acrlink.store.sqlite import SqliteStore

log = logging.getLogger("acrlink")


@dataclass
class Application:
    settings: Settings
    store: SqliteStore
    tenancy: Tenancy
    service: ResourceService
    identity: Identity
    arm: ArmFace


def build(settings: Settings) -> Application:
    """Everything but sockets: usable in-process by tests."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = SqliteStore(settings.database_path)
    catalog = build_catalog()
    tenancy = Tenancy(store, catalog, settings.cloud)
    service = ResourceService(store, catalog, settings.cloud, tenancy)
    identity = Identity(signing.load_key(settings.data_dir / "signing.key"), tenancy.world.tenant_id, settings.cloud)
    arm = ArmFace(service, tenancy, identity, Answers(service, settings.arm_async), settings.page_size)
    return Application(settings, store, tenancy, service, identity, arm)


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    bundle: Path
    arm_cert: Path
    arm_key: Path


def prepare_tls(settings: Settings) -> TlsFiles:
    """The CA (created once) and this run's ARM server certificate."""
    tls_dir = settings.data_dir / "tls"
    tls_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    authority = certs.load_or_create_authority(settings.data_dir)
    names = list(dict.fromkeys([settings.host, "127.0.0.1", "localhost"]))
    files = TlsFiles(authority.cert_path, settings.data_dir / "ca-bundle.pem", tls_dir / "arm.pem", tls_dir / "arm.key")
    certs.issue_server_certificate(authority, names, files.arm_cert, files.arm_key)
    certs.write_trust_bundle(authority, files.bundle)
    return files


def _tcp_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _udp_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, port))
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the process handles signals for every face."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def write_endpoints(path: Path, endpoints: dict[str, Any]) -> None:
    write_file(path, json.dumps(endpoints, indent=2).encode())


async def serve(settings: Settings) -> None:
    """Run every face until SIGINT/SIGTERM; ``endpoints.json`` exists while the process is ready."""
    tls = prepare_tls(settings)
    application = build(settings)
    host, ports = settings.host, settings.ports
    arm_sock = _tcp_socket(host, ports.arm)
    # Faces that later issues add: their ports are reserved now so endpoints.json is final.
    registry_sock = _tcp_socket(host, ports.registry)
    proxy_sock = _tcp_socket(host, ports.proxy)
    dns_udp = _udp_socket(host, ports.dns)
    dns_tcp = _tcp_socket(host, dns_udp.getsockname()[1])
    config = uvicorn.Config(
        application.arm.app(),
        ssl_certfile=str(tls.arm_cert),
        ssl_keyfile=str(tls.arm_key),
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = _Server(config)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: setattr(server, "should_exit", True))
    serving = asyncio.create_task(server.serve(sockets=[arm_sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if serving.done():
        await serving
        return
    port = arm_sock.getsockname()[1]
    endpoints = {
        "arm": f"https://{host}:{port}",
        "registry": f"https://{host}:{registry_sock.getsockname()[1]}",
        "dns": {"host": host, "port": dns_udp.getsockname()[1]},
        "proxy": f"http://{host}:{proxy_sock.getsockname()[1]}",
        "ca": str(tls.ca.resolve()),
        "caBundle": str(tls.bundle.resolve()),
        "subscriptionId": application.tenancy.world.default_subscription,
        "subscriptions": list(application.tenancy.world.subscriptions),
        "tenantId": application.tenancy.world.tenant_id,
        "cloud": settings.cloud.name,
        "pid": os.getpid(),
    }
    write_endpoints(settings.endpoints_path, endpoints)
    log.info("acrlink ready: ARM %s (data dir %s)", endpoints["arm"], settings.data_dir)
    try:
        await serving
    finally:
        with contextlib.suppress(FileNotFoundError):
            current = json.loads(settings.endpoints_path.read_text())
            if current.get("pid") == os.getpid():
                settings.endpoints_path.unlink()
        for sock in (registry_sock, proxy_sock, dns_udp, dns_tcp):
            sock.close()
        application.store.close()
        log.info("acrlink stopped")
