"""The blob face URL a cluster gives its processes (``--public-blob-url``): what the SAS URLs name."""

from __future__ import annotations

import pytest

from acrlink.domain.sas import endpoint_url


def test_a_front_door_url_is_kept_without_its_trailing_slash() -> None:
    assert endpoint_url("https://127.0.0.1:17004/") == "https://127.0.0.1:17004"
    assert endpoint_url("https://blobs.example.test") == "https://blobs.example.test"


@pytest.mark.parametrize(
    "bad", ["127.0.0.1:17004", "ftp://127.0.0.1:1", "https://", "https://h:1/account", "https://h:1/?x=1", ""]
)
def test_anything_else_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="https://HOST:PORT"):
        endpoint_url(bad)
