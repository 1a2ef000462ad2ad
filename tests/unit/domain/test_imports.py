"""What an importImage request asks for (acrlink.domain.imports)."""

from __future__ import annotations

import pytest

from acrlink.domain.imports import import_request, split_image, split_target
from acrlink.errors import BadRequest

DIGEST = "sha256:" + "a" * 64


def test_images_and_targets() -> None:
    assert split_image("library/hello:1.0") == ("library/hello", "1.0")
    assert split_image(f"hello@{DIGEST}") == ("hello", DIGEST)
    assert split_image("hello") == ("hello", "latest")
    assert split_image("localhost/hello") == ("localhost/hello", "latest")
    assert split_target("team/app:v2") == ("team/app", "v2")
    assert split_target("app") == ("app", "latest")


def test_without_targets_the_image_keeps_its_name() -> None:
    tagged = import_request("mcr.microsoft.com", "hello:v1", [], [], "NoForce")
    assert (tagged.targets, tagged.untagged, tagged.force) == ((("hello", "v1"),), (), False)
    by_digest = import_request("src", f"hello@{DIGEST}", [], [], "Force")
    assert (by_digest.targets, by_digest.untagged, by_digest.force) == ((), ("hello",), True)
    both = import_request("src", "hello:v1", ["a:1", "b"], ["a", "c"], "NoForce")
    assert both.targets == (("a", "1"), ("b", "latest")) and both.untagged == ("a", "c")
    assert both.repositories == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("image", "tags", "mode"),
    [("hello:v1", [], "Sometimes"), ("Hello:v1", [], "Force"), ("hello:v1", ["app:bad tag"], "Force")],
)
def test_bad_requests_are_refused(image: str, tags: list[str], mode: str) -> None:
    with pytest.raises(BadRequest):
        import_request("src", image, tags, [], mode)
