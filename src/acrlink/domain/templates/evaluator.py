"""Evaluating template expressions: JSON values in, JSON values out.

``evaluate`` walks a JSON value and replaces every expression string (``"[...]"``) with its value and
every escaped literal (``"[[..."``) with the literal; property names are never evaluated (ARM evaluates
names only in a few places, such as a property copy's ``name``, which the engine handles itself).

``evaluate_node`` is the interpreter. It owns what needs more than arguments: the lazy functions (``if``,
``and``, ``or``, ``coalesce`` get thunks), lambdas (``lambda(...)`` as a direct argument of a function
that takes lambdas becomes a ``Lambda`` callable; anywhere else it is an error), ``lambdaVariables``
(looked up in the enclosing lambdas' variables), and member and index access. Everything else is a
``functions.Function``. Parsed trees are cached by text (``expressions.parse``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from acrlink import unconfirmed
from acrlink.errors import BadRequest

from .expressions import Call, Index, Literal, Member, Node, is_expression, literal, parse
from .functions import FUNCTIONS, check_arity, get_index, get_property, lookup, to_string
from .scope import Scope

__all__ = ["Lambda", "evaluate", "evaluate_node", "evaluate_string"]

Locals = dict[str, Any]


class Lambda:
    """A ``lambda('x', ..., body)`` closed over the variables around it; call it with the variables' values."""

    __slots__ = ("params", "body", "scope", "outer")

    def __init__(self, params: tuple[str, ...], body: Node, scope: Scope, outer: Locals | None) -> None:
        self.params = params
        self.body = body
        self.scope = scope
        self.outer = outer

    def __call__(self, *values: Any) -> Any:
        if len(values) < len(self.params):
            raise BadRequest(
                "InvalidTemplate",
                f"The lambda expects '{len(self.params)}' argument(s) but '{len(values)}' were provided.",
            )
        variables = dict(self.outer) if self.outer else {}
        variables.update(zip(self.params, values, strict=False))
        return evaluate_node(self.body, self.scope, variables)


def evaluate(value: Any, scope: Scope) -> Any:
    """A copy of the JSON ``value`` with every expression string evaluated (keys left as they are)."""
    t = type(value)
    if t is str:
        return evaluate_string(value, scope)
    if t is dict:
        return {k: evaluate(v, scope) for k, v in value.items()}
    if t is list:
        return [evaluate(v, scope) for v in value]
    return value


def evaluate_string(text: str, scope: Scope) -> Any:
    """The value of one JSON string: an expression's result, or the literal (``[[x]`` is ``[x]``)."""
    if is_expression(text):
        return evaluate_node(parse(text), scope, None)
    return literal(text)


def evaluate_node(node: Node, scope: Scope, locals: Locals | None = None) -> Any:
    """The value of ``node``; ``locals`` holds the variables of the lambdas around it."""
    t = type(node)
    if t is Literal:
        return node.value  # type: ignore[union-attr]
    if t is Call:
        return _call(node, scope, locals)  # type: ignore[arg-type]
    if t is Member:
        return get_property(evaluate_node(node.target, scope, locals), node.name)  # type: ignore[union-attr]
    assert isinstance(node, Index)
    return get_index(evaluate_node(node.target, scope, locals), evaluate_node(node.index, scope, locals))


def _call(node: Call, scope: Scope, locals: Locals | None) -> Any:
    key = node.key
    fn = FUNCTIONS.get(key) or lookup(node.name)
    check_arity(fn, len(node.args))
    if key == "lambdavariables":
        return _variable(evaluate_node(node.args[0], scope, locals), locals)
    if key == "lambda":
        raise BadRequest("InvalidTemplate", unconfirmed.LAMBDA_MISPLACED)
    if fn.lazy:
        return fn.impl(scope, [partial(evaluate_node, a, scope, locals) for a in node.args])
    if fn.lambdas:
        args = [
            _make_lambda(a, scope, locals) if type(a) is Call and a.key == "lambda" else evaluate_node(a, scope, locals)
            for a in node.args
        ]
    else:
        args = [evaluate_node(a, scope, locals) for a in node.args]
    return fn.impl(scope, args)


def _make_lambda(node: Call, scope: Scope, locals: Locals | None) -> Lambda:
    check_arity(FUNCTIONS["lambda"], len(node.args))
    names = []
    for a in node.args[:-1]:
        name = evaluate_node(a, scope, locals)
        if type(name) is not str:
            raise BadRequest("InvalidTemplate", "The lambda variable names must be strings.")
        names.append(name)
    return Lambda(tuple(names), node.args[-1], scope, locals)


def _variable(name: Any, locals: Locals | None) -> Any:
    if type(name) is str and locals:
        if name in locals:
            return locals[name]
        low = name.lower()
        for k, v in locals.items():
            if k.lower() == low:
                return v
    available = ", ".join(locals or ())
    raise BadRequest(
        "InvalidTemplate", unconfirmed.LAMBDA_VARIABLE_MISSING.format(name=to_string(name), available=available)
    )
