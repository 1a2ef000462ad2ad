"""If-Match and If-None-Match, read from a request into the ``Preconditions`` a write is checked against.

ARM hands both headers to the resource provider; for its own types (``ResourceType.served_by_arm``: resource
groups, which have no etag) it reads neither.
"""

from __future__ import annotations

from starlette.datastructures import Headers

from acrlink.domain.preconditions import UNCONDITIONAL, Preconditions, bare_etag
from acrlink.resources.base import ResourceType


def read(headers: Headers, rtype: ResourceType) -> Preconditions:
    """The conditions the request's headers set on a write of ``rtype``: ``If-Match: *`` (any existing resource)
    or an etag in any of its spellings, and ``If-None-Match: *``; another If-None-Match value sets none."""
    if rtype.served_by_arm:
        return UNCONDITIONAL
    if_match = headers.get("if-match")
    return Preconditions(
        if_match=if_match,
        match_etag=None if if_match is None or if_match == "*" else bare_etag(if_match),
        if_none_match_any=headers.get("if-none-match") == "*",
    )
