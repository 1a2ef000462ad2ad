"""Fixtures for the template tests."""

from __future__ import annotations

import pytest

from .fakescope import FakeScope


@pytest.fixture
def scope() -> FakeScope:
    return FakeScope(parameters={"p": "web", "n": 3, "obj": {"a": 1, "B": {"c": [1, 2]}}}, loops={None: 2, "disks": 5})
