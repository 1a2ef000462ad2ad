"""Pointing the real Azure CLI and the Azure SDK for Python at a running acrlink."""

from __future__ import annotations

import datetime
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

from acrlink.domain.cloud import CLI_CLOUD_NAME
from acrlink.domain.principals import CLIENT_SECRET

INSTALL_HINT = (
    "The Azure CLI (az) was not found. Install it with 'pip install azure-cli' "
    "(or see https://aka.ms/InstallAzureCli), or set ACRLINK_AZ to the az executable."
)


def config_dir(data_dir: Path) -> Path:
    """The default principal's az config dir."""
    return data_dir / "azure"


def host_config_dir(data_dir: Path, host: str) -> Path:
    """The az config dir of the default principal acting from ``host`` (not the internet): its own, so an
    ``az login --identity`` there leaves the default principal's login alone."""
    return data_dir / "hosts" / host.lower() / "azure"


def environment(data_dir: Path, endpoints: dict[str, Any]) -> dict[str, str]:
    """Variables for az (private config dir, this cloud, no telemetry or instance discovery, CA trusted)
    and for the SDK's EnvironmentCredential / DefaultAzureCredential."""
    arm = endpoints["arm"]
    bundle = endpoints.get("caBundle") or endpoints["ca"]
    return {
        "AZURE_CONFIG_DIR": str(config_dir(data_dir)),
        "ARM_CLOUD_METADATA_URL": f"{arm}/metadata/endpoints?api-version=2019-05-01",
        "AZURE_CLOUD_NAME": CLI_CLOUD_NAME,
        "AZURE_CORE_INSTANCE_DISCOVERY": "false",
        "AZURE_CORE_COLLECT_TELEMETRY": "false",
        "AZURE_CORE_SURVEY_MESSAGE": "false",
        "AZURE_CORE_NO_COLOR": "true",
        "SSL_CERT_FILE": bundle,
        "REQUESTS_CA_BUNDLE": bundle,
        "AZURE_TENANT_ID": endpoints["tenantId"],
        "AZURE_CLIENT_ID": str(endpoints["clientId"]),
        "AZURE_CLIENT_SECRET": CLIENT_SECRET,
        "AZURE_AUTHORITY_HOST": arm,
        "AZURE_SUBSCRIPTION_ID": endpoints["subscriptionId"],
        "ACRLINK_ARM_ENDPOINT": arm,
    }


def proxy_environment(endpoints: dict[str, Any]) -> dict[str, str]:
    """Route az's registry calls (``NAME.azurecr.cn``, which resolve nowhere else) through acrlink's
    proxy; ARM and Entra ID stay direct. Only for processes acrlink runs: exported into a user's
    shell, the proxy would refuse every name it does not emulate."""
    direct = ["127.0.0.1", "localhost"]
    arm_host = str(endpoints["arm"]).split("://", 1)[-1].rsplit(":", 1)[0]
    if arm_host not in direct:
        direct.append(arm_host)
    return {"HTTPS_PROXY": str(endpoints["proxy"]), "NO_PROXY": ",".join(direct)}


def export_lines(variables: dict[str, str]) -> str:
    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in variables.items())


def find_az() -> str | None:
    return os.environ.get("ACRLINK_AZ") or shutil.which("az")


def _quiet_update_check(directory: Path) -> None:
    """Tell az it checked for updates just now, so it makes no call to the internet."""
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")
    (directory / "versionCheck.json").write_text(
        json.dumps({"check_time": stamp, "update_time": stamp, "versions": {}})
    )


def ensure_login(az: str, data_dir: Path, endpoints: dict[str, Any], env: dict[str, str]) -> None:
    """Log az in, in the config dir ``env`` names (the default one when it names none), as the service
    principal ``env`` names (``AZURE_CLIENT_ID``/``AZURE_CLIENT_SECRET``/``AZURE_TENANT_ID``), once per
    running process (ports change between runs, so a config dir from an earlier run is reset). A principal
    other than the default one may have no subscription: it logs in with ``--allow-no-subscriptions``."""
    directory = Path(env.get("AZURE_CONFIG_DIR") or config_dir(data_dir))
    marker = directory / "acrlink-login.json"
    client_id = env.get("AZURE_CLIENT_ID") or str(endpoints["clientId"])
    tenant = env.get("AZURE_TENANT_ID") or str(endpoints["tenantId"])
    wanted = {"arm": endpoints["arm"], "tenantId": tenant, "clientId": client_id}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        _quiet_update_check(directory)
        return
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, mode=0o700)
    _quiet_update_check(directory)
    command = [
        az,
        "login",
        "--service-principal",
        "-u",
        client_id,
        "-p",
        env.get("AZURE_CLIENT_SECRET") or CLIENT_SECRET,
        "--tenant",
        tenant,
        "--output",
        "none",
    ]
    if client_id != str(endpoints["clientId"]):
        command.append("--allow-no-subscriptions")
    result = subprocess.run(command, env={**env, "AZURE_CONFIG_DIR": str(directory)}, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"az login against acrlink failed:\n{result.stderr}")
    marker.write_text(json.dumps(wanted))


def run_az(az: str, arguments: list[str], env: dict[str, str]) -> int:
    return subprocess.run([az, *arguments], env=env).returncode
