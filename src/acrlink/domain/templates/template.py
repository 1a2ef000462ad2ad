"""A template's structure: what ARM checks before evaluating anything.

``load`` takes the parsed template (and where each object sits in its text) and returns a ``Template``:
the scope its ``$schema`` is for, the language version, the parameter declarations, variables, the
resource declarations (classic arrays with nested child resources flattened; languageVersion 2.0
objects keyed by symbolic name) and outputs. Every refusal is ``InvalidTemplate`` naming the line and
column, as ARM's are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from acrlink import unconfirmed
from acrlink.errors import BadRequest

GROUP_SCOPE = "resourceGroup"
SUBSCRIPTION_SCOPE = "subscription"

_SCHEMA_SCOPES = {
    "deploymenttemplate.json": GROUP_SCOPE,
    "subscriptiondeploymenttemplate.json": SUBSCRIPTION_SCOPE,
}
"""The file names of the ``$schema`` URLs acrlink deploys, by the scope they are for."""

TOP_LEVEL = frozenset(
    {
        "$schema",
        "contentversion",
        "apiprofile",
        "languageversion",
        "parameters",
        "variables",
        "functions",
        "resources",
        "outputs",
        "definitions",
        "metadata",
        "imports",
        "extensions",
    }
)
"""The members a template object may have (any casing)."""

MAX_RESOURCES = 800
MAX_COPY = 800


class Positions(Protocol):
    """Where each part of a template was written, for the line and column ARM names in an ``InvalidTemplate``."""

    def of(self, obj: Any) -> tuple[int, int] | None:
        """The (line, column) an object of the parsed template was written at, or None when unknown."""


class NoPositions:
    """For templates that arrived as parsed JSON objects: nothing knows where they were written."""

    def of(self, obj: Any) -> tuple[int, int] | None:
        """Never known."""
        return None


def invalid(message: str, at: tuple[int, int] | None = None, path: str = "") -> BadRequest:
    """ARM's ``InvalidTemplate`` refusal, with ``TemplateViolation`` info when the place is known."""
    error = BadRequest("InvalidTemplate", f"Deployment template validation failed: '{message}'.")
    if at is not None:
        error.additional_info = [
            {"type": "TemplateViolation", "info": {"lineNumber": at[0], "linePosition": at[1], "path": path}}
        ]
    return error


def place(at: tuple[int, int] | None) -> str:
    """`` at line 'L' and column 'C'`` when known."""
    return f" at line '{at[0]}' and column '{at[1]}'" if at else ""


@dataclass(frozen=True)
class Declared:
    """One resource declaration, as written (expressions unevaluated)."""

    index: int
    body: Mapping[str, Any]
    path: str
    """Where it is: ``resources[2]``, ``resources[2].resources[0]`` or ``resources.myVnet``."""
    at: tuple[int, int] | None
    symbol: str | None = None
    """Its symbolic name (languageVersion 2.0)."""
    parent: Declared | None = None
    """The declaration it is nested in (classic child resources): its name and type prefix this one's."""

    @property
    def existing(self) -> bool:
        """``existing: true``: a reference to a resource the deployment reads but never writes."""
        return self.body.get("existing") is True

    @property
    def label(self) -> str:
        """How ARM names the declaration in messages: its symbolic name, else its name as written."""
        return self.symbol or str(self.body.get("name", ""))

    def refuse(self, reason: str) -> BadRequest:
        """ARM's ``InvalidTemplate`` naming this declaration, where it was written, and why it is not valid."""
        return invalid(
            f"The template resource '{self.label}'{place(self.at)} is not valid: {reason}", self.at, self.path
        )


@dataclass(frozen=True)
class Template:
    """A template as validated before anything is evaluated: its scope, language version and declared parts, and where
    each was written."""

    doc: Mapping[str, Any]
    scope: str
    language_version: str | None
    parameters: Mapping[str, Mapping[str, Any]]
    """Declared name (as written) -> declaration."""
    variables: Mapping[str, Any]
    resources: tuple[Declared, ...]
    outputs: Mapping[str, Any]
    definitions: Mapping[str, Any]
    positions: Positions = field(default_factory=NoPositions)

    @property
    def symbolic(self) -> bool:
        """languageVersion 2.0 or later: resources keyed by symbolic name."""
        return self.language_version is not None and self.language_version.split(".")[0] >= "2"

    def at(self, obj: Any) -> tuple[int, int] | None:
        """The (line, column) a part of the template was written at, or None."""
        return self.positions.of(obj)


def _object(value: Any, what: str, at: tuple[int, int] | None, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise invalid(f"The template {what} must be an object.", at, path)
    return value


def load(doc: Any, positions: Positions | None, expected_scope: str) -> Template:
    """Check a template's shape and take it apart. ``expected_scope`` is where it is being deployed."""
    positions = positions or NoPositions()
    if not isinstance(doc, Mapping):
        raise invalid("The template must be a JSON object.")
    root_at = positions.of(doc)
    for key in doc:
        if key.lower() not in TOP_LEVEL:
            raise invalid(f"Could not find member '{key}' on object of type 'Template'. Path '{key}'.", root_at, key)
    members = {k.lower(): v for k, v in doc.items()}
    schema = members.get("$schema")
    if not isinstance(schema, str) or not schema:
        raise invalid("The template is missing the '$schema' property.", root_at, "$schema")
    scope = _schema_scope(schema)
    if scope is None:
        raise invalid(f"The template schema '{schema}' is not supported.", root_at, "$schema")
    if scope != expected_scope:
        raise BadRequest(
            unconfirmed.TEMPLATE_SCOPE_MISMATCH_CODE,
            f"The template schema '{schema}' is for {scope} deployments and cannot be deployed at "
            f"{expected_scope} scope.",
        )
    if not isinstance(members.get("contentversion"), str):
        raise invalid("Required property 'contentVersion' not found in JSON. Path ''.", root_at, "contentVersion")
    version = members.get("languageversion")
    if version is not None and (not isinstance(version, str) or version not in ("1.9-experimental", "2.0")):
        raise invalid(f"The template language version '{version}' is not supported.", root_at, "languageVersion")
    template = Template(
        doc=doc,
        scope=scope,
        language_version=version,
        parameters=_object(members.get("parameters"), "parameters", root_at, "parameters"),
        variables=_object(members.get("variables"), "variables", root_at, "variables"),
        resources=(),
        outputs=_object(members.get("outputs"), "outputs", root_at, "outputs"),
        definitions=_object(members.get("definitions"), "definitions", root_at, "definitions"),
        positions=positions,
    )
    if members.get("functions"):
        raise invalid("User-defined functions are not supported by acrlink.", root_at, "functions")
    for name, decl in template.parameters.items():
        if not isinstance(decl, Mapping):
            raise invalid(
                f"The template parameter '{name}' must be an object.", positions.of(doc), f"parameters.{name}"
            )
    resources = _declarations(members.get("resources"), template)
    if len(resources) > MAX_RESOURCES:
        raise invalid(
            f"The number of template resources limit exceeded. Limit: '{MAX_RESOURCES}' and actual: '{len(resources)}'."
        )
    return replace(template, resources=tuple(resources))


def _schema_scope(schema: str) -> str | None:
    file = schema.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower()
    return _SCHEMA_SCOPES.get(file)


def _declarations(value: Any, template: Template) -> list[Declared]:
    positions = template.positions
    found: list[Declared] = []
    if template.symbolic:
        if not isinstance(value, Mapping):
            raise invalid("The template 'resources' must be an object in languageVersion 2.0.", positions.of(value))
        for index, (symbol, body) in enumerate(value.items()):
            path = f"resources.{symbol}"
            if not isinstance(body, Mapping):
                raise invalid(f"The template resource '{symbol}' must be an object.", positions.of(value), path)
            declared = Declared(index, body, path, positions.of(body), symbol=symbol)
            _check_declaration(declared)
            found.append(declared)
        return found
    if value is None:
        value = []
    if not isinstance(value, list):
        raise invalid("The template 'resources' must be an array.", positions.of(template.doc), "resources")
    _flatten(value, "resources", None, template, found)
    return found


def _flatten(items: list[Any], path: str, parent: Declared | None, template: Template, found: list[Declared]) -> None:
    for position, body in enumerate(items):
        where = f"{path}[{position}]"
        if not isinstance(body, Mapping):
            raise invalid(f"The template resource at '{where}' must be an object.", template.positions.of(items), where)
        declared = Declared(len(found), body, where, template.positions.of(body), parent=parent)
        _check_declaration(declared)
        if parent is not None and "copy" in body:
            raise declared.refuse("The copy property is not allowed on a child resource; declare it at the top level.")
        found.append(declared)
        children = body.get("resources")
        if children is not None:
            if not isinstance(children, list):
                raise declared.refuse("The 'resources' property of a resource must be an array.")
            _flatten(children, f"{where}.resources", declared, template, found)


_REQUIRED = ("type", "name")


def _check_declaration(declared: Declared) -> None:
    body = declared.body
    for key in _REQUIRED:
        if not isinstance(body.get(key), str) or not body.get(key):
            raise declared.refuse(f"The resource property '{key}' is required and must be a string.")
    if not declared.existing and not isinstance(body.get("apiVersion"), str):
        raise declared.refuse("The resource property 'apiVersion' is required and must be a string.")
    depends = body.get("dependsOn")
    if depends is not None and not (isinstance(depends, list) and all(isinstance(d, str) for d in depends)):
        raise declared.refuse("The 'dependsOn' property must be an array of strings.")
    copy = body.get("copy")
    if copy is not None and (not isinstance(copy, Mapping) or not isinstance(copy.get("name"), str)):
        raise declared.refuse("The 'copy' property must be an object with a 'name'.")
