"""The cmd-step task files az acr run --cmd sends (TASKS-REFERENCE §1.4)."""

from __future__ import annotations

import pytest

from acrlink.tasks.taskfile import CmdStep, TaskFileError, parse

AZ_CMD = "version: v1.1.0\nsteps: \n  - cmd: {cmd}\n    disableWorkingDirectoryOverride: true\n    timeout: 600\n"


def test_az_cmd_yaml_gives_one_step_with_values_substituted() -> None:
    steps = parse(AZ_CMD.format(cmd='$Registry/app:{{.Run.ID}} sh -c "echo hi"'), {"Registry": "r.azurecr.cn",
                                                                                  "ID": "ca3"})  # fmt: skip
    assert steps == [CmdStep(("r.azurecr.cn/app:ca3", "sh", "-c", "echo hi"), 600)]


def test_an_image_alone_runs_its_own_command() -> None:
    assert parse(AZ_CMD.format(cmd="mcr.microsoft.com/hello-world"), {})[0].argv == ("mcr.microsoft.com/hello-world",)


@pytest.mark.parametrize(
    "text",
    [
        "version: v1.1.0\nsteps:\n  - build: -t app .\n",
        "version: v1.1.0\nsteps:\n  - cmd: x\n    network: host\n",
        "version: v1.1.0\nsecrets:\n  - id: s\n",
        "version: v1.1.0\nsteps:\n",
        "version: v1.1.0\nsteps:\n  - cmd: 'unclosed \"quote'\n",
    ],
)
def test_what_acrlink_does_not_run_is_refused(text: str) -> None:
    with pytest.raises(TaskFileError):
        parse(text, {})
