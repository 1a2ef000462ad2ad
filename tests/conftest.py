"""Fixtures every test directory may use: the real servers of ``tests/servers``."""

from tests.servers.azurite import azurite, azurite_container  # noqa: F401  (fixtures, registered by import)
