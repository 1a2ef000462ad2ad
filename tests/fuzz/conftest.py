"""Property-based fuzzing of every parser at acrlink's edges (hypothesis).

Each face is fed generated input and must answer with its protocol's error (a 4xx, an RCODE, a refusal),
never a 5xx, a traceback or a hang, and a refused request must change nothing: ``state`` fingerprints
the whole store (every table of the SQLite database) and the blob directory before and after.

CI runs a fixed, derandomised set of examples (profile ``ci``, the default); ``HYPOTHESIS_PROFILE=deep``
runs many more, with fresh randomness, for a longer hunt.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from acrlink.app import Application, build
from acrlink.settings import Settings
from tests.api.conftest import Arm, seed_entra_key

settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "deep",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

VOLATILE_TABLES = frozenset()
"""Tables whose rows change without a client's request (none today)."""


def state(data_dir: Path) -> str:
    """A fingerprint of everything a request could change: every row of every table, and every blob file."""
    digest = hashlib.sha256()
    with sqlite3.connect(f"file:{data_dir / 'acrlink.db'}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for table in tables:
            if table in VOLATILE_TABLES:
                continue
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'):  # noqa: S608 (names from the schema)
                digest.update(repr((table, row)).encode())
    conn.close()
    blobs = data_dir / "blobs"
    if blobs.exists():
        for path in sorted(blobs.rglob("*")):
            if path.is_file():
                digest.update(f"{path.relative_to(blobs)}:{path.stat().st_size}".encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def fuzz_arm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Arm]:
    """One application per module: hypothesis runs many examples against one world."""
    data_dir = tmp_path_factory.mktemp("fuzz")
    seed_entra_key(data_dir)
    application: Application = build(Settings(data_dir=data_dir))
    yield Arm(application)
    application.store.close()
