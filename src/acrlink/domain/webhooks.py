"""Registry webhooks: which events a webhook hears, where it may be delivered, and the payloads ACR posts.

Pure rules, no I/O: ``resources/webhook.py`` validates with them, ``resources/webhook_events.py`` matches and
builds payloads with them.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

ACTIONS = ("push", "delete", "quarantine", "chart_push", "chart_delete")
"""The event kinds a webhook can subscribe to (Azure's ``WebhookAction`` values)."""

CHART_MEDIA_TYPE = "application/vnd.acr.helm.chart"

_PART = re.compile(r"^[^:]*$")


def check_service_uri(uri: str) -> str | None:
    """Why ``uri`` cannot be a webhook's service URI (an absolute http or https URL with a host), or None."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return f"The service URI '{uri}' is not a valid absolute URI."
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"The service URI '{uri}' is not a valid absolute http or https URI."
    return None


def is_loopback(uri: str) -> bool:
    """Whether a delivery to ``uri`` stays on this machine: 127.0.0.0/8, ::1 or ``localhost``."""
    host = (urlsplit(uri).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_scope(scope: str) -> str | None:
    """Why ``scope`` is not ``repo``, ``repo:tag`` or ``repo:*`` (empty is every repository), or None."""
    if scope == "":
        return None
    repo, sep, tag = scope.partition(":")
    if not repo or (sep and not tag) or ":" in tag or not _PART.match(repo):
        return f"The scope '{scope}' is not valid: use 'repository', 'repository:tag' or 'repository:*'."
    return None


def _glob(pattern: str, value: str) -> bool:
    """``*`` in a scope part stands for any run of characters; everything else is literal."""
    regex = ".*".join(re.escape(p) for p in pattern.split("*"))
    return re.fullmatch(regex, value) is not None


def scope_matches(scope: str, repository: str, tags: tuple[str, ...]) -> bool:
    """Whether an event on ``repository`` touching ``tags`` (none for an untagged manifest) is in ``scope``.

    Empty scope: every event. ``repo`` means ``repo:latest``; ``repo:*`` any tag of ``repo`` and untagged
    events in it; ``repo:tag`` only events touching that tag. ``*`` inside either part is a wildcard.
    """
    if not scope:
        return True
    repo, _, tag = scope.partition(":")
    tag = tag or "latest"
    if not _glob(repo, repository):
        return False
    if tag == "*":
        return True
    return any(_glob(tag, t) for t in tags)


@dataclass(frozen=True)
class Target:
    """What an event is about: the manifest, where it lives and under which tag."""

    repository: str
    digest: str
    media_type: str
    size: int | None = None
    tag: str | None = None
    tags: tuple[str, ...] = ()
    """Every tag the event touches, for scope matching (a deleted manifest's former tags)."""


@dataclass(frozen=True)
class Origin:
    """The request that caused an event (absent for events acrlink makes itself, such as Tasks' pushes)."""

    host: str
    method: str
    useragent: str
    request_id: str = ""


@dataclass(frozen=True)
class Event:
    """A registry event a webhook may be sent (push, delete, quarantine...): the action, what it is about and, when
    known, the request that caused it."""

    action: str
    target: Target
    origin: Origin | None = None

    @property
    def tags(self) -> tuple[str, ...]:
        """The tags the event is about: its list, else its one tag, else none (a push by digest)."""
        return self.target.tags or ((self.target.tag,) if self.target.tag else ())


def payload(event_id: str, timestamp: str, event: Event, request_id: str) -> dict[str, Any]:
    """The JSON body ACR posts for an event (Microsoft's webhook reference): a push names the manifest's
    media type, size/length, digest, repository and tag; a delete only the media type, digest and repository."""
    target = event.target
    body: dict[str, Any] = {"id": event_id, "timestamp": timestamp, "action": event.action}
    if event.action == "delete":
        body["target"] = {"mediaType": target.media_type, "digest": target.digest, "repository": target.repository}
    else:
        shown: dict[str, Any] = {"mediaType": target.media_type}
        if target.size is not None:
            shown["size"] = target.size
        shown["digest"] = target.digest
        if target.size is not None:
            shown["length"] = target.size
        shown["repository"] = target.repository
        if target.tag:
            shown["tag"] = target.tag
        body["target"] = shown
    if event.origin is not None:
        body["request"] = {
            "id": event.origin.request_id or request_id,
            "host": event.origin.host,
            "method": event.origin.method,
            "useragent": event.origin.useragent,
        }
    return body


def ping_payload(event_id: str, timestamp: str) -> dict[str, Any]:
    """The body of ``ping``: only an id, a timestamp and the action (``unconfirmed.WEBHOOK_PING_PAYLOAD``)."""
    return {"id": event_id, "timestamp": timestamp, "action": "ping"}


def masked_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers as ``listEvents`` shows a request: the value of ``Authorization`` hidden."""
    return {k: ("******" if k.lower() == "authorization" else v) for k, v in headers.items()}
