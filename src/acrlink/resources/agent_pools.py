"""Microsoft.ContainerRegistry/registries/agentPools: dedicated ACR Tasks agents (Premium only) in a subnet.

A pool's agents are one network host (``agent_host``) in the pool's subnet: runs with ``agentPoolName`` build
there, so they reach the registry the way that subnet does (its VNet's DNS, a private endpoint). A pool with no
subnet builds on Azure's public side like a quick build.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from acrlink import unconfirmed
from acrlink.domain import principals
from acrlink.domain.principals import ManagedIdentity
from acrlink.errors import BadRequest
from acrlink.ids import ResourceRef, parse_resource_id
from acrlink.resources import common
from acrlink.resources.base import Action, Context, Doc, ResourceType
from acrlink.resources.tenants import tenant_of_subscription
from acrlink.store.base import Transaction

TYPE = "Microsoft.ContainerRegistry/registries/agentPools"
TIERS = ("S1", "S2", "S3", "I6")


def agent_host(registry: str, pool: str) -> str:
    """The network host a pool's agents are (what the build agent acts as through the proxy)."""
    return f"agentpool-{registry.lower()}-{pool.lower()}"


def pool_identity(tx: Transaction, pool: Doc) -> ManagedIdentity | None:
    """The system-assigned identity of a pool's agents (issue 13: VMs and agent pools have one), in the tenant of
    the pool's subscription: the same for the pool's life and new for a pool created again (its creation time is
    part of the key)."""
    ref = parse_resource_id(pool["id"])
    tenant = tenant_of_subscription(tx, ref.subscription) if ref is not None else None
    created = str((pool.get("systemData") or {}).get("createdAt") or "")
    return principals.managed_identity(tenant, f"{pool['id'].lower()}|{created}") if tenant else None


def agent_address(prefix: str) -> str:
    """The agents' private address in their subnet: its last address Azure does not reserve."""
    network = ipaddress.IPv4Network(prefix, strict=False)
    return str(network.broadcast_address - 1)


def check_pool_name(name: str) -> None:
    """3 to 20 letters, digits and hyphens (az's own check for ``agentpool create``)."""
    if not re.fullmatch(r"[A-Za-z0-9-]{3,20}", name):
        raise BadRequest(
            "InvalidResourceName", f"The agent pool name '{name}' must be 3 to 20 letters, digits or hyphens."
        )


def _properties(ctx: Context, given: Any, existing: Doc) -> Doc:
    if given is not None and not isinstance(given, dict):
        raise BadRequest("InvalidRequestContent", "properties must be an object.")
    given = given or {}
    props = {**existing, **{k: v for k, v in given.items() if v is not None}}
    count = props.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise BadRequest("InvalidParameter", "count must be a whole number, 0 or more.")
    tier = str(props.get("tier") or "S1").upper()
    if tier not in TIERS:
        raise BadRequest("InvalidParameter", f"The tier '{tier}' is not one of {', '.join(TIERS)}.")
    if str(props.get("os") or "Linux").lower() != "linux":
        raise BadRequest("InvalidParameter", "Agent pools run Linux only.")
    subnet = props.get("virtualNetworkSubnetResourceId")
    if subnet and ctx.load_id(str(subnet)) is None:
        raise BadRequest(
            "InvalidSubnet", f"The subnet '{subnet}' was not found.", target="virtualNetworkSubnetResourceId"
        )
    shown = {"count": count, "tier": tier, "os": "Linux", "provisioningState": "Succeeded"}
    if subnet:
        shown["virtualNetworkSubnetResourceId"] = str(subnet)
    return shown


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT: only a Premium registry has agent pools, each in its registry's region; a pool keeps its tags and
    properties where the request leaves them out."""
    registry = ctx.parent(ref)[1]
    sku = registry["sku"]["name"]
    if sku != "Premium":
        raise BadRequest(
            unconfirmed.PREMIUM_ONLY_CODE, f"The SKU {sku} is not supported. Agent pools require the Premium SKU."
        )
    if body.get("location") and common.region(ctx, body["location"], TYPE) != registry["location"]:
        raise BadRequest("InvalidLocation", "An agent pool lives in its registry's region.", target="location")
    return {
        **common.envelope(ref, TYPE),
        "location": registry["location"],
        "tags": body.get("tags") or (existing or {}).get("tags") or {},
        "systemData": common.system_data(ctx, existing),
        "properties": _properties(ctx, body.get("properties"), (existing or {}).get("properties") or {}),
    }


def update(ctx: Context, _ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH: tags when sent, and the properties sent (count, tier, subnet) over the stored ones; the pool stays
    Linux."""
    doc = {**existing, "systemData": common.system_data(ctx, existing)}
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    doc["properties"] = _properties(ctx, body.get("properties"), existing["properties"])
    return doc


def queue_status(ctx: Context, ref: ResourceRef, _doc: Doc, _body: Any, _rest: tuple[str, ...]) -> tuple[int, Any]:
    """Runs of this pool not yet started."""
    registry = ref.parent
    assert registry is not None
    queued = [
        r
        for r in ctx.children(registry, "runs")
        if r["properties"]["status"] == "Queued"
        and str(r["properties"].get("agentPoolName", "")).lower() == ref.name.lower()
    ]
    return 200, {"count": len(queued)}


_DELETING_PREFIX = "agentPoolDeleting/"


def _remember_deleting(ctx: Context, ref: ResourceRef, doc: Doc) -> None:
    """Azure deletes a pool asynchronously and shows it ``Deleting`` meanwhile; az's delete reads the pool right
    after its DELETE and polls until the GET answers 404 (``_agentpool_polling``), so the pool stays readable as
    ``Deleting`` for ``unconfirmed.AGENT_POOL_DELETING_SECONDS``."""
    until = ctx.now.timestamp() + unconfirmed.AGENT_POOL_DELETING_SECONDS
    shown = {**doc, "properties": {**doc["properties"], "provisioningState": "Deleting"}}
    ctx.tx.kv_put(_DELETING_PREFIX + ref.key, {"until": until, "doc": shown})


def _deleting(ctx: Context, ref: ResourceRef) -> Doc | None:
    entry = ctx.tx.kv_get(_DELETING_PREFIX + ref.key)
    if not isinstance(entry, dict) or ctx.now.timestamp() >= float(entry.get("until", 0)):
        return None
    doc: Doc = entry["doc"]
    return doc


def _forget_deleting(ctx: Context, ref: ResourceRef, _existing: Doc, _created: bool) -> None:
    ctx.tx.kv_delete(_DELETING_PREFIX + ref.key)


AGENT_POOLS = ResourceType(
    type=TYPE,
    check_name=check_pool_name,
    create=create,
    update=update,
    actions={"listqueuestatus": Action("POST", queue_status)},
    location="inherited",
    delete_rank=35,
    on_delete=_remember_deleting,
    lingering=_deleting,
    after_write=_forget_deleting,
)
