"""``acrlink up --public-blob-url``: a URL that is not ``https://HOST:PORT`` is refused before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_bad_public_blob_url_is_a_usage_error(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "acrlink", "up", "--data-dir", str(tmp_path), "--public-blob-url", "blob:17004"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env={**os.environ})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "is not a blob face URL: use https://HOST:PORT" in done.stderr
    assert not (tmp_path / "endpoints.json").exists()
