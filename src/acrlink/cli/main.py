"""``acrlink``: up, down, env, az, exec, hosts, principal, check (and check --what-if), gc."""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from acrlink import datadir
from acrlink.cli import azure, process
from acrlink.settings import default_data_dir

if TYPE_CHECKING:
    from acrlink.cli import network
    from acrlink.settings import Settings

# Every other module is imported by the command that needs it: `acrlink az` runs before each az call a user
# or a test makes, and importing the ARM stack, httpx and dnspython up front cost it 1.3 s of 1.5 (az itself
# takes about 1.4 s).

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="acrlink: a local emulator of Azure Container Registry with Azure Private Link.",
)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory [default: $ACRLINK_DATA_DIR or ~/.acrlink]"),
]  # noqa: UP007,E501


def _data_dir(given: Path | None) -> Path:
    return (given or default_data_dir()).expanduser().resolve()


def _running(data_dir: Path) -> dict[str, object]:
    endpoints = process.read_endpoints(data_dir)
    if endpoints is None:
        typer.echo(f"acrlink is not running for {data_dir}; start it with 'acrlink up --detach'.", err=True)
        raise typer.Exit(1)
    return endpoints


@app.command()
def up(
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Address every face listens on")] = "127.0.0.1",
    arm_port: Annotated[int, typer.Option(help="ARM + Entra ID (HTTPS); 0 picks a free port")] = 0,
    registry_port: Annotated[int, typer.Option(help="Registry (HTTPS)")] = 0,
    dns_port: Annotated[int, typer.Option(help="DNS (UDP and TCP)")] = 0,
    proxy_port: Annotated[int, typer.Option(help="Client proxy (HTTP CONNECT)")] = 0,
    portal_port: Annotated[int, typer.Option(help="The portal (HTTPS, a browser's)")] = 0,
    blob_port: Annotated[int, typer.Option(help="The Tasks blob face (HTTPS)")] = 0,
    cloud: Annotated[str, typer.Option(help="AzureChinaCloud or AzureCloud")] = "AzureChinaCloud",
    arm_async: Annotated[
        bool, typer.Option("--arm-async", help="Answer writes like real ARM (201/202 + polling)")
    ] = False,  # noqa: E501
    legacy_pe_network_policies: Annotated[
        bool,
        typer.Option(
            "--legacy-pe-network-policies", help="Refuse private endpoints in policy-enabled subnets (pre-2023 Azure)"
        ),
    ] = False,
    blackhole_seconds: Annotated[
        float, typer.Option("--blackhole-seconds", help="How long dropped connections hang before 504")
    ] = 3.0,
    internet_ip: Annotated[str, typer.Option("--internet-ip", help="The internet host's public IP")] = "203.0.113.50",
    store: Annotated[
        str | None,
        typer.Option(
            "--store", help="Store URL: sqlite:///PATH or postgresql://USER@HOST:PORT/DB [default: the data dir's]"
        ),
    ] = None,
    blob_store: Annotated[
        str | None,
        typer.Option(
            "--blob-store",
            help="Blob store URL: file:///PATH or azure-blob://CONTAINER (AZURE_STORAGE_CONNECTION_STRING) "
            "[default: the data dir's]",
        ),
    ] = None,
    public_blob_url: Annotated[
        str | None,
        typer.Option(
            "--public-blob-url",
            help="The Tasks blob face's URL as clients reach it (a load balancer's https://HOST:PORT), put in the "
            "SAS URLs ARM hands out [default: this process's own]",
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="A load balancer (address or network) whose connections start with a PROXY v2 header naming "
            "the client, e.g. HAProxy's send-proxy-v2 (repeatable)",
        ),
    ] = None,
    detach: Annotated[bool, typer.Option("--detach", help="Run in the background; return once ready")] = False,
) -> None:
    """Start acrlink. In the foreground it logs a line per request; Ctrl-C stops it."""
    from acrlink.domain import sas
    from acrlink.domain.cloud import find_cloud
    from acrlink.errors import Unavailable
    from acrlink.settings import Ports, Settings
    from acrlink.trustedproxy import TrustedProxies

    directory = _data_dir(data_dir)
    trusted = tuple(trusted_proxy or ())
    try:
        profile = find_cloud(cloud)
        TrustedProxies.of(trusted)
        if public_blob_url is not None:
            public_blob_url = sas.endpoint_url(public_blob_url)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if process.held_by_live_process(directory):
        running = process.read_endpoints(directory)
        arm = f", ARM {running['arm']}" if running else ""
        typer.echo(f"acrlink is already running for {directory} (pid {datadir.holder_pid(directory)}{arm}).", err=True)
        raise typer.Exit(1)
    if detach:
        arguments = [
            "--data-dir",
            str(directory),
            "--host",
            host,
            "--arm-port",
            str(arm_port),
            "--registry-port",
            str(registry_port),
            "--dns-port",
            str(dns_port),
            "--proxy-port",
            str(proxy_port),
            "--portal-port",
            str(portal_port),
            "--blob-port",
            str(blob_port),
            "--cloud",
            profile.name,
        ]
        if arm_async or os.environ.get("ACRLINK_ARM_ASYNC") == "1":
            arguments.append("--arm-async")
        if legacy_pe_network_policies:
            arguments.append("--legacy-pe-network-policies")
        arguments += ["--blackhole-seconds", str(blackhole_seconds), "--internet-ip", internet_ip]
        for option, value in (("--store", store), ("--blob-store", blob_store), ("--public-blob-url", public_blob_url)):
            if value:
                arguments += [option, value]
        for address in trusted:
            arguments += ["--trusted-proxy", address]
        try:
            endpoints = process.start_detached(directory, arguments)
        except RuntimeError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"acrlink is running (pid {endpoints['pid']}): ARM {endpoints['arm']}, "
            f"endpoints in {directory / 'endpoints.json'}"
        )
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    # azure-storage-blob logs every request's URL and headers at INFO: one per log line of a build on Azure.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
    settings = Settings(
        data_dir=directory,
        host=host,
        ports=Ports(arm_port, registry_port, dns_port, proxy_port, portal_port, blob_port),
        cloud=profile,
        arm_async=arm_async or os.environ.get("ACRLINK_ARM_ASYNC") == "1",
        legacy_pe_network_policies=legacy_pe_network_policies,
        blackhole_seconds=blackhole_seconds,
        internet_ip=internet_ip,
        store_url=store,
        blob_store_url=blob_store,
        public_blob_url=public_blob_url,
        trusted_proxies=trusted,
    )
    try:
        run(_serve(settings))
    except datadir.AlreadyRunning as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except Unavailable as exc:
        typer.echo(f"acrlink cannot start: {exc}", err=True)
        raise typer.Exit(1) from None


def run(main: Coroutine[Any, Any, None]) -> None:
    """uvloop when it is installed (PERFORMANCE-NOTES: the DNS answer cache and the proxy pump need it),
    else the standard loop."""
    try:
        import uvloop
    except ImportError:
        import asyncio

        asyncio.run(main)
        return
    uvloop.run(main)


async def _serve(settings: Settings) -> None:
    from acrlink.app import serve

    await serve(settings)


@app.command()
def down(data_dir: DataDir = None) -> None:
    """Stop the acrlink process of the data directory."""
    directory = _data_dir(data_dir)
    pid = process.stop(directory)
    if pid is None:
        typer.echo(f"acrlink is not running for {directory}.")
        return
    typer.echo(f"acrlink stopped (pid {pid}).")


@app.command()
def portal(data_dir: DataDir = None) -> None:
    """Print the portal's URL, and open it in the browser $BROWSER names, if set."""
    endpoints = _running(_data_dir(data_dir))
    url = str(endpoints["portal"])
    typer.echo(url)
    browser = os.environ.get("BROWSER")
    if browser:
        subprocess.Popen([*shlex.split(browser), url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


FromHost = Annotated[str | None, typer.Option("--from", help="Act as this host (see 'acrlink hosts')")]


def _host(directory: Path, endpoints: dict[str, object], name: str) -> network.Host:
    from acrlink.cli import network

    found = network.graph(directory, endpoints).host(name)
    if found is None:
        typer.echo(f"no host called {name!r}; 'acrlink hosts' lists them", err=True)
        raise typer.Exit(2)
    return found


AsPrincipal = Annotated[str | None, typer.Option("--as", help="Act as this principal (see 'acrlink principal create')")]


def _as_principal(directory: Path, name: str) -> dict[str, str]:
    from acrlink.cli import principals

    try:
        return principals.environment(directory, name)
    except principals.PrincipalError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@app.command()
def env(data_dir: DataDir = None, from_host: FromHost = None, as_principal: AsPrincipal = None) -> None:
    """Print export lines that point az and the Azure SDK for Python at this acrlink, logged in. With
    --from HOST, container clients and Python programs also act as that host (proxy, DNS view); with
    --as NAME, az and the SDKs are that principal (its own az config dir)."""
    from acrlink.cli import network

    directory = _data_dir(data_dir)
    endpoints = _running(directory)
    variables = azure.environment(directory, endpoints)
    if from_host:
        variables.update(network.host_environment(directory, endpoints, _host(directory, endpoints, from_host)))
    if as_principal:
        variables.update(_as_principal(directory, as_principal))
    az = azure.find_az()
    lines = [azure.export_lines(variables)]
    if az:
        try:
            azure.ensure_login(az, directory, endpoints, {**os.environ, **variables})
        except RuntimeError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
    else:
        lines.append(f"# {azure.INSTALL_HINT}")
    typer.echo("\n".join(lines))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []})
def az(ctx: typer.Context, data_dir: DataDir = None) -> None:
    """Run the real az against this acrlink: acrlink az group list -o table."""
    directory = _data_dir(data_dir)
    az_path = azure.find_az()
    if az_path is None:
        typer.echo(azure.INSTALL_HINT, err=True)
        raise typer.Exit(127)
    endpoints = _running(directory)
    variables = {**os.environ, **azure.environment(directory, endpoints), **azure.proxy_environment(endpoints)}
    try:
        azure.ensure_login(az_path, directory, endpoints, variables)
    except RuntimeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(azure.run_az(az_path, list(ctx.args), variables))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def exec(  # noqa: A001 - the command's name
    ctx: typer.Context,
    from_host: Annotated[str, typer.Option("--from", help="The host to act as")] = "internet",
    as_principal: AsPrincipal = None,
    data_dir: DataDir = None,
) -> None:
    """Run a command as a host: acrlink exec --from myVM -- skopeo inspect docker://NAME.azurecr.cn/hello-world:v1;
    with --as NAME, also as that principal."""
    from acrlink.cli import network

    directory = _data_dir(data_dir)
    endpoints = _running(directory)
    command = [a for a in ctx.args if a != "--"] if ctx.args[:1] == ["--"] else list(ctx.args)
    if not command:
        typer.echo("nothing to run: acrlink exec --from HOST -- COMMAND [ARGS...]", err=True)
        raise typer.Exit(2)
    variables = {**os.environ, **azure.environment(directory, endpoints)}
    variables.update(network.host_environment(directory, endpoints, _host(directory, endpoints, from_host)))
    if as_principal:
        variables.update(_as_principal(directory, as_principal))
    az_path = azure.find_az()
    if az_path and os.path.basename(command[0]) == "az":
        try:
            azure.ensure_login(az_path, directory, endpoints, variables)
        except RuntimeError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        command[0] = az_path
    try:
        raise typer.Exit(subprocess.run(command, env=variables).returncode)
    except FileNotFoundError:
        typer.echo(f"{command[0]}: command not found", err=True)
        raise typer.Exit(127) from None


@app.command()
def hosts(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array, with each host's identity")] = False,
) -> None:
    """List the hosts you can act as: the internet, VMs (with their managed identity), the trusted Azure
    service, on-premises hosts."""
    from acrlink.cli import network

    directory = _data_dir(data_dir)
    endpoints = _running(directory)
    g, ports = network.graph(directory, endpoints), network.dns_ports(directory)
    if as_json:
        typer.echo(json.dumps(network.host_rows(g, ports), indent=2))
        return
    typer.echo(network.hosts_table(g, ports))


principal_app = typer.Typer(help="Service principals you can create and act as.", no_args_is_help=True)
app.add_typer(principal_app, name="principal")


@principal_app.command("create")
def principal_create(
    name: str,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Its tenant (id or domain; default: the home one)")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a service principal with a client secret and no roles; prints one JSON object (name, clientId,
    clientSecret, objectId, tenantId). Act as it with --as NAME."""
    from acrlink.cli import principals

    directory = _data_dir(data_dir)
    endpoints = _running(directory)
    try:
        created = principals.create(directory, endpoints, name, tenant)
    except principals.PrincipalError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(created, indent=2))


vm_app = typer.Typer(help="VMs: a NIC in a subnet that clients can act from.", no_args_is_help=True)
app.add_typer(vm_app, name="vm")


@vm_app.command("create")
def vm_create(
    name: str,
    resource_group: Annotated[str, typer.Option("-g", "--resource-group")],
    vnet_name: Annotated[str, typer.Option("--vnet-name")],
    subnet: Annotated[str, typer.Option("--subnet")],
    dns_forwarder: Annotated[
        bool, typer.Option("--dns-forwarder", help="It runs a DNS server forwarding to 168.63.129.16")
    ] = False,  # noqa: E501
    subscription: Annotated[str | None, typer.Option("--subscription")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a VM (through ARM: a NIC tagged as the VM's) in a subnet."""
    from acrlink.cli import network

    directory = _data_dir(data_dir)
    endpoints = _running(directory)
    try:
        nic = network.create_vm(endpoints, name, resource_group, vnet_name, subnet, dns_forwarder, subscription)
    except RuntimeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    address = nic["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"]
    if not network.wait_for_view(directory, name):
        typer.echo(f"VM {name} was created, but its DNS view is not listed yet: see acrlink hosts.", err=True)
    typer.echo(f"VM {name}: NIC {nic['name']}, private IP {address}. Act as it with: acrlink exec --from {name} -- CMD")


onprem_app = typer.Typer(help="On-premises machines behind a VNet's VPN gateway or ExpressRoute.", no_args_is_help=True)
app.add_typer(onprem_app, name="onprem")


@onprem_app.command("create")
def onprem_create(
    name: str,
    resource_group: Annotated[str, typer.Option("-g", "--resource-group")],
    vnet_name: Annotated[str, typer.Option("--vnet-name", help="The VNet its network connects to")],
    address: Annotated[str, typer.Option("--address", help="Its address on-premises, outside the VNet")],
    dns_server: Annotated[list[str], typer.Option("--dns-server", help="The DNS server it asks")] = [],  # noqa: B006
    dns_forwarder: Annotated[
        bool, typer.Option("--dns-forwarder", help="It is a DNS server forwarding to its own")
    ] = False,
    connection: Annotated[str, typer.Option("--connection", help="VpnGateway or ExpressRoute")] = "VpnGateway",
    data_dir: DataDir = None,
) -> None:
    """Create an on-premises host (S5, S16): act as it with acrlink exec --from NAME."""
    from acrlink.cli import network

    directory = _data_dir(data_dir)
    endpoints = _running(directory)
    try:
        network.create_onprem(
            endpoints, name, resource_group, vnet_name, address, dns_server, dns_forwarder, connection
        )
    except RuntimeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if not network.wait_for_view(directory, name):
        typer.echo(f"{name} was created, but its DNS view is not listed yet: see acrlink hosts.", err=True)
    typer.echo(f"on-premises host {name} at {address}, behind {vnet_name}'s gateway.")


@app.command()
def dig(
    name: str,
    qtype: Annotated[str, typer.Argument(help="Record type")] = "A",
    from_host: Annotated[str, typer.Option("--from", help="The host whose view to ask")] = "internet",
    tcp: Annotated[bool, typer.Option("--tcp")] = False,
    data_dir: DataDir = None,
) -> None:
    """Ask the DNS face as a host, printed like dig (a real query to that host's DNS port)."""
    from acrlink.cli import network

    directory = _data_dir(data_dir)
    _running(directory)
    port = network.dns_ports(directory).get(from_host.lower())
    if port is None:
        typer.echo(f"no host called {from_host!r}; 'acrlink hosts' lists them", err=True)
        raise typer.Exit(2)
    typer.echo(network.dig(port, name, qtype.upper(), tcp))


@app.command()
def gc(
    grace_seconds: Annotated[
        float | None,
        typer.Option(
            "--grace-seconds",
            min=0,
            help="Collect unreferenced blobs and links older than this [default: $ACRLINK_GC_GRACE_SECONDS or 3600]",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be removed; remove nothing")] = False,
    data_dir: DataDir = None,
) -> None:
    """Remove blobs no manifest references, their stale links and abandoned uploads, through the running process
    (safe while pushes run; the process also collects every $ACRLINK_GC_INTERVAL_SECONDS, default 600)."""
    from acrlink.cli import gc as gc_command
    from acrlink.cli import network

    endpoints = _running(_data_dir(data_dir))
    try:
        report = gc_command.collect(dict(endpoints), grace_seconds, dry_run)
    except network.ViewError as exc:
        typer.echo(f"gc: {exc}", err=True)
        raise typer.Exit(1) from None
    for line in gc_command.render(report):
        typer.echo(line)


@app.command(context_settings={"allow_extra_args": True})
def check(
    ctx: typer.Context,
    registry: Annotated[str | None, typer.Argument(help="The registry (name or login server)")] = None,
    from_host: Annotated[str | None, typer.Option("--from", help="The host to check from (default: internet)")] = None,
    what_if: Annotated[
        Path | None,
        typer.Option("--what-if", help="An ARM template: what would deploying it change on the network"),
    ] = None,
    resource_group: Annotated[
        str | None, typer.Option("--resource-group", "-g", help="With --what-if: the deployment's group")
    ] = None,
    parameters: Annotated[
        list[str] | None,
        typer.Option("--parameters", "-p", help="With --what-if, as az takes it; repeatable"),
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="With --what-if: Incremental or Complete")] = "Incremental",
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="With --what-if: the deployment name (default: the file name)")
    ] = None,
    as_principal: Annotated[
        str | None,
        typer.Option("--as", help="Who would pull: a principal's name, client id or object id (default: VM identity)"),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Explain whether a registry is reachable from a host, step by step, and whether the identity that would
    pull may pull (--as, or the VM's managed identity), and name the fix; with --what-if, what deploying a
    template would change in who reaches which registry name."""
    from acrlink.cli import network
    from acrlink.domain import diagnosis

    directory = _data_dir(data_dir)
    if what_if is not None:
        registry, given = _az_parameters(registry, ctx.args, parameters or [])
        _check_what_if(directory, what_if, resource_group, given, mode, name, registry, from_host)
        return
    if ctx.args:
        typer.echo(f"check: unexpected arguments: {' '.join(ctx.args)}", err=True)
        raise typer.Exit(2)
    if registry is None:
        typer.echo("check: give a REGISTRY, or --what-if TEMPLATE -g GROUP.", err=True)
        raise typer.Exit(2)
    endpoints = _running(directory)
    g = network.graph(directory, endpoints)
    host = _host(directory, endpoints, from_host or "internet")
    registry_name = registry.lower().split(".")[0]
    result = diagnosis.diagnose(g, host, registry_name)
    identity = _identity_step(endpoints, host.name, g, registry_name, as_principal)
    steps = [(s.ok, s.title, s.details) for s in result.steps]
    if identity and identity["step"]:
        steps.append((identity["step"]["ok"], identity["step"]["title"], tuple(identity["step"]["details"])))
    for ok, title, details in steps:
        typer.echo(f"[{'ok' if ok else 'FAIL'}] {title}")
        for detail in details:
            typer.echo(f"    {detail}")
    if identity and identity["note"]:
        typer.echo(f"[--] {identity['note']}")
    pulls = identity is None or identity["ok"]
    if result.reachable and pulls:
        typer.echo(f"{registry} is reachable from {host.name}.")
        return
    fixes = [f for f in (result.fix, None if pulls or identity is None else identity["fix"]) if f]
    hints = [h for h in (result.hint, None if pulls or identity is None else identity["hint"]) if h]
    if fixes:
        typer.echo("fix: " + " && ".join(fixes))
    for hint in hints:
        typer.echo(f"hint: {hint}")
    raise typer.Exit(1)


def _identity_step(
    endpoints: dict[str, object], host: str, g: network.Graph, registry: str, principal: str | None
) -> dict[str, Any] | None:
    """The identity step from the running acrlink, None when the registry does not exist (the network steps
    say so)."""
    from acrlink.cli import network

    if registry not in g.registries:
        return None
    try:
        return network.identity_step(dict(endpoints), host, g.cloud.login_server(registry), principal)
    except network.ViewError as exc:
        typer.echo(f"check: {exc}", err=True)
        raise typer.Exit(2) from None


def _az_parameters(registry: str | None, extra: list[str], parameters: list[str]) -> tuple[str | None, list[str]]:
    """az takes several values after one ``-p`` (``-p a=1 b=2``); the CLI parser leaves those after the
    first as positional arguments. With --what-if, a positional that can only be a parameter (``k=v``,
    ``@file``, inline ``{...}`` JSON: no registry name has ``=``, ``@`` or ``{``) is one, in the order given;
    anything else is the REGISTRY filter (and a second such is refused)."""

    def is_parameter(value: str) -> bool:
        return "=" in value or value.startswith(("@", "{"))

    positionals = ([registry] if registry is not None else []) + list(extra)
    given = list(parameters) + [v for v in positionals if is_parameter(v)]
    others = [v for v in positionals if not is_parameter(v)]
    if len(others) > 1:
        typer.echo(f"check: unexpected arguments: {' '.join(others[1:])}", err=True)
        raise typer.Exit(2)
    return (others[0] if others else None), given


def _check_what_if(
    directory: Path,
    template: Path,
    group: str | None,
    arguments: list[str],
    mode: str,
    name: str | None,
    registry: str | None,
    from_host: str | None,
) -> None:
    """Build az's what-if request, send it to the ARM face, print the reachability changes."""
    from acrlink.cli import deployment_parameters, network, whatif

    if group is None:
        typer.echo("check --what-if: --resource-group/-g is required.", err=True)
        raise typer.Exit(2)
    try:
        text = deployment_parameters.read_path(str(template))
        if text is None:
            raise whatif.UsageError(f"{template}: no such file")
        deployment, body = whatif.prepare(str(template), text, arguments, mode, name)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    endpoints = _running(directory)
    path = whatif.what_if_path(str(endpoints["subscriptionId"]), group, deployment)
    with network.arm_client(endpoints) as client:
        answer = whatif.post(client, path, body)
    code, lines = whatif.report(answer, registry, from_host)
    for line in lines:
        typer.echo(line, err=code != 0)
    if code:
        raise typer.Exit(code)


def main() -> None:
    app()
