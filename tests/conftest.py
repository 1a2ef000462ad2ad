"""Fixtures every test directory may use: the real servers of ``tests/servers``."""

from tests.servers.azurite import azurite, azurite_container
from tests.servers.postgres import postgres_server, postgres_url

__all__ = ["azurite", "azurite_container", "postgres_server", "postgres_url"]
