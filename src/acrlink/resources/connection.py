"""Microsoft.ContainerRegistry/registries/privateEndpointConnections: the registry's side of a
private endpoint (S21).

Connections are created by the private endpoint that asks for them (Microsoft.Network); the registry
owner only approves, rejects or deletes them here.
"""

from __future__ import annotations

from typing import Annotated, Any

from acrlink import unconfirmed
from acrlink.domain.privatelink import APPROVED, check_owner_transition
from acrlink.errors import NotFound
from acrlink.ids import ResourceRef
from acrlink.resources import common
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.registry import TYPE as REGISTRY_TYPE
from acrlink.resources.validation import Body, one_of, parse

ActionsRequired = Annotated[str, one_of("None", "Recreate")]

TYPE = f"{REGISTRY_TYPE}/privateEndpointConnections"
AUTO_APPROVED = "Auto-Approved"


class State(Body):
    """``privateLinkServiceConnectionState`` as a registry owner sends it: the status wanted (only the owner's
    transitions are allowed), a description and ``actionsRequired``."""

    status: str
    description: str | None = None
    actionsRequired: ActionsRequired | None = None  # noqa: N815


class Endpoint(Body):
    """The private endpoint a connection names: ignored in a PUT, which never changes or clears it."""

    id: str | None = None


class Properties(Body):
    """A connection PUT: its state is required, the endpoint is ignored."""

    privateEndpoint: Endpoint | None = None  # noqa: N815
    privateLinkServiceConnectionState: State  # noqa: N815


class PutBody(Body):
    """A private endpoint connection PUT (approve, reject): the properties are required."""

    properties: Properties


def new_connection(ref: ResourceRef, endpoint_id: str, status: str, description: str) -> Doc:
    """The document a private endpoint creates on the registry (``REGISTRY.<32 hex>``)."""
    return {
        **common.envelope(ref, TYPE),
        "properties": {
            "privateEndpoint": {"id": endpoint_id},
            "privateLinkServiceConnectionState": {
                "status": status,
                "description": description,
                "actionsRequired": "None",
            },
            "provisioningState": "Succeeded",
        },
    }


def put(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """Approve or reject: only the state changes; the endpoint reference is kept, never cleared."""
    request = parse(PutBody, body)
    if existing is None:
        raise NotFound(
            unconfirmed.CONNECTION_NOT_FOUND_CODE,
            f"Private endpoint connection '{ref.name}' was not found. Connections are created by "
            "creating a private endpoint that targets the registry.",
        )
    state = existing["properties"]["privateLinkServiceConnectionState"]
    wanted = request.properties.privateLinkServiceConnectionState
    status = check_owner_transition(state["status"], wanted.status)
    description = wanted.description if wanted.description is not None else ""
    if status == APPROVED and not description and state.get("description") == AUTO_APPROVED:
        description = AUTO_APPROVED
    new_state: dict[str, Any] = {
        "status": status,
        "description": description,
        "actionsRequired": wanted.actionsRequired or state.get("actionsRequired", "None"),
    }
    return {
        **existing,
        "properties": {
            **existing["properties"],
            "privateLinkServiceConnectionState": new_state,
            "provisioningState": "Succeeded",
        },
    }


CONNECTIONS_TYPE = ResourceType(
    type=TYPE,
    check_name=lambda _name: None,
    create=put,
    location="inherited",
    create_status="Updating",
    delete_rank=30,
    absent_delete_warning="The private endpoint connection '{name}' was not found; nothing was deleted.",
)
