"""The lenient JSON reader: what az sends, positions of containers, Newtonsoft-style errors, speed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acrlink.domain.templates.jsonc import JsonSyntaxError, _Scanner, loads

AZ_BODY = (
    '{"properties": {"parameters": {"p": {"value": "x"}}, "mode": "Incremental", template:{\r\n'
    '  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\r\n'
    "  // comment\r\n"
    '  "contentVersion": "1.0.0.0", /* block\r\n comment */\r\n'
    '  "resources": [],\r\n'
    "}}}"
)


def test_az_body_with_unquoted_template_key_comments_crlf_and_trailing_comma() -> None:
    value, pos = loads(AZ_BODY)
    template = value["properties"]["template"]
    assert list(value["properties"]) == ["parameters", "mode", "template"]
    assert template == {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [],
    }
    assert pos.of(value) == (1, 1)
    assert pos.of(template) == (1, 86)
    assert pos.of(template["resources"]) == (6, 16)
    assert pos.of(value["properties"]["parameters"]["p"]) == (1, 37)


def test_literal_newlines_and_tabs_inside_strings_are_kept() -> None:
    value, _ = loads('{"s": "a\nb\tc", "e": "\\u00e9\\ud83d\\ude00"}')
    assert value == {"s": "a\nb\tc", "e": "é\U0001f600"}


def test_numbers() -> None:
    value, _ = loads("[0, -1, 123456789012345678901234567890, 1.5, 1e3, -2.5E-2]")
    assert value == [0, -1, 123456789012345678901234567890, 1.5, 1000.0, -0.025]
    assert [type(v) for v in value] == [int, int, int, float, float, float]


def test_trailing_commas_in_objects_and_arrays() -> None:
    assert loads("{a: [1, 2, ], b: {c: 1,},}")[0] == {"a": [1, 2], "b": {"c": 1}}


def test_positions_for_nested_containers_and_scalars() -> None:
    text = '{\n  "a": [\n    {"b": 1},\n    [2]\n  ],\n  "c": "x"\n}'
    value, pos = loads(text)
    assert pos.of(value) == (1, 1)
    assert pos.of(value["a"]) == (2, 8)
    assert pos.of(value["a"][0]) == (3, 5)
    assert pos.of(value["a"][1]) == (4, 5)
    assert pos.of("x") is None
    assert pos.of({"b": 1}) is None


def test_positions_survive_the_slow_path_too() -> None:
    text = '{a: [1, /* [ */ {"b": "[{"}], "c": // {\n [] }'
    value, pos = loads(text)
    slow_value, slow_offsets = _Scanner(text).document()
    assert value == slow_value == {"a": [1, {"b": "[{"}], "c": []}
    assert pos.of(value["a"][1]) == (1, 17)
    assert pos.of(value["c"]) == (2, 2)


def test_bom_is_ignored() -> None:
    assert loads('\ufeff{"a": 1}')[0] == {"a": 1}


def test_scalar_documents() -> None:
    assert loads(" 5 ")[0] == 5
    assert loads('"x"')[0] == "x"
    assert loads("null")[0] is None
    assert loads("true // yes")[0] is True


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        (
            '{"properties": {\n  "template":\n    x\n}}',
            "Unexpected character encountered while parsing value: x. Path 'properties.template', line 3, position 5.",
            3,
            5,
        ),
        ("[1,,2]", "Unexpected character encountered while parsing value: ,. Path '[1]', line 1, position 4.", 1, 4),
        ("[,]", "Unexpected character encountered while parsing value: ,. Path '[0]', line 1, position 2.", 1, 2),
        (
            '{"a" 1}',
            "Invalid character after parsing property name. Expected ':' but got: 1. Path 'a', line 1, position 6.",
            1,
            6,
        ),
        (
            '{"a": [1 2]}',
            "After parsing a value an unexpected character was encountered: 2. Path 'a[0]', line 1, position 10.",
            1,
            10,
        ),
        (
            '{"a": 1 "b": 2}',
            "After parsing a value an unexpected character was encountered: \". Path 'a', line 1, position 9.",
            1,
            9,
        ),
        ("{-: 1}", "Invalid property identifier character: -. Path '', line 1, position 2.", 1, 2),
        ('{"a": NaN}', "Unexpected character encountered while parsing value: N. Path 'a', line 1, position 7.", 1, 7),
        (
            '{"a": Infinity}',
            "Unexpected character encountered while parsing value: I. Path 'a', line 1, position 7.",
            1,
            7,
        ),
        (
            '{"a": -Infinity}',
            "Unexpected character encountered while parsing value: -. Path 'a', line 1, position 7.",
            1,
            7,
        ),
        ("[01]", "Input string '01' is not a valid number. Path '[0]', line 1, position 2.", 1, 2),
        ('{"a": "abc', "Unterminated string. Expected delimiter: \". Path 'a', line 1, position 10.", 1, 10),
        ('["\\x"]', "Bad JSON escape sequence: \\x. Path '[0]', line 1, position 4.", 1, 4),
        (
            "1 2",
            "Additional text encountered after finished reading JSON content: 2. Path '', line 1, position 3.",
            1,
            3,
        ),
        ("[1, /* open", "Unexpected end while parsing comment. Path '', line 1, position 11.", 1, 11),
        ('{"a": {"b": [', "Unexpected end when reading JSON. Path 'a.b[0]', line 1, position 13.", 1, 13),
        (
            '{"a b": x}',
            "Unexpected character encountered while parsing value: x. Path '['a b']', line 1, position 9.",
            1,
            9,
        ),
    ],
)
def test_syntax_errors_read_like_newtonsoft(text: str, message: str, line: int, column: int) -> None:
    with pytest.raises(JsonSyntaxError) as e:
        loads(text)
    assert (str(e.value), e.value.line, e.value.column) == (message, line, column)
    assert isinstance(e.value, ValueError)


def test_duplicate_property_names_are_refused() -> None:
    with pytest.raises(JsonSyntaxError) as e:
        loads('{"x": {"a": 1,\n "a": 2}}')
    assert str(e.value) == (
        "Can not add property a to Newtonsoft.Json.Linq.JObject. Property with the same name already exists "
        "on object. Path 'x.a', line 2, position 2."
    )
    # JObject compares names case-sensitively.
    assert loads('{"a": 1, "A": 2}')[0] == {"a": 1, "A": 2}


def test_bare_words_other_than_keys_are_refused() -> None:
    with pytest.raises(JsonSyntaxError, match="parsing value: h"):
        loads("{a: hello}")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_round_trips_any_json_value(v: Any) -> None:
    for text in (json.dumps(v), json.dumps(v, indent=2, ensure_ascii=False)):
        assert loads(text)[0] == v
        assert _Scanner(text).document()[0] == v


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_positions_agree_between_fast_and_exact_readers(v: Any) -> None:
    text = json.dumps(v, indent=1)
    value, pos = loads(text)
    slow_value, slow_offsets = _Scanner(text).document()

    def containers(x: Any) -> list[Any]:
        out = [x] if isinstance(x, dict | list) else []
        for c in x.values() if isinstance(x, dict) else x if isinstance(x, list) else []:
            out += containers(c)
        return out

    fast = [pos.of(c) for c in containers(value)]
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def lc(offset: int) -> tuple[int, int]:
        line = sum(1 for n in newlines if n < offset)
        start = newlines[line - 1] + 1 if line else 0
        return line + 1, offset - start + 1

    assert fast == [lc(slow_offsets[id(c)]) for c in containers(slow_value)]


def _big_document() -> str:
    resources = [
        {
            "type": "Microsoft.Network/virtualNetworks",
            "apiVersion": "2023-05-01",
            "name": f"[concat(parameters('prefix'), '-{i}')]",
            "location": "[resourceGroup().location]",
            "tags": {"n": i, "owner": "team"},
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"name": f"s{j}", "properties": {"addressPrefix": f"10.0.{j}.0/24"}} for j in range(4)],
            },
        }
        for i in range(4300)
    ]
    return json.dumps({"contentVersion": "1.0.0.0", "resources": resources}, indent=2)


def test_four_megabytes_parse_whole() -> None:
    """ARM's largest body reads in one piece (its speed is bench/deployments' business, not a test's: these
    machines are shared, and a timed assertion fails when they are busy)."""
    template = _big_document()
    assert len(template) > 4_000_000
    body = '{"properties": {"mode": "Incremental", template:' + template.replace("{", "{ // c\n", 1) + "}}"
    for text in (template, body):
        value, pos = loads(text)
        assert pos.of(value) == (1, 1)
    assert len(json.loads(template)["resources"]) == 4300
