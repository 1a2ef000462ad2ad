"""Microsoft.ContainerRegistry/registries/runs: quick builds and quick runs (``az acr build``, ``az acr run``).

The registry's ``listBuildSourceUploadUrl`` hands out a write SAS on the blob face for a build context;
``scheduleRun`` records a ``Queued`` run (ids ``ca1``, ``ca2``... per registry); the build agent
(``tasks/agent.py``) takes it from there. A run is never PUT; PATCH changes ``isArchiveEnabled`` only;
``cancel`` and ``listLogSasUrl`` are its actions. What the agent needs that ARM does not show (the request as
sent, who scheduled it) is kept beside the run in the key/value space.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from acrlink.clock import iso
from acrlink.domain import sas
from acrlink.domain.naming import check_registry_name
from acrlink.errors import BadRequest, Conflict
from acrlink.ids import ResourceRef
from acrlink.resources.base import Action, Context, Doc, ResourceType
from acrlink.store.base import Transaction

REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"
TYPE = f"{REGISTRY_TYPE}/runs"
TERMINAL = frozenset({"Succeeded", "Failed", "Canceled", "Error", "Timeout"})
UPLOAD_LIFETIME = timedelta(hours=1)
LOG_LIFETIME = timedelta(hours=24)
REQUEST_TYPES = {"DockerBuildRequest": "QuickBuild", "EncodedTaskRunRequest": "QuickRun"}
"""The requests acrlink's agent runs, with the run type each gives."""
FILTER_FIELDS = {"status": "status", "runid": "runId", "runtype": "runType", "taskname": "task"}
"""The ``$filter`` fields of the runs list (lower case) and the run property each compares."""


def container(registry: ResourceRef) -> str:
    """One blob container per registry: its name, lower case."""
    return registry.name.lower()


def log_blob(registry: ResourceRef, run_id: str) -> sas.BlobName:
    """Where a run's log is kept on the blob face: ``logs/{run}/rawtext.log`` in its registry's container."""
    return sas.BlobName(sas.ACCOUNT, container(registry), f"logs/{run_id}/rawtext.log")


def private_key(run: ResourceRef) -> str:
    """The key/value entry with what the agent needs of a run."""
    return f"tasks:run:{run.key}"


def endpoint(tx: Transaction) -> sas.BlobEndpoint:
    """The blob face's URL and SAS key as the store holds them (``services/tasks_endpoint.py`` records them;
    empty when no blob face ever served)."""
    key = tx.kv_get(sas.SAS_KEY)
    return sas.BlobEndpoint(str(tx.kv_get(sas.ENDPOINT_KEY) or ""), bytes.fromhex(str(key)) if key else b"")


def _url(ctx: Context, name: sas.BlobName, permissions: str, lifetime: timedelta) -> str:
    where = endpoint(ctx.tx)
    if not where.url:
        raise BadRequest("TasksUnavailable", "acrlink's blob face is not serving: runs need 'acrlink up'.")
    query = sas.sign(where.key, name, permissions, ctx.now + lifetime)
    return f"{where.url}/{name.account}/{name.container}/{name.blob}?{query}"


def list_upload_url(ctx: Context, ref: ResourceRef, _doc: Doc, _body: Any, _rest: tuple[str, ...]) -> tuple[int, Any]:
    """A fresh blob for a build context, writable for an hour."""
    relative = f"source/{ctx.now:%Y%m%d%H%M}/{uuid.uuid4()}.tar.gz"
    name = sas.BlobName(sas.ACCOUNT, container(ref), relative)
    return 200, {"uploadUrl": _url(ctx, name, sas.CREATE + sas.WRITE, UPLOAD_LIFETIME), "relativePath": relative}


def _platform(body: Doc) -> Doc:
    given = body.get("platform") or {}
    if not isinstance(given, dict):
        raise BadRequest("InvalidRequestContent", "platform must be an object.")
    os_name = str(given.get("os") or "linux").lower()
    if os_name != "linux":
        raise BadRequest("InvalidPlatform", f"acrlink runs Linux builds only, not '{os_name}'.")
    shown = {"os": "Linux", "architecture": str(given.get("architecture") or "amd64").lower()}
    if given.get("variant"):
        shown["variant"] = str(given["variant"]).lower()
    return shown


def _check_request(body: Any) -> str:
    if not isinstance(body, dict):
        raise BadRequest("InvalidRequestContent", "The request content must be a RunRequest object.")
    kind = body.get("type")
    if kind not in REQUEST_TYPES:
        raise BadRequest(
            "InvalidRunRequestType",
            f"The run request type '{kind}' is not supported; acrlink runs {', '.join(REQUEST_TYPES)}.",
        )
    if kind == "EncodedTaskRunRequest":
        if not body.get("encodedTaskContent"):
            raise BadRequest("InvalidTaskContent", "encodedTaskContent is required for an EncodedTaskRunRequest.")
        return str(kind)
    if not body.get("sourceLocation"):
        raise BadRequest("InvalidSourceLocation", "sourceLocation is required for a DockerBuildRequest.")
    if body.get("isPushEnabled") and not body.get("imageNames"):
        raise BadRequest("InvalidImageNames", "imageNames is required when isPushEnabled is true.")
    return str(kind)


def _next_id(ctx: Context, registry: ResourceRef) -> str:
    key = f"tasks:run-seq:{registry.key}"
    number = int(ctx.tx.kv_get(key) or 0) + 1
    ctx.tx.kv_put(key, number)
    return f"ca{number}"


def schedule_run(ctx: Context, ref: ResourceRef, doc: Doc, body: Any, _rest: tuple[str, ...]) -> tuple[int, Any]:
    """A Queued run; the answer is the Run (200, as az 2.91 requires)."""
    kind = _check_request(body)
    pool = body.get("agentPoolName")
    if pool and ctx.load(ref.child("agentPools", str(pool))) is None:
        raise BadRequest("AgentPoolNotFound", f"The agent pool '{pool}' was not found in registry '{ref.name}'.")
    run_id = _next_id(ctx, ref)
    run_ref = ref.child("runs", run_id)
    now = iso(ctx.now)
    login_server = doc["properties"]["loginServer"]
    images = []
    if kind == "DockerBuildRequest" and body.get("isPushEnabled"):
        for name in body.get("imageNames") or []:
            repository, _, tag = str(name).replace("{{.Run.ID}}", run_id).partition(":")
            images.append({"registry": login_server, "repository": repository, "tag": tag or "latest"})
    run = {
        "id": run_ref.id,
        "name": run_id,
        "type": TYPE,
        "properties": {
            "runId": run_id,
            "status": "Queued",
            "runType": REQUEST_TYPES[kind],
            "provisioningState": "Succeeded",
            "createTime": now,
            "lastUpdatedTime": now,
            "platform": _platform(body),
            "agentConfiguration": {"cpu": 2},
            "isArchiveEnabled": False,
            "timeout": int(body.get("timeout") or 3600),
            **({"outputImages": images} if images else {}),
            **({"agentPoolName": body["agentPoolName"]} if body.get("agentPoolName") else {}),
        },
    }
    ctx.save(run_ref, run)
    caller = ctx.caller
    ctx.tx.kv_put(
        private_key(run_ref),
        {
            "request": body,
            "registry": ref.id,
            "loginServer": login_server,
            "objectId": caller.object_id if caller else "",
            "tenantId": caller.tenant_id if caller else "",
        },
    )
    return 200, run


def create(_ctx: Context, _ref: ResourceRef, _existing: Doc | None, _body: Doc) -> Doc:
    """A run is never PUT: runs come from ``scheduleRun``."""
    raise BadRequest("MethodNotAllowed", "Runs are created by scheduleRun, not by PUT.")


def update(_ctx: Context, _ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """``az acr task update-run``: only ``isArchiveEnabled`` changes."""
    if not isinstance(body, dict):
        raise BadRequest("InvalidRequestContent", "The request content must be a RunUpdateParameters object.")
    archive = body.get("isArchiveEnabled")
    if archive is None:
        return existing
    if not isinstance(archive, bool):
        raise BadRequest("InvalidRequestContent", "isArchiveEnabled must be a boolean.")
    return {**existing, "properties": {**existing["properties"], "isArchiveEnabled": archive}}


def cancel(ctx: Context, ref: ResourceRef, doc: Doc, _body: Any, _rest: tuple[str, ...]) -> tuple[int, Any]:
    """A run not yet finished becomes Canceled; the agent stops its build and closes the log."""
    status = doc["properties"]["status"]
    if status in TERMINAL:
        raise Conflict("RunNotCancelable", f"The run '{ref.name}' has already finished with status '{status}'.")
    now = iso(ctx.now)
    props = {**doc["properties"], "status": "Canceled", "finishTime": now, "lastUpdatedTime": now}
    ctx.save(ref, {**doc, "properties": props})
    return 200, None


def list_log_sas_url(ctx: Context, ref: ResourceRef, _doc: Doc, _body: Any, _rest: tuple[str, ...]) -> tuple[int, Any]:
    """``listLogSasUrl``: a read SAS for the run's log, valid for 24 hours."""
    registry = ref.parent
    assert registry is not None
    return 200, {"logLink": _url(ctx, log_blob(registry, ref.name), sas.READ, LOG_LIFETIME)}


def list_view(docs: list[Doc], clauses: Sequence[tuple[str, str]]) -> list[Doc]:
    """Newest first, keeping the runs whose property equals each clause's value (any casing): az's ``$filter``
    on ``Status``, ``RunId``, ``RunType`` and ``TaskName`` (``FILTER_FIELDS``)."""
    chosen = sorted(docs, key=lambda d: (d["properties"]["createTime"], _number(d["name"])), reverse=True)
    for prop, value in clauses:
        chosen = [d for d in chosen if str(d["properties"].get(prop) or "").lower() == value.lower()]
    return chosen


def _number(run_id: str) -> int:
    digits = "".join(c for c in run_id if c.isdigit())
    return int(digits) if digits else 0


def check_run_id(name: str) -> None:
    """A run id is 1-50 letters and digits (acrlink's are ``ca1``, ``ca2``...); anything else is refused as a
    registry name would be."""
    if not re.fullmatch(r"[A-Za-z0-9]{1,50}", name):
        check_registry_name(name)


REGISTRY_ACTIONS = {
    "listbuildsourceuploadurl": Action("POST", list_upload_url),
    "schedulerun": Action("POST", schedule_run),
}

RUNS = ResourceType(
    type=TYPE,
    check_name=check_run_id,
    create=create,
    update=update,
    actions={"cancel": Action("POST", cancel), "listlogsasurl": Action("POST", list_log_sas_url)},
    location="inherited",
    delete_rank=30,
    list_view=list_view,
    filter_fields=FILTER_FIELDS,
    synchronous=True,
)
