"""What template functions may ask of the deployment they are evaluated in.

The evaluator (``evaluator.py``) owns the language: literals, member and index access, lambdas and their
variables, and every function that needs nothing but its arguments. Whatever depends on the deployment
comes through this protocol, implemented by the deployment engine. A method raises
``acrlink.errors.BadRequest("InvalidTemplate", ...)`` when the template may not call it here (``reference``
in a resource name, ``utcNow`` outside a parameter default, ``copyIndex`` outside a loop, an unknown
parameter).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class Scope(Protocol):
    """What an expression may ask of the deployment it is evaluated in; each method refuses (``InvalidTemplate``) what
    the template may not ask where it asks it."""

    def parameter(self, name: str) -> Any:
        """``parameters('name')`` (names are case-insensitive)."""

    def variable(self, name: str) -> Any:
        """``variables('name')`` (case-insensitive; evaluated on first use)."""

    def copy_index(self, loop: str | None) -> int:
        """The zero-based index of the named copy loop, or of the enclosing resource loop when None."""

    def target(self) -> tuple[str, str | None]:
        """(subscription id, resource group name or None at subscription scope): what ``resourceId`` and
        ``subscriptionResourceId`` fill in when their optional leading arguments are absent."""

    def deployment(self) -> dict[str, Any]:
        """``deployment()``."""

    def resource_group(self) -> dict[str, Any]:
        """``resourceGroup()``; InvalidTemplate at subscription scope."""

    def subscription(self) -> dict[str, Any]:
        """``subscription()``."""

    def tenant(self) -> dict[str, Any]:
        """``tenant()``."""

    def environment(self) -> dict[str, Any]:
        """``environment()`` for the active cloud."""

    def reference(self, target: str, api_version: str | None, full: bool) -> Any:
        """``reference(nameOrIdOrSymbol, [apiVersion], ['Full'])``: the resource's properties, or the full
        envelope when ``full``."""

    def references(self, symbol: str, full: bool) -> list[Any]:
        """``references('loopSymbol', ['Full'])`` (languageVersion 2.0)."""

    def list_action(self, function: str, resource: str, api_version: str | None, body: Any) -> Any:
        """``listKeys``/``listCredentials``/any ``list*`` function: ``function`` as written (e.g.
        ``listCredentials``), ``resource`` a name, id or symbolic name."""

    def providers(self, namespace: str, resource_type: str | None) -> Any:
        """``providers(namespace, [resourceType])``."""

    def pick_zones(self, namespace: str, resource_type: str, location: str, count: int, offset: int) -> list[str]:
        """``pickZones(...)``."""

    def runtime(self, function: str) -> datetime:
        """``utcNow``/``newGuid`` ask this first: it raises InvalidTemplate unless the expression is a
        parameter's ``defaultValue``, and answers the deployment's clock."""
