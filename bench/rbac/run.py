"""What Azure RBAC costs: ARM GETs/s and manifest GETs/s with 1,000 role assignments in the world, against
the same acrlink before authorisation existed, in the same run.

Run: .venv/bin/python bench/rbac/run.py [--baseline-rev REV] [--assignments N] [--rounds N] [--seconds N]
(README.md next to this file)

Two acrlink processes (``acrlink up`` in the foreground, request logging on): this tree, and ``--baseline-rev``
(default: the commit before RBAC) checked out as a git worktree in the work directory and run with the same
interpreter. Both get a Premium registry holding one image. This tree also gets ``--assignments`` role
assignments made through its ARM API (random principals; AcrPull, Reader and Contributor at subscription,
group and registry scope) plus Reader on the registry for the principal whose token the ARM rows use (baseline:
the same client id, which acrlink let do anything then).

Then ``--rounds`` interleaved rounds (the order alternating) of ``wrk`` for ``--seconds`` each:

  - **ARM GETs/s**: ``GET`` of the registry (``az acr show``) with that principal's Entra token;
  - **manifest GETs/s**: ``GET /v2/bench/manifests/v1`` with a pull token from ACR's token service, got through
    ``/oauth2/exchange`` with the principal's Entra token (``az acr login``'s path).

Printed: medians, min-max, and this tree / baseline with its spread (target: at least 0.91, authorisation adding
under 10%). It asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py (run as a script)
from common import log, start_acrlink, stop

REPO_ROOT = Path(__file__).resolve().parents[2]
REGISTRY, GROUP, REPOSITORY = "benchrbac1", "benchrbac", "bench"
ACR_API = "2023-07-01"
AUTH_API = "2022-04-01"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ROLES = ("7f951dda-4ed3-4680-a7ca-43fe172d538d", READER, "b24988ac-6180-42a0-ab88-20f7382dd24c")
PRINCIPAL = "6b1c2a4e-0f5d-4c38-9d61-5a7e9c3b2f10"
"""The client id whose tokens the measured requests carry."""
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


class World:
    """One acrlink process and what the measurements need from it."""

    def __init__(self, label: str, work: Path, source: Path) -> None:
        self.label = label
        (work / label).mkdir()
        self.process, self.endpoints = start_acrlink(work / label, env={"PYTHONPATH": str(source / "src")})
        self.ca = self.endpoints["ca"]
        self.login = f"{REGISTRY}.{self.endpoints.get('acrSuffix', 'azurecr.cn')}"
        self.results: dict[str, list[float]] = {}

    def token(self, client_id: str, audience: str) -> str:
        answer = httpx.post(
            f"{self.endpoints['arm']}/{self.endpoints['tenantId']}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": "x",
                  "scope": f"{audience}/.default"},
            verify=self.ca, trust_env=False, timeout=30,
        )  # fmt: skip
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def owner(self) -> httpx.Client:
        client_id = self.endpoints.get("clientId", "bench")
        token = self.token(client_id, "https://management.chinacloudapi.cn")
        return httpx.Client(
            base_url=self.endpoints["arm"], verify=self.ca, trust_env=False, timeout=60,
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip

    @property
    def registry_id(self) -> str:
        sub = self.endpoints["subscriptionId"]
        group = f"/subscriptions/{sub}/resourceGroups/{GROUP}"
        return f"{group}/providers/Microsoft.ContainerRegistry/registries/{REGISTRY}"

    def record(self, metric: str, value: float) -> None:
        self.results.setdefault(metric, []).append(value)


def prepare(world: World) -> str:
    """The group, a Premium registry with the admin user, and one image pushed with the admin credentials;
    returns the admin password."""
    with world.owner() as arm:
        sub = world.endpoints["subscriptionId"]
        arm.put(
            f"/subscriptions/{sub}/resourceGroups/{GROUP}?api-version=2022-09-01", json={"location": "chinanorth2"}
        ).raise_for_status()
        body = {"location": "chinanorth2", "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": True}}
        arm.put(f"{world.registry_id}?api-version={ACR_API}", json=body).raise_for_status()
        answer = arm.post(f"{world.registry_id}/listCredentials?api-version={ACR_API}")
        answer.raise_for_status()
        password = str(answer.json()["passwords"][0]["value"])
    push_image(world, password)
    return password


def registry_client(world: World) -> httpx.Client:
    port = world.endpoints["registry"].rsplit(":", 1)[1]
    return httpx.Client(
        base_url=f"https://127.0.0.1:{port}", verify=world.ca, trust_env=False, timeout=30,
        headers={"Host": world.login},
    )  # fmt: skip


def push_image(world: World, password: str) -> None:
    with registry_client(world) as registry:
        answer = registry.post("/oauth2/token", data={
            "grant_type": "password", "service": world.login, "username": REGISTRY, "password": password,
            "scope": f"repository:{REPOSITORY}:pull,push"})  # fmt: skip
        answer.raise_for_status()
        registry.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        descriptors = []
        for content in (b"{}", b"layer bytes for the rbac benchmark"):
            digest = "sha256:" + hashlib.sha256(content).hexdigest()
            start = registry.post(f"/v2/{REPOSITORY}/blobs/uploads/")
            start.raise_for_status()
            location = start.headers["location"]
            glue = "&" if "?" in location else "?"
            done = registry.put(
                f"{location}{glue}digest={digest}",
                content=content,
                headers={"Content-Type": "application/octet-stream"},
            )
            done.raise_for_status()
            descriptors.append(
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": len(content)}
            )
        manifest = {
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {**descriptors[0], "mediaType": "application/vnd.oci.image.config.v1+json"},
            "layers": [descriptors[1]],
        }  # fmt: skip
        registry.put(
            f"/v2/{REPOSITORY}/manifests/v1", content=json.dumps(manifest), headers={"Content-Type": OCI_MANIFEST}
        ).raise_for_status()


def seed_assignments(world: World, count: int) -> None:
    """``count`` role assignments through the ARM API, and Reader on the registry for the measured principal."""
    sub = world.endpoints["subscriptionId"]
    tenant = world.endpoints["tenantId"]
    scopes = [f"/subscriptions/{sub}", f"/subscriptions/{sub}/resourceGroups/{GROUP}", world.registry_id]
    chooser = random.Random(7)
    with world.owner() as arm:
        for index in range(count):
            scope = scopes[index % len(scopes)]
            role = ROLES[chooser.randrange(len(ROLES))]
            assign(arm, scope, str(uuid.UUID(int=chooser.getrandbits(128), version=4)), role, sub)
        principal = principal_object_id(tenant, PRINCIPAL)
        assign(arm, world.registry_id, principal, READER, sub)


def principal_object_id(tenant: str, client_id: str) -> str:
    from acrlink.domain.principals import object_id

    return object_id(tenant, client_id)


def assign(arm: httpx.Client, scope: str, principal: str, role: str, sub: str) -> None:
    body = {"properties": {
        "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}",
        "principalId": principal, "principalType": "ServicePrincipal"}}  # fmt: skip
    answer = arm.put(
        f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}?api-version={AUTH_API}", json=body
    )
    if answer.status_code not in (200, 201, 409):
        raise RuntimeError(f"role assignment refused: {answer.status_code} {answer.text}")


def pull_token(world: World) -> str:
    """``az acr login``'s path: the principal's Entra token for the registry, exchanged, then a pull token."""
    entra = world.token(PRINCIPAL, "https://containerregistry.azure.net")
    with registry_client(world) as registry:
        refresh = registry.post("/oauth2/exchange", data={
            "grant_type": "access_token", "service": world.login, "tenant": world.endpoints["tenantId"],
            "access_token": entra})  # fmt: skip
        refresh.raise_for_status()
        access = registry.post("/oauth2/token", data={
            "grant_type": "refresh_token", "service": world.login, "refresh_token": refresh.json()["refresh_token"],
            "scope": f"repository:{REPOSITORY}:pull"})  # fmt: skip
        access.raise_for_status()
        token = str(access.json()["access_token"])
        check = registry.get(
            f"/v2/{REPOSITORY}/manifests/v1", headers={"Authorization": f"Bearer {token}", "Accept": OCI_MANIFEST}
        )
        if check.status_code != 200:
            raise RuntimeError(f"{world.label}: the pull token does not pull ({check.status_code} {check.text})")
        return token


def wrk(url: str, headers: list[str], seconds: int, connections: int) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s"]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(out)
    return float(match.group(1))


def measure(world: World, arm_token: str, pull: str, seconds: int, connections: int) -> None:
    arm_url = f"{world.endpoints['arm']}{world.registry_id}?api-version={ACR_API}"
    world.record("ARM GETs/s", wrk(arm_url, [f"Authorization: Bearer {arm_token}"], seconds, connections))
    port = world.endpoints["registry"].rsplit(":", 1)[1]
    manifest_url = f"https://127.0.0.1:{port}/v2/{REPOSITORY}/manifests/v1"
    headers = [f"Host: {world.login}", f"Authorization: Bearer {pull}", f"Accept: {OCI_MANIFEST}"]
    world.record("manifest GETs/s", wrk(manifest_url, headers, seconds, connections))


def baseline_tree(work: Path, revision: str) -> Path:
    tree = work / "baseline-tree"
    subprocess.run(
        ["git", "-C", str(REPO_ROOT), "worktree", "add", "--detach", str(tree), revision],
        check=True,
        capture_output=True,
    )
    return tree


def report(worlds: list[World]) -> None:
    current, baseline = worlds
    print(f"{'metric':18} {'baseline (median, min-max)':32} {'this tree (median, min-max)':32} ratio (spread)")
    for metric in current.results:
        mine, theirs = current.results[metric], baseline.results[metric]
        ratios = [a / b for a, b in zip(mine, theirs, strict=True)]
        print(
            f"{metric:18} {_spread(theirs):32} {_spread(mine):32} "
            f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})"
        )
    print("target: ratio >= 0.91 (authorisation adds under 10%)")


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.0f} ({min(values):.0f}-{max(values):.0f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-rev", default="b8b29b8", help="the tree to compare with (the commit before RBAC)")
    parser.add_argument("--assignments", type=int, default=1000, help="role assignments in this tree's world (1000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk run (5)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="acrlink-bench-rbac-"))
    worlds: list[World] = []
    tree: Path | None = None
    try:
        tree = baseline_tree(work, options.baseline_rev)
        worlds = [World("current", work, REPO_ROOT), World("baseline", work, tree)]
        tokens: dict[str, tuple[str, str]] = {}
        for world in worlds:
            prepare(world)
            if world.label == "current":
                log(f"seeding {options.assignments} role assignments")
                seed_assignments(world, options.assignments)
            arm_token = world.token(PRINCIPAL, "https://management.chinacloudapi.cn")
            tokens[world.label] = (arm_token, pull_token(world))
        for index in range(options.rounds):
            order = worlds if index % 2 == 0 else worlds[::-1]
            for world in order:
                log(f"round {index + 1}: {world.label}")
                measure(world, *tokens[world.label], options.seconds, options.connections)
        report(worlds)
        return 0
    finally:
        for world in worlds:
            stop(world.process)
        if tree is not None:
            subprocess.run(
                ["git", "-C", str(REPO_ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True
            )
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    sys.exit(main())
