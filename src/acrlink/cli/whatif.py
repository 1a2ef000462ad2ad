"""``acrlink check --what-if TEMPLATE``: ask the ARM face what deploying a template would change, as
``az deployment group what-if`` asks it, and print what that does to the network.

The request is az's: ``POST .../deployments/{name}/whatIf`` with az's body bytes (``request_body``),
answered 200 with the result, or 202 and a ``Location`` to poll. The answer's ``properties.reachability``
entries (``domain.reachability.as_json``) are printed one summary a line, then a count.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

import httpx

from acrlink.cli import deployment_parameters

API_VERSION = "2025-04-01"
"""What az 2.91 sends for every deployments call."""
MODES = ("Incremental", "Complete")
RESULT_FORMATS = ("FullResourcePayloads", "ResourceIdOnly")
_NAME = re.compile(r"^[-\w\._\(\)]+$")
DEFAULT_POLL_SECONDS = 1.0
MAX_WAIT_SECONDS = 600.0


class UsageError(ValueError):
    """A bad argument, refused before anything is sent."""


def deployment_name(template_path: str, name: str | None) -> str:
    """``--name``, else the template file's name without its extension (``main.json`` -> ``main``), as
    az defaults it; 1-64 letters, digits, ``-_.()``, as az's SDK checks before sending."""
    chosen = name if name is not None else PurePath(template_path).stem
    if not 1 <= len(chosen) <= 64 or not _NAME.match(chosen):
        raise UsageError(
            f"Invalid deployment name '{chosen}': 1-64 characters of letters, digits, '-', '_', '.', '(' and ')'"
        )
    return chosen


def canonical(value: str, allowed: tuple[str, ...], option: str) -> str:
    """An enum option as az takes it: any case in, the canonical spelling out."""
    for choice in allowed:
        if choice.lower() == value.lower():
            return choice
    raise UsageError(f"{option}: '{value}' is not one of {', '.join(allowed)}")


def request_body(
    template_text: str, parameters: dict[str, Any], mode: str, result_format: str = "FullResourcePayloads"
) -> bytes:
    """az's what-if body: ``properties`` with ``parameters``, ``mode`` and ``whatIfSettings`` dumped by
    Python's ``json.dumps`` defaults, then the template file's text spliced in verbatim under an unquoted
    ``template`` key, last (az's ``JsonCTemplatePolicy``; comments and all)."""
    settings = {"resultFormat": result_format}
    head = json.dumps({"properties": {"parameters": parameters, "mode": mode, "whatIfSettings": settings}})
    return (head[:-2] + ", template:" + template_text + "}}").encode("utf-8")


def prepare(
    template_path: str,
    template_text: str,
    arguments: list[str],
    mode: str,
    name: str | None,
    read: deployment_parameters.Reader = deployment_parameters.read_path,
) -> tuple[str, bytes]:
    """The deployment name and request body for a template file's text and the command's options, with
    az's checks: the template parses (comments allowed), every ``--parameters`` value parses, no required
    parameter is missing, the name and the mode are valid."""
    try:
        template = deployment_parameters.read_jsonc(template_text)
    except ValueError:
        raise UsageError(f"Failed to parse '{template_path}', please check whether it is a valid JSON format") from None
    if not isinstance(template, dict):
        raise UsageError(f"Failed to parse '{template_path}': a template is a JSON object")
    values = deployment_parameters.parse_parameters(template, arguments, read)
    missing = deployment_parameters.missing_parameters(template, values)
    if missing:
        raise UsageError(f"Missing input parameters: {', '.join(missing)}")
    deployment = deployment_name(template_path, name)
    return deployment, request_body(template_text, values, canonical(mode, MODES, "--mode"))


def what_if_path(subscription: str, group: str, name: str) -> str:
    """The what-if address as az's SDK builds it (lower-case ``resourcegroups``)."""
    return (
        f"/subscriptions/{subscription}/resourcegroups/{group}/providers/Microsoft.Resources/deployments/"
        f"{name}/whatIf?api-version={API_VERSION}"
    )


def post(client: httpx.Client, path: str, body: bytes, sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """POST the what-if and follow a 202's ``Location`` (waiting ``Retry-After`` seconds between polls)
    until an answer that is not 202; that answer's JSON. An answer that is not JSON becomes an error
    object naming the status."""
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    waited = 0.0
    while response.status_code == 202:
        location = response.headers.get("Location")
        if not location:
            return _error("NoLocation", "ARM answered 202 without a Location to poll")
        if waited > MAX_WAIT_SECONDS:
            return _error("Timeout", f"the what-if did not finish within {MAX_WAIT_SECONDS:.0f} seconds")
        delay = _retry_after(response.headers.get("Retry-After"))
        sleep(delay)
        waited += delay
        response = client.get(location)
    try:
        answer = response.json()
    except ValueError:
        return _error(f"HTTP{response.status_code}", response.text.strip() or response.reason_phrase)
    if not isinstance(answer, dict):
        return _error(f"HTTP{response.status_code}", response.text.strip())
    if response.status_code >= 400 and not answer.get("error"):
        return _error(f"HTTP{response.status_code}", response.text.strip())
    return answer


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_POLL_SECONDS
    except ValueError:
        return DEFAULT_POLL_SECONDS


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def report(result: dict[str, Any], registry: str | None = None, host: str | None = None) -> tuple[int, list[str]]:
    """The exit code and the lines to print for an answer.

    An answer with an ``error`` (an ARM error body, or a 200 result whose ``status`` is Failed) is exit
    1 with ``CODE: message`` and each detail indented below its parent. Otherwise exit 0 with each
    ``properties.reachability`` summary (only those of ``registry``'s names and of ``host`` when
    given), then a count line."""
    error = result.get("error")
    if error:
        return 1, error_lines(error)
    entries = (result.get("properties") or {}).get("reachability") or []
    shown = [e for e in entries if _selected(e, registry, host)]
    lines = [str(e.get("summary", "")) for e in shown]
    count = len(shown)
    lines.append(f"{count} reachability change{'' if count == 1 else 's'}.")
    return 0, lines


def _selected(entry: dict[str, Any], registry: str | None, host: str | None) -> bool:
    if host is not None and str(entry.get("host", "")).lower() != host.lower():
        return False
    if registry is not None:
        return str(entry.get("name", "")).lower().split(".")[0] == registry.lower().split(".")[0]
    return True


def error_lines(error: dict[str, Any], depth: int = 0) -> list[str]:
    """``CODE: message`` for an ARM error object, then its ``details``, two spaces deeper each level."""
    lines = [f"{'  ' * depth}{error.get('code', 'Error')}: {error.get('message', '')}"]
    for detail in error.get("details") or []:
        if isinstance(detail, dict):
            lines += error_lines(detail, depth + 1)
    return lines
