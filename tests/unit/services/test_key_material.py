"""Key material in the shared store (``services/key_material.py``): created once, the same for every process
(here: store objects on one SQLite file, each with a data dir of its own), and imported from a data dir of
before."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

import pytest

from acrlink import certs, signing
from acrlink.domain.sas import LEGACY_SAS_KEY
from acrlink.services import key_material
from acrlink.services import tasks_endpoint as tasks_config
from acrlink.services.key_material import LEGACY_ENTRA_FILE, LEGACY_SECRET_FILE, load_authority, load_keys, shared
from acrlink.store.sqlite import SqliteStore


@pytest.fixture(scope="module")
def entra_pem() -> bytes:
    return signing.new_rsa_pem()


def _store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "shared.db")


def test_keys_are_created_once_and_shared_by_every_store_on_the_file(tmp_path: Path) -> None:
    first, second = _store(tmp_path), _store(tmp_path)
    made = load_keys(first)
    again = load_keys(second)
    assert len(made.secret) == 32
    assert (again.secret, again.entra.kid) == (made.secret, made.entra.kid)
    with first.transaction() as tx:
        assert base64.b64decode(tx.kv_get(key_material.SECRET)) == made.secret
        assert str(tx.kv_get(key_material.ENTRA)).startswith("-----BEGIN PRIVATE KEY-----")


def test_of_two_processes_creating_at_once_the_first_commit_wins(tmp_path: Path) -> None:
    first, second = _store(tmp_path), _store(tmp_path)

    def make_while_the_other_commits() -> str:
        # The other process read "absent" too, and commits its candidate before this one inserts.
        assert shared(second, "keys/x", lambda: "second") == "second"
        return "first"

    assert shared(first, "keys/x", make_while_the_other_commits) == "second"
    assert shared(first, "keys/x", lambda: "third") == "second"


def test_a_data_dir_from_before_is_imported(tmp_path: Path, entra_pem: bytes) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / LEGACY_SECRET_FILE).write_bytes(b"s" * 32)
    (old / LEGACY_ENTRA_FILE).write_bytes(entra_pem)
    cert, key = certs.new_authority_pem()
    (old / "ca.pem").write_bytes(cert)
    (old / "ca.key").write_bytes(key)
    store = _store(tmp_path)
    keys = load_keys(store, old)
    assert keys.secret == b"s" * 32
    assert keys.entra.kid == signing.RsaKey.from_pem(entra_pem).kid
    assert load_authority(store, old).cert.public_bytes(certs.serialization.Encoding.PEM) == cert
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert load_keys(_store(tmp_path), fresh).secret == b"s" * 32, "the store's keys, not new ones"


def test_files_of_another_data_dir_do_not_replace_the_store_keys(tmp_path: Path, entra_pem: bytes) -> None:
    store = _store(tmp_path)
    stored = load_keys(store)
    other = tmp_path / "other"
    other.mkdir()
    (other / LEGACY_SECRET_FILE).write_bytes(b"o" * 32)
    (other / LEGACY_ENTRA_FILE).write_bytes(entra_pem)
    assert load_keys(store, other).secret == stored.secret


def test_every_data_dir_gets_the_one_ca(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    first = load_authority(_store(tmp_path), one)
    second = load_authority(_store(tmp_path), two)
    assert (one / "ca.pem").read_bytes() == (two / "ca.pem").read_bytes()
    assert first.cert == second.cert and first.cert_path == one / "ca.pem"
    assert stat.S_IMODE((two / "ca.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((two / "ca.pem").stat().st_mode) == 0o644


def test_a_ca_file_left_from_another_store_is_rewritten(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    stored = load_authority(_store(tmp_path), data)
    certs.write_authority(*certs.new_authority_pem(), data)  # what another store's process left
    assert load_authority(_store(tmp_path), data).cert == stored.cert
    written = certs.authority_from_pem((data / "ca.pem").read_bytes(), (data / "ca.key").read_bytes(), data)
    assert written.cert == stored.cert


def test_a_mismatched_ca_pair_is_refused_not_shared(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    cert, _ = certs.new_authority_pem()
    _, key = certs.new_authority_pem()
    (old / "ca.pem").write_bytes(cert)
    (old / "ca.key").write_bytes(key)
    store = _store(tmp_path)
    with pytest.raises(ValueError, match="does not match"):
        load_authority(store, old)
    with store.transaction() as tx:
        assert tx.kv_get(key_material.AUTHORITY) is None


def test_the_tasks_sas_key_is_shared_and_kept_from_before(tmp_path: Path) -> None:
    first, second = _store(tmp_path), _store(tmp_path)
    with first.transaction() as tx:
        tx.kv_put(LEGACY_SAS_KEY, "ab" * 32)
    assert tasks_config.ensure(first, "https://127.0.0.1:1") == bytes.fromhex("ab" * 32)
    assert tasks_config.ensure(second, "https://127.0.0.1:2") == bytes.fromhex("ab" * 32)


def test_a_new_store_gets_a_random_tasks_sas_key(tmp_path: Path) -> None:
    keys: list[Any] = [tasks_config.ensure(SqliteStore(tmp_path / f"{n}.db"), "https://x") for n in "ab"]
    assert len(keys[0]) == 32 and keys[0] != keys[1]
