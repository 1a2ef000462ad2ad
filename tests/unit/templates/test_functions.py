"""Template functions and the evaluator, mostly against the examples in ARM's function docs."""

from __future__ import annotations

import time
from typing import Any

import pytest

from acrlink.domain.templates.evaluator import evaluate, evaluate_string
from acrlink.domain.templates.functions import FUNCTIONS, lookup
from acrlink.errors import BadRequest

from .fakescope import RG, SUB, FakeScope


def ev(expr: str, scope: FakeScope | None = None) -> Any:
    return evaluate_string(expr, scope or FakeScope(parameters={"p": "web"}, loops={None: 2, "disks": 5}))


def err(expr: str, scope: FakeScope | None = None) -> str:
    with pytest.raises(BadRequest) as e:
        ev(expr, scope)
    assert e.value.code == "InvalidTemplate"
    return e.value.message


# the table ---------------------------------------------------------------------------------------------


def test_every_function_has_a_doc_and_a_lower_case_key() -> None:
    for key, fn in FUNCTIONS.items():
        assert key == fn.name.lower()
        assert fn.doc, fn.name


def test_unknown_function() -> None:
    assert err("[foo('a')]") == (
        "The template function 'foo' is not found. Please see https://aka.ms/arm-functions for usage details."
    )


def test_argument_count() -> None:
    assert err("[substring('abc')]") == (
        "Unable to evaluate template language function 'substring': function requires 2 to 3 argument(s) while 1 "
        "were provided. Please see https://aka.ms/arm-functions for usage details."
    )
    assert "function requires 1 argument(s) while 0 were provided" in err("[parameters()]")
    assert "function requires at least 1 argument(s) while 0 were provided" in err("[uniqueString()]")


def test_argument_type() -> None:
    assert err("[toLower(1)]") == (
        "The template language function 'toLower' expects its first parameter to be of type 'String'. The provided "
        "value is of type 'Integer'. Please see https://aka.ms/arm-functions for usage details."
    )
    assert "second parameter to be of type 'Integer'. The provided value is of type 'Boolean'" in err(
        "[add(1, true())]"
    )


def test_function_names_are_case_insensitive() -> None:
    assert ev("[CONCAT('a', ToUpper('b'))]") == "aB"


# strings -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[concat('a', 'b', 'c')]", "abc"),
        ("[concat('a', 1, true())]", "a1True"),
        ("[concat(createArray(1, 2), createArray(3))]", [1, 2, 3]),
        (
            "[format('{0}, {1}. Formatted number: {2:N0}', 'Hello', 'User', 8175133)]",
            "Hello, User. Formatted number: 8,175,133",
        ),
        ("[format('{0:D3}-{1:X}-{1:x4}', 7, 255)]", "007-FF-00ff"),
        ("[format('[{0,5}][{1,-5}]', 'ab', 'cd')]", "[   ab][cd   ]"),
        ("[format('{{0}} {0:N2} {1:F1} {2:F2}', 1234, json('2.25'), json('2.675'))]", "{0} 1,234.00 2.3 2.67"),
        ("[format('{0:0000} {0:#,##0} {1:0.00}', 12345, json('3.14159'))]", "12345 12,345 3.14"),
        ("[format('{0} {1} {2}', true(), createArray(1), null())]", "True [1] "),
        ("[format('{0:D4}', -12)]", "-0012"),
        ("[replace('123-123-1234', '-', '')]", "1231231234"),
        ("[replace('123-123-1234', '1234', 'xxxx')]", "123-123-xxxx"),
        ("[split('one,two,three', ',')]", ["one", "two", "three"]),
        ("[split('one;two,three', createArray(',', ';'))]", ["one", "two", "three"]),
        ("[split('a,,b', ',')]", ["a", "", "b"]),
        ("[toLower('One Two')]", "one two"),
        ("[toUpper('One Two')]", "ONE TWO"),
        ("[trim('    one two three   ')]", "one two three"),
        ("[substring('hello world', 6, 5)]", "world"),
        ("[substring('hello world', 6)]", "world"),
        ("[indexOf('test', 't')]", 0),
        ("[indexOf('abcdef', 'CD')]", 2),
        ("[indexOf('abcdef', 'z')]", -1),
        ("[lastIndexOf('test', 't')]", 3),
        ("[indexOf(createArray('a', 'b', 'b'), 'b')]", 1),
        ("[lastIndexOf(createArray('a', 'b', 'b'), 'b')]", 2),
        ("[startsWith('abcdef', 'AB')]", True),
        ("[endsWith('abcdef', 'EF')]", True),
        ("[endsWith('abcdef', 'e')]", False),
        ("[padLeft('123', 10, '0')]", "0000000123"),
        ("[padLeft(7, 3)]", "  7"),
        ("[base64('one, two, three')]", "b25lLCB0d28sIHRocmVl"),
        ("[base64ToString('b25lLCB0d28sIHRocmVl')]", "one, two, three"),
        ("[base64ToJson('eyJvbmUiOiAiYSIsICJ0d28iOiAiYiJ9')]", {"one": "a", "two": "b"}),
        (
            "[uriComponent('http://contoso.com/resources/nested/azuredeploy.json')]",
            "http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json",
        ),
        ("[uriComponentToString('http%3A%2F%2Fcontoso.com%2Fa%20b')]", "http://contoso.com/a b"),
        (
            "[uri('http://contoso.com/resources/', 'nested/azuredeploy.json')]",
            "http://contoso.com/resources/nested/azuredeploy.json",
        ),
        ("[uri('http://contoso.org/firstpath', 'myscript.sh')]", "http://contoso.org/myscript.sh"),
        ("[dataUri('Hello')]", "data:text/plain;charset=utf8;base64,SGVsbG8="),
        ("[dataUriToString('data:;base64,SGVsbG8sIFdvcmxkIQ==')]", "Hello, World!"),
        ("[dataUriToString('data:text/plain,a%20b')]", "a b"),
        ("[join(createArray('a', 'b', 'c'), ',')]", "a,b,c"),
        ('[string(json(\'{"valueA": 10, "valueB": "Example Text"}\'))]', '{"valueA":10,"valueB":"Example Text"}'),
        ("[string(createArray('a', 'b', 'c'))]", '["a","b","c"]'),
        ("[string(5)]", "5"),
        ("[string(true())]", "True"),
        ("[string(false())]", "False"),
        ("[string(json('1.5'))]", "1.5"),
        ("[string(null())]", ""),
        ("[json('{\"a\": [1, true, null]}')]", {"a": [1, True, None]}),
        ("[json('null')]", None),
        ("[uniqueString('aaa')]", "zavj67f3en4hc"),
        ("[uniqueString('xxx', 'yyy', 'zzz')]", "lghi7k5js7itq"),
        ("[guid('a', 'b', 'c')]", "a98fa280-e03f-5afa-8d8e-92d0a9c201e8"),
        ("[first('abc')]", "a"),
        ("[last('abc')]", "c"),
        ("[skip('one two three', 4)]", "two three"),
        ("[take('one two three', 3)]", "one"),
        ("[contains('OneTwoThree', 'Two')]", True),
        ("[contains('OneTwoThree', 'two')]", False),
        ("[length('abc')]", 3),
        ("[empty('')]", True),
    ],
)
def test_string_functions(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_substring_out_of_range() -> None:
    assert err("[substring('hello', 0, 11)]") == (
        "Unable to evaluate template language function 'substring': The index and length parameters must refer "
        "to a location within the string. The index parameter: '0', the length parameter: '11', the length of the "
        "string parameter: '5'. Please see https://aka.ms/arm-functions for usage details."
    )
    assert "The index parameter: '-1'" in err("[substring('hello', -1, 1)]")


def test_format_errors() -> None:
    assert "Index (zero based)" in err("[format('{1}', 'a')]")
    assert "Input string was not in a correct format." in err("[format('{a}', 'a')]")


def test_concat_refuses_mixing_arrays_and_strings() -> None:
    assert "expects its second parameter to be of type 'String'" in err("[concat('a', createArray(1))]")


# dates ---------------------------------------------------------------------------------------------------


def test_utc_now_formats() -> None:
    assert ev("[utcNow()]") == "20190305T175318Z"
    assert ev("[utcNow('d')]") == "03/05/2019"
    assert ev("[utcNow('M d')]") == "3 5"
    assert ev("[utcNow('u')]") == "2019-03-05 17:53:18Z"
    assert ev("[utcNow('o')]") == "2019-03-05T17:53:18.1234560Z"
    assert ev("[utcNow('yyyy-MM-ddTHH:mm:ss.fffZ')]") == "2019-03-05T17:53:18.123Z"
    assert ev("[utcNow('dddd, MMM d, h:mm tt')]") == "Tuesday, Mar 5, 5:53 PM"


def test_runtime_functions_ask_the_scope_first() -> None:
    scope = FakeScope(runtime_allowed=False)
    assert "only be used with parameter default values" in err("[utcNow()]", scope)
    assert "only be used with parameter default values" in err("[newGuid()]", scope)
    a, b = ev("[newGuid()]"), ev("[newGuid()]")
    assert a != b and len(a) == 36


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[dateTimeAdd('2020-04-07 14:53:14Z', 'P3Y')]", "2023-04-07 14:53:14Z"),
        ("[dateTimeAdd('2020-04-07 14:53:14Z', '-P9D')]", "2020-03-29 14:53:14Z"),
        ("[dateTimeAdd('2020-04-07 14:53:14Z', 'PT1H')]", "2020-04-07 15:53:14Z"),
        ("[dateTimeAdd('20200131T000000Z', 'P1M')]", "20200229T000000Z"),
        ("[dateTimeAdd('2020-04-07T14:53:14Z', 'P1W', 'yyyy-MM-dd')]", "2020-04-14"),
        ("[dateTimeAdd('2020-04-07T14:53:14Z', 'PT1M30S')]", "2020-04-07T14:54:44Z"),
        ("[dateTimeFromEpoch(1683040573)]", "2023-05-02T15:16:13Z"),
        ("[dateTimeToEpoch('2023-05-02T15:16:13Z')]", 1683040573),
    ],
)
def test_date_functions(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_bad_duration() -> None:
    assert "not a valid ISO 8601 duration" in err("[dateTimeAdd('2020-04-07T14:53:14Z', 'P')]")
    assert "not a valid ISO 8601 duration" in err("[dateTimeAdd('2020-04-07T14:53:14Z', '1 day')]")


# numbers and logic ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[add(5, 3)]", 8),
        ("[sub(7, 3)]", 4),
        ("[mul(5, -3)]", -15),
        ("[div(8, 3)]", 2),
        ("[div(-7, 2)]", -3),
        ("[mod(7, 3)]", 1),
        ("[mod(-7, 2)]", -1),
        ("[min(createArray(0, 3, 2, 5, 4))]", 0),
        ("[min(0, 3, 2)]", 0),
        ("[max(createArray(0, 3, 2, 5, 4))]", 5),
        ("[int('4')]", 4),
        ("[int(json('4.5'))]", 4),
        ("[float('1.5')]", 1.5),
        ("[bool('TRUE')]", True),
        ("[bool('false')]", False),
        ("[bool(0)]", False),
        ("[bool(1)]", True),
        ("[equals(1, 1)]", True),
        ("[equals(1, true())]", False),
        ("[equals('a', 'A')]", False),
        ("[equals(json('[1, {\"a\": 2}]'), createArray(1, createObject('a', 2)))]", True),
        ('[equals(json(\'{"a": 1}\'), json(\'{"a": 1, "b": 2}\'))]', False),
        ("[less(1, 2)]", True),
        ("[less('A', 'a')]", True),
        ("[greater('A', 'a')]", False),
        ("[lessOrEquals(2, 2)]", True),
        ("[greaterOrEquals('b', 'a')]", True),
        ("[and(true(), true(), false())]", False),
        ("[or(false(), true())]", True),
        ("[not(true())]", False),
        ("[if(equals(1, 1), 'yes', 'no')]", "yes"),
        ("[coalesce(null(), null(), 'c')]", "c"),
        ("[coalesce(null())]", None),
        ("[true()]", True),
        ("[false()]", False),
        ("[null()]", None),
    ],
)
def test_numeric_and_logical(expr: str, expected: Any) -> None:
    result = ev(expr)
    assert result == expected and type(result) is type(expected)


def test_division_by_zero() -> None:
    assert "Attempted to divide by zero." in err("[div(1, 0)]")
    assert "Attempted to divide by zero." in err("[mod(1, 0)]")


def test_if_evaluates_only_the_chosen_branch() -> None:
    assert ev("[if(true(), 'a', parameters('missing'))]") == "a"
    assert ev("[if(false(), reference('x').nope, 'b')]") == "b"
    assert "parameter 'missing' is not found" in err("[if(false(), 'a', parameters('missing'))]")


def test_and_or_coalesce_stop_early() -> None:
    assert ev("[and(false(), parameters('missing'))]") is False
    assert ev("[or(true(), parameters('missing'))]") is True
    assert ev("[coalesce('x', parameters('missing'))]") == "x"


def test_logical_functions_want_booleans() -> None:
    assert "expects its first parameter to be of type 'Boolean'" in err("[if('true', 1, 2)]")
    assert "expects its second parameter to be of type 'Boolean'" in err("[and(true(), 1)]")


def test_comparing_mismatched_types() -> None:
    assert "must both be integers or both be strings" in err("[less(1, 'a')]")


# arrays and objects --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[array(1)]", [1]),
        ("[array('efgh')]", ["efgh"]),
        ("[array(createArray(1))]", [1]),
        ("[createObject('intProp', 1, 'arr', createArray(1))]", {"intProp": 1, "arr": [1]}),
        ("[union(createArray('one', 'two', 'three'), createArray('three', 'four'))]", ["one", "two", "three", "four"]),
        (
            '[union(json(\'{"one": "a", "two": "b", "three": "c", "nest": {"one": "a", "two": "b"}}\'),'
            ' json(\'{"three": "d", "four": "e", "nest": {"three": "d", "two": "z"}}\'))]',
            {"one": "a", "two": "b", "three": "d", "nest": {"one": "a", "two": "z", "three": "d"}, "four": "e"},
        ),
        ("[intersection(createArray('one', 'two', 'three'), createArray('two', 'three'))]", ["two", "three"]),
        (
            '[intersection(json(\'{"one": "a", "two": "b", "three": "c"}\'), json(\'{"one": "a", "two": "z", "three": "c"}\'))]',
            {"one": "a", "three": "c"},
        ),
        ("[contains(createArray('one', 'two'), 'two')]", True),
        ("[contains(createArray(1, 2), '1')]", False),
        ("[contains(json('{\"One\": 1}'), 'one')]", True),
        ("[empty(createArray())]", True),
        ("[empty(json('{}'))]", True),
        ("[empty(null())]", True),
        ("[empty(createArray(1))]", False),
        ("[first(createArray('one', 'two'))]", "one"),
        ("[last(createArray('one', 'two'))]", "two"),
        ("[first(createArray())]", None),
        ("[length(createArray(1, 2, 3))]", 3),
        ('[length(json(\'{"a": {"b": 1}, "c": 2}\'))]', 2),
        ("[range(1, 3)]", [1, 2, 3]),
        ("[range(5, 0)]", []),
        ("[skip(createArray(1, 2, 3), 2)]", [3]),
        ("[skip(createArray(1, 2, 3), -1)]", [1, 2, 3]),
        ("[take(createArray(1, 2, 3), 5)]", [1, 2, 3]),
        ("[take(createArray(1, 2, 3), 0)]", []),
        (
            '[items(json(\'{"b": 2, "A": 1, "c": 3}\'))]',
            [{"key": "A", "value": 1}, {"key": "b", "value": 2}, {"key": "c", "value": 3}],
        ),
        ('[objectKeys(json(\'{"b": 2, "a": 1}\'))]', ["b", "a"]),
        ("[flatten(createArray(createArray(1, 2), createArray(), createArray(3)))]", [1, 2, 3]),
        ("[tryGet(json('{\"a\": {\"B\": [5, 6]}}'), 'a', 'b', 1)]", 6),
        ("[tryGet(json('{\"a\": 1}'), 'x')]", None),
        ("[tryGet(createArray(1), 3)]", None),
        ('[shallowMerge(createArray(json(\'{"a": {"x": 1}}\'), json(\'{"a": {"y": 2}}\')))]', {"a": {"y": 2}}),
        ("[tryIndexFromEnd(createArray(1, 2, 3), 1)]", 3),
        ("[indexFromEnd(createArray(1, 2, 3), 3)]", 1),
    ],
)
def test_array_and_object_functions(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_range_limits() -> None:
    assert "no greater than 10000" in err("[range(0, 10001)]")
    assert "no greater than 10000" in err("[range(0, -1)]")
    assert "2147483647" in err("[range(2147483647, 2)]")


def test_union_refuses_mixed_kinds() -> None:
    assert "of type 'Array'" in err("[union(createArray(1), json('{}'))]")


# lambdas -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[map(range(0, 3), lambda('i', mul(lambdaVariables('i'), 2)))]", [0, 2, 4]),
        (
            "[map(createArray('a', 'b'), lambda('x', 'i', concat(lambdaVariables('x'), string(lambdaVariables('i')))))]",
            ["a0", "b1"],
        ),
        ("[filter(range(0, 6), lambda('i', equals(mod(lambdaVariables('i'), 2), 0)))]", [0, 2, 4]),
        ("[reduce(range(1, 4), 0, lambda('cur', 'next', add(lambdaVariables('cur'), lambdaVariables('next'))))]", 10),
        (
            "[sort(createArray('c', 'a', 'b'), lambda('x', 'y', less(lambdaVariables('x'), lambdaVariables('y'))))]",
            ["a", "b", "c"],
        ),
        (
            "[toObject(createArray('a', 'b'), lambda('k', toUpper(lambdaVariables('k'))), lambda('v', length(lambdaVariables('v'))))]",
            {"A": 1, "B": 1},
        ),
        ("[toObject(createArray('a'), lambda('k', lambdaVariables('k')))]", {"a": "a"}),
        (
            "[map(range(0, 2), lambda('o', map(range(0, 2), lambda('i', add(mul(lambdaVariables('o'), 10), lambdaVariables('i'))))))]",
            [[0, 1], [10, 11]],
        ),
        (
            "[groupBy(createArray('ab', 'ac', 'b'), lambda('s', first(lambdaVariables('s'))))]",
            {"a": ["ab", "ac"], "b": ["b"]},
        ),
        ("[mapValues(json('{\"a\": 1}'), lambda('v', add(lambdaVariables('v'), 1)))]", {"a": 2}),
    ],
)
def test_lambda_functions(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_lambda_only_as_direct_argument() -> None:
    assert "can only be used as a direct argument" in err("[lambda('x', 1)]")
    assert "can only be used as a direct argument" in err("[concat(lambda('x', 'a'))]")
    assert "can only be used as a direct argument" in err("[map(range(0, 1), if(true(), lambda('x', 1), 2))]")


def test_lambda_variables_must_be_in_scope() -> None:
    assert err("[lambdaVariables('x')]") == (
        "The lambda variable 'x' is not defined; the lambda variables in scope are ''."
    )
    assert "'y' is not defined" in err("[map(range(0, 1), lambda('x', lambdaVariables('y')))]")


def test_filter_wants_a_boolean() -> None:
    assert "must return a boolean" in err("[filter(range(0, 2), lambda('x', 1))]")


# CIDR ----------------------------------------------------------------------------------------------------


def test_parse_cidr() -> None:
    assert ev("[parseCidr('10.144.0.0/20')]") == {
        "network": "10.144.0.0",
        "netmask": "255.255.240.0",
        "broadcast": "10.144.15.255",
        "firstUsable": "10.144.0.1",
        "lastUsable": "10.144.15.254",
        "cidr": 20,
    }
    v6 = ev("[parseCidr('fdad:3236:5555::/48')]")
    assert (v6["network"], v6["netmask"], v6["lastUsable"], v6["cidr"]) == (
        "fdad:3236:5555::",
        "ffff:ffff:ffff::",
        "fdad:3236:5555:ffff:ffff:ffff:ffff:ffff",
        48,
    )
    assert "broadcast" not in v6


def test_cidr_subnet_and_host() -> None:
    assert ev("[map(range(0, 3), lambda('i', cidrSubnet('10.144.0.0/20', 24, lambdaVariables('i'))))]") == [
        "10.144.0.0/24",
        "10.144.1.0/24",
        "10.144.2.0/24",
    ]
    assert ev("[cidrSubnet('fdad:3236:5555::/48', 52, 3)]") == "fdad:3236:5555:3000::/52"
    assert ev("[cidrHost('10.144.3.0/24', 0)]") == "10.144.3.1"
    assert ev("[cidrHost('10.144.3.0/24', 253)]") == "10.144.3.254"
    assert "must be between '0' and '253'" in err("[cidrHost('10.144.3.0/24', 254)]")
    assert "must be between '20' and '32'" in err("[cidrSubnet('10.144.0.0/20', 16, 0)]")
    assert "not valid" in err("[parseCidr('10.144.0.0/33')]")


# deployment, scope, resources ----------------------------------------------------------------------------


def test_parameters_variables_copy_index(scope: FakeScope) -> None:
    scope.variables["v"] = {"list": [1, 2]}
    assert ev("[parameters('P')]", scope) == "web"
    assert ev("[variables('v').list[1]]", scope) == 2
    assert ev("[copyIndex()]", scope) == 2
    assert ev("[copyIndex(1)]", scope) == 3
    assert ev("[copyIndex('disks')]", scope) == 5
    assert ev("[copyIndex('disks', 10)]", scope) == 15
    assert ev("[concat(parameters('p'), '-', string(copyIndex()))]", scope) == "web-2"
    assert "not expected at this location" in err("[copyIndex('nope')]", scope)


def test_scope_objects(scope: FakeScope) -> None:
    assert ev("[resourceGroup().location]", scope) == "chinanorth3"
    assert ev("[subscription().subscriptionId]", scope) == SUB
    assert ev("[tenant().tenantId]", scope) == "t"
    assert ev("[environment().suffixes.acrLoginServer]", scope) == ".azurecr.cn"
    assert ev("[deployment().name]", scope) == "dep1"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (
            "[resourceId('Microsoft.ContainerRegistry/registries', 'reg1')]",
            f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerRegistry/registries/reg1",
        ),
        (
            "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'sub')]",
            f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/sub",
        ),
        (
            "[resourceId('otherRg', 'Microsoft.Network/virtualNetworks', 'vnet')]",
            f"/subscriptions/{SUB}/resourceGroups/otherRg/providers/Microsoft.Network/virtualNetworks/vnet",
        ),
        (
            "[resourceId('11111111-1111-1111-1111-111111111111', 'otherRg', 'Microsoft.Network/virtualNetworks', 'vnet')]",
            "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/otherRg/providers/Microsoft.Network/virtualNetworks/vnet",
        ),
        (
            "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'abc')]",
            f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/abc",
        ),
        (
            "[subscriptionResourceId('s2', 'Microsoft.Resources/resourceGroups', 'rg')]",
            "/subscriptions/s2/resourceGroups/rg",
        ),
        (
            "[tenantResourceId('Microsoft.Authorization/policyDefinitions', 'p1')]",
            "/providers/Microsoft.Authorization/policyDefinitions/p1",
        ),
        (
            "[managementGroupResourceId('mg1', 'Microsoft.Authorization/policyDefinitions', 'p1')]",
            "/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/policyDefinitions/p1",
        ),
        (
            "[extensionResourceId(resourceId('Microsoft.ContainerRegistry/registries', 'r'), 'Microsoft.Authorization/locks', 'l')]",
            f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerRegistry/registries/r/providers/Microsoft.Authorization/locks/l",
        ),
    ],
)
def test_resource_ids(expr: str, expected: str) -> None:
    assert ev(expr) == expected


def test_resource_id_at_subscription_scope() -> None:
    scope = FakeScope(rg=None)
    assert ev("[resourceId('Microsoft.Resources/resourceGroups', 'rg')]", scope) == (
        f"/subscriptions/{SUB}/resourceGroups/rg"
    )


def test_resource_id_name_count_must_match_type() -> None:
    assert err("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet')]") == (
        "Unable to evaluate template language function 'resourceId': The type "
        "'Microsoft.Network/virtualNetworks/subnets' requires '2' resource name argument(s) but '1' were provided. "
        "Please see https://aka.ms/arm-functions for usage details."
    )
    assert "is not valid" in err("[resourceId('Microsoft.Network', 'vnet')]")


def test_reference_list_providers_pick_zones(scope: FakeScope) -> None:
    assert ev("[reference('reg1').loginServer]", scope) == "reg1.azurecr.cn"
    assert ev("[reference('reg1', '2023-07-01', 'Full').full]", scope) is True
    assert ev("[references('loop')[1].i]", scope) == 1
    assert (
        ev("[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'sa'), '2023-01-01').keys[0].value]", scope)
        == "k1"
    )
    assert ev("[listCredentials('reg1', '2023-07-01', createObject('a', 1))]", scope) == {"keys": [{"value": "k1"}]}
    assert scope.calls == [
        ("reference", "reg1", None, False),
        ("reference", "reg1", "2023-07-01", True),
        ("references", "loop", False),
        (
            "list",
            "listKeys",
            f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/sa",
            "2023-01-01",
            None,
        ),
        ("list", "listCredentials", "reg1", "2023-07-01", {"a": 1}),
    ]
    assert ev("[providers('Microsoft.Web', 'sites').namespace]", scope) == "Microsoft.Web"
    assert ev("[pickZones('Microsoft.Compute', 'virtualMachines', 'westus2', 2, 1)]", scope) == ["2", "3"]
    assert "only option is 'Full'" in err("[reference('reg1', '2023-07-01', 'Partial')]", scope)
    assert lookup("listSecrets").name == "listSecrets"
    assert "function requires 2 to 3 argument(s) while 1" in err("[listKeys('x')]", scope)


# member and index access ---------------------------------------------------------------------------------


def test_property_access_is_case_insensitive(scope: FakeScope) -> None:
    assert ev("[parameters('obj').b.C[1]]", scope) == 2
    assert ev("[parameters('obj')['B']['c'][0]]", scope) == 1


def test_property_errors(scope: FakeScope) -> None:
    assert err("[parameters('obj').x]", scope) == (
        "The language expression property 'x' doesn't exist, available properties are 'a, B'."
    )
    assert err("[parameters('p').x]", scope) == "The language expression property 'x' can't be evaluated."
    assert err("[createArray(1, 2)[2]]", scope) == "The language expression property array index '2' is out of bounds."
    assert "can't be evaluated" in err("[createArray(1)['a']]", scope)


# the evaluator -------------------------------------------------------------------------------------------


def test_evaluate_walks_values_but_not_keys(scope: FakeScope) -> None:
    value = {
        "[parameters('p')]": "[parameters('p')]",
        "list": ["[add(1, 2)]", "[[literal]", "[test] value", 5, None, True],
        "nested": {"x": "[createObject('k', copyIndex())]"},
    }
    assert evaluate(value, scope) == {
        "[parameters('p')]": "web",
        "list": [3, "[literal]", "[test] value", 5, None, True],
        "nested": {"x": {"k": 2}},
    }
    assert value["list"][0] == "[add(1, 2)]"


def test_evaluation_is_cheap(scope: FakeScope) -> None:
    expr = "[concat(parameters('p'), '-', string(copyIndex()))]"
    evaluate_string(expr, scope)
    start = time.perf_counter()
    for _ in range(10_000):
        evaluate_string(expr, scope)
    per_call = (time.perf_counter() - start) / 10_000
    assert per_call < 200e-6, per_call
