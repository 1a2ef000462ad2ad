"""A small Scope for the template tests: fixed parameters, variables, loop indexes and ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from acrlink.errors import BadRequest

SUB = "00000000-0000-0000-0000-000000000001"
RG = "my-rg"


@dataclass
class FakeScope:
    parameters: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    loops: dict[str | None, int] = field(default_factory=dict)
    rg: str | None = RG
    runtime_allowed: bool = True
    now: datetime = datetime(2019, 3, 5, 17, 53, 18, 123456, tzinfo=UTC)
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def parameter(self, name: str) -> Any:
        for k, v in self.parameters.items():
            if k.lower() == name.lower():
                return v
        raise BadRequest("InvalidTemplate", f"The template parameter '{name}' is not found.")

    def variable(self, name: str) -> Any:
        for k, v in self.variables.items():
            if k.lower() == name.lower():
                return v
        raise BadRequest("InvalidTemplate", f"The template variable '{name}' is not found.")

    def copy_index(self, loop: str | None) -> int:
        if loop not in self.loops:
            raise BadRequest("InvalidTemplate", "The template function 'copyIndex' is not expected at this location.")
        return self.loops[loop]

    def target(self) -> tuple[str, str | None]:
        return SUB, self.rg

    def deployment(self) -> dict[str, Any]:
        return {"name": "dep1", "properties": {"templateHash": "1"}}

    def resource_group(self) -> dict[str, Any]:
        return {"id": f"/subscriptions/{SUB}/resourceGroups/{RG}", "name": RG, "location": "chinanorth3"}

    def subscription(self) -> dict[str, Any]:
        return {"id": f"/subscriptions/{SUB}", "subscriptionId": SUB, "tenantId": "t", "displayName": "S"}

    def tenant(self) -> dict[str, Any]:
        return {"tenantId": "t", "id": "/tenants/t"}

    def environment(self) -> dict[str, Any]:
        return {"name": "AzureChinaCloud", "suffixes": {"acrLoginServer": ".azurecr.cn"}}

    def reference(self, target: str, api_version: str | None, full: bool) -> Any:
        self.calls.append(("reference", target, api_version, full))
        return {"loginServer": f"{target}.azurecr.cn", "full": full}

    def references(self, symbol: str, full: bool) -> list[Any]:
        self.calls.append(("references", symbol, full))
        return [{"i": 0}, {"i": 1}]

    def list_action(self, function: str, resource: str, api_version: str | None, body: Any) -> Any:
        self.calls.append(("list", function, resource, api_version, body))
        return {"keys": [{"value": "k1"}]}

    def providers(self, namespace: str, resource_type: str | None) -> Any:
        return {"namespace": namespace, "resourceTypes": [{"resourceType": resource_type}]}

    def pick_zones(self, namespace: str, resource_type: str, location: str, count: int, offset: int) -> list[str]:
        return [str(z) for z in range(1 + offset, 1 + offset + count)]

    def runtime(self, function: str) -> datetime:
        if not self.runtime_allowed:
            raise BadRequest(
                "InvalidTemplate",
                f"The template function '{function}' is not expected at this location. It can only be used "
                "with parameter default values.",
            )
        return self.now
