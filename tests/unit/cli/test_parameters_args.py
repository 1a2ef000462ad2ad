"""``--parameters`` as az reads them: files, inline JSON, ``@FILE``, ``KEY=VALUE`` typed by the template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acrlink.cli.deployment_parameters import (
    ParameterError,
    expand_at,
    missing_parameters,
    parse_parameters,
    read_jsonc,
    read_path,
    strip_comments,
)

TEMPLATE = {
    "parameters": {
        "name": {"type": "string"},
        "count": {"type": "int", "defaultValue": 1},
        "public": {"type": "bool", "defaultValue": True},
        "tags": {"type": "object", "defaultValue": {}},
        "prefixes": {"type": "array", "defaultValue": []},
        "secret": {"type": "secureString", "defaultValue": ""},
        "sku": {"$ref": "#/definitions/skuType"},
        "size": {"$ref": "#/definitions/sizes/1"},
    },
    "definitions": {"skuType": {"type": "string", "nullable": True}, "sizes": [{"type": "string"}, {"type": "int"}]},
}

FILE_DOC = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"name": {"value": "fromfile"}, "count": {"value": 3}},
}


def files(contents: dict[str, str]):  # type: ignore[no-untyped-def]
    return contents.get


def test_key_value_pairs_are_typed_by_the_template() -> None:
    arguments = [
        "name=myregistry",
        "count=5",
        "public=TRUE",
        'tags={"env": "dev"}',
        'prefixes=["10.0.0.0/16"]',
        "secret=a=b",
        "sku=Premium",
        "size=2",
    ]
    assert parse_parameters(TEMPLATE, arguments, files({})) == {
        "name": {"value": "myregistry"},
        "count": {"value": 5},
        "public": {"value": True},
        "tags": {"value": {"env": "dev"}},
        "prefixes": {"value": ["10.0.0.0/16"]},
        "secret": {"value": "a=b"},
        "sku": {"value": "Premium"},
        "size": {"value": 2},
    }
    assert parse_parameters(TEMPLATE, ["public=yes"], files({})) == {"public": {"value": False}}


def test_inline_json_bare_or_a_whole_parameters_document() -> None:
    assert parse_parameters(TEMPLATE, ['{"count": {"value": 1}}'], files({})) == {"count": {"value": 1}}
    assert parse_parameters(TEMPLATE, [json.dumps(FILE_DOC)], files({})) == FILE_DOC["parameters"]
    keyvault = {"secret": {"reference": {"keyVault": {"id": "/subscriptions/s/x"}, "secretName": "pw"}}}
    assert parse_parameters(TEMPLATE, [json.dumps(keyvault)], files({})) == keyvault, "passed through as is"
    assert parse_parameters(TEMPLATE, ["{}"], files({})) == {}


def test_files_by_path_and_by_at_with_comments() -> None:
    text = "// parameters\n" + json.dumps(FILE_DOC) + "\n/* end */\n"
    read = files({"main.parameters.json": text, "tags.json": '{"a": "b"}\n'})
    assert parse_parameters(TEMPLATE, ["main.parameters.json"], read) == FILE_DOC["parameters"]
    assert parse_parameters(TEMPLATE, ["@main.parameters.json"], read) == FILE_DOC["parameters"]
    assert parse_parameters(TEMPLATE, ["tags=@tags.json"], read) == {"tags": {"value": {"a": "b"}}}


def test_later_values_win() -> None:
    read = files({"p.json": json.dumps(FILE_DOC)})
    assert parse_parameters(TEMPLATE, ["p.json", "name=override"], read) == {
        "name": {"value": "override"},
        "count": {"value": 3},
    }


def test_refusals_use_azs_words() -> None:
    with pytest.raises(ParameterError, match="unrecognized template parameter 'nope'. Allowed parameters: count, "):
        parse_parameters(TEMPLATE, ["nope=1"], files({}))
    with pytest.raises(ParameterError, match="Unable to parse parameter: justaword"):
        parse_parameters(TEMPLATE, ["justaword"], files({}))
    with pytest.raises(ParameterError, match="int"):
        parse_parameters(TEMPLATE, ["count=many"], files({}))
    with pytest.raises(ParameterError, match="Failed to parse bad.json"):
        parse_parameters(TEMPLATE, ["bad.json"], files({"bad.json": "{not json"}))
    cyclic = {"parameters": {"p": {"$ref": "#/definitions/a"}}, "definitions": {"a": {"$ref": "#/definitions/a"}}}
    with pytest.raises(ParameterError, match="Cycle detected"):
        parse_parameters(cyclic, ["p=1"], files({}))


def test_missing_required_parameters() -> None:
    assert missing_parameters(TEMPLATE, {}) == ["name", "size"], "sku is nullable, the rest have defaults"
    assert missing_parameters(TEMPLATE, {"name": {"value": "x"}, "size": {"value": 1}}) == []


def test_comments_outside_strings_only() -> None:
    text = '{\n  // a comment\n  "url": "https://x//y", /* inline */ "n": 1\n}'
    assert read_jsonc(text) == {"url": "https://x//y", "n": 1}
    assert strip_comments('"a\\"//b"') == '"a\\"//b"'
    assert read_jsonc('{"s": "line one\nline two"}') == {"s": "line one\nline two"}, "raw newlines, as az allows"


def test_at_expansion_leaves_unreadable_files_alone() -> None:
    assert expand_at("@missing.json", files({})) == "@missing.json"
    assert expand_at("user@example.com", files({})) == "user@example.com"
    assert expand_at("@", files({})) == "@"


def test_read_path_reads_like_az(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\r\n')
    assert read_path(str(path)) == '{"a": 1}\n', "BOM dropped, newlines translated"
    assert read_path(str(tmp_path / "none.json")) is None
    assert read_path(str(tmp_path)) is None
