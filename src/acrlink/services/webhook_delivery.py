"""The webhook delivery worker: one background thread that posts queued events to their service URIs.

Only loopback destinations are contacted; any other URI fails at once with a reason that says so (nothing
leaves the machine). A destination that does not answer 2xx is tried ``ATTEMPTS`` times in all, ``BACKOFF``
seconds apart (doubling), each with a ``TIMEOUT``-second limit. The queue lives in the store's kv, so a
delivery queued before a restart is sent after it (``start`` resumes it).

Several processes over one store each run a worker; a worker claims each delivery (a lease, compare-and-set in
the store) before sending it, so one event goes out once. A delivery whose worker's process went is claimed
again once that lease expired.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import httpx

from acrlink.domain.webhooks import is_loopback, masked_headers
from acrlink.errors import Unavailable
from acrlink.outages import OutageLog
from acrlink.resources import webhook_events as events
from acrlink.services.leases import Leases
from acrlink.store.base import Store, Transaction

log = logging.getLogger("acrlink.webhooks")

ATTEMPTS = 3
BACKOFF = 0.5
TIMEOUT = 3.0
POLL = 1.0
"""Seconds between looks at the queue when nothing wakes the worker (retries that come due)."""
GATHER = 0.02
"""Seconds the worker waits once woken, so a burst of pushes is sent (and recorded) in one pass."""
SNIPPET = 1024
"""Bytes of a response body kept in the event record."""


class WebhookDelivery:
    def __init__(self, store: Store, leases: Leases | None = None) -> None:
        self.store = store
        self.leases = leases if leases is not None else Leases(store)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(timeout=TIMEOUT, trust_env=False, follow_redirects=False)

    def start(self) -> None:
        """Run the worker (deliveries left queued by a previous process go first)."""
        self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        events.WAKE.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT + 2)
        self._client.close()

    def _run(self) -> None:
        outage = OutageLog(log, "webhook delivery")
        while not self._stop.is_set():
            self._stop.wait(GATHER)
            events.WAKE.clear()
            try:
                self.run_once()
                outage.succeeded()
            except Unavailable as away:
                outage.failed(away)
            except Exception:  # noqa: BLE001 - the worker must outlive one bad delivery
                log.exception("webhook delivery failed")
            events.WAKE.wait(POLL)

    def run_once(self, now: float | None = None) -> int:
        """Send every queued delivery that is due and no other live worker claimed; how many were attempted.
        One transaction reads the queue and claims what it sends, one records every outcome (a push waits on
        the store's lock for at most those two)."""
        moment = time.time() if now is None else now
        with self.store.transaction() as tx:
            due = [(k, v) for k, v in tx.kv_items(events.PENDING) if v.get("notBefore", 0) <= moment]
            due = [(k, v) for k, v in due if self.leases.claim(tx, k, moment)]
            configs = {item["webhook"]: events.config(tx, item["webhook"]) for _, item in due}
        outcomes = []
        for key, item in due:
            if self._stop.is_set():
                break
            outcomes.append((key, item, self._attempt(item, configs[item["webhook"]])))
        if outcomes:
            with self.store.transaction() as tx:
                for key, item, (request, response, final) in outcomes:
                    self._settle(tx, self.leases, key, item, request, response, final)
        return len(due)

    def _attempt(self, item: dict[str, Any], config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], bool]:
        """POST one delivery: (the request as listEvents shows it, the response or failure, whether no retry
        should follow)."""
        uri = str(config.get("serviceUri") or "")
        headers = {"Content-Type": "application/json", **(config.get("customHeaders") or {})}
        body = json.dumps(item["payload"], separators=(",", ":")).encode()
        headers["Content-Length"] = str(len(body))
        request = {
            "content": item["payload"],
            "headers": masked_headers(headers),
            "method": "POST",
            "requestUri": uri,
            "version": "1.1",
        }
        response, reason = self._post(uri, headers, body)
        if response is None:
            return request, {"content": reason, "headers": {}, "reasonPhrase": reason or ""}, True
        return request, response, 200 <= int(response["statusCode"]) < 300

    @staticmethod
    def _settle(
        tx: Transaction,
        leases: Leases,
        key: str,
        item: dict[str, Any],
        request: dict[str, Any],
        response: dict[str, Any],
        final: bool,
    ) -> None:
        """Record the delivery, or queue its retry while attempts are left (not if the webhook went meanwhile,
        nor if another worker took the delivery over); either way the claim ends."""
        if not leases.mine(tx, key):
            return
        leases.drop(tx, key)
        if tx.kv_get(key) is None:
            return
        attempts = int(item.get("attempts", 0)) + 1
        if not final and attempts < ATTEMPTS:
            tx.kv_put(key, {**item, "attempts": attempts, "notBefore": time.time() + BACKOFF * 2 ** (attempts - 1)})
            return
        tx.kv_delete(key)
        events.record(
            tx,
            item["webhook"],
            {"id": item["id"], "eventRequestMessage": request, "eventResponseMessage": response, "attempts": attempts},
        )

    def _post(self, uri: str, headers: dict[str, str], body: bytes) -> tuple[dict[str, Any] | None, str | None]:
        """(the response as listEvents shows it or None, a reason not to retry or None)."""
        if not is_loopback(uri):
            return None, (
                f"Not delivered: acrlink delivers webhooks only to loopback addresses (127.0.0.0/8, ::1, "
                f"localhost), not to '{uri}'."
            )
        try:
            answer = self._client.post(uri, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return {
                "content": f"{type(exc).__name__}: {exc}"[:SNIPPET],
                "headers": {},
                "reasonPhrase": "Delivery failed",
                "statusCode": "0",
                "version": "1.1",
            }, None
        return {
            "content": answer.content[:SNIPPET].decode("utf-8", "replace"),
            "headers": dict(answer.headers),
            "reasonPhrase": answer.reason_phrase,
            "statusCode": str(answer.status_code),
            "version": "1.1",
        }, None
