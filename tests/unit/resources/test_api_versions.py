"""The api-version table covers every catalogued type, and every api-version the clients acrlink is tested
with send (the installed SDKs in .venv, the real az in .venv-az) is one the table accepts."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from acrlink.errors import BadRequest
from acrlink.resources import api_versions
from acrlink.resources.api_versions import API_VERSIONS, check, supported
from acrlink.resources.catalog import build_catalog

ROOT = Path(__file__).resolve().parents[3]
SENT = re.compile(
    r'"api-version", "(\d{4}-\d{2}-\d{2}(?:-preview)?)"|api_version: str = "(\d{4}-\d{2}-\d{2}(?:-preview)?)"'
)
DEFAULT = re.compile(r'kwargs\.pop\("api_version", "(\d{4}-\d{2}-\d{2}(?:-preview)?)"\)')

NETWORK_TYPES = (
    "microsoft.network/virtualnetworks",
    "microsoft.network/virtualnetworks/subnets",
    "microsoft.network/virtualnetworks/virtualnetworkpeerings",
    "microsoft.network/networkinterfaces",
    "microsoft.network/privateendpoints",
    "microsoft.network/privateendpoints/privatednszonegroups",
)
REGISTRY_TYPES = (
    "microsoft.containerregistry/registries",
    "microsoft.containerregistry/registries/replications",
    "microsoft.containerregistry/registries/privateendpointconnections",
)
DNS_TYPES = ("microsoft.network/privatednszones", "microsoft.network/privatednszones/virtualnetworklinks")
RESOURCE_TYPES = ("microsoft.resources/resourcegroups", "microsoft.resources/subscriptions")


def _site(venv: str) -> Path:
    found = sorted((ROOT / venv / "lib").glob("python3*/site-packages"))
    if not found:
        pytest.fail(f"{venv} is not installed (bash scripts/test.sh installs it)")
    return found[0]


def _versions(paths: list[Path], pattern: re.Pattern[str] = SENT) -> set[str]:
    versions: set[str] = set()
    for base in paths:
        files = [base] if base.is_file() else base.rglob("*.py")
        for file in files:
            for match in pattern.finditer(file.read_text(errors="replace")):
                versions.add(next(g for g in match.groups() if g))
    assert versions, f"no api-version found under {paths}: the grep needs updating"
    return versions


def _network_sdk_versions(operations: Path) -> set[str]:
    """The versions the network SDK's request builders for the types acrlink models send."""
    wanted = tuple(f"/Microsoft.Network/{t}/" for t in ("virtualNetworks", "networkInterfaces", "privateEndpoints"))
    versions: set[str] = set()
    for file in operations.rglob("*.py"):
        for builder in file.read_text().split("\ndef build_")[1:]:
            url = re.search(r'_url = "([^"]+)"', builder)
            version = re.search(r'_params\.pop\("api-version", "([^"]+)"\)', builder)
            if url and version and any(w in url.group(1) + "/" for w in wanted):
                versions.add(version.group(1))
    assert versions, "no network request builder found: the grep needs updating"
    return versions


def _assert_accepted(versions: set[str], types: tuple[str, ...], who: str) -> None:
    for type_key in types:
        missing = sorted(v for v in versions if v not in supported(type_key))
        assert not missing, f"{who} sends {missing} for {type_key}, which the table refuses"


def test_every_catalog_type_has_versions() -> None:
    for rtype in build_catalog().types:
        assert rtype.type.lower() in API_VERSIONS, rtype.type
        versions = supported(rtype.type)
        assert list(versions) == sorted(set(versions), key=versions.index), "no duplicates"


def test_the_installed_sdks_versions_are_accepted() -> None:
    mgmt = _site(".venv") / "azure" / "mgmt"
    _assert_accepted(_versions([mgmt / "containerregistry"], DEFAULT), REGISTRY_TYPES, "azure-mgmt-containerregistry")
    _assert_accepted(_network_sdk_versions(mgmt / "network" / "operations"), NETWORK_TYPES, "azure-mgmt-network")
    _assert_accepted(_versions([mgmt / "privatedns"], DEFAULT), DNS_TYPES, "azure-mgmt-privatedns")
    resources = _versions([mgmt / "resource" / "resources", mgmt / "resource" / "subscriptions"], DEFAULT)
    _assert_accepted(resources, RESOURCE_TYPES, "azure-mgmt-resource")


def test_the_real_az_versions_are_accepted() -> None:
    site = _site(".venv-az")
    modules = site / "azure" / "cli" / "command_modules"
    aaz = modules / "network" / "aaz" / "latest" / "network"
    network = _versions([aaz / "vnet", aaz / "nic", aaz / "private_endpoint", modules / "acr"])
    _assert_accepted(network, NETWORK_TYPES, "az network / az acr")
    registry = _versions([site / "azure" / "mgmt" / "containerregistry"])
    registry.add("2019-12-01-preview")  # az network private-endpoint-connection (custom.py registers it)
    _assert_accepted(registry, REGISTRY_TYPES, "az acr")
    _assert_accepted(_versions([modules / "privatedns"]), DNS_TYPES, "az network private-dns")
    profiles = (site / "azure" / "cli" / "core" / "profiles" / "_shared.py").read_text()
    latest = profiles[profiles.index("AZURE_API_PROFILES") :]
    resources = {
        re.search(rf"ResourceType\.{name}: '([^']+)'", latest).group(1)  # type: ignore[union-attr]
        for name in ("MGMT_RESOURCE_RESOURCES", "MGMT_RESOURCE_SUBSCRIPTIONS")
    }
    _assert_accepted(resources | {"2016-02-01"}, RESOURCE_TYPES, "az group / az account / SDK registration")


def test_refusals_name_the_versions() -> None:
    with pytest.raises(BadRequest) as arm_own:
        check("microsoft.resources/resourcegroups", "x", "*", ("chinanorth2",))
    assert arm_own.value.code == "InvalidApiVersionParameter"
    with pytest.raises(BadRequest) as provider:
        check("microsoft.network/privatednszones", "2020-02-02", "global", ("global",))
    assert provider.value.code == "NoRegisteredProviderFound"
    assert "for type 'privatednszones'" in provider.value.message
    assert "'2018-09-01, 2020-01-01, 2020-06-01, 2024-06-01'" in provider.value.message
    check("microsoft.network/privatednszones", "2024-06-01", "global", ("global",))


def test_newest_stable() -> None:
    assert api_versions.newest_stable("microsoft.containerregistry/registries") == "2025-11-01"
    assert api_versions.newest_stable("microsoft.network/operations") == "2026-09-01"
    assert sys.version_info >= (3, 11)


def test_the_javascript_sdks_versions_are_accepted() -> None:
    modules = ROOT / "tests" / "js" / "node_modules" / "@azure"
    if not modules.is_dir():
        pytest.fail("tests/js is not installed (bash scripts/test.sh runs npm ci there)")
    defaults = re.compile(
        r'apiVersion \?\? "([0-9a-z-]+)"|apiVersion \|\| "([0-9a-z-]+)"'
        r'|exports\.apiVersion = \{\s*parameterPath: "apiVersion",\s*mapper: \{\s*defaultValue: "([0-9a-z-]+)"'
    )  # the network package's other api-version parameters are for cloud services
    for package, types in (
        ("arm-containerregistry", REGISTRY_TYPES),
        ("arm-network", NETWORK_TYPES),
        ("arm-resources", RESOURCE_TYPES),
    ):
        dist = modules / package / "dist" / "commonjs"
        found = {
            next(g for g in m.groups() if g)
            for file in dist.rglob("*.js")
            for m in defaults.finditer(file.read_text(errors="replace"))
        }
        found = {v for v in found if re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", v)}
        assert found, f"no api-version found in @azure/{package}: the grep needs updating"
        _assert_accepted(found, types, f"@azure/{package}")
