"""Real registry clients through acrlink's proxy: skopeo, podman, oras-py, azure-containerregistry, az."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import oras.client
import oras.oci
import pytest
import requests
from azure.containerregistry import ContainerRegistryClient

from tests.e2e.conftest import Running, credential, required_tool

pytestmark = [pytest.mark.slow, pytest.mark.az]
NAME = "clientsreg"
SERVER = f"{NAME}.azurecr.cn"


@pytest.fixture(scope="module")
def client_env(acrlink: Running) -> dict[str, str]:
    bundle = acrlink.endpoints["caBundle"]
    return {
        **os.environ,
        "HTTPS_PROXY": acrlink.endpoints["proxy"],
        "NO_PROXY": "127.0.0.1,localhost",
        "SSL_CERT_FILE": bundle,
        "REQUESTS_CA_BUNDLE": bundle,
    }


@pytest.fixture(scope="module")
def proxied(client_env: dict[str, str]) -> Iterator[None]:
    """This process's own HTTP clients (oras-py, the SDK) use the proxy and trust the CA."""
    keys = ("HTTPS_PROXY", "NO_PROXY", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: client_env[k] for k in keys})
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def registry(acrlink: Running, az_path: str) -> str:
    """A Premium registry with the admin user on and hello-world imported from the mcr stand-in; its password."""
    os.environ.setdefault("ACRLINK_AZ", az_path)
    acrlink.az("group", "create", "--name", "clientsrg", "--location", "chinanorth2", "-o", "none")
    acrlink.az(
        "acr", "create", "-n", NAME, "-g", "clientsrg", "--sku", "Premium", "--admin-enabled", "true", "-o", "none"
    )
    acrlink.az(
        "acr", "import", "--name", NAME, "--source", "mcr.microsoft.com/hello-world:latest", "--image", "hello-world:v1"
    )
    return str(acrlink.az_json("acr", "credential", "show", "-n", NAME)["passwords"][0]["value"])


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_az_import_list_and_show_tags(acrlink: Running, registry: str) -> None:
    assert acrlink.az_json("acr", "repository", "list", "-n", NAME) == ["hello-world"]
    assert acrlink.az_json("acr", "repository", "show-tags", "-n", NAME, "--repository", "hello-world") == ["v1"]
    manifests = acrlink.az_json("acr", "repository", "show-manifests", "-n", NAME, "--repository", "hello-world")
    assert len(manifests) == 3, "the index and its two platform manifests"
    refused = acrlink.az("acr", "import", "--name", NAME, "--source", "docker.io/library/alpine:3", check=False)
    assert refused.returncode != 0 and "not reachable from acrlink" in refused.stderr


def test_skopeo_push_and_pull_with_admin_credentials(registry: str, client_env: dict[str, str], tmp_path: Path) -> None:
    skopeo = required_tool("skopeo")
    creds = f"{NAME}:{registry}"
    _run(
        skopeo,
        "copy",
        "--all",
        "docker://mcr.microsoft.com/hello-world:latest",
        f"docker://{SERVER}/copied:v1",
        "--dest-creds",
        creds,
        env=client_env,
    )
    _run(
        skopeo,
        "copy",
        "--src-creds",
        creds,
        f"docker://{SERVER}/copied:v1",
        f"oci:{tmp_path / 'out'}:v1",
        env=client_env,
    )
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "v1"
    wrong = subprocess.run(
        [skopeo, "inspect", "--creds", f"{NAME}:wrong", f"docker://{SERVER}/copied:v1"],
        capture_output=True,
        text=True,
        env=client_env,
    )
    assert wrong.returncode != 0 and "unauthorized" in wrong.stderr.lower()


def test_skopeo_with_the_token_from_az_acr_login(acrlink: Running, registry: str, client_env: dict[str, str]) -> None:
    skopeo = required_tool("skopeo")
    login = acrlink.az_json("acr", "login", "--name", NAME, "--expose-token")
    assert login["loginServer"] == SERVER and login["username"] == "00000000-0000-0000-0000-000000000000"
    creds = f"{login['username']}:{login['accessToken']}"
    _run(
        skopeo,
        "copy",
        "--dest-creds",
        creds,
        "--all",
        "docker://mcr.microsoft.com/hello-world:latest",
        f"docker://{SERVER}/viatoken:v1",
        env=client_env,
    )
    inspected = json.loads(
        _run(skopeo, "inspect", "--creds", creds, f"docker://{SERVER}/viatoken:v1", env=client_env).stdout
    )
    assert inspected["Architecture"] == "amd64" and inspected["Os"] == "linux"


def test_podman_pull(registry: str, client_env: dict[str, str], tmp_path: Path, acrlink: Running) -> None:
    podman = required_tool("podman")
    cert_dir = tmp_path / "certs"
    cert_dir.mkdir()
    shutil.copy(acrlink.endpoints["ca"], cert_dir / "ca.crt")
    image = f"{SERVER}/hello-world:v1"
    try:
        _run(podman, "pull", "--cert-dir", str(cert_dir), "--creds", f"{NAME}:{registry}", image, env=client_env)
        listed = _run(podman, "images", "--format", "{{.Repository}}:{{.Tag}}", env=client_env).stdout
        assert image in listed
    finally:
        subprocess.run([podman, "rmi", "-f", image], capture_output=True, env=client_env)


def test_oras_push_pull_with_subject_and_referrers(
    registry: str, proxied: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("artifact.txt").write_text("the artifact\n")
    Path("sbom.json").write_text('{"sbom": true}\n')
    client = oras.client.OrasClient(hostname=SERVER)
    client.login(username=NAME, password=registry, hostname=SERVER)
    assert client.push(target=f"{SERVER}/artifacts:v1", files=["artifact.txt"]).status_code == 201
    subject = oras.oci.Subject.from_manifest(client.get_manifest(f"{SERVER}/artifacts:v1"))
    pushed = client.push(
        target=f"{SERVER}/artifacts:sbom", files=["sbom.json"], subject=subject, manifest_annotations={"kind": "sbom"}
    )
    assert pushed.headers["OCI-Subject"] == subject.digest
    pulled = client.pull(target=f"{SERVER}/artifacts:v1", outdir=str(tmp_path / "out"))
    assert Path(pulled[0]).read_text() == "the artifact\n"
    response = client.do_request(f"https://{SERVER}/v2/artifacts/referrers/{subject.digest}", "GET")
    assert isinstance(response, requests.Response) and response.status_code == 200
    referrers = response.json()["manifests"]
    assert [r["annotations"] for r in referrers] == [{"kind": "sbom"}]
    assert referrers[0]["digest"] == pushed.headers["Docker-Content-Digest"]


def test_sdk_lists_and_deletes(acrlink: Running, registry: str, proxied: None) -> None:
    acrlink.az(
        "acr",
        "import",
        "--name",
        NAME,
        "--source",
        "mcr.microsoft.com/hello-world:latest",
        "--image",
        "sdk-target:one",
        "--image",
        "sdk-target:two",
    )
    client = ContainerRegistryClient(
        f"https://{SERVER}", credential(acrlink), audience="https://containerregistry.azure.net"
    )
    with client:
        assert "sdk-target" in list(client.list_repository_names())
        tags = sorted(t.name for t in client.list_tag_properties("sdk-target"))
        assert tags == ["one", "two"]
        client.delete_tag("sdk-target", "one")
        assert [t.name for t in client.list_tag_properties("sdk-target")] == ["two"]
        client.delete_repository("sdk-target")
        assert "sdk-target" not in list(client.list_repository_names())
