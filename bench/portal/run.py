"""The portal's network pages on a big world: how long the server takes to answer each.

Run: .venv/bin/python bench/portal/run.py [--runs N] [--registries N] [--endpoints N] [--hosts N]
(README.md next to this file)

One acrlink (``acrlink up`` in the foreground, request logging on), a world made with direct ARM PUTs over
HTTPS from one Python client with a token (fast; what ``az`` would send): ``--registries`` Premium
registries (100), ``--endpoints`` private endpoints (300) each with its zone group, spread over 10 VNets
each with its own ``privatelink.azurecr.cn`` zone linked, and ``--hosts`` VMs (50; the NIC PUT ``acrlink vm
create`` makes). Then interleaved rounds (the order rotating every round) of GETs on the portal, each
timed from request to the last byte over one kept-alive HTTPS connection (loopback: the server's time plus
well under a millisecond):

  - the registry list (``/registries`` when this tree has it, else ``/resources``),
  - a registry's Networking blade (``/resource/{id}/networking``) when this tree has one,
  - ``/topology`` and ``/reachability`` (the whole matrix) and ``/reachability?host=`` (one host),
  - ARM's ``Acrlink.Network/reachability`` and ``networkGraph`` views (wall time here, and the server's own
    figure from acrlink's request log),
  - ``/reachability`` right after a change (a registry PATCH): the matrix is computed once per change.

Printed: medians and min-max per page, against the target (150 ms). It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py (run as a script)
from common import arm_client, log, start_acrlink, stop

RESOURCES_API = "2025-04-01"
ACR_API = "2025-11-01"
NETWORK_API = "2024-05-01"
DNS_API = "2024-06-01"
VIEW_API = "2026-01-01"
LOCATION = "chinanorth2"
ZONE = "privatelink.azurecr.cn"
GROUPS = 10
TARGET_MS = 150.0


def put(client: httpx.Client, path: str, api_version: str, body: Any) -> dict[str, Any]:
    answer = client.put(f"{path}?api-version={api_version}", json=body)
    if answer.status_code >= 300:
        raise RuntimeError(f"PUT {path}: {answer.status_code} {answer.text[:400]}")
    return dict(answer.json() or {})


def build_world(client: httpx.Client, sub: str, registries: int, endpoints: int, hosts: int) -> list[str]:
    """The world; returns the registries' ids."""
    started = time.monotonic()
    vnets, zones, subnets = [], [], []
    for g in range(GROUPS):
        group = f"/subscriptions/{sub}/resourceGroups/bench{g}"
        put(client, group, RESOURCES_API, {"location": LOCATION})
        vnet = f"{group}/providers/Microsoft.Network/virtualNetworks/vnet{g}"
        body = {
            "location": LOCATION,
            "properties": {
                "addressSpace": {"addressPrefixes": [f"10.{g}.0.0/16"]},
                "subnets": [
                    {"name": "pe", "properties": {"addressPrefix": f"10.{g}.0.0/20"}},
                    {"name": "vm", "properties": {"addressPrefix": f"10.{g}.16.0/24"}},
                ],
            },
        }
        put(client, vnet, NETWORK_API, body)
        zone = f"{group}/providers/Microsoft.Network/privateDnsZones/{ZONE}"
        put(client, zone, DNS_API, {"location": "global"})
        link = {"location": "global", "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": False}}
        put(client, f"{zone}/virtualNetworkLinks/vnet{g}-link", DNS_API, link)
        vnets.append(vnet)
        zones.append(zone)
        subnets.append(f"{vnet}/subnets/pe")
    log(f"  10 groups, VNets, zones and links in {time.monotonic() - started:.1f} s")
    ids = []
    for r in range(registries):
        group = f"/subscriptions/{sub}/resourceGroups/bench{r % GROUPS}"
        registry = f"{group}/providers/Microsoft.ContainerRegistry/registries/benchacr{r:03d}"
        put(client, registry, ACR_API, {"location": LOCATION, "sku": {"name": "Premium"}, "properties": {}})
        ids.append(registry)
    log(f"  {registries} registries after {time.monotonic() - started:.1f} s")
    for e in range(endpoints):
        registry = ids[e % registries]
        g = (e // registries + e) % GROUPS  # a registry's endpoints land in different VNets
        group = f"/subscriptions/{sub}/resourceGroups/bench{g}"
        endpoint = f"{group}/providers/Microsoft.Network/privateEndpoints/pe{e:03d}"
        body = {
            "location": LOCATION,
            "properties": {
                "subnet": {"id": subnets[g]},
                "privateLinkServiceConnections": [
                    {
                        "name": f"pe{e:03d}-conn",
                        "properties": {"privateLinkServiceId": registry, "groupIds": ["registry"]},
                    }
                ],
            },
        }
        put(client, endpoint, NETWORK_API, body)
        zone_group = {
            "properties": {"privateDnsZoneConfigs": [{"name": "acr", "properties": {"privateDnsZoneId": zones[g]}}]}
        }
        put(client, f"{endpoint}/privateDnsZoneGroups/default", NETWORK_API, zone_group)
        if (e + 1) % 100 == 0:
            log(f"  {e + 1} endpoints after {time.monotonic() - started:.1f} s")
    for h in range(hosts):
        g = h % GROUPS
        group = f"/subscriptions/{sub}/resourceGroups/bench{g}"
        nic = f"{group}/providers/Microsoft.Network/networkInterfaces/vm{h:02d}VMNic"
        body = {
            "location": LOCATION,
            "tags": {"acrlink-vm": f"vm{h:02d}"},
            "properties": {
                "ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": f"{vnets[g]}/subnets/vm"}}}]
            },
        }
        put(client, nic, NETWORK_API, body)
    log(f"  world built in {time.monotonic() - started:.1f} s")
    return ids


def server_ms(log_path: Path, offset: int, view: str) -> list[float]:
    """acrlink's own figures for the view's requests logged after byte ``offset`` of its log."""
    pattern = re.compile(rf"ARM GET /subscriptions/[^ ]+/providers/Acrlink\.Network/{view} 200 ([0-9.]+)ms")
    with log_path.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode("utf-8", "replace")
    return [float(m) for m in pattern.findall(text)]


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):8.1f} ms  ({min(values):.1f}-{max(values):.1f}, n={len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--registries", type=int, default=100)
    parser.add_argument("--endpoints", type=int, default=300)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (acrlink's log)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    log(f"work directory {work}")
    process, endpoints = start_acrlink(work)
    try:
        sub = str(endpoints["subscriptionId"])
        with arm_client(endpoints, timeout=120) as client:
            client.base_url = httpx.URL(str(endpoints["arm"]))
            log("building the world (direct ARM PUTs)")
            registries = build_world(client, sub, args.registries, args.endpoints, args.hosts)
            portal = str(endpoints["portal"]).rstrip("/")
            with httpx.Client(verify=endpoints["ca"], trust_env=False, timeout=300) as browser:
                browser.get(f"{portal}/")  # the session cookie
                pages: dict[str, str] = {}
                listing = "/registries" if browser.get(f"{portal}/registries").status_code == 200 else "/resources"
                pages[f"registry list ({listing})"] = listing
                networking = f"/resource{registries[0]}/networking"
                if browser.get(f"{portal}{networking}").status_code == 200:
                    pages["registry Networking blade"] = networking
                else:
                    log(f"  no registry Networking blade in this tree ({networking} is not served)")
                pages["/topology"] = "/topology"
                pages["/reachability"] = "/reachability"
                pages["/reachability?host=vm00"] = "/reachability?host=vm00"
                views = {
                    "ARM view reachability": f"{endpoints['arm']}/subscriptions/{sub}/providers/Acrlink.Network/"
                    f"reachability?api-version={VIEW_API}",
                    "ARM view networkGraph": f"{endpoints['arm']}/subscriptions/{sub}/providers/Acrlink.Network/"
                    f"networkGraph?api-version={VIEW_API}",
                }
                timings: dict[str, list[float]] = {name: [] for name in [*pages, *views]}
                sizes: dict[str, int] = {}
                after_change: list[float] = []
                log_path = work / "acrlink.log"
                offset = log_path.stat().st_size
                targets = [(n, f"{portal}{p}", browser) for n, p in pages.items()]
                targets += [(n, url, client) for n, url in views.items()]
                for round_index in range(args.runs + 1):
                    shift = round_index % len(targets)
                    for name, url, http in targets[shift:] + targets[:shift]:
                        started = time.perf_counter()
                        answer = http.get(url)
                        elapsed = (time.perf_counter() - started) * 1000
                        if answer.status_code != 200:
                            raise RuntimeError(f"GET {url}: {answer.status_code} {answer.text[:300]}")
                        if round_index:  # round 0 warms up
                            timings[name].append(elapsed)
                        sizes[name] = len(answer.content)
                    if round_index:
                        tags = {"tags": {"bench": str(round_index)}}
                        patched = client.patch(f"{registries[1]}?api-version={ACR_API}", json=tags)
                        patched.raise_for_status()
                        started = time.perf_counter()
                        browser.get(f"{portal}/reachability").raise_for_status()
                        after_change.append((time.perf_counter() - started) * 1000)
                server = {v: server_ms(log_path, offset, v) for v in ("reachability", "networkGraph")}
        print(
            f"portal pages on {args.registries} registries, {args.endpoints} endpoints, {args.hosts} VMs "
            f"({args.runs} rounds, interleaved; request to last byte, one kept-alive HTTPS connection)"
        )
        for name, values in timings.items():
            mark = "" if not values or statistics.median(values) < TARGET_MS else "  over the 150 ms target"
            print(f"  {name:34s} {spread(values)}  {sizes.get(name, 0) / 1024:8.0f} KiB{mark}")
        print(f"  {'/reachability after a change':34s} {spread(after_change)}")
        for view, values in server.items():
            print(f"  {'server log: ' + view:34s} {spread(values)}")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {"timings": timings, "after_change": after_change, "server": server, "sizes": sizes}, indent=1
                )
            )
    finally:
        stop(process)
        if not args.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
