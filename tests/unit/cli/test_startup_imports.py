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
