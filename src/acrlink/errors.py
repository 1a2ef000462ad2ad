"""Domain errors: a code and a message, nothing about any wire format.

Each adapter maps these classes to its own protocol in one place (``arm/wire.py`` for ARM JSON).
The class says what kind of failure it is; the adapter picks the status from the class hierarchy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ErrorDetail:
    code: str
    message: str
    target: str | None = None
    details: list[ErrorDetail] = field(default_factory=list)


@dataclass
class AcrlinkError(Exception):
    """Base of every error acrlink raises on purpose."""

    code: str
    message: str
    target: str | None = None
    details: list[ErrorDetail] = field(default_factory=list)
    additional_info: list[dict[str, Any]] = field(default_factory=list)
    """ARM's ``additionalInfo`` entries (``{"type": ..., "info": {...}}``), e.g. where in a template."""

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class Unavailable(Exception):
    """A server acrlink depends on (the shared store, the blob store) cannot be reached now: not the request's
    fault and not a refusal. Every face answers 503 with ``Retry-After: retry_after`` in its own error shape;
    nothing was half written."""

    retry_after = 1


class BadRequest(AcrlinkError):
    """The request is malformed or breaks a rule of the resource (HTTP 400 in ARM)."""


class NotFound(AcrlinkError):
    """The addressed thing does not exist (HTTP 404 in ARM)."""


class Conflict(AcrlinkError):
    """The request conflicts with the current state (HTTP 409 in ARM)."""


class PreconditionFailed(AcrlinkError):
    """An If-Match / If-None-Match condition does not hold (HTTP 412 in ARM)."""


class MethodNotAllowed(AcrlinkError):
    """The address exists but does not take this method (HTTP 405 in ARM)."""


class Unauthorized(AcrlinkError):
    """Credentials are missing or invalid (HTTP 401)."""


class Forbidden(AcrlinkError):
    """The caller is known but may not do this (HTTP 403)."""


class RangeInvalid(AcrlinkError):
    """A byte range cannot be satisfied or is out of order (HTTP 416)."""


class TooLarge(AcrlinkError):
    """The request body exceeds a limit (HTTP 413)."""
