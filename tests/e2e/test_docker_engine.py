"""The seed's S23 verbatim with the real docker engine (Debian's dockerd), one daemon per host identity.

The world is built with the seed's CLI steps (a Premium registry holding hello-world:v1, the VNet, the
linked private zone, an endpoint with zone-group records, a VM in the VNet, public access disabled), then:
from the VM, ``az acr login --name myregistry`` (az calls ``docker login``, which the VM's daemon performs)
and ``docker pull myregistry.azurecr.cn/hello-world:v1`` succeed, and a push of a retagged and of a new
image pulls back; from the internet, ``az acr login``, ``docker login`` and ``docker pull`` are refused
with ACR's words. The daemon, not the docker client, makes the registry connections: each daemon runs
with its host's ``acrlink env --from HOST`` (the proxy as that host, acrlink's CA as SSL_CERT_FILE).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator

import pytest

from . import dockerd
from .conftest import Running, private_registry

pytestmark = [pytest.mark.slow, pytest.mark.az]

REG = "myregistry"
"""The seed's registry name, and so its image name ``myregistry.azurecr.cn/hello-world:v1``."""
RG = "docker-seed"
SERVER = f"{REG}.azurecr.cn"
IMAGE = f"{SERVER}/hello-world:v1"
NULL_USER = "00000000-0000-0000-0000-000000000000"
FIREWALL = "is not allowed access. Refer https://aka.ms/acr/firewall to grant access."


@pytest.fixture(scope="module")
def engine() -> None:
    """dockerd must be here: CI installs it (scripts/test.sh), so its absence is a failure, not a skip."""
    problem = dockerd.requirements()
    if problem:
        pytest.fail(problem)


@pytest.fixture(scope="module")
def world(engine: None, net: Running) -> Running:
    """The seed's world, public access disabled as the seed does before verifying from the VM."""
    private_registry(net, RG, REG, "myVNet", endpoint="myPrivateEndpoint")
    net.cli("vm", "create", "myVM", "-g", RG, "--vnet-name", "myVNet", "--subnet", "default")
    net.azs(f"acr update --name {REG} --public-network-enabled false")
    return net


def _daemon(net: Running, host: str) -> Iterator[dockerd.Dockerd]:
    """A daemon whose environment is what ``eval "$(acrlink env --from HOST)"`` gives a shell."""
    env = dockerd.exported(net.cli("env", "--from", host).stdout)
    daemon = dockerd.start(host, env)
    try:
        yield daemon
    finally:
        dockerd.stop(daemon)


@pytest.fixture(scope="module")
def vm(world: Running) -> Iterator[dockerd.Dockerd]:
    yield from _daemon(world, "myVM")


@pytest.fixture(scope="module")
def internet(world: Running) -> Iterator[dockerd.Dockerd]:
    yield from _daemon(world, "internet")


def acting(net: Running, host: str, daemon: dockerd.Dockerd, *command: str) -> subprocess.CompletedProcess[str]:
    """``acrlink exec --from HOST -- COMMAND`` with the docker client pointed at the host's daemon."""
    return subprocess.run(
        [sys.executable, "-m", "acrlink", "exec", "--from", host, "--", *command],
        capture_output=True,
        text=True,
        timeout=120,
        env={**daemon.client_env, "ACRLINK_DATA_DIR": str(net.data_dir)},
    )


def az_acr_login(net: Running, host: str, daemon: dockerd.Dockerd) -> subprocess.CompletedProcess[str]:
    """The seed's ``az acr login --name $REGISTRY_NAME``, run as the host."""
    return acting(net, host, daemon, "az", "acr", "login", "--name", REG)


def fresh_layer_tar() -> bytes:
    """A one-file root filesystem no registry holds yet, so its push uploads a new blob."""
    payload = os.urandom(300_000)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("payload.bin")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def pushed_digest(output: str, tag: str) -> str:
    found = re.search(rf"^{re.escape(tag)}: digest: (sha256:[0-9a-f]{{64}}) size: \d+$", output, re.MULTILINE)
    assert found, f"no digest line for {tag} in:\n{output}"
    return found.group(1)


def test_s23_the_vm_logs_in_and_pulls(world: Running, vm: dockerd.Dockerd) -> None:
    login = az_acr_login(world, "myVM", vm)
    assert login.returncode == 0, login.stderr
    assert "Login Succeeded" in login.stdout
    # What az acr login leaves in docker's config on Azure: the null user with an empty password and the
    # registry's refresh token as the identity token (docker stores the refresh_token the token service
    # returns for offline_token=true).
    entry = json.loads((vm.root / "docker-config" / "config.json").read_text())["auths"][SERVER]
    assert base64.b64decode(entry["auth"]).decode() == f"{NULL_USER}:"
    assert entry.get("identitytoken"), entry

    pulled = vm.docker("pull", IMAGE)
    assert f"Status: Downloaded newer image for {IMAGE}" in pulled.stdout
    digest = acting(
        world,
        "myVM",
        vm,
        "az",
        "acr",
        "repository",
        "show",
        "-n",
        REG,
        "--image",
        "hello-world:v1",
        "--query",
        "digest",
        "-o",
        "tsv",
    )
    assert digest.returncode == 0, digest.stderr
    assert f"Digest: {digest.stdout.strip()}" in pulled.stdout


def test_the_vm_pushes_a_retagged_and_a_new_image_and_pulls_them_back(world: Running, vm: dockerd.Dockerd) -> None:
    assert az_acr_login(world, "myVM", vm).returncode == 0
    vm.docker("pull", IMAGE)
    retagged, imported = f"{SERVER}/hello-world:v2", f"{SERVER}/samples/imported:v1"
    vm.docker("tag", IMAGE, retagged)
    made = subprocess.run(
        ["docker", "import", "-", imported], input=fresh_layer_tar(), capture_output=True, env=vm.client_env, timeout=60
    )
    assert made.returncode == 0, made.stderr
    ids = {}
    digests = {}
    for image in (retagged, imported):
        ids[image] = vm.docker("image", "inspect", "--format", "{{.Id}}", image).stdout.strip()
        push = vm.docker("push", image)
        digests[image] = pushed_digest(push.stdout, image.rsplit(":", 1)[1])
    repositories = acting(world, "myVM", vm, "az", "acr", "repository", "list", "-n", REG, "-o", "tsv")
    assert repositories.stdout.split() == ["hello-world", "samples/imported"]

    vm.docker("rmi", IMAGE, retagged, imported)
    for image in (retagged, imported):
        pulled = vm.docker("pull", image)
        assert f"Digest: {digests[image]}" in pulled.stdout
        assert vm.docker("image", "inspect", "--format", "{{.Id}}", image).stdout.strip() == ids[image]


def test_s23_from_the_internet_every_step_is_refused_with_acrs_words(
    world: Running, vm: dockerd.Dockerd, internet: dockerd.Dockerd
) -> None:
    # While the registry is public the internet's daemon logs in and pulls: its refusals below are the
    # firewall's, not a broken daemon.
    world.azs(f"acr update --name {REG} --public-network-enabled true --default-action Allow")
    try:
        assert az_acr_login(world, "internet", internet).returncode == 0
        internet.docker("pull", IMAGE)
        internet.docker("rmi", IMAGE)
    finally:
        world.azs(f"acr update --name {REG} --public-network-enabled false")
    refused_ip = f"client with IP '{world.endpoints['internetIp']}' {FIREWALL}"

    # az acr login: the challenge comes, the token exchange is refused (az's words for ACR's 403).
    login = az_acr_login(world, "internet", internet)
    assert login.returncode != 0
    assert f"Access to registry '{SERVER}' was denied. Response code: 403." in login.stderr, login.stderr

    # docker login with a token the VM got: the daemon's token request is refused with ACR's message.
    token = acting(
        world, "myVM", vm, "az", "acr", "login", "--name", REG, "--expose-token", "--query", "accessToken", "-o", "tsv"
    ).stdout.strip()
    assert token
    login = subprocess.run(
        ["docker", "login", SERVER, "--username", NULL_USER, "--password-stdin"],
        input=token,
        capture_output=True,
        text=True,
        env=internet.client_env,
        timeout=60,
    )
    assert login.returncode != 0
    assert f'Error response from daemon: Get "https://{SERVER}/v2/": denied: {refused_ip}' in login.stderr

    # docker pull (with the credentials from the login while public): refused by the firewall.
    pulled = internet.docker("pull", IMAGE, check=False)
    assert pulled.returncode != 0
    assert (
        f'Error response from daemon: Head "https://{SERVER}/v2/hello-world/manifests/v1": denied: {refused_ip}'
        in pulled.stderr
    ), pulled.stderr
