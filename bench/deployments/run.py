"""Template deployments against the same resources PUT one by one: what the deployment engine costs.

Run: .venv/bin/python bench/deployments/run.py [--runs N] [--resources N]   (README.md next to this file)

One acrlink, the real az logged in to it, and ``many_resources(N)`` from tests/e2e/templates/generate.py
(one private DNS zone, VNets, A and TXT record sets; 200 by default). Interleaved rounds, the order
flipping every round, each into a fresh resource group (created before and deleted after, untimed):

  (a) ``az deployment group create -g G -f many.json`` (wall time of the az process);
  (b) the same resources as direct ARM PUTs over HTTPS from one Python client with a token, in order,
      one at a time: the reference for the engine's overhead;
  (c) ``az deployment group what-if -g G -f many.json --no-pretty-print`` on a group that already holds
      the resources (deployed once by (b)'s requests);
  (z) ``az group show -g G``: az's own start-up and login cost, the floor under (a) and (c).

Printed: medians, min-max spread, acrlink CPU per operation, the ratio a/b of medians and per round.
Until acrlink serves ``Microsoft.Resources/deployments``, (a) and (c) are reported as unavailable with
az's error, (b) and (z) are still measured, and the exit status is 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py (run as a script)
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))  # the repository, for tests/e2e/templates
from common import arm_client, cpu_seconds, log, start_acrlink, stop

from acrlink.cli import azure
from tests.e2e.templates.generate import counts, direct_requests, expected_outputs, many_resources

ROOT = Path(__file__).resolve().parents[2]
RESOURCES_API = "2025-04-01"
PRIVATE_DNS = "2024-06-01"
LOCATION = "chinanorth2"
ZONE = "bench.acrlink.test"


class Unavailable(Exception):
    """An operation acrlink cannot do yet (no deployment engine): the message says what az answered."""


@dataclass
class Measure:
    label: str
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    unavailable: str = ""


def find_az() -> str:
    found = os.environ.get("ACRLINK_AZ") or shutil.which("az")
    for candidate in (ROOT / ".venv-az" / "bin" / "az",):
        if not found and candidate.exists():
            found = str(candidate)
    if not found:
        raise SystemExit(
            "The Azure CLI is required: set ACRLINK_AZ or put az on PATH (scripts/test.sh installs .venv-az)."
        )
    return found


class World:
    """acrlink's ARM face for the benchmark: a token-holding client, and az with acrlink's environment."""

    def __init__(self, endpoints: dict[str, Any], data_dir: Path, az: str, client: httpx.Client) -> None:
        self.endpoints = endpoints
        self.sub = str(endpoints["subscriptionId"])
        self.client = client
        client.base_url = httpx.URL(str(endpoints["arm"]))
        self.az_path = az
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AZURE_CONFIG_DIR")}
        self.env = {**env, **azure.environment(data_dir, endpoints), **azure.proxy_environment(endpoints)}
        azure.ensure_login(az, data_dir, endpoints, self.env)

    def group_path(self, group: str) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/{group}"

    def create_group(self, group: str) -> None:
        answer = self.client.put(f"{self.group_path(group)}?api-version={RESOURCES_API}", json={"location": LOCATION})
        answer.raise_for_status()

    def delete_group(self, group: str) -> None:
        answer = self.client.delete(f"{self.group_path(group)}?api-version={RESOURCES_API}")
        if answer.status_code not in (200, 202, 204):
            raise RuntimeError(f"DELETE group {group}: {answer.status_code} {answer.text}")

    def az(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.az_path, *args], env=self.env, capture_output=True, text=True)

    def put_all(self, group: str, n: int) -> None:
        for method, path, body in direct_requests(n, self.sub, group, LOCATION):
            answer = self.client.request(method, path, json=body)
            if answer.status_code >= 300:
                raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text}")

    def check_deployed(self, group: str, n: int) -> None:
        """The group holds what many_resources(n) makes: the zone and VNets at the top, the record sets."""
        split = counts(n)
        listed = self.client.get(f"{self.group_path(group)}/resources?api-version={RESOURCES_API}")
        listed.raise_for_status()
        top = len(listed.json()["value"])
        zone = self.client.get(
            f"{self.group_path(group)}/providers/Microsoft.Network/privateDnsZones/{ZONE}?api-version={PRIVATE_DNS}"
        )
        zone.raise_for_status()
        record_sets = zone.json()["properties"]["numberOfRecordSets"]
        if top != 1 + split.vnets or record_sets != expected_outputs(n)["recordSets"]:
            raise RuntimeError(
                f"group {group}: {top} top-level resources and {record_sets} record sets, want "
                f"{1 + split.vnets} and {expected_outputs(n)['recordSets']}"
            )


def az_error(done: subprocess.CompletedProcess[str]) -> str:
    """What az reported: ARM's error as the SDK raised it if az crashed on it, else az's ERROR: line, else the
    last line of stderr."""
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    raised = [line for line in lines if line.startswith("azure.core.exceptions.HttpResponseError:")]
    errors = [line for line in lines if line.startswith("ERROR:") and "unexpected error" not in line]
    found = raised or errors or lines[-1:] or [f"exit status {done.returncode}"]
    return found[0][:400]


def not_yet(operation: str, done: subprocess.CompletedProcess[str]) -> Unavailable:
    message = az_error(done)
    if "InvalidResourceType" in done.stderr and "deployments" in done.stderr:
        return Unavailable(
            f"{operation}: acrlink does not serve Microsoft.Resources/deployments yet (no deployment engine in "
            f"this tree); az said: {message}"
        )
    return Unavailable(f"{operation} failed (exit {done.returncode}): {message}")


def deploy_with_az(world: World, group: str, template: Path, n: int) -> None:
    """(a): az deployment group create; the deployment must succeed with many_resources' outputs."""
    done = world.az("deployment", "group", "create", "-g", group, "-f", str(template), "-o", "json")
    if done.returncode != 0:
        raise not_yet("az deployment group create", done)
    properties = json.loads(done.stdout)["properties"]
    outputs = {k: v["value"] for k, v in (properties.get("outputs") or {}).items()}
    if properties["provisioningState"] != "Succeeded" or outputs != expected_outputs(n):
        raise RuntimeError(f"deployment in {group}: {properties['provisioningState']}, outputs {outputs}")


def what_if_with_az(world: World, group: str, template: Path, n: int) -> dict[str, int]:
    """(c): az deployment group what-if on a group that holds the resources; the change types counted."""
    done = world.az(
        "deployment", "group", "what-if", "-g", group, "-f", str(template), "--no-pretty-print", "-o", "json"
    )
    if done.returncode != 0:
        raise not_yet("az deployment group what-if", done)
    changes = json.loads(done.stdout)["changes"]
    kinds: dict[str, int] = {}
    for change in changes:
        kinds[change["changeType"]] = kinds.get(change["changeType"], 0) + 1
    if len(changes) < n:
        raise RuntimeError(f"what-if listed {len(changes)} changes for {n} resources: {kinds}")
    return kinds


def timed(measure: Measure, pid: int, action: Callable[[], object]) -> None:
    """Run ``action`` and record its wall time and acrlink's CPU; an Unavailable marks the measure."""
    if measure.unavailable:
        return
    before_cpu, started = cpu_seconds(pid), time.perf_counter()
    try:
        action()
    except Unavailable as exc:
        measure.unavailable = str(exc)
        log(f"({measure.label[0]}) unavailable: {exc}")
        return
    measure.seconds.append(time.perf_counter() - started)
    measure.cpu.append(cpu_seconds(pid) - before_cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds (plus one warm-up)")
    parser.add_argument("--resources", type=int, default=200, help="resources in the template (1-800)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (acrlink's log, the template)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    n = args.resources
    az = find_az()
    work = Path(tempfile.mkdtemp(prefix="acrlink-bench-deployments-"))
    process, endpoints = start_acrlink(work)
    status = 0
    try:
        template = work / f"many{n}.json"
        template.write_text(
            "// generated by tests/e2e/templates/generate.py\n" + json.dumps(many_resources(n), indent=2)
        )
        with arm_client(endpoints, timeout=120) as client:
            world = World(endpoints, work / "acrlink", az, client)
            status = run(world, process.pid, template, n, args)
    finally:
        stop(process)
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    raise SystemExit(status)


def run(world: World, pid: int, template: Path, n: int, args: argparse.Namespace) -> int:
    started = time.monotonic()
    a, b = Measure("a  az deployment group create"), Measure("b  direct PUTs, one client")
    c, z = Measure("c  az deployment group what-if"), Measure("z  az group show (az floor)")
    counter = iter(range(1_000_000))

    def round_of(measure: Measure, action: Callable[[str], object]) -> None:
        """``action`` timed on a new group; the group made before, checked and deleted after, untimed."""
        group = f"bench-{next(counter)}"
        world.create_group(group)
        try:
            timed(measure, pid, lambda: action(group))
            if not measure.unavailable:
                world.check_deployed(group, n)
        finally:
            world.delete_group(group)

    # (c) and (z) run on one group that already holds the resources.
    standing = "bench-standing"
    world.create_group(standing)
    world.put_all(standing, n)
    world.check_deployed(standing, n)
    kinds: dict[str, int] = {}

    def what_if() -> None:
        kinds.update(what_if_with_az(world, standing, template, n))

    def floor() -> None:
        done = world.az("group", "show", "-g", standing, "-o", "none")
        if done.returncode != 0:
            raise RuntimeError(f"az group show: {az_error(done)}")

    steps: list[tuple[Measure, Callable[[], None]]] = [
        (a, lambda: round_of(a, lambda g: deploy_with_az(world, g, template, n))),
        (b, lambda: round_of(b, lambda g: world.put_all(g, n))),
        (c, lambda: timed(c, pid, what_if)),
        (z, lambda: timed(z, pid, floor)),
    ]
    log(f"acrlink up, az logged in, {n} resources standing in {time.monotonic() - started:.1f} s; warm-up round")
    for _, step in steps:  # warm-up, not counted
        step()
    for measure in (a, b, c, z):
        measure.seconds.clear()
        measure.cpu.clear()
    for index in range(args.runs):
        for _, step in steps if index % 2 == 0 else list(reversed(steps)):
            step()
        log(f"round {index + 1}/{args.runs} done")
    world.delete_group(standing)
    report([a, b, c, z], kinds, n, args)
    if args.json:
        figures = {
            m.label: {"seconds": m.seconds, "acrlinkCpuSeconds": m.cpu, "unavailable": m.unavailable}
            for m in (a, b, c, z)
        }
        args.json.write_text(json.dumps(figures, indent=2))
    log(f"total {time.monotonic() - started:.0f} s")
    return 2 if a.unavailable or c.unavailable else 0


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def report(measures: list[Measure], kinds: dict[str, int], n: int, args: argparse.Namespace) -> None:
    split = counts(n)
    print(
        f"\nTemplate deployments, {n} resources (1 private DNS zone, {split.vnets} VNets, {split.a} A and "
        f"{split.txt} TXT record sets), {args.runs} interleaved rounds; az, the client and acrlink share "
        f"{os.cpu_count()} cores"
    )
    print(f"{'operation':34} {'median s':>9} {'min-max s':>13} {'acrlink CPU-s':>14} {'ms/resource':>12}")
    for m in measures:
        if m.unavailable:
            print(f"{m.label:34} {'unavailable':>9}")
            continue
        median = statistics.median(m.seconds)
        per = f"{median / n * 1000:12.1f}" if m.label[0] in "abc" else f"{'':12}"
        print(f"{m.label:34} {median:9.2f} {spread(m.seconds):>13} {statistics.median(m.cpu):14.2f} {per}")
    a, b, c, z = measures
    if not a.unavailable:
        ratio = statistics.median(a.seconds) / statistics.median(b.seconds)
        pairs = sorted(x / y for x, y in zip(a.seconds, b.seconds, strict=True))
        floor = statistics.median(z.seconds)
        print(
            f"a/b (engine overhead): {ratio:.2f}x (per round min/median/max {pairs[0]:.2f}/"
            f"{statistics.median(pairs):.2f}/{pairs[-1]:.2f}); without az's floor: "
            f"{(statistics.median(a.seconds) - floor) / statistics.median(b.seconds):.2f}x"
        )
    if not c.unavailable:
        print(f"what-if change types: {', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}")
    for m in (a, c):
        if m.unavailable:
            print(f"UNAVAILABLE: {m.unavailable}")


if __name__ == "__main__":
    main()
