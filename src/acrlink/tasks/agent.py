"""The build agent: takes Queued runs from the store and builds them with buildah, writing the run's log blob
as it goes and the run's status, timestamps and output images back to the store.

A build: the uploaded context (a tar.gz, first member ``/``), fetched from the task blobs every process of
the store shares (so any process's agent builds a run queued through any other), is unpacked, refusing ``..``
and links out of it; ``buildah bud --isolation chroot --storage-driver vfs`` builds it with a storage of its
own; each image is pushed with ``buildah push``. Both go through acrlink's proxy as the Tasks agent host
(``TASKS_HOST``), so base-image pulls and pushes meet the registry's firewall like any client, and log in
with a refresh token the token service issues for the principal who scheduled the run. At most
``concurrency`` runs go at once; runs a restart interrupted end Failed with a line saying so.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import shutil
import ssl
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from acrlink.clock import iso
from acrlink.domain.netgraph import TASKS_HOST
from acrlink.domain.sas import ACCOUNT, BlobName
from acrlink.errors import Unavailable
from acrlink.ids import parse_resource_id
from acrlink.outages import OutageLog
from acrlink.resources import runs
from acrlink.resources.agent_pools import agent_host
from acrlink.services.leases import Leases
from acrlink.store.base import WORLD, Record, Store, StoreUnavailable
from acrlink.tasks import taskfile
from acrlink.tasks.blobs import TaskBlobs

log = logging.getLogger("acrlink.tasks")

NULL_USER = "00000000-0000-0000-0000-000000000000"
INSTALL_HINT = (
    "buildah is not installed on this machine: install it (apt-get install -y buildah) and schedule the run again."
)
POLL_SECONDS = 0.3
ACTIVE = ("Started", "Running")
"""A run's statuses while an agent builds it (the run is leased to that agent's process)."""
Credentials = Callable[[str, str, str], str]
"""(registry name, object id, tenant id) -> a refresh token for the run's principal on that registry."""


@dataclass(frozen=True)
class AgentSettings:
    proxy: str
    """``http://127.0.0.1:PORT``: acrlink's proxy."""
    ca: Path
    work: Path
    concurrency: int = 2
    buildah: str = "buildah"


class Failure(Exception):
    """A run that ends Failed; the message is the log's last word."""


class Log:
    """A run's log blob: lines end in CRLF (az flushes at CRLF only); ``close`` sets ``Complete``.

    The blobs' backend may be unreachable for a while (Azure Blob Storage): a line written then is lost (logged
    once per run), never the run itself, which still ends with its status in the store; ``close`` tries
    ``CLOSE_ATTEMPTS`` times, ``CLOSE_PAUSE`` seconds apart, as az's reader waits for ``Complete``."""

    CLOSE_ATTEMPTS = 5
    CLOSE_PAUSE = 1.0

    def __init__(self, files: TaskBlobs, name: BlobName) -> None:
        self._files = files
        self._name = name
        self._lost = False

    def line(self, text: str) -> None:
        """Append one line (CRLF-terminated); dropped while the backend cannot be reached."""
        try:
            self._files.append(self._name, (text.rstrip("\r\n") + "\r\n").encode())
        except StoreUnavailable as away:
            if not self._lost:
                log.warning("run log %s: lines are lost while its blobs cannot be reached: %s", self._name.blob, away)
            self._lost = True

    def close(self, outcome: str) -> None:
        """Mark the log ``Complete`` with the run's outcome (retried while the backend cannot be reached)."""
        for attempt in range(self.CLOSE_ATTEMPTS):
            try:
                self._files.set_metadata(self._name, {"Complete": outcome})
                return
            except StoreUnavailable as away:
                if attempt + 1 == self.CLOSE_ATTEMPTS:
                    log.warning("run log %s could not be marked Complete: %s", self._name.blob, away)
                    return
                time.sleep(self.CLOSE_PAUSE)


def _outcome(status: str) -> str:
    return {"Succeeded": "successful", "Failed": "failed", "Error": "internalerror", "Timeout": "timedout"}.get(
        status, "canceled"
    )


def unpack(archive: Path, into: Path) -> None:
    """Extract a build context: members relative to the root (a leading ``/`` stripped), no ``..``, no links
    leaving the context, no devices."""
    into.mkdir(parents=True, exist_ok=True)
    root = into.resolve()
    with tarfile.open(archive, "r:*") as tar:
        for member in tar.getmembers():
            name = member.name.lstrip("/")
            if not name or name == ".":
                continue
            if ".." in Path(name).parts:
                raise Failure(f"the build context has a path outside it: {member.name}")
            if member.isdev() or member.isfifo():
                continue
            if (member.issym() or member.islnk()) and (
                os.path.isabs(member.linkname) or ".." in Path(member.linkname).parts
            ):
                raise Failure(f"the build context has a link outside it: {member.name} -> {member.linkname}")
            member.name = name
            tar.extract(member, root, filter="fully_trusted")


class Agent:
    def __init__(
        self,
        store: Store,
        files: TaskBlobs,
        settings: AgentSettings,
        credentials: Credentials,
        leases: Leases | None = None,
    ) -> None:
        self._store = store
        self._leases = leases if leases is not None else Leases(store)
        self._files = files
        self._settings = settings
        self._credentials = credentials
        self._active: set[str] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    # Lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        self.recover()
        self._thread = threading.Thread(target=self._loop, name="acrlink-tasks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def recover(self, now: float | None = None) -> int:
        """Runs a process that stopped left Started or Running (their lease expired, or they have none) end
        Failed, with a log line saying why; runs a live process builds are left to it. How many ended."""
        ended = 0
        for record in self._records():
            if record.body["properties"]["status"] not in ACTIVE:
                continue
            with self._store.transaction() as tx:
                taken = self._leases.take_over(tx, record.key, now)
            if taken:
                ended += 1
                registry = _registry_ref(record)
                run_log = Log(self._files, runs.log_blob(registry, record.body["name"]))
                run_log.line("acrlink restarted while this run was going: the run is ended as Failed.")
                self._finish(record.key, "Failed", run_log, "the run was interrupted by a restart of acrlink")
        return ended

    def _records(self) -> list[Record]:
        with self._store.transaction() as tx:
            return tx.query(type=runs.TYPE.lower())

    def _loop(self) -> None:
        outage = OutageLog(log, "the build agent")
        while not self._stopped.wait(POLL_SECONDS):
            try:
                self._dispatch()
                outage.succeeded()
            except Unavailable as away:
                outage.failed(away)
            except Exception:  # noqa: BLE001 - the agent must outlive one bad dispatch; the log has the trace
                log.exception("the build agent's dispatch failed")

    def _dispatch(self) -> None:
        queued = [r for r in self._records() if r.body["properties"]["status"] == "Queued"]
        queued.sort(key=lambda r: r.body["properties"]["createTime"])
        for record in queued:
            with self._lock:
                if len(self._active) >= self._settings.concurrency or record.key in self._active:
                    continue
                self._active.add(record.key)
            if not self._set(record.key, "Queued", status="Started", startTime=iso(datetime.now(UTC))):
                with self._lock:
                    self._active.discard(record.key)
                continue
            threading.Thread(target=self._run, args=(record,), name=f"acrlink-run-{record.body['name']}").start()

    # Store writes ---------------------------------------------------------------------------------------

    def _set(self, key: str, expect: str | None, **props: Any) -> bool:
        """Change a run's properties when its status is ``expect`` (any when None); False otherwise."""
        with self._store.transaction() as tx:
            record = tx.get(key)
            if record is None:
                return False
            current = record.body["properties"]
            if expect is not None and current["status"] != expect:
                return False
            body = {**record.body, "properties": {**current, **props, "lastUpdatedTime": iso(datetime.now(UTC))}}
            if body["properties"]["status"] in ACTIVE:
                self._leases.hold(tx, key)
            else:
                self._leases.drop(tx, key)
            tx.put(Record(record.key, record.type, record.subscription, record.resource_group, record.parent, body))
            tx.changed(WORLD)
        return True

    def _status(self, key: str) -> str:
        with self._store.transaction() as tx:
            record = tx.get(key)
        return record.body["properties"]["status"] if record else "Canceled"

    def _finish(self, key: str, status: str, run_log: Log, error: str = "", **props: Any) -> None:
        now = datetime.now(UTC)
        with self._store.transaction() as tx:
            record = tx.get(key)
        if record is None:
            run_log.close("canceled")
            return
        current = record.body["properties"]["status"]
        if current == "Canceled":
            run_log.line(f"Run ID: {record.body['name']} was canceled.")
            run_log.close("canceled")
            return
        started = record.body["properties"].get("startTime") or record.body["properties"]["createTime"]
        took = max(0, round((now - datetime.fromisoformat(started.replace("Z", "+00:00"))).total_seconds()))
        name = record.body["name"]
        if status == "Succeeded":
            run_log.line(f"Run ID: {name} was successful after {took}s")
        else:
            run_log.line(f"Run ID: {name} failed after {took}s. Error: {error}")
        extra = {"runErrorMessage": error} if error else {}
        self._set(key, None, status=status, finishTime=iso(now), **extra, **props)
        run_log.close(_outcome(status))

    # One run --------------------------------------------------------------------------------------------

    def _run(self, record: Record) -> None:
        registry = _registry_ref(record)
        run_id = record.body["name"]
        run_log = Log(self._files, runs.log_blob(registry, run_id))
        work = Path(tempfile.mkdtemp(prefix=f"run-{run_id}-", dir=self._ensure_work()))
        try:
            with self._store.transaction() as tx:
                private = tx.kv_get(runs.private_key(_ref_of(record))) or {}
            run_log.line(
                f"{datetime.now(UTC):%Y/%m/%d %H:%M:%S} Run {run_id} started on acrlink's build agent (buildah)"
            )
            self._set(record.key, None, status="Running")
            timings = self._build(record, registry.name, private, run_log, work)
            self._finish(record.key, "Succeeded", run_log, **timings)
        except Failure as failed:
            self._finish(record.key, "Failed", run_log, str(failed))
        except Exception as exc:  # noqa: BLE001 - a run must never stay Running: it ends Error, the log has the trace
            log.exception("run %s failed inside acrlink", run_id)
            run_log.line(f"acrlink's build agent failed: {exc}")
            self._finish(record.key, "Error", run_log, f"internal error: {exc}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
            with self._lock:
                self._active.discard(record.key)

    def _ensure_work(self) -> Path:
        self._settings.work.mkdir(parents=True, exist_ok=True)
        return self._settings.work

    def _build(
        self, record: Record, registry: str, private: dict[str, Any], run_log: Log, work: Path
    ) -> dict[str, Any]:
        request = private.get("request") or {}
        if request.get("type") == "EncodedTaskRunRequest":
            return self._quick_run(record, registry, private, run_log, work)
        if request.get("type") != "DockerBuildRequest":
            raise Failure(
                f"acrlink's agent runs DockerBuildRequest and EncodedTaskRunRequest, not {request.get('type')}"
            )
        began = time.monotonic()
        source = BlobName(ACCOUNT, registry.lower(), str(request.get("sourceLocation", "")))
        archive = work / "context.tar.gz"
        if not self._files.fetch(source, archive):
            raise Failure(f"the build context {source.blob} was not uploaded")
        context = work / "context"
        try:
            unpack(archive, context)
        except (tarfile.TarError, OSError) as exc:
            raise Failure(f"the build context is not a readable tar.gz: {exc}") from None
        dockerfile = str(request.get("dockerFilePath") or "Dockerfile")
        if ".." in Path(dockerfile).parts or not (context / dockerfile).is_file():
            raise Failure(f"unable to find the Dockerfile '{dockerfile}' in the build context")
        env = self._prepared(registry, private, run_log, work)
        login_server = str(private["loginServer"])
        run_id = record.body["name"]
        images = [str(n).replace("{{.Run.ID}}", run_id) for n in request.get("imageNames") or []]
        bud = [
            self._settings.buildah, *self._storage(work), "bud", "--isolation", "chroot",
            "--cert-dir", str(env["ACRLINK_CERTS"]), "--signature-policy", str(work / "policy.json"),
            "--authfile", env["REGISTRY_AUTH_FILE"], "-f", str(context / dockerfile),
        ]  # fmt: skip
        for argument in request.get("arguments") or []:
            bud += ["--build-arg", f"{argument.get('name')}={argument.get('value', '')}"]
        platform = record.body["properties"]["platform"]
        bud += [
            "--platform",
            "/".join(p for p in (platform["os"].lower(), platform["architecture"], platform.get("variant")) if p),
        ]
        if request.get("target"):
            bud += ["--target", str(request["target"])]
        local = f"localhost/acrlink-run-{run_id.lower()}:build"
        bud += ["-t", local, str(context)]
        run_log.line(f"Step 1/{1 + len(images) if request.get('isPushEnabled') else 1} : build {dockerfile}")
        build_began = time.monotonic()
        self._command(record.key, bud, env, run_log, "buildah bud")
        build_seconds = time.monotonic() - build_began
        outputs: list[dict[str, str]] = []
        push_seconds = 0.0
        if request.get("isPushEnabled"):
            for image in images:
                repository, _, tag = image.partition(":")
                tag = tag or "latest"
                target = f"docker://{login_server}/{repository}:{tag}"
                digest_file = work / f"digest-{len(outputs)}"
                run_log.line(f"Pushing image: {login_server}/{repository}:{tag}")
                push = [
                    self._settings.buildah, *self._storage(work), "push", "--cert-dir", str(env["ACRLINK_CERTS"]),
                    "--signature-policy", str(work / "policy.json"), "--authfile", env["REGISTRY_AUTH_FILE"],
                    "--digestfile", str(digest_file), local, target,
                ]  # fmt: skip
                push_began = time.monotonic()
                self._command(record.key, push, env, run_log, "buildah push")
                push_seconds += time.monotonic() - push_began
                digest = digest_file.read_text().strip() if digest_file.exists() else ""
                outputs.append({"registry": login_server, "repository": repository, "tag": tag, "digest": digest})
                run_log.line(f"{login_server}/{repository}:{tag}: digest: {digest}")
        total = time.monotonic() - began
        overhead = total - build_seconds - push_seconds
        run_log.line(f"acrlink: build {build_seconds:.2f}s, push {push_seconds:.2f}s, agent overhead {overhead:.2f}s")
        timings = {"buildSeconds": round(build_seconds, 3), "pushSeconds": round(push_seconds, 3),
                   "agentOverheadSeconds": round(overhead, 3)}  # fmt: skip
        return {"outputImages": outputs, "acrlinkTimings": timings} if outputs else {"acrlinkTimings": timings}

    def _prepared(self, registry: str, private: dict[str, Any], run_log: Log, work: Path) -> dict[str, str]:
        """buildah present, logged in to the run's registry (the firewall's word on the agent), its auth file
        written: the environment buildah runs in."""
        if shutil.which(self._settings.buildah) is None:
            run_log.line(INSTALL_HINT)
            raise Failure("buildah is not installed")
        login_server = str(private["loginServer"])
        refresh = self._credentials(registry, str(private.get("objectId", "")), str(private.get("tenantId", "")))
        pool = (private.get("request") or {}).get("agentPoolName")
        host = agent_host(registry, str(pool)) if pool else TASKS_HOST
        self._login(login_server, refresh, run_log, host)
        env = self._environment(work, host)
        auth = base64.b64encode(f"{NULL_USER}:{refresh}".encode()).decode()
        Path(env["REGISTRY_AUTH_FILE"]).write_text(json.dumps({"auths": {login_server: {"auth": auth}}}))
        return env

    def _quick_run(
        self, record: Record, registry: str, private: dict[str, Any], run_log: Log, work: Path
    ) -> dict[str, Any]:
        """``az acr run --cmd``: each cmd step runs its image (``buildah from`` + ``buildah run``), output
        to the log; a step that exits non-zero fails the run."""
        request = private.get("request") or {}
        try:
            text = base64.b64decode(str(request.get("encodedTaskContent", ""))).decode()
        except ValueError:
            raise Failure("encodedTaskContent is not base64 text") from None
        run_id = record.body["name"]
        login_server = str(private["loginServer"])
        values = {"ID": run_id, "Registry": login_server}
        for value in request.get("values") or []:
            values[str(value.get("name"))] = str(value.get("value", ""))
        try:
            steps = taskfile.parse(text, values)
        except taskfile.TaskFileError as exc:
            raise Failure(str(exc)) from None
        env = self._prepared(registry, private, run_log, work)
        common = ["--cert-dir", env["ACRLINK_CERTS"], "--signature-policy", str(work / "policy.json"),
                  "--authfile", env["REGISTRY_AUTH_FILE"]]  # fmt: skip
        began = time.monotonic()
        for index, step in enumerate(steps):
            image, *args = step.argv
            name = f"acrlink-run-{run_id.lower()}-{index}"
            run_log.line(f"Executing step ID: acb_step_{index}. Working directory: '', Network: ''")
            from_ = [self._settings.buildah, *self._storage(work), "from", "--quiet", *common, "--name", name, image]
            self._command(record.key, from_, env, run_log, "buildah from", quiet=True)
            if not args:
                args = self._default_command(work, env, name)
            if not args:
                raise Failure(f"the image {image} has no entrypoint or command to run")
            run = [self._settings.buildah, *self._storage(work), "run", "--isolation", "chroot", name, "--", *args]
            self._command(record.key, run, env, run_log, f"step acb_step_{index}")
        seconds = time.monotonic() - began
        return {"acrlinkTimings": {"stepsSeconds": round(seconds, 3)}}

    def _default_command(self, work: Path, env: dict[str, str], container: str) -> list[str]:
        """The container's image entrypoint and command (what ``docker run IMAGE`` would run)."""
        inspect = [self._settings.buildah, *self._storage(work), "inspect", "--type", "container", container]
        done = subprocess.run(inspect, capture_output=True, env=env, timeout=60, check=False)
        try:
            image_config = (json.loads(done.stdout or b"{}").get("OCIv1") or {}).get("config") or {}
        except (ValueError, AttributeError):
            return []
        return [*(image_config.get("Entrypoint") or []), *(image_config.get("Cmd") or [])]

    def _login(self, login_server: str, refresh: str, run_log: Log, host: str) -> None:
        """Log in to the run's registry first, as ACR's agent does: through the proxy as the Tasks host, the
        token endpoint with the run's credentials. A refusal (the firewall's DENIED) ends the run with the
        registry's own words; buildah would only say 403."""
        proxy = urlsplit(self._settings.proxy)
        context = ssl.create_default_context(cafile=str(self._settings.ca))
        connection = http.client.HTTPSConnection(proxy.hostname or "127.0.0.1", proxy.port, timeout=30, context=context)
        who = base64.b64encode(f"{host}:".encode()).decode()
        connection.set_tunnel(login_server, 443, headers={"Proxy-Authorization": f"Basic {who}"})
        basic = base64.b64encode(f"{NULL_USER}:{refresh}".encode()).decode()
        query = urlencode({"service": login_server, "scope": "registry:catalog:*"})
        try:
            connection.request("GET", f"/oauth2/token?{query}", headers={"Authorization": f"Basic {basic}"})
            response = connection.getresponse()
            body = response.read()
        except OSError as exc:
            run_log.line(f'failed to login, ran out of retries: Get "https://{login_server}/v2/": {exc}')
            raise Failure("failed during run, err: exit status 1") from None
        finally:
            connection.close()
        if response.status == 200:
            return
        try:
            error = json.loads(body)["errors"][0]
            reason = f"{str(error['code']).lower()}: {error['message']}"
        except (ValueError, KeyError, IndexError, TypeError):
            reason = f"{response.status} {response.reason}"
        run_log.line(f'failed to login, ran out of retries: Get "https://{login_server}/v2/": {reason}')
        raise Failure("failed during run, err: exit status 1")

    def _storage(self, work: Path) -> list[str]:
        return ["--root", str(work / "storage"), "--runroot", str(work / "runroot"), "--storage-driver", "vfs"]

    def _environment(self, work: Path, host: str) -> dict[str, str]:
        certs = work / "certs"
        certs.mkdir()
        shutil.copy(self._settings.ca, certs / "ca.crt")
        (work / "policy.json").write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
        proxy = self._settings.proxy.replace("http://", f"http://{host}@", 1)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(work),
            "HTTPS_PROXY": proxy,
            "HTTP_PROXY": proxy,
            "TMPDIR": str(work),
            "BUILDAH_ISOLATION": "chroot",
            "ACRLINK_CERTS": str(certs),
            "REGISTRY_AUTH_FILE": str(work / "auth.json"),
        }
        return env

    def _command(
        self, key: str, argv: list[str], env: dict[str, str], run_log: Log, what: str, quiet: bool = False
    ) -> None:
        """Run one command, its output going to the log line by line; a cancel stops it."""
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
        watcher = threading.Thread(target=self._watch, args=(key, process), daemon=True)
        watcher.start()
        assert process.stdout is not None
        kept: list[str] = []
        for raw in process.stdout:
            if quiet:
                kept.append(raw.decode(errors="replace"))
            else:
                run_log.line(raw.decode(errors="replace"))
        code = process.wait()
        if code != 0:
            for line in kept:
                run_log.line(line)
            raise Failure(f"failed during run, err: {what} exit status {code}")

    def _watch(self, key: str, process: subprocess.Popen[bytes]) -> None:
        while process.poll() is None:
            if self._status(key) == "Canceled":
                process.terminate()
                return
            time.sleep(0.5)


def _ref_of(record: Record) -> Any:
    ref = parse_resource_id(record.body["id"])
    assert ref is not None
    return ref


def _registry_ref(record: Record) -> Any:
    parent = _ref_of(record).parent
    assert parent is not None
    return parent
