"""In-process figures for the deployment engine, without az, HTTP or TLS: what the template language costs per
resource, and the engine's create, validate and what-if against the same resources PUT through the ARM
face's handlers directly (the reference: what the resources cost with no engine at all).

    .venv/bin/python bench/deployments/engine.py [--runs 7] [--resources 200]

Each round builds a fresh application in a temporary data dir (SQLite on disk, as ``acrlink up`` has it)
and times, interleaved: (p) planning the template (parameters, variables, copy loops, names, dependencies)
plus evaluating every resource body (the expression evaluator's whole cost, no ARM request); (d) the
direct PUTs through ``ArmFace.call``; (c) the engine's create and run; (v) validate (a rehearsal on an
in-memory fork); (w) what-if (a rehearsal plus the before/after comparison) over the deployed group.
Prints medians with min-max, microseconds per resource, and c/d.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "e2e" / "templates"))

from generate import direct_requests, many_resources  # noqa: E402

from acrlink.app import Application, build  # noqa: E402
from acrlink.arm.auth import Principal  # noqa: E402
from acrlink.services import deployments as records  # noqa: E402
from acrlink.services.deployment_run import resource_body  # noqa: E402
from acrlink.services.deployment_scope import Target  # noqa: E402
from acrlink.settings import Settings  # noqa: E402

PRINCIPAL = Principal("00000000-0000-0000-0000-00000000beef", "bench")


def fresh() -> tuple[Application, str]:
    application = build(Settings(data_dir=Path(tempfile.mkdtemp(prefix="acrlink-bench-engine-"))))
    subscription = application.tenancy.world.default_subscription
    application.arm.call("PUT", f"/subscriptions/{subscription}/resourcegroups/rg", "2025-04-01",
                         {"location": "chinanorth2"}, PRINCIPAL)  # fmt: skip
    return application, subscription


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def one_round(n: int, request: records.DeploymentRequest, reverse: bool) -> dict[str, float]:
    """One fresh application; each step timed once (plan and direct in the given order)."""
    application, subscription = fresh()
    assert application.arm.deployments is not None
    engine = application.arm.deployments.engine
    target = Target(subscription, "rg")
    arm = application.arm
    arm.call("PUT", f"/subscriptions/{subscription}/resourcegroups/direct", "2025-04-01",
             {"location": "chinanorth2"}, PRINCIPAL)  # fmt: skip

    def plan() -> None:
        prepared = engine.prepare(arm, PRINCIPAL, target, "p", request)
        for instance in prepared.plan.instances:
            resource_body(instance)

    def direct() -> None:
        for method, path, sent in direct_requests(n, subscription, "direct"):
            bare, _, version = path.partition("?api-version=")
            assert arm.call(method, bare, version, sent, PRINCIPAL).status < 300

    def create() -> None:
        _, _, job = engine.create(arm, PRINCIPAL, target, "c", request, "bench")
        job()

    steps: list[tuple[str, Callable[[], object]]] = [
        ("p", plan),
        ("d", direct),
        ("c", create),
        ("v", lambda: engine.validate(PRINCIPAL, target, "v", request, "bench")),
        ("w", lambda: engine.what_if(arm, PRINCIPAL, target, "w", request)),
    ]
    if reverse:
        steps[:2] = reversed(steps[:2])
    seconds = {key: timed(step) for key, step in steps}
    application.store.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--resources", type=int, default=200)
    args = parser.parse_args()
    n = args.resources
    body = {"properties": {"mode": "Incremental", "template": many_resources(n)}}
    request = records.parse_request(body, None, "resourceGroup")
    figures: dict[str, list[float]] = {k: [] for k in "pdcvw"}
    for index in range(args.runs + 1):
        seconds = one_round(n, request, reverse=bool(index % 2))
        if index:  # the first round warms caches and is not counted
            for key, value in seconds.items():
                figures[key].append(value)
    labels = {
        "p": "plan + evaluate every body",
        "d": "direct PUTs through the handlers",
        "c": "engine create (run)",
        "v": "validate (fork rehearsal)",
        "w": "what-if (fork + compare)",
    }
    print(f"\nDeployment engine in-process, {n} resources, {args.runs} rounds (medians, min-max)")
    for key, label in labels.items():
        values = figures[key]
        median = statistics.median(values)
        print(f"{label:34} {median:7.3f} s  {min(values):.3f}-{max(values):.3f}  {median / n * 1e6:8.0f} us/resource")
    ratios = sorted(c / d for c, d in zip(figures["c"], figures["d"], strict=True))
    print(
        f"c/d (engine over the bare handlers): {statistics.median(figures['c']) / statistics.median(figures['d']):.2f}x"
        f" (per round min/median/max {ratios[0]:.2f}/{statistics.median(ratios):.2f}/{ratios[-1]:.2f})"
    )


if __name__ == "__main__":
    main()
