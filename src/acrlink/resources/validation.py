"""Request body validation: collect every problem, then raise once (one ARM error naming them all)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from acrlink.errors import BadRequest, ErrorDetail

Model = TypeVar("Model", bound=BaseModel)


class Body(BaseModel):
    """Base of request body models: camelCase on the wire, unknown keys ignored, types strict."""

    model_config = ConfigDict(extra="ignore", strict=True, populate_by_name=True, frozen=True)


def one_of(*values: str) -> BeforeValidator:
    """Use as ``Annotated[str, one_of("Allow", "Deny")]``: any casing in, Azure's casing out."""
    return BeforeValidator(enum(*values))


def enum(*values: str) -> Callable[[Any], Any]:
    """A validator that accepts any casing of ``values`` and returns Azure's canonical casing."""
    by_lower = {v.lower(): v for v in values}

    def normalize(value: Any) -> Any:
        if isinstance(value, str) and value.lower() in by_lower:
            return by_lower[value.lower()]
        raise ValueError(f"must be one of {', '.join(values)}")

    return normalize


def parse(model: type[Model], body: Any) -> Model:
    """Validate ``body`` against ``model`` or raise ``InvalidRequestContent`` listing every bad field."""
    if not isinstance(body, dict):
        raise BadRequest(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: the body must be a JSON object.",
        )
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise invalid_content(exc.errors()) from None


def invalid_content(errors: Sequence[Any]) -> BadRequest:
    """One ``InvalidRequestContent`` for every problem pydantic found: each problem's field path and words in
    ``details``, all of them in the message."""
    details = [ErrorDetail("InvalidRequestContent", _describe(e), _path(e["loc"])) for e in errors]
    summary = "; ".join(f"'{d.target}': {d.message}" for d in details)
    return BadRequest(
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: {summary}.",
        details=details,
    )


# Location entries pydantic adds for its own schema steps (union members, validator wrappers), not
# for fields of the body.
_SCHEMA_STEP = re.compile(
    r"^(str|int|float|bool|none|function-(before|after|plain|wrap)\[.*\]|"
    r"(dict|list|union|nullable|tagged-union|json-or-python|lax-or-strict)\[.*\])$"
)


def _path(loc: Sequence[Any]) -> str:
    """``('properties', 'ipRules', 0, 'value')`` -> ``properties.ipRules[0].value``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not _SCHEMA_STEP.match(str(part)):
            path += f".{part}" if path else str(part)
    return path


def _describe(error: Any) -> str:
    if error["type"] == "missing":
        return "the property is required"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
