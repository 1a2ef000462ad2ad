"""Tokens and scope maps with the real az and skopeo: ``az acr token create --repository team/* content/read``
makes a scope map and a token whose password pulls ``team/app`` and nothing else, and cannot push; a disabled
token cannot pull at all; ``az acr token credential generate`` gives a password that works; ``az acr scope-map
update`` widens what the token may do from its next login. skopeo acts from the internet host (``acrlink exec
--from internet``) on a Standard registry (tokens are in every tier), open to the internet, so the scope map is
the only reason for a refusal.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.e2e.conftest import Running

pytestmark = [pytest.mark.slow, pytest.mark.az]
REG = "tokenreg"
SERVER = f"{REG}.azurecr.cn"
TOKEN = "teamreader"


def skopeo(net: Running, *args: str) -> subprocess.CompletedProcess[str]:
    found = shutil.which("skopeo")
    if not found:
        pytest.fail("skopeo is required for the registry tests: apt-get install skopeo (see .ci/run)")
    return subprocess.run(
        [sys.executable, "-m", "acrlink", "exec", "--from", "internet", "--", found, *args],
        capture_output=True, text=True, timeout=180,
        env={**os.environ, "ACRLINK_DATA_DIR": str(net.data_dir)},
    )  # fmt: skip


def inspect(net: Running, password: str, image: str) -> subprocess.CompletedProcess[str]:
    return skopeo(net, "inspect", "--creds", f"{TOKEN}:{password}", f"docker://{SERVER}/{image}")


@pytest.fixture(scope="module")
def registry(net: Running) -> None:
    """A Standard registry holding team/app:v1 and other/app:v1."""
    net.azs("group create -n tokenrg -l chinanorth2")
    net.azs(f"acr create -n {REG} -g tokenrg --sku Standard")
    for image in ("team/app:v1", "other/app:v1"):
        net.azs(f"acr import -n {REG} --source mcr.microsoft.com/hello-world:latest --image {image}")


def test_a_team_token_pulls_only_team_repositories_until_disabled(net: Running, registry: None) -> None:
    created = net.az_json("acr", "token", "create", "-n", TOKEN, "-r", REG, "--repository", "team/*", "content/read")
    assert created["status"] == "enabled"
    assert created["scopeMapId"].endswith(f"/registries/{REG}/scopeMaps/{TOKEN}-scope-map")
    assert created["credentials"]["username"] == TOKEN
    password1, password2 = (p["value"] for p in created["credentials"]["passwords"])

    pulled = inspect(net, password1, "team/app:v1")
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["Os"] == "linux"
    other = inspect(net, password2, "other/app:v1")
    assert other.returncode != 0, "the scope map does not cover other/app"
    assert "authentication required, visit https://aka.ms/acr/authorization" in other.stderr, other.stderr
    creds = f"{TOKEN}:{password1}"
    pushed = skopeo(net, "copy", "--src-creds", creds, "--dest-creds", creds,
                    f"docker://{SERVER}/team/app:v1", f"docker://{SERVER}/team/app:v2")  # fmt: skip
    assert pushed.returncode != 0, "content/read cannot push"
    assert "authentication required" in pushed.stderr, pushed.stderr

    listed = net.az("acr", "repository", "list", "-n", REG, "-u", TOKEN, "-p", password1, check=False)
    assert listed.returncode != 0, "the catalog needs a rule on every repository"
    assert "authentication required" in listed.stderr, listed.stderr

    net.azs(f"acr token update -n {TOKEN} -r {REG} --status disabled")
    disabled = inspect(net, password1, "team/app:v1")
    assert disabled.returncode != 0, "a disabled token cannot pull at all"
    assert f"the token {TOKEN} is disabled" in disabled.stderr, disabled.stderr

    net.azs(f"acr token update -n {TOKEN} -r {REG} --status enabled")
    generated = net.az_json("acr", "token", "credential", "generate", "-n", TOKEN, "-r", REG,
                            "--password2", "--expiration-in-days", "30")  # fmt: skip
    (fresh,) = generated["passwords"]
    assert fresh["name"] == "password2" and fresh["expiry"]
    assert inspect(net, fresh["value"], "team/app:v1").returncode == 0
    assert inspect(net, password2, "team/app:v1").returncode != 0, "the old password2 is gone"

    net.azs(f"acr scope-map update -n {TOKEN}-scope-map -r {REG} --add-repository team/* content/write")
    pushed = skopeo(net, "copy", "--src-creds", creds, "--dest-creds", creds,
                    f"docker://{SERVER}/team/app:v1", f"docker://{SERVER}/team/app:v2")  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr


def test_system_maps_and_usages(net: Running, registry: None) -> None:
    maps = {m["name"]: m for m in net.az_json("acr", "scope-map", "list", "-r", REG)}
    # az 2.91's SDK flattens properties.type (SystemDefined) onto the resource type, so it does not show it
    assert {"_repositories_pull", "_repositories_push", "_repositories_admin"} <= set(maps)
    assert maps["_repositories_pull"]["actions"] == ["repositories/*/content/read"]
    assert maps["_repositories_admin"]["actions"] == [
        f"repositories/*/{a}"
        for a in ("content/read", "content/write", "content/delete", "metadata/read", "metadata/write")
    ]
    usages = {u["name"]: u for u in net.az_json("acr", "show-usage", "-n", REG)["value"]}
    assert (usages["Tokens"]["limit"], usages["ScopeMaps"]["limit"]) == (500, 500)
    assert usages["Tokens"]["currentValue"] >= 1 and usages["ScopeMaps"]["currentValue"] >= 1
    refused = net.az("acr", "scope-map", "delete", "-n", "_repositories_pull", "-r", REG, "-y", check=False)
    assert refused.returncode != 0 and "ScopeMapIsSystemDefined" in refused.stderr, refused.stderr
    net.azs(f"acr token delete -n {TOKEN} -r {REG} -y")
    assert TOKEN not in net.azs(f"acr token list -r {REG} --query [].name")
