"""How writes are answered: synchronously (the default: clients never poll) or like real ARM, with
201/202, ``Azure-AsyncOperation``/``Location`` and ``Retry-After: 1`` so pollers are exercised.

Operation records are stored, not held in memory, so any acrlink process over the data dir answers
a poll.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from acrlink.arm.wire import json_response
from acrlink.clock import iso, now
from acrlink.errors import NotFound
from acrlink.ids import new_guid
from acrlink.services.arm import ResourceService


class Answers:
    def __init__(self, service: ResourceService, asynchronous: bool) -> None:
        self._service = service
        self.asynchronous = asynchronous

    def _base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def _api(self, request: Request) -> str:
        return request.query_params.get("api-version", "")

    def _operation(
        self, request: Request, subscription: str, namespace: str, location: str, kind: str, prefix: str
    ) -> tuple[str, str]:
        operation_id = f"{prefix}-{new_guid()}"
        stamp = iso(now())
        self._service.record_operation(operation_id, {"status": "Succeeded", "startTime": stamp, "endTime": stamp})
        url = (
            f"{self._base(request)}/subscriptions/{subscription}/providers/{namespace}/locations/"
            f"{location}/{kind}/{operation_id}?api-version={self._api(request)}"
        )
        return operation_id, url

    def written(
        self,
        request: Request,
        doc: dict[str, Any],
        created: bool,
        subscription: str,
        namespace: str,
        in_progress: str,
    ) -> Response:
        """A PUT or PATCH that succeeded."""
        if not self.asynchronous:
            return json_response(201 if created else 200, doc)
        location = str(doc.get("location") or "global")
        prefix = doc["type"].split("/")[-1].lower()
        _, url = self._operation(request, subscription, namespace, location, "operationStatuses", prefix)
        shown = dict(doc)
        if isinstance(doc.get("properties"), dict):
            shown["properties"] = {**doc["properties"], "provisioningState": in_progress}
        return json_response(201, shown, {"Azure-AsyncOperation": url, "Retry-After": "1"})

    def deleted(
        self,
        request: Request,
        existed: bool,
        subscription: str,
        namespace: str,
        location: str,
        always_accepted: bool = False,
    ) -> Response:
        """200/204, or 202 with a ``Location`` to poll when answering like real ARM; ``always_accepted`` for a type
        whose SDK takes only 202 or 204 (a type Azure deletes asynchronously)."""
        if not self.asynchronous and not (always_accepted and existed):
            return json_response(200 if existed else 204)
        if not existed:
            return json_response(204)
        _, url = self._operation(request, subscription, namespace, location, "operationResults", "delete")
        return json_response(202, None, {"Location": url, "Retry-After": "1"})

    def deleted_by_arm(self, request: Request, subscription: str) -> Response:
        """A DELETE ARM answers itself (a group): 200, or 202 with a ``Location`` at the subscription's
        ``operationresults`` when answering like real ARM."""
        if not self.asynchronous:
            return json_response(200)
        operation_id = f"rg-delete-{new_guid()}"
        self._service.record_operation(operation_id, {"status": "Succeeded"})
        url = (
            f"{self._base(request)}/subscriptions/{subscription}/operationresults/{operation_id}"
            f"?api-version={self._api(request)}"
        )
        return json_response(202, None, {"Location": url, "Retry-After": "1"})

    def poll(self, operation_id: str, kind: str) -> Response:
        """``operationStatuses``/``operations`` answer a status body; ``operationResults`` answer 200
        once done (202 would mean still running)."""
        record = self._service.operation(operation_id)
        if record is None:
            raise NotFound("OperationNotFound", f"The operation '{operation_id}' was not found.")
        if kind == "operationresults":
            return json_response(200, record.get("result"))
        return json_response(200, {"id": operation_id, "name": operation_id, **record})
