"""Webhooks with the real az and a real client push (skopeo through acrlink's proxy), delivered to an HTTP
server this test runs on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.e2e.conftest import Running

pytestmark = [pytest.mark.slow, pytest.mark.az]
NAME = "hooksreg"
GROUP = "hooksrg"
SERVER = f"{NAME}.azurecr.cn"


class Receiver:
    """Records every POST by path."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.received.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # anything extra that would arrive
        return list(self.received)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture(scope="module")
def registry(acrlink: Running, az_path: str) -> str:
    """A Standard registry with the admin user on; its admin password."""
    os.environ.setdefault("ACRLINK_AZ", az_path)
    acrlink.az("group", "create", "--name", GROUP, "--location", "chinanorth2", "-o", "none")
    acrlink.az("acr", "create", "-n", NAME, "-g", GROUP, "--sku", "Standard", "--admin-enabled", "true", "-o", "none")
    return str(acrlink.az_json("acr", "credential", "show", "-n", NAME)["passwords"][0]["value"])


def _skopeo_push(acrlink: Running, password: str, tag: str) -> None:
    skopeo = shutil.which("skopeo")
    if not skopeo:
        pytest.fail("skopeo is required for the webhook tests: apt-get install skopeo (see .ci/run)")
    bundle = acrlink.endpoints["caBundle"]
    env = {
        **os.environ,
        "HTTPS_PROXY": acrlink.endpoints["proxy"],
        "NO_PROXY": "127.0.0.1,localhost",
        "SSL_CERT_FILE": bundle,
    }
    result = subprocess.run(
        [
            skopeo,
            "copy",
            "--dest-creds",
            f"{NAME}:{password}",
            "docker://mcr.microsoft.com/hello-world:latest",
            f"docker://{SERVER}/app:{tag}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_webhooks_end_to_end(acrlink: Running, registry: str, receiver: Receiver) -> None:
    hook = ("acr", "webhook")
    acrlink.az(
        *hook,
        "create",
        "-r",
        NAME,
        "-n",
        "hookall",
        "--uri",
        f"{receiver.base}/all",
        "--actions",
        "push",
        "delete",
        "--headers",
        "X-Team=web",
        "-o",
        "none",
    )
    acrlink.az(
        *hook,
        "create",
        "-r",
        NAME,
        "-n",
        "hookvone",
        "--uri",
        f"{receiver.base}/v1",
        "--actions",
        "push",
        "--scope",
        "app:v1",
        "-o",
        "none",
    )
    acrlink.az(
        *hook,
        "create",
        "-r",
        NAME,
        "-n",
        "hookoff",
        "--uri",
        f"{receiver.base}/off",
        "--actions",
        "push",
        "delete",
        "--status",
        "disabled",
        "-o",
        "none",
    )
    bad = acrlink.az(
        *hook, "create", "-r", NAME, "-n", "hookbad", "--uri", "not-a-url", "--actions", "push", check=False
    )
    assert bad.returncode != 0 and "not a valid absolute" in bad.stderr
    config = acrlink.az_json(*hook, "get-config", "-r", NAME, "-n", "hookall")
    assert config == {"serviceUri": f"{receiver.base}/all", "customHeaders": {"X-Team": "web"}}

    _skopeo_push(acrlink, registry, "v1")
    _skopeo_push(acrlink, registry, "v2")
    received = receiver.wait_for(3)
    by_path = {p: [b for q, _, b in received if q == p] for p in ("/all", "/v1", "/off")}
    assert [(b["action"], b["target"]["tag"]) for b in by_path["/all"]] == [("push", "v1"), ("push", "v2")]
    assert [b["target"]["tag"] for b in by_path["/v1"]] == ["v1"], "the app:v1 scope excludes v2"
    assert by_path["/off"] == [], "a disabled webhook gets nothing"
    first = by_path["/all"][0]
    digest = acrlink.az_json("acr", "repository", "show", "-n", NAME, "--image", "app:v1")["digest"]
    assert first["target"]["digest"] == digest and first["target"]["repository"] == "app"
    assert first["target"]["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert first["request"]["host"] == SERVER and first["request"]["method"] == "PUT"
    assert first["request"]["useragent"].startswith("skopeo/"), first["request"]["useragent"]
    assert [h.get("X-Team") for p, h, _ in received if p == "/all"] == ["web", "web"]

    events = acrlink.az_json(*hook, "list-events", "-r", NAME, "-n", "hookall")
    assert [e["eventRequestMessage"]["content"]["target"]["tag"] for e in events] == ["v2", "v1"]
    assert all(e["eventResponseMessage"]["statusCode"] == "200" for e in events)
    assert {e["id"] for e in events} == {b["id"] for b in by_path["/all"]}

    updated = acrlink.az_json(*hook, "update", "-r", NAME, "-n", "hookvone", "--status", "disabled")
    assert updated["status"] == "disabled" and updated["scope"] == "app:v1"
    receiver.received.clear()
    ping = acrlink.az_json(*hook, "ping", "-r", NAME, "-n", "hookall")
    acrlink.az("acr", "repository", "delete", "-n", NAME, "--repository", "app", "--yes", "-o", "none")
    received = receiver.wait_for(2)
    bodies = [b for p, _, b in received if p == "/all"]
    assert [b["id"] for b in bodies if b["action"] == "ping"] == [ping["id"]]
    deletes = [b for b in bodies if b["action"] == "delete"]
    assert [(d["target"]["repository"], d["target"]["digest"]) for d in deletes] == [("app", digest)]
    assert [p for p, _, b in received if p != "/all"] == []
    acrlink.az(*hook, "delete", "-r", NAME, "-n", "hookoff", "-o", "none")
    listed = acrlink.az_json(*hook, "list", "-r", NAME)
    assert sorted(w["name"] for w in listed) == ["hookall", "hookvone"]
    assert all("serviceUri" not in json.dumps(w) and "customHeaders" not in json.dumps(w) for w in listed)
    shown = acrlink.az_json(*hook, "show", "-r", NAME, "-n", "hookall")
    assert shown["actions"] == ["push", "delete"] and "serviceUri" not in json.dumps(shown)
