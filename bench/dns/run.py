"""acrlink's DNS face against dnsmasq serving the same records: queries per second with dnsperf, one run.

Run: .venv/bin/python bench/dns/run.py [--rounds N] [--seconds S]   (README.md next to this file)

acrlink gets a world through ARM (registries, a VNet with a linked ``privatelink.azurecr.cn`` zone,
private endpoints with zone groups, a VM); the queries are asked as that VM (its own DNS port), so the
answers mix private zone records, Azure's public CNAME chain, and NXDOMAIN from both the private zone and
``azurecr.cn``. dnsmasq is configured from acrlink's own answers (``cname``/``host-record`` with the same
TTLs, ``local=/domain/`` for NXDOMAIN) and both are checked to give the same answer to every name before
anything is timed. Then dnsperf runs against each in turn, the order flipping every round.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py (run as a script)
import common
from common import arm_client, free_port, log, wait_for

VM = "benchvm"
ZONE = "privatelink.azurecr.cn"
REGION = "chinanorth2"
TARGET = 1.0
"""acrlink qps / dnsmasq qps, issue 5."""


@dataclass
class Server(common.Server):
    """A DNS server under dnsperf: its port and its figures, one per round."""

    port: int = 0
    qps: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)
    lost: list[float] = field(default_factory=list)


# acrlink and its world ------------------------------------------------------------------------------


def start_acrlink(work: Path) -> tuple[Server, dict[str, Any]]:
    """acrlink (``acrlink up`` in the foreground) and its endpoints."""
    process, endpoints = common.start_acrlink(work)
    return Server("acrlink", process), endpoints


def create_world(endpoints: dict[str, Any], registries: int, private: int) -> None:
    """What az would do, straight through ARM: ``registries`` Premium registries (every other one with
    data endpoints), a VNet with a linked private zone, private endpoints with zone groups for the first
    ``private`` registries, and a VM (a NIC tagged ``acrlink-vm``) in the VNet."""
    arm, sub = endpoints["arm"], endpoints["subscriptionId"]
    with arm_client(endpoints, timeout=60) as client:

        def put(path: str, body: dict[str, Any], version: str) -> dict[str, Any]:
            answer = client.put(f"{arm}{path}?api-version={version}", json=body)
            if answer.status_code >= 300:
                raise RuntimeError(f"PUT {path}: {answer.status_code} {answer.text}")
            return dict(answer.json())

        group = f"/subscriptions/{sub}/resourceGroups/benchdns"
        put(group, {"location": REGION}, "2022-09-01")
        registry_ids = []
        for index in range(registries):
            body = {
                "location": REGION,
                "sku": {"name": "Premium"},
                "properties": {"dataEndpointEnabled": index % 2 == 0},
            }
            path = f"{group}/providers/Microsoft.ContainerRegistry/registries/{registry_name(index)}"
            registry_ids.append(put(path, body, "2025-11-01")["id"])
        network = f"{group}/providers/Microsoft.Network"
        vnet = put(
            f"{network}/virtualNetworks/vnet1",
            {
                "location": REGION,
                "properties": {
                    "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                    "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/20"}}],
                },
            },
            "2024-05-01",
        )
        subnet = vnet["id"] + "/subnets/default"
        zone = put(f"{network}/privateDnsZones/{ZONE}", {"location": "global"}, "2020-06-01")
        put(
            f"{network}/privateDnsZones/{ZONE}/virtualNetworkLinks/link1",
            {"location": "global", "properties": {"virtualNetwork": {"id": vnet["id"]}, "registrationEnabled": False}},
            "2020-06-01",
        )
        for index in range(private):
            endpoint = f"{network}/privateEndpoints/pe{index}"
            connection = {
                "name": "c",
                "properties": {"privateLinkServiceId": registry_ids[index], "groupIds": ["registry"]},
            }
            put(
                endpoint,
                {
                    "location": REGION,
                    "properties": {"subnet": {"id": subnet}, "privateLinkServiceConnections": [connection]},
                },
                "2024-05-01",
            )
            put(
                f"{endpoint}/privateDnsZoneGroups/default",
                {
                    "properties": {
                        "privateDnsZoneConfigs": [{"name": "acr", "properties": {"privateDnsZoneId": zone["id"]}}]
                    }
                },
                "2024-05-01",
            )
        ip_config = {"name": "ip", "properties": {"subnet": {"id": subnet}, "privateIPAllocationMethod": "Dynamic"}}
        put(
            f"{network}/networkInterfaces/{VM}-nic",
            {"location": REGION, "tags": {"acrlink-vm": VM}, "properties": {"ipConfigurations": [ip_config]}},
            "2024-05-01",
        )


def registry_name(index: int) -> str:
    return f"dnsbench{index:04d}"


def query_names(registries: int, private: int, count: int, seed: int = 5) -> list[str]:
    """``count`` names, shuffled: 30% login servers, 30% data endpoints (half the registries have none:
    NXDOMAIN), 20% privatelink names (half with a zone record, half missing: NXDOMAIN from the private
    zone), 20% unknown names under azurecr.cn (NXDOMAIN)."""
    rng = random.Random(seed)
    names: list[str] = []
    for slot in range(count):
        share = slot % 10
        index = rng.randrange(registries)
        if share < 3:
            names.append(f"{registry_name(index)}.azurecr.cn")
        elif share < 6:
            names.append(f"{registry_name(index)}.{REGION}.data.azurecr.cn")
        elif share < 8:
            near = rng.randrange(private) if share == 6 else rng.randrange(private, registries)
            names.append(f"{registry_name(near)}.{ZONE}")
        else:
            names.append(f"missing{slot:05d}.azurecr.cn")
    rng.shuffle(names)
    return names


# dnsmasq with the same records ----------------------------------------------------------------------


Answer = tuple[int, tuple[tuple[str, str, int, str], ...]]


def ask(port: int, name: str) -> Answer:
    """rcode and answer records (owner, type, TTL, value) of an A query without EDNS, as dnsperf asks."""
    response = dns.query.udp(dns.message.make_query(name, "A", use_edns=False), "127.0.0.1", port=port, timeout=5)
    records = tuple(
        (rrset.name.to_text(omit_final_dot=True).lower(), dns.rdatatype.to_text(rrset.rdtype), rrset.ttl,
         rdata.to_text().rstrip(".").lower())
        for rrset in response.answer
        for rdata in rrset
    )  # fmt: skip
    return response.rcode(), records


def dnsmasq_config(answers: dict[str, Answer]) -> str:
    """``cname``/``host-record`` lines reproducing acrlink's answer records (with their TTLs), and
    ``local=/domain/`` for every domain seen, so other names there are NXDOMAIN (not REFUSED)."""
    lines: dict[str, None] = {}
    domains: dict[str, None] = {}
    for name, (_rcode, records) in answers.items():
        domains[".".join(name.split(".")[-2:])] = None
        for owner, rtype, ttl, value in records:
            domains[".".join(owner.split(".")[-2:])] = None
            if rtype == "CNAME":
                lines[f"cname={owner},{value},{ttl}"] = None
            elif rtype == "A":
                lines[f"host-record={owner},{value},{ttl}"] = None
            else:
                raise RuntimeError(f"no dnsmasq line for {rtype} records ({owner})")
    return "".join(f"local=/{domain}/\n" for domain in domains) + "".join(f"{line}\n" for line in lines)


def start_dnsmasq(work: Path, config: str) -> Server:
    conf = work / "dnsmasq.conf"
    conf.write_text(config)
    port = free_port(udp=True)
    log_file = open(work / "dnsmasq.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            "dnsmasq", "--keep-in-foreground", f"--conf-file={conf}", "--no-resolv", "--no-hosts",
            "--listen-address=127.0.0.1", "--bind-interfaces", f"--port={port}", "--pid-file=",
        ],
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=log_file,
    )  # fmt: skip
    server = Server("dnsmasq", process, port)
    try:
        wait_for("dnsmasq", lambda: ask(port, "missing.azurecr.cn")[0] == dns.rcode.NXDOMAIN, process)
    except BaseException:
        server.stop()
        raise
    return server


# dnsperf --------------------------------------------------------------------------------------------


def dnsperf(server: Server, queries: Path, seconds: float, extra: list[str]) -> tuple[float, float, float]:
    """qps, server CPU microseconds per completed query, lost share."""
    cpu = server.cpu_seconds()
    done = subprocess.run(
        ["dnsperf", "-s", "127.0.0.1", "-p", str(server.port), "-d", str(queries), "-l", str(seconds), *extra],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )
    used = server.cpu_seconds() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"dnsperf against {server.label} failed:\n{done.stdout}\n{done.stderr}")
    completed = int(re.search(r"Queries completed:\s+(\d+)", done.stdout).group(1))  # type: ignore[union-attr]
    sent = int(re.search(r"Queries sent:\s+(\d+)", done.stdout).group(1))  # type: ignore[union-attr]
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    return qps, used / max(completed, 1) * 1e6, (sent - completed) / max(sent, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registries", type=int, default=300)
    parser.add_argument("--private", type=int, default=100, help="registries with a private endpoint")
    parser.add_argument("--names", type=int, default=1000, help="lines in the query file")
    parser.add_argument("--rounds", type=int, default=5, help="dnsperf runs per server")
    parser.add_argument("--seconds", type=float, default=8, help="length of each dnsperf run")
    parser.add_argument("--dnsperf-args", default="", help="extra dnsperf arguments, e.g. '-c 4 -T 2 -q 200'")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, configs)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    for tool in ("dnsperf", "dnsmasq"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed: apt-get install -y dnsperf dnsmasq")
    work = Path(tempfile.mkdtemp(prefix="acrlink-bench-dns-"))
    servers: list[Server] = []
    try:
        started = time.monotonic()
        acrlink, endpoints = start_acrlink(work)
        servers.append(acrlink)
        create_world(endpoints, args.registries, args.private)
        views = Path(endpoints["ca"]).parent / "dns-views.json"
        wait_for("the VM's DNS port", lambda: VM in json.loads(views.read_text()), acrlink.process)
        acrlink.port = int(json.loads(views.read_text())[VM])
        log(f"acrlink ready with {args.registries} registries in {time.monotonic() - started:.1f} s")

        names = query_names(args.registries, args.private, args.names)
        queries = work / "queries.txt"
        queries.write_text("".join(f"{name} A\n" for name in names))
        answers = {name: ask(acrlink.port, name) for name in dict.fromkeys(names)}
        dnsmasq = start_dnsmasq(work, dnsmasq_config(answers))
        servers.append(dnsmasq)
        differ = [name for name, answer in answers.items() if ask(dnsmasq.port, name) != answer]
        if differ:
            raise SystemExit(f"dnsmasq answers {len(differ)} names differently from acrlink, e.g. {differ[:3]}")
        rcodes = [answer[0] for answer in (answers[name] for name in names)]
        log(
            f"{len(names)} queries ({len(answers)} distinct names, {rcodes.count(dns.rcode.NXDOMAIN)} NXDOMAIN): "
            f"dnsmasq gives the same rcode and answer records for every one"
        )

        extra = args.dnsperf_args.split()
        pair = [acrlink, dnsmasq]
        for server in pair:  # warm-up, not counted
            dnsperf(server, queries, 2, extra)
        for round_index in range(args.rounds):
            for server in pair if round_index % 2 == 0 else reversed(pair):
                qps, cpu_us, lost = dnsperf(server, queries, args.seconds, extra)
                server.qps.append(qps)
                server.cpu_us.append(cpu_us)
                server.lost.append(lost)
                log(f"  round {round_index + 1} {server.label:8} {qps:9.0f} qps  {cpu_us:6.1f} us CPU/query")
        report(pair, args)
        if args.json:
            args.json.write_text(
                json.dumps({s.label: {"qps": s.qps, "cpu_us": s.cpu_us, "lost": s.lost} for s in pair}, indent=2)
            )
        log(f"total {time.monotonic() - started:.0f} s")
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def report(pair: list[Server], args: argparse.Namespace) -> None:
    acrlink, dnsmasq = pair
    print(
        f"\nDNS, dnsperf {args.seconds:g} s x {args.rounds} interleaved runs each, {args.names} A queries "
        f"(UDP, no EDNS); dnsperf and both servers share {os.cpu_count()} cores"
    )
    print(f"{'server':10} {'qps median':>11} {'min-max':>17} {'CPU us/query':>13} {'lost':>7}")
    for server in pair:
        print(
            f"{server.label:10} {statistics.median(server.qps):11.0f} "
            f"{min(server.qps):8.0f}-{max(server.qps):<8.0f} {statistics.median(server.cpu_us):13.1f} "
            f"{max(server.lost):7.2%}"
        )
    ratio = statistics.median(acrlink.qps) / statistics.median(dnsmasq.qps)
    per_round = [a / d for a, d in zip(acrlink.qps, dnsmasq.qps, strict=True)]
    cpu_ratio = statistics.median(acrlink.cpu_us) / statistics.median(dnsmasq.cpu_us)
    verdict = "meets" if ratio >= TARGET else "misses"
    print(
        f"acrlink/dnsmasq qps: {ratio:.2f}x (per round {min(per_round):.2f}-{max(per_round):.2f}; "
        f"target >= {TARGET:.1f}x: {verdict}); CPU per query: {cpu_ratio:.2f}x dnsmasq's"
    )


if __name__ == "__main__":
    main()
