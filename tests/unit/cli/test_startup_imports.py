"""`acrlink az` runs before every az call a user or a test makes: its start must not pay for the server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("acrlink.arm.identity", "acrlink.app", "acrlink.resources.catalog", "httpx", "dns.message", "asyncio")
"""Modules only the commands that use them may import (each costs `acrlink az` from 0.1 s to 0.7 s)."""


def _imported_by_the_cli() -> set[str]:
    probe = "import json, sys; import acrlink.cli.main; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout))


def test_the_cli_imports_no_server_module_before_a_command_needs_it() -> None:
    loaded = _imported_by_the_cli()
    assert [name for name in HEAVY if name in loaded] == []


def test_the_az_command_still_finds_its_cloud_name() -> None:
    from acrlink.arm.identity import CLI_CLOUD_NAME as served
    from acrlink.cli.azure import environment

    endpoints = {"arm": "https://127.0.0.1:1", "ca": "ca.pem", "tenantId": "t", "clientId": "c", "subscriptionId": "s"}
    assert environment(Path("/nonexistent"), endpoints)["AZURE_CLOUD_NAME"] == served


def test_acting_as_a_host_reads_the_world_without_importing_the_server(tmp_path: Path) -> None:
    """``acrlink exec`` (every pull a walkthrough makes from a VM) reads the network from the store: it once
    imported the whole server for that, 0.45 s a call."""
    probe = (
        "import json, sys, pathlib; from acrlink.cli import network; d = pathlib.Path(sys.argv[1]); "
        "g = network.graph(d, {'store': f'sqlite://{d}/acrlink.db', 'cloud': 'AzureChinaCloud'}); "
        "assert g.host('internet') is not None; print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True)
    loaded = set(json.loads(result.stdout))
    assert [name for name in ("acrlink.app", "acrlink.arm.handlers", "httpx") if name in loaded] == []
