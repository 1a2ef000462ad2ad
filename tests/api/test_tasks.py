"""ACR Tasks in-process: the blob face's SAS checks and Blob Storage answers, the runs API's shapes as az 2.91
reads them (TASKS-REFERENCE §1, §3), bad input, and the build agent's failures that need no buildah."""

from __future__ import annotations

import base64
import io
import tarfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from acrlink.app import TlsFiles, build, build_tasks
from acrlink.domain import sas
from acrlink.ids import ResourceRef, parse_resource_id
from acrlink.resources import runs
from acrlink.services import tasks_endpoint
from acrlink.settings import Settings
from acrlink.tasks.agent import Agent, AgentSettings, Log
from acrlink.tasks.azure_blobs import AzureTaskBlobs
from acrlink.tasks.blobface import BlobFace
from acrlink.tasks.blobs import FileTaskBlobs
from tests.api.conftest import Arm, AsgiClient, error_code, make_arm

TASKS_API = "2025-03-01-preview"
KEY = b"k" * 32
NAME = sas.BlobName(sas.ACCOUNT, "reg", "source/1/ctx.tar.gz")


@pytest.fixture
def blobs(tmp_path: Path) -> tuple[AsgiClient, FileTaskBlobs]:
    files = FileTaskBlobs(tmp_path / "blobs")
    return AsgiClient(BlobFace(files, KEY).app(), {}), files


def url(name: sas.BlobName, permissions: str, expiry: datetime | None = None) -> str:
    query = sas.sign(KEY, name, permissions, expiry or datetime.now(UTC) + timedelta(hours=1))
    return f"/{name.account}/{name.container}/{name.blob}?{query}"


def put(client: AsgiClient, target: str, data: bytes) -> httpx.Response:
    headers = {"x-ms-blob-type": "BlockBlob", "Content-Type": "application/octet-stream"}
    return client.request("PUT", target, content=data, headers=headers)


def test_put_blob_then_properties_and_ranges(blobs: tuple[AsgiClient, FileTaskBlobs]) -> None:
    client, files = blobs
    created = put(client, url(NAME, "cw"), b"0123456789")
    assert created.status_code == 201 and created.headers["etag"]
    head = client.request("HEAD", url(NAME, "r"))
    assert head.status_code == 200 and head.headers["content-length"] == "10"
    ranged = client.get(url(NAME, "r"), headers={"x-ms-range": "bytes=4-4099"})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == "bytes 4-9/10" and ranged.content == b"456789"
    assert client.get(url(NAME, "r")).content == b"0123456789"
    files.set_metadata(NAME, {"Complete": "successful"})
    assert client.request("HEAD", url(NAME, "r")).headers["x-ms-meta-complete"] == "successful"


def test_a_tampered_sas_is_authentication_failed(blobs: tuple[AsgiClient, FileTaskBlobs]) -> None:
    client, _ = blobs
    good = url(NAME, "cw")
    tampered = good.replace("sp=cw", "sp=rcw")
    answer = put(client, tampered, b"x")
    assert answer.status_code == 403
    assert answer.headers["x-ms-error-code"] == "AuthenticationFailed"
    assert "<Code>AuthenticationFailed</Code>" in answer.text and "Signature did not match" in answer.text
    other_blob = good.replace("ctx.tar.gz", "other.tar.gz")
    assert put(client, other_blob, b"x").status_code == 403
    assert put(client, good.split("?")[0], b"x").headers["x-ms-error-code"] == "AuthenticationFailed"


def test_an_expired_sas_is_authentication_failed(blobs: tuple[AsgiClient, FileTaskBlobs]) -> None:
    client, _ = blobs
    answer = put(client, url(NAME, "cw", datetime.now(UTC) - timedelta(minutes=1)), b"x")
    assert answer.status_code == 403 and answer.headers["x-ms-error-code"] == "AuthenticationFailed"
    assert "Signed expiry time" in answer.text


def test_a_sas_without_the_permission_is_refused(blobs: tuple[AsgiClient, FileTaskBlobs]) -> None:
    client, _ = blobs
    answer = put(client, url(NAME, "r"), b"x")
    assert answer.status_code == 403 and answer.headers["x-ms-error-code"] == "AuthorizationPermissionMismatch"
    assert put(client, url(NAME, "cw"), b"x").status_code == 201
    refused = client.get(url(NAME, "cw"))
    assert refused.status_code == 403 and refused.headers["x-ms-error-code"] == "AuthorizationPermissionMismatch"


def test_missing_blobs_and_headers(blobs: tuple[AsgiClient, FileTaskBlobs]) -> None:
    client, _ = blobs
    missing = client.request("HEAD", url(NAME, "r"))
    assert missing.status_code == 404 and missing.headers["x-ms-error-code"] == "BlobNotFound"
    assert client.request("PUT", url(NAME, "cw"), content=b"x").status_code == 400
    put(client, url(NAME, "cw"), b"abc")
    assert client.get(url(NAME, "r"), headers={"x-ms-range": "bytes=10-20"}).status_code == 416


# The runs API -------------------------------------------------------------------------------------------


@pytest.fixture
def arm(tmp_path: Path) -> Iterator[Arm]:
    for made in make_arm(tmp_path):
        tasks_endpoint.ensure(made.application.store, "https://127.0.0.1:9")
        made.group()
        reg = made.registry_path("buildreg")
        assert made.request("PUT", reg, {"location": "chinanorth2", "sku": {"name": "Standard"}}).status_code in (
            200,
            201,
        )
        yield made


def post(arm: Arm, path: str, body: object = None) -> httpx.Response:
    return arm.request("POST", path, body, api=TASKS_API)


def docker_build(source: str, **extra: object) -> dict[str, object]:
    return {
        "type": "DockerBuildRequest",
        "imageNames": ["app:{{.Run.ID}}"],
        "isPushEnabled": True,
        "sourceLocation": source,
        "dockerFilePath": "Dockerfile",
        "platform": {"os": "linux", "architecture": "amd64"},
        "arguments": [{"type": "Argument", "name": "A", "value": "1", "isSecret": False}],
        "credentials": {},
        **extra,
    }


def test_upload_url_schedule_and_the_run_shapes(arm: Arm) -> None:
    reg = arm.registry_path("buildreg")
    upload = post(arm, f"{reg}/listBuildSourceUploadUrl")
    assert upload.status_code == 200
    body = upload.json()
    assert body["relativePath"].startswith("source/") and body["relativePath"].endswith(".tar.gz")
    parts = urlsplit(body["uploadUrl"])
    assert parts.path == f"/{sas.ACCOUNT}/buildreg/{body['relativePath']}"
    query = parse_qs(parts.query)
    assert query["sr"] == ["b"] and query["sp"] == ["cw"] and query["sig"]

    scheduled = post(arm, f"{reg}/scheduleRun", docker_build(body["relativePath"]))
    assert scheduled.status_code == 200
    run = scheduled.json()
    assert run["name"] == "ca1" and run["type"] == runs.TYPE
    props = run["properties"]
    assert props["runId"] == "ca1" and props["status"] == "Queued" and props["runType"] == "QuickBuild"
    assert props["platform"] == {"os": "Linux", "architecture": "amd64"}
    assert props["outputImages"] == [{"registry": "buildreg.azurecr.cn", "repository": "app", "tag": "ca1"}]
    assert post(arm, f"{reg}/scheduleRun", docker_build(body["relativePath"])).json()["name"] == "ca2"

    listed = arm.request("GET", f"{reg}/runs", api=TASKS_API).json()
    assert [r["name"] for r in listed["value"]] == ["ca2", "ca1"]
    top = arm.client.get(arm.url(f"{reg}/runs", TASKS_API) + "&$top=1").json()
    assert [r["name"] for r in top["value"]] == ["ca2"] and "nextLink" not in top
    got = arm.request("GET", f"{reg}/runs/ca1", api=TASKS_API)
    assert got.status_code == 200 and got.json()["properties"]["runId"] == "ca1"

    patched = arm.request("PATCH", f"{reg}/runs/ca1", {"isArchiveEnabled": True}, api=TASKS_API)
    assert patched.status_code == 200 and patched.json()["properties"]["isArchiveEnabled"] is True

    log_link = post(arm, f"{reg}/runs/ca1/listLogSasUrl").json()["logLink"]
    assert urlsplit(log_link).path == f"/{sas.ACCOUNT}/buildreg/logs/ca1/rawtext.log"
    assert parse_qs(urlsplit(log_link).query)["sp"] == ["r"]

    canceled = post(arm, f"{reg}/runs/ca2/cancel")
    assert canceled.status_code == 200
    assert arm.request("GET", f"{reg}/runs/ca2", api=TASKS_API).json()["properties"]["status"] == "Canceled"
    assert post(arm, f"{reg}/runs/ca2/cancel").status_code == 409
    filtered = arm.client.get(arm.url(f"{reg}/runs", TASKS_API) + "&$filter=Status eq 'Canceled'").json()
    assert [r["name"] for r in filtered["value"]] == ["ca2"]


def test_bad_run_requests(arm: Arm) -> None:
    reg = arm.registry_path("buildreg")
    assert error_code(post(arm, f"{reg}/scheduleRun", {"type": "SomethingRequest"})) == "InvalidRunRequestType"
    assert error_code(post(arm, f"{reg}/scheduleRun", docker_build(""))) == "InvalidSourceLocation"
    windows = docker_build("source/x.tar.gz", platform={"os": "windows"})
    assert error_code(post(arm, f"{reg}/scheduleRun", windows)) == "InvalidPlatform"
    assert post(arm, f"{reg}/scheduleRun", ["not", "an", "object"]).status_code == 400
    assert arm.request("PUT", f"{reg}/runs/ca9", {}, api=TASKS_API).status_code == 400
    assert arm.request("GET", f"{reg}/runs/ca9", api=TASKS_API).status_code == 404
    assert arm.request("PATCH", f"{reg}/runs/ca9", {}, api=TASKS_API).status_code == 404


# The agent's own failures -------------------------------------------------------------------------------


def tarball(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        tar.addfile(_dir("/"))
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def _dir(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info


def run_to_end(arm: Arm, tmp_path: Path, context: bytes, buildah: str = "buildah") -> tuple[str, str]:
    """Upload ``context``, schedule a build, let an agent run it: (final status, log text)."""
    store = arm.application.store
    files = FileTaskBlobs(tmp_path / "agent-blobs")
    reg = arm.registry_path("buildreg")
    relative = post(arm, f"{reg}/listBuildSourceUploadUrl").json()["relativePath"]
    files.put(sas.BlobName(sas.ACCOUNT, "buildreg", relative), context)
    run_id = post(arm, f"{reg}/scheduleRun", docker_build(relative)).json()["name"]
    settings = AgentSettings("http://127.0.0.1:9", tmp_path / "ca.pem", tmp_path / "work", 2, buildah)
    agent = Agent(store, files, settings, lambda *_: "")
    agent._dispatch()
    status = ""
    deadline = time.monotonic() + 60  # a loaded machine (a full parallel run) took more than 5 s
    while time.monotonic() < deadline:
        status = arm.request("GET", f"{reg}/runs/{run_id}", api=TASKS_API).json()["properties"]["status"]
        if status in runs.TERMINAL:
            break
        time.sleep(0.05)
    log_name = runs.log_blob(registry_ref(arm), run_id)
    props = files.properties(log_name)
    while (props is None or "Complete" not in props.metadata) and time.monotonic() < deadline:
        time.sleep(0.05)  # the agent marks the log complete just after the run's status (az waits for both)
        props = files.properties(log_name)
    assert props is not None and props.metadata.get("Complete") == "failed"
    return status, files.read(log_name, 0, props.size - 1).decode()


def registry_ref(arm: Arm) -> ResourceRef:
    ref = parse_resource_id(arm.sub_id(arm.registry_path("buildreg")))
    assert ref is not None
    return ref


def test_a_context_without_its_dockerfile_fails_the_run(arm: Arm, tmp_path: Path) -> None:
    status, text = run_to_end(arm, tmp_path, tarball({"app.txt": b"no dockerfile here"}))
    assert status == "Failed"
    assert "unable to find the Dockerfile 'Dockerfile' in the build context" in text
    assert text.endswith("\r\n") and "Run ID: ca1 failed after" in text


def test_a_context_leaving_its_root_fails_the_run(arm: Arm, tmp_path: Path) -> None:
    status, text = run_to_end(arm, tmp_path, tarball({"../escape": b"x", "Dockerfile": b"FROM scratch\n"}))
    assert status == "Failed" and "a path outside it" in text


def test_without_buildah_the_log_says_how_to_install_it(arm: Arm, tmp_path: Path) -> None:
    status, text = run_to_end(arm, tmp_path, tarball({"Dockerfile": b"FROM scratch\n"}), "no-such-buildah")
    assert status == "Failed" and "apt-get install -y buildah" in text


def test_a_run_a_restart_interrupted_ends_failed(arm: Arm, tmp_path: Path) -> None:
    reg = arm.registry_path("buildreg")
    run_id = post(arm, f"{reg}/scheduleRun", docker_build("source/x.tar.gz")).json()["name"]
    store = arm.application.store
    key = registry_ref(arm).child("runs", run_id).key
    files = FileTaskBlobs(tmp_path / "agent-blobs")
    settings = AgentSettings("http://127.0.0.1:9", tmp_path / "ca.pem", tmp_path / "work")
    agent = Agent(store, files, settings, lambda *_: "", arm.application.leases)
    assert agent._set(key, "Queued", status="Running")
    second = build(Settings(data_dir=arm.application.settings.data_dir))  # another process over the store
    try:
        restarted = Agent(second.store, files, settings, lambda *_: "", second.leases)
        assert restarted.recover() == 0, "the first process's lease is fresh: its run is its own"
        assert arm.request("GET", f"{reg}/runs/{run_id}", api=TASKS_API).json()["properties"]["status"] == "Running"
        assert restarted.recover(now=time.time() + 60) == 1, "once that lease expired the run is an orphan"
    finally:
        second.store.close()
    props = arm.request("GET", f"{reg}/runs/{run_id}", api=TASKS_API).json()["properties"]
    assert props["status"] == "Failed" and props["finishTime"]
    log_text = files.read(runs.log_blob(registry_ref(arm), run_id), 0, 1 << 20).decode()
    assert "acrlink restarted while this run was going" in log_text


def test_runs_beyond_the_concurrency_wait_queued(arm: Arm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = arm.registry_path("buildreg")
    for _ in range(3):
        post(arm, f"{reg}/scheduleRun", docker_build("source/x.tar.gz"))
    release = threading.Event()
    monkeypatch.setattr(Agent, "_run", lambda self, record: release.wait(5))
    settings = AgentSettings("http://127.0.0.1:9", tmp_path / "ca.pem", tmp_path / "work", concurrency=2)
    agent = Agent(arm.application.store, FileTaskBlobs(tmp_path / "b"), settings, lambda *_: "")
    agent._dispatch()
    agent._dispatch()
    statuses = {
        r["name"]: r["properties"]["status"] for r in arm.request("GET", f"{reg}/runs", api=TASKS_API).json()["value"]
    }
    release.set()
    assert statuses == {"ca1": "Started", "ca2": "Started", "ca3": "Queued"}


def test_no_push_and_quick_run_requests(arm: Arm) -> None:
    reg = arm.registry_path("buildreg")
    no_push = post(arm, f"{reg}/scheduleRun", docker_build("source/x.tar.gz", isPushEnabled=False)).json()
    assert "outputImages" not in no_push["properties"]
    yaml = (
        "version: v1.1.0\nsteps: \n  - cmd: mcr.microsoft.com/hello-world\n    disableWorkingDirectoryOverride: true\n"
    )
    body = {"type": "EncodedTaskRunRequest", "encodedTaskContent": base64.b64encode(yaml.encode()).decode(),
            "values": [], "platform": {"os": "linux", "architecture": "amd64"}, "credentials": {}}  # fmt: skip
    run = post(arm, f"{reg}/scheduleRun", body).json()
    assert run["properties"]["runType"] == "QuickRun" and run["properties"]["status"] == "Queued"
    assert error_code(post(arm, f"{reg}/scheduleRun", {**body, "encodedTaskContent": ""})) == "InvalidTaskContent"


def test_agent_pools_are_premium_in_an_existing_subnet_and_a_host_there(arm: Arm, tmp_path: Path) -> None:
    reg = arm.registry_path("buildreg")
    refused = arm.request(
        "PUT", f"{reg}/agentPools/pool1", {"location": "chinanorth2", "properties": {}}, api=TASKS_API
    )
    assert refused.status_code == 400 and "Premium" in refused.json()["error"]["message"]
    premium = arm.registry_path("premreg")
    arm.request("PUT", premium, {"location": "chinanorth2", "sku": {"name": "Premium"}})
    vnet = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1"
    body = {"location": "chinanorth2", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
            "subnets": [{"name": "agents", "properties": {"addressPrefix": "10.1.2.0/24"}}]}}  # fmt: skip
    assert arm.request("PUT", vnet, body).status_code in (200, 201)
    subnet = arm.sub_id(f"{vnet}/subnets/agents")
    missing = {"location": "chinanorth2", "properties": {"virtualNetworkSubnetResourceId": subnet + "x"}}
    assert error_code(arm.request("PUT", f"{premium}/agentPools/pool1", missing, api=TASKS_API)) == "InvalidSubnet"
    good = {"location": "chinanorth2", "properties": {"tier": "s2", "virtualNetworkSubnetResourceId": subnet}}
    made = arm.request("PUT", f"{premium}/agentPools/pool1", good, api=TASKS_API)
    assert made.status_code in (200, 201)
    props = made.json()["properties"]
    assert props == {"count": 1, "tier": "S2", "os": "Linux", "provisioningState": "Succeeded",
                     "virtualNetworkSubnetResourceId": subnet}  # fmt: skip
    host = arm.application.graphs.current().hosts["agentpool-premreg-pool1"]
    assert host.private_ip == "10.1.2.254" and (host.vnet_id or "").endswith("/virtualnetworks/v1")
    assert host.identity is not None and host.identity.tenant_id == arm.application.tenancy.world.tenant_id
    again = arm.application.graphs.current().hosts["agentpool-premreg-pool1"].identity
    assert again == host.identity, "the same for the pool's life"
    queue = post(arm, f"{premium}/agentPools/pool1/listQueueStatus")
    assert queue.status_code == 200 and queue.json() == {"count": 0}
    unknown = post(arm, f"{premium}/scheduleRun", docker_build("source/x.tar.gz", agentPoolName="nope"))
    assert error_code(unknown) == "AgentPoolNotFound"
    queued = post(arm, f"{premium}/scheduleRun", docker_build("source/x.tar.gz", agentPoolName="pool1")).json()
    assert queued["properties"]["agentPoolName"] == "pool1"
    assert post(arm, f"{premium}/agentPools/pool1/listQueueStatus").json() == {"count": 1}


def test_a_deleted_agent_pool_reads_as_deleting_then_is_gone(arm: Arm, monkeypatch: pytest.MonkeyPatch) -> None:
    """az's ``agentpool delete`` GETs the pool right after its DELETE and polls until 404: the pool stays
    readable as ``Deleting`` for a while, then is gone; creating it again starts afresh."""
    from acrlink import unconfirmed

    premium = arm.registry_path("delpoolreg")
    arm.request("PUT", premium, {"location": "chinanorth2", "sku": {"name": "Premium"}})
    pool = f"{premium}/agentPools/pool1"
    assert arm.request("PUT", pool, {"location": "chinanorth2", "properties": {}}, api=TASKS_API).status_code in (
        200,
        201,
    )
    assert arm.request("DELETE", pool, api=TASKS_API).status_code == 202
    shown = arm.request("GET", pool, api=TASKS_API)
    assert shown.status_code == 200 and shown.json()["properties"]["provisioningState"] == "Deleting"
    assert arm.request("PUT", pool, {"location": "chinanorth2", "properties": {}}, api=TASKS_API).status_code in (
        200,
        201,
    )
    assert arm.request("GET", pool, api=TASKS_API).json()["properties"]["provisioningState"] == "Succeeded"
    monkeypatch.setattr(unconfirmed, "AGENT_POOL_DELETING_SECONDS", 0)
    assert arm.request("DELETE", pool, api=TASKS_API).status_code == 202
    assert arm.request("GET", pool, api=TASKS_API).status_code == 404


def test_an_agent_pool_created_again_has_a_new_identity(arm: Arm) -> None:
    """As a VM created again gets a new system-assigned identity, so does a pool (its agents' identity)."""
    from acrlink.resources.agent_pools import pool_identity

    pool = {"id": arm.sub_id(arm.registry_path("idreg")) + "/agentPools/pool1",
            "systemData": {"createdAt": "2026-12-01T10:00:00.0000000Z"}}  # fmt: skip
    with arm.application.store.transaction() as tx:
        first = pool_identity(tx, pool)
        same = pool_identity(tx, dict(pool))
        again = pool_identity(tx, {**pool, "systemData": {"createdAt": "2026-12-01T11:00:00.0000000Z"}})
    assert first is not None and first == same
    assert again is not None and again.principal_id != first.principal_id


# Tasks across processes of one store ------------------------------------------------------------------------

FRONT_DOOR = "https://127.0.0.1:17004"


def _process(directory: Path, shared: Path, **extra: object) -> Iterator[Arm]:
    """An application as one process of a cluster: its own data dir, the shared store and blob store."""
    return make_arm(
        directory,
        store_url=f"sqlite://{shared / 'acrlink.db'}",
        blob_store_url=f"file://{shared / 'blobs'}",
        **extra,
    )


def _tasks(arm: Arm, own_url: str) -> tuple[AsgiClient, Agent]:
    tls = TlsFiles(*(arm.application.settings.data_dir / n for n in ("ca", "b", "c", "k", "rc", "rk")))
    face, agent = build_tasks(arm.application, own_url, "http://127.0.0.1:9", tls)
    return AsgiClient(face.app(), {}), agent


def test_a_run_queued_through_one_process_is_built_by_another_and_its_log_read_on_either(tmp_path: Path) -> None:
    """Two processes on one store and one blob store: the SAS URLs name the front door (``public_blob_url``),
    the context az uploads through process A is what process B's agent unpacks, and B's log reads on A."""
    shared = tmp_path / "shared"
    first, second = _process(tmp_path / "a", shared, public_blob_url=FRONT_DOOR), _process(tmp_path / "b", shared)
    a, b = next(first), next(second)
    try:
        face_a, _ = _tasks(a, "https://127.0.0.1:1")
        _, agent_b = _tasks(b, "https://127.0.0.1:2")
        tasks_endpoint.ensure(b.application.store, FRONT_DOOR)  # b started with --public-blob-url too
        a.group()
        reg = a.registry_path("buildreg")
        assert a.request("PUT", reg, {"location": "chinanorth2", "sku": {"name": "Standard"}}).status_code in (200, 201)
        upload = post(a, f"{reg}/listBuildSourceUploadUrl").json()
        assert upload["uploadUrl"].startswith(f"{FRONT_DOOR}/"), upload
        target = urlsplit(upload["uploadUrl"])
        assert put(face_a, f"{target.path}?{target.query}", tarball({"app.txt": b"no dockerfile"})).status_code == 201
        run_id = post(a, f"{reg}/scheduleRun", docker_build(upload["relativePath"])).json()["name"]
        agent_b._dispatch()
        status = ""
        for _ in range(200):
            status = b.request("GET", f"{reg}/runs/{run_id}", api=TASKS_API).json()["properties"]["status"]
            if status in runs.TERMINAL:
                break
            time.sleep(0.05)
        assert status == "Failed"
        log_sas = post(a, f"{reg}/runs/{run_id}/listLogSasUrl").json()["logLink"]
        assert log_sas.startswith(f"{FRONT_DOOR}/")
        log_url = urlsplit(log_sas)
        head = face_a.request("HEAD", f"{log_url.path}?{log_url.query}")
        assert head.status_code == 200 and head.headers["x-ms-meta-complete"] == "failed"
        text = face_a.get(f"{log_url.path}?{log_url.query}").text
        assert "unable to find the Dockerfile 'Dockerfile'" in text, "B unpacked the context A took"
        assert "was not uploaded" not in text
    finally:
        next(second, None)
        next(first, None)


def test_an_unreachable_blob_backend_is_503_server_busy_and_costs_the_agent_only_log_lines(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from tests.servers import azurite as servers

    own = servers.start(tmp_path_factory.mktemp("azurite-face-down"))
    try:
        files = AzureTaskBlobs(own.connection_string, "facedown", retries=0)
    finally:
        servers.stop(own)
    client = AsgiClient(BlobFace(files, KEY).app(), {})
    try:
        for method in ("HEAD", "GET"):
            answer = client.request(method, url(NAME, "r"))
            assert answer.status_code == 503 and answer.headers["x-ms-error-code"] == "ServerBusy"
            assert answer.headers["retry-after"]
        refused = put(client, url(NAME, "cw"), b"context")
        assert refused.status_code == 503 and refused.headers["retry-after"]
        # The agent's log during the outage: lines are lost, the run is not (no exception reaches it).
        run_log = Log(files, sas.BlobName(sas.ACCOUNT, "reg", "logs/ca1/rawtext.log"))
        run_log.CLOSE_ATTEMPTS = 2
        run_log.CLOSE_PAUSE = 0.0
        run_log.line("a line nobody will read")
        run_log.close("failed")
    finally:
        files.close()
