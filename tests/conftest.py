"""Fixtures every test directory may use: the real servers of ``tests/servers``."""

from tests.servers.postgres import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]
