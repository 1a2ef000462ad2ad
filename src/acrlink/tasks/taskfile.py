"""The task YAML acrlink runs: ``cmd`` steps, as ``az acr run --cmd "IMAGE [ARGS]" /dev/null`` sends them
(``version: v1.1.0``, ``steps:``, ``  - cmd: X`` with optional ``disableWorkingDirectoryOverride`` and
``timeout``). Any other step kind (``build``, ``push``) or top-level key is refused with a line saying so.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

_STEP = re.compile(r"^\s*-\s*(\w+)\s*:\s*(.*)$")
_FIELD = re.compile(r"^\s+(\w+)\s*:\s*(.*)$")
_TOP = re.compile(r"^(\w+)\s*:\s*(.*)$")
STEP_FIELDS = frozenset({"disableWorkingDirectoryOverride", "timeout", "id", "workingDirectory"})


class TaskFileError(Exception):
    """A task file acrlink cannot run (the message goes to the run's log)."""


@dataclass(frozen=True)
class CmdStep:
    argv: tuple[str, ...]
    """The image, then the arguments (none: the image's own entrypoint and command)."""
    timeout: int | None = None


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse(text: str, values: dict[str, str]) -> list[CmdStep]:
    """The cmd steps of ``text``, with ``{{.Run.ID}}``-style and ``$Registry`` values substituted."""
    steps: list[tuple[str, dict[str, str]]] = []
    in_steps = False
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        step = _STEP.match(raw)
        if in_steps and step:
            if step.group(1) != "cmd":
                raise TaskFileError(f"acrlink runs cmd steps only, not '{step.group(1)}' steps")
            steps.append((_scalar(step.group(2)), {}))
            continue
        field = _FIELD.match(raw)
        if in_steps and field and steps:
            if field.group(1) not in STEP_FIELDS:
                raise TaskFileError(f"acrlink does not support the step property '{field.group(1)}'")
            steps[-1][1][field.group(1)] = _scalar(field.group(2))
            continue
        top = _TOP.match(raw)
        if top and top.group(1) == "version":
            continue
        if top and top.group(1) == "steps":
            in_steps = True
            continue
        raise TaskFileError(f"acrlink cannot read this task file line: {raw.strip()}")
    if not steps:
        raise TaskFileError("the task file has no steps")
    result = []
    for command, fields in steps:
        for name, value in values.items():
            command = command.replace(f"{{{{.Run.{name}}}}}", value).replace(f"${name}", value)
        try:
            argv = tuple(shlex.split(command))
        except ValueError as exc:
            raise TaskFileError(f"the cmd '{command}' cannot be split: {exc}") from None
        if not argv:
            raise TaskFileError("a cmd step has no image")
        timeout = fields.get("timeout")
        result.append(CmdStep(argv, int(timeout) if timeout and timeout.isdigit() else None))
    return result
