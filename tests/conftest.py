"""Fixtures every test directory may use: the real servers of ``tests/servers``; and the suite's order."""

import pytest

from tests.servers.azurite import azurite, azurite_container
from tests.servers.postgres import postgres_server, postgres_url

__all__ = ["azurite", "azurite_container", "postgres_server", "postgres_url"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end modules run first, each module's tests in their order: on several workers
    (``--dist loadfile`` hands out modules in this order) the last minutes are then spent on short unit and
    api modules rather than on a two-minute walkthrough that one worker started late while the others idle."""
    items.sort(key=lambda item: 0 if item.nodeid.startswith("tests/e2e/") else 1)
