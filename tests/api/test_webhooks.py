"""Webhooks in-process: ARM shapes and refusals, scope rules, ping, delivery of push/delete payloads to a local
HTTP server, retries, non-loopback refusal and a queue that survives a restart."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from acrlink.app import build
from acrlink.domain.webhooks import check_scope, check_service_uri, is_loopback, scope_matches
from acrlink.resources import webhook_events
from acrlink.settings import Settings
from tests.api.conftest import Arm, error_code, seed_entra_key
from tests.api.registry_client import RegistryClient, create_registry

HOST = "hookreg.azurecr.cn"


class Receiver:
    """A local HTTP server that records every POST (and answers ``status``)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                owner.received.append({"headers": dict(self.headers), "body": json.loads(body), "path": self.path})
                self.send_response(owner.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def reg(arm: Arm) -> RegistryClient:
    password = create_registry(arm, "hookreg")
    client = RegistryClient(arm.application, HOST)
    client.login("hookreg", password, "repository:app:pull,push,delete", "repository:other:pull,push,delete")
    return client


def hook_path(arm: Arm, name: str) -> str:
    return arm.registry_path("hookreg") + f"/webhooks/{name}"


def create_hook(arm: Arm, name: str, uri: str, **properties: Any) -> Any:
    body = {"location": "chinanorth2", "properties": {"serviceUri": uri, "actions": ["push", "delete"], **properties}}
    return arm.request("PUT", hook_path(arm, name), body)


def deliver(arm: Arm) -> None:
    """Run the delivery worker's pass (and a retry pass for anything it left for later)."""
    arm.application.webhooks.run_once(now=1e12)


# Pure rules --------------------------------------------------------------------------------------------


def test_scope_matching_rules() -> None:
    assert scope_matches("", "any/repo", ())
    assert scope_matches("app:v1", "app", ("v1",)) and not scope_matches("app:v1", "app", ("v2",))
    assert scope_matches("app", "app", ("latest",)) and not scope_matches("app", "app", ("v1",))
    assert scope_matches("app:*", "app", ("v9",)) and scope_matches("app:*", "app", ())
    assert not scope_matches("app:*", "application", ("v1",)) and not scope_matches("app:*", "other", ("v1",))
    assert scope_matches("team/*:*", "team/web", ("x",)) and not scope_matches("team/*:*", "other/web", ("x",))
    assert not scope_matches("app:v1", "app", ()), "an untagged event is only in a scope that takes every tag"
    assert scope_matches("app:v1", "app", ("v0", "v1")), "a deleted manifest's former tags count"
    assert check_scope("") is None and check_scope("app:*") is None and check_scope("a/b:v1") is None
    assert check_scope(":v1") and check_scope("app:") and check_scope("a:b:c")


def test_uri_rules() -> None:
    assert check_service_uri("http://127.0.0.1:8080/x") is None and check_service_uri("https://hooks.example/a") is None
    for bad in ("not a url", "ftp://host/x", "/relative", "http://", "http://host:99999/"):
        assert check_service_uri(bad), bad
    assert is_loopback("http://127.0.0.2/x") and is_loopback("http://[::1]:80/") and is_loopback("http://localhost/")
    assert not is_loopback("https://hooks.example/") and not is_loopback("http://10.0.0.1/")


# ARM --------------------------------------------------------------------------------------------------


def test_shapes_config_and_update(arm: Arm, reg: RegistryClient) -> None:
    created = create_hook(arm, "hookone", "http://127.0.0.1:9/x", customHeaders={"Authorization": "Basic abc"})
    assert created.status_code in (200, 201), created.text
    doc = created.json()
    assert doc["type"] == "Microsoft.ContainerRegistry/registries/webhooks" and doc["location"] == "chinanorth2"
    assert doc["properties"] == {
        "status": "enabled",
        "scope": "",
        "actions": ["push", "delete"],
        "provisioningState": "Succeeded",
    }
    shown = arm.request("GET", hook_path(arm, "hookone")).json()
    assert "serviceUri" not in json.dumps(shown) and "customHeaders" not in json.dumps(shown)
    listed = arm.request("GET", arm.registry_path("hookreg") + "/webhooks").json()["value"]
    assert [w["name"] for w in listed] == ["hookone"]
    config = arm.request("POST", hook_path(arm, "hookone") + "/getCallbackConfig").json()
    assert config == {"serviceUri": "http://127.0.0.1:9/x", "customHeaders": {"Authorization": "Basic abc"}}
    patched = arm.request("PATCH", hook_path(arm, "hookone"), {"properties": {"status": "disabled", "scope": "app:*"}})
    assert patched.status_code == 200 and patched.json()["properties"]["status"] == "disabled"
    assert patched.json()["properties"]["scope"] == "app:*"
    assert arm.request("POST", hook_path(arm, "hookone") + "/getCallbackConfig").json() == config
    usages = arm.request("GET", arm.registry_path("hookreg") + "/listUsages").json()["value"]
    assert {"name": "Webhooks", "limit": 500, "currentValue": 1, "unit": "Count"} in usages
    assert arm.request("DELETE", hook_path(arm, "hookone")).status_code in (200, 202, 204)
    assert arm.request("GET", hook_path(arm, "hookone")).status_code == 404


def test_bad_inputs_change_nothing(arm: Arm, reg: RegistryClient) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("hookbad", {"serviceUri": "not a url", "actions": ["push"]}),
        ("hookbad", {"serviceUri": "ftp://127.0.0.1/x", "actions": ["push"]}),
        ("hookbad", {"serviceUri": "http://127.0.0.1/x", "actions": ["pull"]}),
        ("hookbad", {"serviceUri": "http://127.0.0.1/x", "actions": []}),
        ("hookbad", {"serviceUri": "http://127.0.0.1/x", "actions": ["push"], "scope": "a:b:c"}),
        ("hookbad", {"serviceUri": "http://127.0.0.1/x", "actions": ["push"], "status": "paused"}),
        ("bad-name", {"serviceUri": "http://127.0.0.1/x", "actions": ["push"]}),
        ("abc", {"serviceUri": "http://127.0.0.1/x", "actions": ["push"]}),
    ]
    for name, props in cases:
        refused = arm.request("PUT", hook_path(arm, name), {"location": "chinanorth2", "properties": props})
        assert refused.status_code == 400, (name, props, refused.text)
    elsewhere = arm.request(
        "PUT",
        hook_path(arm, "hookfar"),
        {"location": "chinaeast2", "properties": {"serviceUri": "http://127.0.0.1/x", "actions": ["push"]}},
    )
    assert elsewhere.status_code == 400 and "not a region of the registry" in elsewhere.text
    assert arm.request("GET", arm.registry_path("hookreg") + "/webhooks").json()["value"] == []
    assert create_hook(arm, "hookgood", "http://127.0.0.1/x").status_code in (200, 201)
    bad_patch = arm.request("PATCH", hook_path(arm, "hookgood"), {"properties": {"serviceUri": "nope"}})
    assert bad_patch.status_code == 400
    config = arm.request("POST", hook_path(arm, "hookgood") + "/getCallbackConfig").json()
    assert config["serviceUri"] == "http://127.0.0.1/x"


def test_a_webhook_belongs_to_a_replica_region(arm: Arm, reg: RegistryClient) -> None:
    body = {"location": "chinaeast2", "properties": {"serviceUri": "http://127.0.0.1/x", "actions": ["push"]}}
    assert arm.request("PUT", hook_path(arm, "hookeast"), body).status_code == 400
    replica = arm.request("PUT", arm.registry_path("hookreg") + "/replications/chinaeast2", {"location": "chinaeast2"})
    assert replica.status_code in (200, 201), replica.text
    created = arm.request("PUT", hook_path(arm, "hookeast"), body)
    assert created.status_code in (200, 201) and created.json()["location"] == "chinaeast2"


def test_basic_sku_limit(arm: Arm) -> None:
    arm.group()
    body = {"location": "chinanorth2", "sku": {"name": "Basic"}}
    assert arm.request("PUT", arm.registry_path("hookreg"), body).status_code in (200, 201)
    assert create_hook(arm, "hookone", "http://127.0.0.1/x").status_code in (200, 201)
    assert create_hook(arm, "hooktwo", "http://127.0.0.1/x").status_code in (200, 201)
    third = create_hook(arm, "hookthree", "http://127.0.0.1/x")
    assert third.status_code == 400 and error_code(third) == "QuotaExceeded"
    assert create_hook(arm, "hooktwo", "http://127.0.0.1/y").status_code == 200, "an update is not a new webhook"


# Delivery ---------------------------------------------------------------------------------------------


def test_push_and_delete_payloads(arm: Arm, reg: RegistryClient, receiver: Receiver) -> None:
    assert (
        create_hook(arm, "hookall", receiver.url, customHeaders={"Authorization": "Bearer s3cret"}).status_code == 201
    )
    assert create_hook(arm, "hookv2", receiver.url + "/v2", scope="app:v2").status_code == 201
    assert create_hook(arm, "hookoff", receiver.url + "/off", status="disabled").status_code == 201
    pushed = reg.push_manifest("app", "v1", reg.image("app"), **{"User-Agent": "test-agent/1.0"})
    digest = pushed.headers["docker-content-digest"]
    deliver(arm)
    assert [r["path"] for r in receiver.received] == ["/hook"]
    event = receiver.received[0]
    assert event["headers"]["Authorization"] == "Bearer s3cret"
    assert event["headers"]["Content-Type"] == "application/json"
    body = event["body"]
    assert set(body) == {"id", "timestamp", "action", "target", "request"} and body["action"] == "push"
    size = len(json.dumps(reg.image("app")).encode())
    assert body["target"] == {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "size": size,
        "digest": digest,
        "length": size,
        "repository": "app",
        "tag": "v1",
    }
    assert body["request"]["host"] == HOST and body["request"]["method"] == "PUT"
    assert body["request"]["useragent"] == "test-agent/1.0" and body["request"]["id"]
    events = arm.request("POST", hook_path(arm, "hookall") + "/listEvents").json()["value"]
    assert len(events) == 1 and events[0]["id"] == body["id"]
    assert events[0]["eventRequestMessage"]["content"] == body
    assert events[0]["eventRequestMessage"]["headers"]["Authorization"] == "******"
    assert events[0]["eventRequestMessage"]["requestUri"] == receiver.url
    assert events[0]["eventResponseMessage"]["statusCode"] == "200"
    assert events[0]["eventResponseMessage"]["content"] == "ok"
    assert arm.request("POST", hook_path(arm, "hookoff") + "/listEvents").json()["value"] == []

    receiver.received.clear()
    assert reg.request("DELETE", f"/v2/app/manifests/{digest}").status_code == 202
    deliver(arm)
    assert sorted(r["path"] for r in receiver.received) == ["/hook"]
    deleted = receiver.received[0]["body"]
    assert deleted["action"] == "delete" and deleted["target"] == {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest,
        "repository": "app",
    }
    assert deleted["request"]["method"] == "DELETE"

    receiver.received.clear()
    reg.push_manifest("app", "v2", reg.image("app", b"two"))
    deliver(arm)
    assert sorted(r["path"] for r in receiver.received) == ["/hook", "/hook/v2"]


def test_ping_and_import(arm: Arm, reg: RegistryClient, receiver: Receiver) -> None:
    assert create_hook(arm, "hookping", receiver.url, status="disabled").status_code == 201
    answered = arm.request("POST", hook_path(arm, "hookping") + "/ping")
    assert answered.status_code == 200 and set(answered.json()) == {"id"}
    deliver(arm)
    assert receiver.received[0]["body"]["action"] == "ping"
    assert receiver.received[0]["body"]["id"] == answered.json()["id"]
    arm.request("PATCH", hook_path(arm, "hookping"), {"properties": {"status": "enabled"}})
    receiver.received.clear()
    imported = arm.request(
        "POST",
        arm.registry_path("hookreg") + "/importImage",
        {
            "source": {"registryUri": "mcr.microsoft.com", "sourceImage": "hello-world:latest"},
            "targetTags": ["hello:v1"],
        },
    )
    assert imported.status_code in (200, 202), imported.text
    deliver(arm)
    assert [r["body"]["action"] for r in receiver.received] == ["push"]
    target = receiver.received[0]["body"]["target"]
    assert target["repository"] == "hello" and target["tag"] == "v1"
    assert target["mediaType"] == "application/vnd.oci.image.index.v1+json"


def test_failures_retries_and_non_loopback(arm: Arm, reg: RegistryClient, receiver: Receiver) -> None:
    receiver.status = 500
    assert create_hook(arm, "hookfail", receiver.url).status_code == 201
    assert create_hook(arm, "hookfar", "https://hooks.example/acr").status_code == 201
    reg.push_manifest("app", "v1", reg.image("app"))
    for _ in range(3):
        deliver(arm)
    assert len(receiver.received) == 3, "three attempts in all, then given up"
    failed = arm.request("POST", hook_path(arm, "hookfail") + "/listEvents").json()["value"]
    assert len(failed) == 1 and failed[0]["eventResponseMessage"]["statusCode"] == "500"
    far = arm.request("POST", hook_path(arm, "hookfar") + "/listEvents").json()["value"]
    assert len(far) == 1 and "only to loopback" in far[0]["eventResponseMessage"]["content"]
    assert "statusCode" not in far[0]["eventResponseMessage"]


def test_queue_survives_a_restart(tmp_path: Path, receiver: Receiver) -> None:
    seed_entra_key(tmp_path)
    first = Arm(build(Settings(data_dir=tmp_path)))
    password = create_registry(first, "hookreg")
    assert create_hook(first, "hookkeep", receiver.url).status_code == 201
    client = RegistryClient(first.application, HOST)
    client.login("hookreg", password, "repository:app:pull,push")
    client.push_manifest("app", "v1", client.image("app"))
    first.application.store.close()
    assert receiver.received == []
    second = Arm(build(Settings(data_dir=tmp_path)))
    second.application.webhooks.start()
    try:
        for _ in range(50):
            if receiver.received:
                break
            threading.Event().wait(0.1)
    finally:
        second.application.webhooks.stop()
        second.application.store.close()
    assert [r["body"]["target"]["tag"] for r in receiver.received] == ["v1"]


def test_events_kept_are_bounded(arm: Arm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_events, "KEPT_EVENTS", 2)
    with arm.application.store.transaction() as tx:
        for n in range(5):
            webhook_events.record(tx, "/x/hook", {"id": str(n)})
        assert [e["id"] for e in webhook_events.events(tx, "/x/hook")] == ["4", "3"]
        webhook_events.forget(tx, "/x/hook")
        assert webhook_events.events(tx, "/x/hook") == []


def test_two_workers_over_one_store_deliver_an_event_once(arm: Arm, reg: RegistryClient, receiver: Receiver) -> None:
    """Two processes' workers over one store: while the first sends a delivery (its receiver holds the POST),
    the second finds it claimed and sends nothing; the event is recorded once."""
    assert create_hook(arm, "hookonce", receiver.url).status_code == 201
    reg.push_manifest("app", "v1", reg.image("app"))
    second = build(Settings(data_dir=arm.application.settings.data_dir))
    arrived, release = threading.Event(), threading.Event()
    answer = receiver.server.RequestHandlerClass.do_POST

    def held_post(handler: Any) -> None:
        arrived.set()
        release.wait(30)
        answer(handler)

    receiver.server.RequestHandlerClass.do_POST = held_post  # type: ignore[method-assign]
    first = threading.Thread(target=arm.application.webhooks.run_once)
    first.start()
    try:
        assert arrived.wait(30), "the first worker never sent the delivery"
        assert second.webhooks.run_once() == 0, "the second worker found the delivery claimed"
    finally:
        release.set()
        first.join(30)
        second.store.close()
    assert [r["body"]["target"]["tag"] for r in receiver.received] == ["v1"]
    assert arm.application.webhooks.run_once(now=1e12) == 0, "nothing is left queued"
    events = arm.request("POST", hook_path(arm, "hookonce") + "/listEvents").json()["value"]
    assert len(events) == 1


def test_a_delivery_a_gone_process_claimed_is_sent_by_another(
    arm: Arm, reg: RegistryClient, receiver: Receiver
) -> None:
    """A claim whose owner stopped renewing it expires; another process's worker then sends the delivery."""
    assert create_hook(arm, "hookgone", receiver.url).status_code == 201
    reg.push_manifest("app", "v1", reg.image("app"))
    store = arm.application.store
    with store.transaction() as tx:
        for key, _ in tx.kv_items(webhook_events.PENDING):
            assert arm.application.leases.claim(tx, key)  # claimed, then the process "dies" before sending
    second = build(Settings(data_dir=arm.application.settings.data_dir))
    try:
        assert second.webhooks.run_once() == 0, "the claim is fresh: its owner may still send it"
        assert receiver.received == []
        assert second.webhooks.run_once(now=time.time() + 60) == 1, "the claim expired: the delivery is taken over"
    finally:
        second.store.close()
    assert [r["body"]["target"]["tag"] for r in receiver.received] == ["v1"]
