"""Microsoft.ContainerRegistry/registries: the registry resource and its actions."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

from pydantic import field_validator

from acrlink import unconfirmed
from acrlink.clock import iso
from acrlink.domain import acr
from acrlink.domain.naming import check_registry_name, registry_name_problem
from acrlink.errors import BadRequest, Conflict, ErrorDetail, NotFound
from acrlink.ids import ResourceRef
from acrlink.resources import common, runs
from acrlink.resources.base import Action, Context, Doc, ResourceType
from acrlink.resources.imports import import_image
from acrlink.resources.scope_map import ensure_system_maps, user_map_count
from acrlink.resources.token import CHILD as TOKENS
from acrlink.resources.token import generate_credentials
from acrlink.resources.validation import Body, one_of, parse

RuleAction = Annotated[str, one_of("Allow")]
DefaultAction = Annotated[str, one_of("Allow", "Deny")]
SkuName = Annotated[str, one_of("Classic", "Basic", "Standard", "Premium")]
EnabledDisabled = Annotated[str, one_of("Enabled", "Disabled")]
BypassOption = Annotated[str, one_of("AzureServices", "None")]
RoleAssignmentMode = Annotated[str, one_of("LegacyRegistryPermissions", "AbacRepositoryPermissions")]
PasswordName = Annotated[str, one_of("password", "password2")]

TYPE = "Microsoft.ContainerRegistry/registries"
REPLICATIONS = "replications"
CONNECTIONS = "privateEndpointConnections"
BACKDATE_TAG = "acrlink-created"
"""Tag that backdates a new registry's ``creationDate`` (``YYYY-MM-DD``), e.g. to get the legacy
private endpoint limit of registries created before 2021-10 (S8)."""

DEFAULT_POLICIES: Doc = {
    "quarantinePolicy": {"status": "disabled"},
    "trustPolicy": {"type": "Notary", "status": "disabled"},
    "retentionPolicy": {"days": 7, "status": "disabled"},
    "exportPolicy": {"status": "enabled"},
    "azureADAuthenticationAsArmPolicy": {"status": "enabled"},
    "softDeletePolicy": {"retentionDays": 7, "status": "disabled"},
}

_CIDR = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(/(\d{1,2}))?$")


class IpRule(Body):
    """One firewall rule: allow an IPv4 address or CIDR range."""

    action: RuleAction = "Allow"
    value: str

    @field_validator("value")
    @classmethod
    def _ipv4(cls, value: str) -> str:
        match = _CIDR.match(value)
        if not match or any(int(o) > 255 for o in match.groups()[:4]) or int(match.group(6) or 32) > 32:
            raise ValueError(f"'{value}' is not a valid IPv4 address or CIDR range")
        return value


class NetworkRuleSet(Body):
    """The firewall: what happens to a request no IP rule allows (``defaultAction``), and the IP rules."""

    defaultAction: DefaultAction = "Allow"  # noqa: N815 - wire name
    ipRules: list[IpRule] | None = None  # noqa: N815


class Sku(Body):
    """A registry's SKU: Basic, Standard or Premium."""

    name: SkuName


class Properties(Body):
    """A registry's request properties: what may be set; Premium-only ones are refused on other SKUs."""

    adminUserEnabled: bool | None = None  # noqa: N815
    networkRuleSet: NetworkRuleSet | None = None  # noqa: N815
    policies: dict[str, Any] | None = None
    encryption: dict[str, Any] | None = None
    dataEndpointEnabled: bool | None = None  # noqa: N815
    publicNetworkAccess: EnabledDisabled | None = None  # noqa: N815
    networkRuleBypassOptions: BypassOption | None = None  # noqa: N815
    networkRuleBypassAllowedForTasks: bool | None = None  # noqa: N815
    zoneRedundancy: EnabledDisabled | None = None  # noqa: N815
    anonymousPullEnabled: bool | None = None  # noqa: N815
    roleAssignmentMode: RoleAssignmentMode | None = None  # noqa: N815


class CreateBody(Body):
    """A registry PUT: a region and a SKU are required."""

    location: Any = None
    tags: dict[str, str] | None = None
    sku: Sku
    identity: dict[str, Any] | None = None
    properties: Properties | None = None


class UpdateBody(Body):
    """A registry PATCH: any of tags, SKU, identity and properties."""

    tags: dict[str, str] | None = None
    sku: Sku | None = None
    identity: dict[str, Any] | None = None
    properties: Properties | None = None


DEFAULTS: Doc = {
    "adminUserEnabled": False,
    "networkRuleSet": {"defaultAction": "Allow", "ipRules": []},
    "dataEndpointEnabled": False,
    "publicNetworkAccess": "Enabled",
    "networkRuleBypassOptions": "AzureServices",
    "networkRuleBypassAllowedForTasks": False,
    "zoneRedundancy": "Disabled",
    "anonymousPullEnabled": False,
    "roleAssignmentMode": "LegacyRegistryPermissions",
    "encryption": {"status": "disabled"},
}


def _given(properties: Properties | None) -> Doc:
    """The properties the caller set, in wire shape (``None`` means not set)."""
    if properties is None:
        return {}
    return {k: v for k, v in properties.model_dump(exclude_unset=True).items() if v is not None}


def _with_rule_defaults(props: Doc) -> Doc:
    rules = props.get("networkRuleSet")
    if rules is not None:
        props["networkRuleSet"] = {
            "defaultAction": rules.get("defaultAction", "Allow"),
            "ipRules": rules.get("ipRules") or [],
        }
    if "policies" in props:
        props["policies"] = {**DEFAULT_POLICIES, **props["policies"]}
    return props


def _creation_date(ctx: Context, tags: dict[str, str]) -> str:
    backdate = tags.get(BACKDATE_TAG)
    if backdate is None:
        return iso(ctx.now)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", backdate):
        raise BadRequest(
            "InvalidRequestContent",
            f"The tag '{BACKDATE_TAG}' must be a date YYYY-MM-DD.",
            target=f"tags.{BACKDATE_TAG}",
        )
    return f"{backdate}T00:00:00.0000000Z"


def _check_unique(ctx: Context, ref: ResourceRef) -> None:
    """Login server names are unique in the whole cloud, across subscriptions and groups."""
    for record in ctx.tx.query(type=TYPE):
        if record.body["name"].lower() == ref.name.lower() and record.key != ref.key:
            server = ctx.cloud.login_server(ref.name)
            raise Conflict(
                "AlreadyInUse",
                f"The registry DNS name {server} is already in use. You can check if the name is already "
                "claimed using following API: https://docs.microsoft.com/en-us/rest/api/containerregistry/"
                "registries/checknameavailability",
            )


def _check_sku(ctx: Context, ref: ResourceRef, sku: str, props: Doc) -> None:
    if sku == "Classic":
        raise BadRequest(unconfirmed.PREMIUM_ONLY_CODE, "The SKU Classic is not supported.", target="sku.name")
    replicas = len(ctx.children(ref, REPLICATIONS))
    connections = len(ctx.children(ref, CONNECTIONS))
    problems = acr.premium_feature_problems(sku, props, replicas, connections)
    if problems:
        first = problems[0]
        raise BadRequest(
            first.code,
            first.message,
            target=first.target,
            details=[ErrorDetail(p.code, p.message, p.target) for p in problems[1:]],
        )


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT: create, or replace every settable property of an existing registry."""
    request = parse(CreateBody, body)
    location = common.region(ctx, request.location, TYPE)
    common.same_location(existing, location, ref)
    _check_unique(ctx, ref)
    tags = request.tags or {}
    props = _with_rule_defaults({**DEFAULTS, "policies": DEFAULT_POLICIES, **_given(request.properties)})
    props["policies"] = _stamp_retention(ctx, props["policies"], existing, "retentionPolicy" in _sent_policies(body))
    sku = request.sku.name
    _check_sku(ctx, ref, sku, props)
    if existing is None:
        ctx.tx.kv_put(_credentials_key(ref), _new_passwords())
        created = _creation_date(ctx, tags)
    else:
        created = existing["properties"]["creationDate"]
    doc: Doc = {
        **common.envelope(ref, TYPE),
        "location": location,
        "tags": tags,
        "sku": {"name": sku, "tier": sku},
        "systemData": common.system_data(ctx, existing),
        "properties": {
            "loginServer": ctx.cloud.login_server(ref.name),
            "creationDate": created,
            "provisioningState": "Succeeded",
            **props,
            "status": None,
        },
    }
    if request.identity is not None:
        doc["identity"] = request.identity
    return doc


def update(ctx: Context, ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH: change only what the body names (``az acr update`` sends only the changed fields)."""
    request = parse(UpdateBody, body)
    given = _given(request.properties)
    if "policies" in given:  # a PATCH names the policies it changes; the others stay as they are
        given["policies"] = {**(existing["properties"].get("policies") or DEFAULT_POLICIES), **given["policies"]}
    props = {**existing["properties"], **_with_rule_defaults(given)}
    props["policies"] = _stamp_retention(
        ctx, props.get("policies") or DEFAULT_POLICIES, existing, "retentionPolicy" in _sent_policies(body)
    )
    sku = request.sku.name if request.sku else existing["sku"]["name"]
    _check_sku(ctx, ref, sku, props)
    doc = {
        **existing,
        "sku": {"name": sku, "tier": sku},
        "systemData": common.system_data(ctx, existing),
        "properties": props,
    }
    if request.tags is not None:
        doc["tags"] = request.tags
    if request.identity is not None:
        doc["identity"] = request.identity
    return doc


def _sent_policies(body: Any) -> Doc:
    props = body.get("properties") if isinstance(body, dict) else None
    policies = props.get("policies") if isinstance(props, dict) else None
    return policies if isinstance(policies, dict) else {}


def _stamp_retention(ctx: Context, policies: Doc, existing: Doc | None, changed: bool) -> Doc:
    """``retentionPolicy.lastUpdatedTime`` is when the retention policy was last written: now on create or
    when a request sets it, else as stored."""
    before = ((existing or {}).get("properties", {}).get("policies") or {}).get("retentionPolicy") or {}
    retention = dict(policies.get("retentionPolicy") or DEFAULT_POLICIES["retentionPolicy"])
    stamp = before.get("lastUpdatedTime")
    retention["lastUpdatedTime"] = iso(ctx.now) if changed or existing is None or not stamp else stamp
    return {**policies, "retentionPolicy": retention}


PREVIEW_PROPERTIES: tuple[tuple[str, str, Any], ...] = (
    ("metadataSearch", "2025-05-01-preview", "Disabled"),
    ("autoGeneratedDomainNameLabelScope", "2025-05-01-preview", "Unsecure"),
    ("writableCacheRepos", "2026-09-01-preview", "Disabled"),
    ("regionalEndpoints", "2026-09-01-preview", "Disabled"),
    ("regionalEndpointHostNames", "2026-09-01-preview", []),
    ("endpointProtocol", "2026-09-01-preview", "IPv4"),
)
"""(property, first preview api-version that has it, value when never set). Stable api-versions do not
have them (the REST spec examples of 2025-05-01-preview and 2026-09-01-preview show them, 2025-11-01's
do not)."""


def shape(doc: Doc, api_version: str) -> Doc:
    """The registry as a given api-version shows it: preview-only properties in the previews that have them
    (the stored value, else the service's default), in no other version."""
    props = dict(doc["properties"])
    preview = api_version.endswith("-preview")
    for name, since, default in PREVIEW_PROPERTIES:
        if preview and api_version >= since:
            props.setdefault(name, default)
        else:
            props.pop(name, None)
    rules = props.get("networkRuleSet")
    if isinstance(rules, dict):
        if preview and api_version >= "2026-09-01-preview":
            props["networkRuleSet"] = {**rules, "virtualNetworkRules": rules.get("virtualNetworkRules", [])}
        elif "virtualNetworkRules" in rules:
            props["networkRuleSet"] = {k: v for k, v in rules.items() if k != "virtualNetworkRules"}
    return {**doc, "properties": props}


def region_list(ctx: Context, ref: ResourceRef, doc: Doc) -> list[str]:
    """Home region first, then every replica's region (S2)."""
    return acr.regions(doc["location"], [r["location"] for r in ctx.children(ref, REPLICATIONS)])


def render(ctx: Context, ref: ResourceRef, doc: Doc) -> Doc:
    """A registry shows its data endpoint host names (one per region when enabled), its policies with ACR's defaults,
    and its private endpoint connections."""
    props = doc["properties"]
    names = acr.data_endpoint_host_names(
        ctx.cloud, ref.name, region_list(ctx, ref, doc), bool(props.get("dataEndpointEnabled"))
    )
    policies = props.get("policies") or DEFAULT_POLICIES
    retention = policies.get("retentionPolicy") or DEFAULT_POLICIES["retentionPolicy"]
    if "lastUpdatedTime" not in retention:  # stored before the stamp existed
        policies = {**policies, "retentionPolicy": {**retention, "lastUpdatedTime": props["creationDate"]}}
    return {
        **doc,
        "properties": {
            **props,
            "policies": policies,
            "dataEndpointHostNames": names,
            "privateEndpointConnections": ctx.children(ref, CONNECTIONS),
        },
    }


def on_delete(ctx: Context, ref: ResourceRef, _doc: Doc) -> None:
    """A deleted registry takes its admin passwords and its content (repositories, tags, manifests) with it."""
    ctx.tx.kv_delete(_credentials_key(ref))
    ctx.content.drop_registry(ctx.tx, ref.name.lower())


# Actions --------------------------------------------------------------------------------------------


def list_usages(ctx: Context, ref: ResourceRef, doc: Doc, _body: Any, _rest: tuple[str, ...]) -> tuple[int, Any]:
    """``listUsages``: each quota of the registry's SKU (``domain/acr.usages``) with what the registry uses of it
    now."""
    found = acr.usages(
        doc["sku"]["name"],
        doc["properties"]["creationDate"],
        doc["properties"],
        len(region_list(ctx, ref, doc)),
        len(ctx.children(ref, CONNECTIONS)),
        scope_map_count=user_map_count(ctx, ref),
        token_count=len(ctx.children(ref, TOKENS)),
        webhook_count=len(ctx.children(ref, "webhooks")),
    )
    return 200, {"value": [u.to_json() for u in found]}


def _link_resource(ctx: Context, ref: ResourceRef, doc: Doc) -> Doc:
    return {
        "id": f"{ref.id}/privateLinkResources/registry",
        "name": "registry",
        "type": f"{TYPE}/privateLinkResources",
        "properties": {
            "groupId": "registry",
            "requiredMembers": acr.required_members(region_list(ctx, ref, doc)),
            "requiredZoneNames": [ctx.cloud.private_link_zone],
        },
    }


def private_link_resources(
    ctx: Context, ref: ResourceRef, doc: Doc, _body: Any, rest: tuple[str, ...]
) -> tuple[int, Any]:
    """The one private link group of a registry, ``registry``, with a member per region (S4)."""
    resource = _link_resource(ctx, ref, doc)
    if not rest:
        return 200, {"value": [resource]}
    if len(rest) == 1 and rest[0].lower() == "registry":
        return 200, resource
    raise NotFound("ResourceNotFound", f"The private link resource '{'/'.join(rest)}' was not found.")


def _credentials_key(ref: ResourceRef) -> str:
    return f"registry-credentials:{ref.key}"


def _new_passwords() -> Doc:
    return {"password": secrets.token_urlsafe(32), "password2": secrets.token_urlsafe(32)}


def admin_credentials(ctx: Context, ref: ResourceRef) -> Doc:
    """The admin user's name and passwords (the name is the registry name)."""
    stored = ctx.tx.kv_get(_credentials_key(ref)) or {}
    return {
        "username": ref.name,
        "passwords": [{"name": name, "value": stored.get(name, "")} for name in ("password", "password2")],
    }


def _require_admin(doc: Doc) -> None:
    if not doc["properties"].get("adminUserEnabled"):
        raise BadRequest(
            unconfirmed.ADMIN_USER_DISABLED_CODE,
            "Admin user is disabled. Enable it with 'az acr update -n NAME --admin-enabled true'.",
        )


def list_credentials(ctx: Context, ref: ResourceRef, doc: Doc, _body: Any, _rest: tuple[str, ...]) -> tuple[int, Any]:
    """``listCredentials``: the admin user's name and two passwords; refused while the admin user is disabled."""
    _require_admin(doc)
    return 200, admin_credentials(ctx, ref)


class RegenerateBody(Body):
    """``regenerateCredential``: which admin password to renew (``password`` or ``password2``)."""

    name: PasswordName


def regenerate_credential(
    ctx: Context, ref: ResourceRef, doc: Doc, body: Any, _rest: tuple[str, ...]
) -> tuple[int, Any]:
    """``regenerateCredential``: a new value for one admin password, the other kept; refused while the admin user is
    disabled."""
    _require_admin(doc)
    which = parse(RegenerateBody, body).name
    stored = ctx.tx.kv_get(_credentials_key(ref)) or _new_passwords()
    stored[which] = secrets.token_urlsafe(32)
    ctx.tx.kv_put(_credentials_key(ref), stored)
    return 200, admin_credentials(ctx, ref)


class NameCheckBody(Body):
    """``checkNameAvailability``: the name asked and its type (registries only)."""

    name: str
    type: str


def check_name_availability(ctx: Context, _subscription: str, body: Any) -> tuple[int, Any]:
    """Login server names are unique per cloud; the check sees every subscription."""
    request = parse(NameCheckBody, body)
    if request.type.lower() != TYPE.lower():
        raise BadRequest("InvalidResourceType", f"The resource type '{request.type}' is not supported.")
    problem = registry_name_problem(request.name)
    if problem:
        return 200, {"nameAvailable": False, "reason": "Invalid", "message": problem}
    taken = any(r.body["name"].lower() == request.name.lower() for r in ctx.tx.query(type=TYPE))
    if taken:
        return 200, {
            "nameAvailable": False,
            "reason": "AlreadyExists",
            "message": f"The registry {request.name} is already in use.",
        }
    return 200, {"nameAvailable": True}


REGISTRIES = ResourceType(
    type=TYPE,
    check_name=check_registry_name,
    create=create,
    update=update,
    render=render,
    shape=shape,
    on_delete=on_delete,
    after_write=ensure_system_maps,
    listed_in_subscription=True,
    delete_rank=60,
    actions={
        "listusages": Action("GET", list_usages),
        "privatelinkresources": Action("GET", private_link_resources),
        "listcredentials": Action("POST", list_credentials),
        "regeneratecredential": Action("POST", regenerate_credential),
        "importimage": Action("POST", import_image),
        "generatecredentials": Action("POST", generate_credentials),
        **runs.REGISTRY_ACTIONS,
    },
)
