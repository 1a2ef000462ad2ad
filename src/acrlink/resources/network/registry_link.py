"""What a registry's changes do to the private endpoints connected to it (S21, S22).

Wired into the registry's child types by the catalog, so the registry modules need not know about
Microsoft.Network.
"""

from __future__ import annotations

from acrlink.domain.privatelink import PENDING
from acrlink.ids import ResourceRef, new_guid, parse_resource_id
from acrlink.resources.base import Context, Doc
from acrlink.resources.network import nic as nics
from acrlink.resources.network import private_endpoint as endpoints
from acrlink.resources.network import zone_group


def replica_written(ctx: Context, ref: ResourceRef, doc: Doc, created: bool) -> None:
    """A new replica adds its data member to every endpoint's NIC (an address from the endpoint's
    subnet; no free address fails the whole replica creation) and puts each connection back to
    ``Pending`` until approved again."""
    registry_ref, registry = ctx.parent(ref)
    if not created or doc["location"] == registry["location"]:
        return
    member = f"registry_data_{doc['location']}"
    for endpoint_ref, endpoint, connection in endpoints.endpoints_of_registry(ctx, registry_ref):
        _add_member(ctx, endpoint, registry["name"], member)
        connection_ref = parse_resource_id(connection["id"])
        assert connection_ref is not None
        state = connection["properties"]["privateLinkServiceConnectionState"]
        ctx.save(
            connection_ref,
            {
                **connection,
                "properties": {
                    **connection["properties"],
                    "privateLinkServiceConnectionState": {
                        **state,
                        "status": PENDING,
                        "description": f"A new replica in {doc['location']} needs approval.",
                        "actionsRequired": "None",
                    },
                },
            },
        )
        zone_group.sync_endpoint(ctx, endpoint_ref)


def _add_member(ctx: Context, endpoint: Doc, registry_name: str, member: str) -> None:
    found = endpoints.nic_of(ctx, endpoint)
    if found is None:
        return
    nic_ref, nic = found
    configs = nic["properties"]["ipConfigurations"]
    if any(
        (c["properties"].get("privateLinkConnectionProperties") or {}).get("requiredMemberName") == member
        for c in configs
    ):
        return
    subnet_id = endpoint["properties"]["subnet"]["id"]
    subnet = ctx.load_id(subnet_id)
    assert subnet is not None
    address = nics.allocation(ctx, subnet_id, subnet[1]).allocate(1)[0]
    method = configs[0]["properties"]["privateIPAllocationMethod"] if configs else "Dynamic"
    config = nics.ip_configuration(
        nic["id"],
        f"privateEndpointIpConfig.{new_guid()}",
        subnet_id,
        address,
        method,
        False,
        endpoints.link_properties(ctx, registry_name, member),
    )
    ctx.save(nic_ref, {**nic, "properties": {**nic["properties"], "ipConfigurations": [*configs, config]}})


def replica_deleted(ctx: Context, ref: ResourceRef, doc: Doc) -> None:
    """A removed replica takes its data member off every endpoint's NIC, and its records."""
    registry_ref = ref.parent
    assert registry_ref is not None
    registry = ctx.load(registry_ref)
    if registry is None or doc["location"] == registry["location"]:
        return
    member = f"registry_data_{doc['location']}"
    for endpoint_ref, endpoint, _ in endpoints.endpoints_of_registry(ctx, registry_ref):
        found = endpoints.nic_of(ctx, endpoint)
        if found is not None:
            nic_ref, nic = found
            configs = [
                c
                for c in nic["properties"]["ipConfigurations"]
                if (c["properties"].get("privateLinkConnectionProperties") or {}).get("requiredMemberName") != member
            ]
            ctx.save(nic_ref, {**nic, "properties": {**nic["properties"], "ipConfigurations": configs}})
        zone_group.sync_endpoint(ctx, endpoint_ref)


def connection_written(ctx: Context, _ref: ResourceRef, doc: Doc, _created: bool) -> None:
    """Approving or rejecting on the registry side updates the endpoint's zone records."""
    endpoint = parse_resource_id(doc["properties"]["privateEndpoint"]["id"])
    if endpoint is not None:
        zone_group.sync_endpoint(ctx, endpoint)
