"""The seed document's CLI section, verbatim, with the real az (examples/seed-cli.sh)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Running

pytestmark = [pytest.mark.slow, pytest.mark.az]

SCRIPT = Path(__file__).parents[2] / "examples" / "seed-cli.sh"


def test_seed_cli_section_runs_verbatim(acrlink: Running, az_path: str) -> None:
    path = os.pathsep.join([str(Path(sys.executable).parent), str(Path(az_path).parent), os.environ.get("PATH", "")])
    env = {
        **os.environ,
        "ACRLINK_DATA_DIR": str(acrlink.data_dir),
        "ACRLINK_AZ": az_path,
        "PATH": path,
        "REGISTRY_NAME": "seedclireg",
        "RESOURCE_GROUP": "seed-cli-rg",
    }
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "seed CLI walkthrough: all steps passed" in result.stdout
    assert "ok: registry private IP = 10.0.0.4" in result.stdout
    assert "ok: geo-replica data endpoint private IP = 10.0.0.6" in result.stdout
