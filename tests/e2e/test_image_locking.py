"""ACR's image locking with the real az: changeable attributes set by ``az acr repository update`` and
``az acr manifest update-metadata`` refuse skopeo's push and az's deletes until turned back on."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.e2e.conftest import Running

pytestmark = [pytest.mark.slow, pytest.mark.az]
NAME = "lockingreg"
SERVER = f"{NAME}.azurecr.cn"
HELLO = "mcr.microsoft.com/hello-world:latest"


def test_locks_refuse_push_and_delete_until_lifted(acrlink: Running, az_path: str) -> None:
    skopeo = shutil.which("skopeo")
    if not skopeo:
        pytest.fail("skopeo is required for the registry tests: apt-get install skopeo (see .ci/run)")
    os.environ.setdefault("ACRLINK_AZ", az_path)
    acrlink.az("group", "create", "--name", "lockingrg", "--location", "chinanorth2", "-o", "none")
    acrlink.az(
        "acr", "create", "-n", NAME, "-g", "lockingrg", "--sku", "Premium", "--admin-enabled", "true", "-o", "none"
    )
    acrlink.az(
        "acr", "import", "-n", NAME, "--source", "mcr.microsoft.com/hello-world:latest", "--image", "hello-world:v1"
    )
    password = acrlink.az_json("acr", "credential", "show", "-n", NAME)["passwords"][0]["value"]
    bundle = acrlink.endpoints["caBundle"]
    env = {
        **os.environ,
        "HTTPS_PROXY": acrlink.endpoints["proxy"],
        "NO_PROXY": "127.0.0.1,localhost",
        "SSL_CERT_FILE": bundle,
    }

    def push(tag: str) -> subprocess.CompletedProcess[str]:
        source, target = "docker://mcr.microsoft.com/hello-world:latest", f"docker://{SERVER}/hello-world:{tag}"
        command = [skopeo, "copy", "--all", source, target, "--dest-creds", f"{NAME}:{password}"]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    locked = acrlink.az_json(
        "acr", "repository", "update", "-n", NAME, "--repository", "hello-world", "--write-enabled", "false"
    )
    assert locked["changeableAttributes"]["writeEnabled"] is False
    refused = push("v2")
    assert refused.returncode != 0 and "disallowed" in refused.stderr, refused.stderr
    deleted = acrlink.az("acr", "repository", "delete", "-n", NAME, "--repository", "hello-world", "--yes", check=False)
    assert deleted.returncode != 0 and "disallowed" in deleted.stderr, deleted.stderr
    imported = acrlink.az("acr", "import", "-n", NAME, "--source", HELLO, "--image", "hello-world:v3", check=False)
    assert imported.returncode != 0 and "disallowed" in imported.stderr, imported.stderr
    acrlink.az("acr", "repository", "update", "-n", NAME, "--repository", "hello-world", "--write-enabled", "true")
    assert push("v2").returncode == 0
    acrlink.az("acr", "repository", "update", "-n", NAME, "--image", "hello-world:v2", "--write-enabled", "false")
    forced = ("acr", "import", "-n", NAME, "--source", HELLO, "--image", "hello-world:v2", "--force")
    onto_locked_tag = acrlink.az(*forced, check=False)
    assert onto_locked_tag.returncode != 0 and "disallowed" in onto_locked_tag.stderr, onto_locked_tag.stderr
    acrlink.az("acr", "repository", "update", "-n", NAME, "--image", "hello-world:v2", "--write-enabled", "true")

    shown = acrlink.az_json(
        "acr", "manifest", "update-metadata", "-r", NAME, "-n", "hello-world:v1", "--delete-enabled", "false"
    )
    assert shown["changeableAttributes"]["deleteEnabled"] is False
    delete = ("acr", "manifest", "delete", "-r", NAME, "-n", "hello-world:v1", "--yes")
    refused_delete = acrlink.az(*delete, check=False)
    assert refused_delete.returncode != 0 and "disallowed" in refused_delete.stderr, refused_delete.stderr
    assert acrlink.az_json("acr", "repository", "show-tags", "-n", NAME, "--repository", "hello-world") == ["v1", "v2"]
    acrlink.az("acr", "manifest", "update-metadata", "-r", NAME, "-n", "hello-world:v1", "--delete-enabled", "true")
    acrlink.az(*delete)
    assert acrlink.az_json("acr", "repository", "show-tags", "-n", NAME, "--repository", "hello-world") == []
    acrlink.az("acr", "repository", "delete", "-n", NAME, "--repository", "hello-world", "--yes")
