"""The directory service over a real SQLite store: secrets, names, tenants."""

from __future__ import annotations

from pathlib import Path

import pytest

from acrlink.errors import BadRequest, Forbidden
from acrlink.services.principals import Principals, new_secret
from acrlink.store.sqlite import SqliteStore

DEFAULT = "default-client"


@pytest.fixture
def directory(tmp_path: Path) -> Principals:
    return Principals(SqliteStore(tmp_path / "db.sqlite"), DEFAULT)


def test_secrets_are_checked_only_for_stored_principals(directory: Principals) -> None:
    app = directory.create_application("t1", "bot")
    secret = directory.add_password("t1", app["id"], None, None, None)["secretText"]
    assert directory.secret_check("t1", app["appId"], secret) is True
    assert directory.secret_check("t1", app["appId"], secret + "x") is False
    assert directory.secret_check("t1", "someone-else", "anything") is None
    assert directory.secret_check("t1", DEFAULT, "anything") is None
    stored = directory.application("t1", app["id"])["passwordCredentials"][0]
    assert "hash" not in stored and "secretText" not in stored and stored["hint"] == secret[:3]


def test_expired_and_future_secrets_are_refused(directory: Principals) -> None:
    app = directory.create_application("t1", "bot")
    old = directory.add_password("t1", app["id"], None, "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z")
    future = directory.add_password("t1", app["id"], None, "2999-01-01T00:00:00Z", "2999-06-01T00:00:00Z")
    assert directory.secret_check("t1", app["appId"], old["secretText"]) is False
    assert directory.secret_check("t1", app["appId"], future["secretText"]) is False


def test_names_are_unique_and_the_default_name_is_taken(directory: Principals) -> None:
    directory.create_application("t1", "bot")
    for name in ("BOT", "acrlink"):
        with pytest.raises(BadRequest):
            directory.create_application("t2", name)


def test_only_the_default_principal_writes(directory: Principals) -> None:
    directory.require_writer(DEFAULT)
    with pytest.raises(Forbidden):
        directory.require_writer("other")


def test_service_principals_per_tenant(directory: Principals) -> None:
    app = directory.create_application("t1", "bot")
    assert [s["displayName"] for s in directory.service_principals("t1")] == ["acrlink"]
    directory.create_service_principal("t1", app["appId"])
    assert [s["displayName"] for s in directory.service_principals("t1")] == ["acrlink", "bot"]
    assert [s["displayName"] for s in directory.service_principals("t2")] == ["acrlink"]
    with pytest.raises(BadRequest):
        directory.create_service_principal("t2", app["appId"])


def test_secrets_look_like_entra_secrets() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(len(s) == 40 and s[3:6] == "8Q~" and not s.startswith("-") for s in secrets)
