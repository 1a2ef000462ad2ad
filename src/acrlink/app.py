"""The composition root: settings -> store -> services -> faces -> servers. Nothing else wires."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acrlink import certs, datadir, signing
from acrlink.acceptor import BACKLOG
from acrlink.arm.deployment_handlers import DeploymentFace
from acrlink.arm.graph import GraphFace
from acrlink.arm.handlers import ArmFace
from acrlink.arm.identity import Identity
from acrlink.arm.lro import Answers
from acrlink.atomic import write_file
from acrlink.dns.server import Answers as DnsAnswers
from acrlink.dns.server import DnsFace, bind_pair
from acrlink.domain.acr import MCR_HOST
from acrlink.domain.leases import owner_id as rules_owner
from acrlink.domain.netgraph import Graph
from acrlink.domain.principals import CLIENT_SECRET, ManagedIdentity
from acrlink.httpserver import HttpsServer, raise_descriptor_limit
from acrlink.netsim.proxy import ConnectProxy
from acrlink.netsim.proxyproto import Origin
from acrlink.netsim.routing import Firewall, firewall, proxy_policy
from acrlink.portal.app import PortalFace
from acrlink.portal.app import World as PortalWorld
from acrlink.portal.armclient import ArmClient
from acrlink.portal.armclient import Principal as PortalPrincipal
from acrlink.portal.routes import portal_routes
from acrlink.registry.app import RegistryApp
from acrlink.registry.handlers.base import Face
from acrlink.registry.server import InternalListener, server_context
from acrlink.registry.tokens import TokenService
from acrlink.resources.base import Options
from acrlink.resources.catalog import build_catalog
from acrlink.services import busybox_sample, samples
from acrlink.services.access_admin import AccessAdmin
from acrlink.services.arm import ResourceService
from acrlink.services.authorization import Authorization
from acrlink.services.changes import ChangeSignal
from acrlink.services.content import Content
from acrlink.services.deployment_engine import Engine
from acrlink.services.deployments import History
from acrlink.services.gc import Collector, periodically
from acrlink.services.key_material import load_authority, load_keys
from acrlink.services.leases import Leases
from acrlink.services.netgraph import NetworkGraphs
from acrlink.services.netgraph import build as build_graph
from acrlink.services.network_views import Views
from acrlink.services.principals import Principals
from acrlink.services.read_cache import ReadCache
from acrlink.services.registry import Registries
from acrlink.services.registry_rights import RegistryRights
from acrlink.services.tasks_endpoint import ensure as ensure_tasks_endpoint
from acrlink.services.tenancy import Tenancy
from acrlink.services.token_logins import TokenLogins
from acrlink.services.uploads import Uploads
from acrlink.services.webhook_delivery import WebhookDelivery
from acrlink.settings import Settings
from acrlink.store.base import Store
from acrlink.store.urls import open_blob_store, open_store, public_url
from acrlink.tasks.agent import Agent, AgentSettings
from acrlink.tasks.blobface import BlobFace
from acrlink.tasks.blobs import open_task_blobs
from acrlink.trustedproxy import TrustedProxies

log = logging.getLogger("acrlink")


@dataclass
class Application:
    settings: Settings
    store: Store
    tenancy: Tenancy
    service: ResourceService
    identity: Identity
    arm: ArmFace
    registry: RegistryApp
    graphs: NetworkGraphs
    dns: DnsAnswers
    webhooks: WebhookDelivery
    """Posts queued webhook events; started by ``serve`` (tests call ``run_once``)."""
    collector: Collector
    """Garbage collection (``acrlink gc`` through the ARM face; ``serve`` runs it periodically)."""
    signal: ChangeSignal
    """The store's change signal every cache keys by; ``serve`` polls it for other processes' writes."""
    leases: Leases
    """This process's leases on running work (deployments, runs, deliveries); ``serve`` renews them."""


@dataclass
class ArmWorld:
    """The ARM face over one store, with its resource service and deployment engine. The application has
    one over its store; validation and what-if make throwaway ones over a snapshot (``Fork``)."""

    store: Store
    tenancy: Tenancy
    service: ResourceService
    arm: ArmFace
    engine: Engine
    settings: Settings
    rights: RegistryRights
    """Principals' data-plane rights: the registry's token service and ``acrlink check``'s view share it."""

    def graph(self) -> Graph:
        with self.store.transaction() as tx:
            return build_graph(tx, self.settings.cloud, self.settings.internet_ip)


def arm_world(
    settings: Settings,
    store: Store,
    identity_for: Callable[[Tenancy], Identity],
    signal: ChangeSignal,
    graph: Callable[[], Graph] | None,
    forkable: bool,
    directory: Callable[[Tenancy], GraphFace] | None = None,
    leases: Leases | None = None,
) -> ArmWorld:
    """ARM over ``store``. A forkable world's engine rehearses validations and what-ifs on ``fork()``s of it."""
    catalog = build_catalog()
    tenancy = Tenancy(store, catalog, settings.cloud)
    options = Options(legacy_pe_network_policies=settings.legacy_pe_network_policies)
    authorization = Authorization(store, signal)
    service = ResourceService(store, catalog, settings.cloud, tenancy, options=options, authorization=authorization)
    history = History(store, tenancy, leases=leases)
    holder: list[ArmWorld] = []

    def fork() -> ArmWorld:
        scratch = store.snapshot()
        return arm_world(settings, scratch, identity_for, ChangeSignal(scratch), None, forkable=False)

    engine = Engine(
        history,
        settings.cloud,
        tenancy.tenant_doc,
        fork=fork if forkable else None,
        graph=graph if graph is not None else (lambda: holder[0].graph()),
        delete_ranks=catalog.delete_ranks,
    )
    answers = Answers(service, settings.arm_async if forkable else False)
    rights = RegistryRights(authorization)
    graph_face = directory(tenancy) if directory is not None else None
    views = Views(
        store, engine.live_graph, rights, tenancy.world, graph_face.principals if graph_face is not None else None
    )
    face = ArmFace(
        service,
        tenancy,
        identity_for(tenancy),
        answers,
        settings.page_size,
        authorization,
        DeploymentFace(engine),
        views,
        AccessAdmin(service),
        graph_face,
    )
    world = ArmWorld(store, tenancy, service, face, engine, settings, rights)
    holder.append(world)
    return world


def build(settings: Settings, node: str | None = None) -> Application:
    """Everything but sockets: usable in-process by tests. ``node``: the data directory's id, given by a process
    that holds the directory's lock (``serve``), so leases its earlier processes left are recovered at once."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = open_store(settings.store)
    signal = ChangeSignal(store)
    keys = load_keys(store, settings.data_dir)
    graphs = NetworkGraphs(store, settings.cloud, signal, settings.internet_ip)

    directory: list[Principals] = []

    def principals_of(tenancy: Tenancy) -> Principals:
        """The directory over the application's store (forks' throwaway ARM worlds share it)."""
        if not directory:
            directory.append(Principals(store, tenancy.world.default_client_id, lambda: _vm_identities(graphs)))
        return directory[0]

    def host_identity(name: str) -> ManagedIdentity | None:
        host = graphs.current().hosts.get(name.lower())
        return host.identity if host is not None else None

    def identity_for(tenancy: Tenancy) -> Identity:
        tenants = {t.tenant_id: t.default_domain for t in tenancy.world.tenants}
        return Identity(
            keys.entra,
            tenants,
            settings.cloud,
            secret_check=principals_of(tenancy).secret_check,
            host_identity=host_identity,
            host_key=keys.secret,
        )

    def graph_face(tenancy: Tenancy) -> GraphFace:
        tenant_ids = frozenset(t.tenant_id.lower() for t in tenancy.world.tenants)
        return GraphFace(principals_of(tenancy), signing.Verified(keys.entra.verify), tenant_ids)

    leases = Leases(store, rules_owner(node, uuid.uuid4().hex) if node else None)
    world = arm_world(
        settings, store, identity_for, signal, graphs.current, forkable=True, directory=graph_face, leases=leases
    )
    world.engine.history.recover()
    tenancy, service, arm = world.tenancy, world.service, world.arm
    identity = arm.identity
    registry = build_registry_face(
        settings, store, keys, tenancy, world.rights, firewall(graphs.current, settings.internet_ip), signal
    )
    dns_answers = DnsAnswers(graphs.current, signal)
    webhooks = WebhookDelivery(store, leases)
    collector = Collector(registry.face.content, registry.face.uploads, settings.gc_grace_seconds)
    arm.collector = collector
    return Application(
        settings,
        store,
        tenancy,
        service,
        identity,
        arm,
        registry,
        graphs,
        dns_answers,
        webhooks,
        collector,
        signal,
        leases,
    )


def _vm_identities(graphs: NetworkGraphs) -> list[tuple[str, ManagedIdentity]]:
    """(host name, identity) of every VM, for the directory's listings."""
    return [(h.name, h.identity) for h in graphs.current().hosts.values() if h.identity is not None]


def build_registry_face(
    settings: Settings,
    store: Store,
    keys: signing.Keys,
    tenancy: Tenancy,
    rights: RegistryRights,
    registry_firewall: Firewall,
    signal: ChangeSignal,
) -> RegistryApp:
    """Content, uploads, tokens (with the principals' rights over the authorization ARM uses, shared with the
    network views' identity step; registry tokens' logins) and the ``mcr.microsoft.com`` sample behind the
    registry face."""
    key = keys.secret
    blobs = open_blob_store(settings.blob_store, settings.blob_cache_dir, settings.blob_cache_bytes)
    content = Content(store, blobs)
    samples.install(content)
    busybox_sample.install(content)
    uploads = Uploads(content, key)
    uploads.sweep()
    tokens = TokenService(key, tenancy.world, keys.entra, rights, TokenLogins(store))
    registries = Registries(store, settings.cloud)
    cache = ReadCache(registries, content, signal)
    face = Face(registries, content, uploads, tokens, settings.cloud, key, registry_firewall, cache=cache)
    return RegistryApp(face, settings.log_requests)


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    bundle: Path
    arm_cert: Path
    arm_key: Path
    registry_cert: Path
    registry_key: Path


def prepare_tls(settings: Settings, store: Store) -> TlsFiles:
    """The store's CA (created once, shared by every process of the store, written into the data dir) and
    this run's server certificates."""
    tls_dir = settings.data_dir / "tls"
    tls_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    authority = load_authority(store, settings.data_dir)
    names = list(dict.fromkeys([settings.host, "127.0.0.1", "localhost"]))
    files = TlsFiles(
        authority.cert_path,
        settings.data_dir / "ca-bundle.pem",
        tls_dir / "arm.pem",
        tls_dir / "arm.key",
        tls_dir / "registry.pem",
        tls_dir / "registry.key",
    )
    certs.issue_server_certificate(authority, names, files.arm_cert, files.arm_key)
    certs.issue_server_certificate(
        authority, registry_certificate_names(settings), files.registry_cert, files.registry_key
    )
    certs.write_trust_bundle(authority, files.bundle)
    return files


def registry_certificate_names(settings: Settings) -> list[str]:
    """Azure's names, not ``privatelink`` ones: every login server and every region's data endpoints."""
    suffix = settings.cloud.acr_suffix
    data = [f"*.{region}.data.{suffix}" for region in settings.cloud.regions]
    return [f"*.{suffix}", *data, MCR_HOST, settings.host, "127.0.0.1", "localhost"]


def _tcp_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit it; the standard loop does not set it on sockets it is handed, and without
    # it every small response waits ~40 ms for the peer's delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def write_endpoints(path: Path, endpoints: dict[str, Any]) -> None:
    write_file(path, json.dumps(endpoints, indent=2).encode())


def _https_server(app: Any, cert: Path, key: Path, settings: Settings, name: str) -> HttpsServer:
    """A face's HTTPS server: a thread per connection (``httpserver.py``), the app on this event loop; behind
    the settings' trusted load balancers."""
    trusted = TrustedProxies.of(settings.trusted_proxies)
    return HttpsServer(app, server_context(cert, key), settings.limits, name, trusted)


@dataclass
class RegistryFaceServers:
    """The registry face's public HTTPS server, its internal listener for the proxy, and the proxy."""

    public: HttpsServer
    internal: InternalListener
    internal_sock: socket.socket
    proxy: ConnectProxy


def registry_face_servers(application: Application, tls: TlsFiles) -> RegistryFaceServers:
    """The proxy hands CONNECTs to the registry face's own names straight to its HTTPS server, with the
    origin it decided (``settings.proxy_handoff``); otherwise it relays to the internal listener."""
    settings = application.settings
    key = application.registry.face.key
    public = _https_server(application.registry, tls.registry_cert, tls.registry_key, settings, "registry")
    internal = InternalListener(public, key)
    internal_sock = _tcp_socket("127.0.0.1", 0)
    decide = proxy_policy(
        application.graphs.current,
        application.registry.face.registries.resolve,
        settings.blackhole_seconds,
        frozenset({MCR_HOST}),
        application.signal.catch_up,
    )

    def handoff(conn: socket.socket, origin: Origin, preface: bytes, release: Callable[[], object]) -> None:
        public.start(conn, origin, preface, release)

    upstream = ("127.0.0.1", internal_sock.getsockname()[1])
    proxy = ConnectProxy(
        decide,
        upstream,
        key,
        settings.limits,
        handoff if settings.proxy_handoff else None,
        TrustedProxies.of(settings.trusted_proxies),
    )
    return RegistryFaceServers(public, internal, internal_sock, proxy)


def build_tasks(application: Application, blob_url: str, proxy_url: str, tls: TlsFiles) -> tuple[BlobFace, Agent]:
    """ACR Tasks: the blob face at ``blob_url`` (contexts and logs, SAS-checked, beside the blob store in effect
    so every process of the store shares them; a data dir's old ``tasks/blobs`` is still read) and the build
    agent, which reaches registries through the proxy at ``proxy_url``. The SAS URLs name
    ``settings.public_blob_url`` when given (a cluster's front door), else ``blob_url``."""
    settings = application.settings
    files = open_task_blobs(settings.blob_store, settings.data_dir / "tasks" / "blobs")
    key = ensure_tasks_endpoint(application.store, settings.public_blob_url or blob_url)
    face = application.registry.face

    def credentials(registry: str, object_id: str, tenant: str) -> str:
        view = face.registries.find(registry)
        if view is None:
            return ""
        return face.tokens.task_refresh_token(object_id, tenant or None, view)

    agent_settings = AgentSettings(proxy_url, tls.ca, settings.data_dir / "tasks" / "work", settings.tasks_concurrency)
    agent = Agent(application.store, files, agent_settings, credentials, application.leases)
    return BlobFace(files, key), agent


def build_portal(application: Application, arm_url: str, registry_url: str, tls: TlsFiles) -> PortalFace:
    """The portal, a client of the ARM face at ``arm_url``, signed in as the default principal."""
    world = application.tenancy.world
    settings = application.settings
    principal = PortalPrincipal(world.tenant_id, world.default_client_id, CLIENT_SECRET)
    ca = ssl.create_default_context(cafile=str(tls.ca))
    arm = ArmClient(arm_url, principal, settings.cloud.arm_audience, ca)
    portal_world = PortalWorld(
        subscriptions=tuple(world.subscriptions),
        default_subscription=world.default_subscription,
        tenant_id=world.tenant_id,
        regions=dict(settings.cloud.regions),
        acr_suffix=settings.cloud.acr_suffix,
        registry_url=registry_url,
    )
    return PortalFace(arm, portal_world, portal_routes())


async def serve(settings: Settings) -> None:
    """Run every face until SIGINT/SIGTERM; ``endpoints.json`` exists while the process is ready.
    ``datadir.AlreadyRunning`` when another live process holds the data directory."""
    lock = datadir.acquire(settings.data_dir)
    try:
        settings.endpoints_path.unlink(missing_ok=True)  # left behind by a process that was killed
        await _serve_locked(settings)
    finally:
        lock.release()


async def _serve_locked(settings: Settings) -> None:
    application = build(settings, datadir.node_id(settings.data_dir))
    tls = prepare_tls(settings, application.store)
    host, ports = settings.host, settings.ports
    arm_sock = _tcp_socket(host, ports.arm)
    registry_sock = _tcp_socket(host, ports.registry)
    proxy_sock = _tcp_socket(host, ports.proxy)
    portal_sock = _tcp_socket(host, ports.portal)
    blob_sock = _tcp_socket(host, ports.blob)
    dns_udp, dns_tcp = bind_pair(host, ports.dns)
    raise_descriptor_limit()
    server = _https_server(application.arm.app(), tls.arm_cert, tls.arm_key, settings, "arm")
    registry = registry_face_servers(application, tls)
    loop = asyncio.get_running_loop()
    application.signal.bind(loop)
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    for listener in (arm_sock, registry_sock, registry.internal_sock, proxy_sock, portal_sock, blob_sock):
        listener.listen(BACKLOG)
    arm_url = f"https://{host}:{arm_sock.getsockname()[1]}"
    registry_url = f"https://{host}:{registry_sock.getsockname()[1]}"
    portal = build_portal(application, arm_url, registry_url, tls)
    portal_server = _https_server(portal.app(), tls.arm_cert, tls.arm_key, settings, "portal")
    tasks = [
        asyncio.create_task(server.serve(arm_sock)),
        asyncio.create_task(registry.public.serve(registry_sock)),
    ]
    tasks.append(asyncio.create_task(registry.internal.serve(registry.internal_sock)))
    dns_face = DnsFace(
        application.dns,
        application.graphs.hosts,
        application.signal,
        host,
        settings.data_dir / "dns-views.json",
        settings.limits,
        TrustedProxies.of(settings.trusted_proxies),
    )
    await dns_face.start(dns_udp, dns_tcp)
    tasks.append(asyncio.create_task(registry.proxy.serve(proxy_sock)))
    tasks.append(asyncio.create_task(portal_server.serve(portal_sock)))
    blob_url = f"https://{host}:{blob_sock.getsockname()[1]}"
    blob_face, agent = build_tasks(application, blob_url, f"http://{host}:{proxy_sock.getsockname()[1]}", tls)
    blob_server = _https_server(blob_face.app(), tls.arm_cert, tls.arm_key, settings, "blob")
    tasks.append(asyncio.create_task(blob_server.serve(blob_sock)))
    agent.start()
    if settings.gc_interval_seconds > 0:
        tasks.append(asyncio.create_task(periodically(application.collector, settings.gc_interval_seconds)))
    port = arm_sock.getsockname()[1]
    endpoints = {
        "arm": f"https://{host}:{port}",
        "registry": f"https://{host}:{registry_sock.getsockname()[1]}",
        "dns": {"host": host, "port": dns_udp.getsockname()[1]},
        "proxy": f"http://{host}:{proxy_sock.getsockname()[1]}",
        "portal": f"https://{host}:{portal_sock.getsockname()[1]}/",
        "blob": blob_url,
        "ca": str(tls.ca.resolve()),
        "caBundle": str(tls.bundle.resolve()),
        "subscriptionId": application.tenancy.world.default_subscription,
        "subscriptions": list(application.tenancy.world.subscriptions),
        "tenantId": application.tenancy.world.tenant_id,
        "clientId": application.tenancy.world.default_client_id,
        "tenants": [
            {"tenantId": t.tenant_id, "subscriptions": list(t.subscriptions), "defaultDomain": t.default_domain}
            for t in application.tenancy.world.tenants
        ],
        "cloud": settings.cloud.name,
        "internetIp": settings.internet_ip,
        "pid": os.getpid(),
        "store": public_url(settings.store),
        "blobStore": settings.blob_store,
    }
    application.webhooks.start()
    application.signal.start()
    sweeps: list[Callable[[], object]] = [agent.recover]
    if application.arm.deployments is not None:
        sweeps.append(application.arm.deployments.engine.history.recover)
    application.leases.start(sweeps)
    write_endpoints(settings.endpoints_path, endpoints)
    log.info("acrlink ready: ARM %s (data dir %s)", endpoints["arm"], settings.data_dir)
    stop = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait([stop, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                task.result()  # a face that stopped on its own: its error ends the process
    finally:
        stop.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        dns_face.close()
        agent.stop()
        blob_server.close()
        portal_server.close()
        await portal.arm.close()
        registry.internal.close()
        server.close()
        registry.public.close()
        application.webhooks.stop()
        application.signal.stop()
        application.leases.stop()
        with contextlib.suppress(FileNotFoundError):
            current = json.loads(settings.endpoints_path.read_text())
            if current.get("pid") == os.getpid():
                settings.endpoints_path.unlink()
        application.store.close()
        application.registry.face.content.blobs.close()
        blob_face.files.close()
        log.info("acrlink stopped")
