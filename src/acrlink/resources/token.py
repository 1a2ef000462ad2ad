"""Microsoft.ContainerRegistry/registries/tokens, and the registry's ``generateCredentials`` action.

A token names one scope map of its registry and is ``enabled`` or ``disabled``. Its two passwords,
``password1`` and ``password2``, exist only once ``generateCredentials`` made them: the answer to that action is
the only place their values appear; the token keeps each one's creation time and expiry, and acrlink keeps a
hash of each value (``token-passwords:{token key}`` in the store's kv) for the data plane to check
(``services/token_logins.py``). A PATCH (or PUT) listing ``credentials.passwords`` keeps only those named.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from acrlink import unconfirmed
from acrlink.clock import iso
from acrlink.domain import scope_maps
from acrlink.errors import BadRequest, NotFound
from acrlink.ids import ResourceRef, parse_resource_id
from acrlink.resources import common
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.scope_map import TYPE as SCOPE_MAP_TYPE
from acrlink.resources.scope_map import check_quota, ensure_system_maps
from acrlink.resources.validation import Body, one_of, parse

REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"
"""The parent type (``resources/registry.py`` imports this module, so it is not imported from there)."""
TYPE = f"{REGISTRY_TYPE}/tokens"
CHILD = "tokens"
PASSWORD_NAMES = ("password1", "password2")

Status = Annotated[str, one_of("enabled", "disabled")]
PasswordName = Annotated[str, one_of(*PASSWORD_NAMES)]
CertificateName = Annotated[str, one_of("certificate1", "certificate2")]


class Password(Body):
    """A token password entry: which one, and its expiry."""

    name: PasswordName
    expiry: str | None = None


class Certificate(Body):
    """A token certificate entry: which one, its expiry and the certificate."""

    name: CertificateName
    expiry: str | None = None
    thumbprint: str | None = None
    encodedPemCertificate: str | None = None  # noqa: N815 - wire name


class Credentials(Body):
    """A token's credentials in a request: listing passwords keeps only those named."""

    passwords: list[Password] | None = None
    certificates: list[Certificate] | None = None


class Properties(Body):
    """A token's request properties: its scope map, status and credentials."""

    scopeMapId: str | None = None  # noqa: N815 - wire name
    status: Status | None = None
    credentials: Credentials | None = None


class CreateBody(Body):
    """A token PUT: the properties are required."""

    properties: Properties


class UpdateBody(Body):
    """A token PATCH."""

    properties: Properties | None = None


def check_name(name: str) -> None:
    """A token name follows ACR's token name rule (``domain/scope_maps.name_problem``)."""
    problem = scope_maps.name_problem(name)
    if problem:
        raise BadRequest(unconfirmed.INVALID_TOKEN_NAME_CODE, f"The token name '{name}' is invalid. {problem}")


def passwords_key(token_key: str) -> str:
    """Where the hashes of a token's passwords are kept (by the token's key)."""
    return f"token-passwords:{token_key}"


def password_hash(value: str) -> str:
    """What acrlink keeps of a password (values are 256-bit random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(value.encode()).hexdigest()


def _registry(ref: ResourceRef) -> ResourceRef:
    parent = ref.parent
    assert parent is not None
    return parent


def _scope_map_id(ctx: Context, ref: ResourceRef, given: str | None) -> str:
    """The id of a scope map of this token's own registry, in its stored casing."""
    if not given:
        raise BadRequest(
            unconfirmed.INVALID_SCOPE_MAP_ID_CODE,
            "The token needs a scope map: set properties.scopeMapId.",
            "properties.scopeMapId",
        )
    target = parse_resource_id(given)
    registry = _registry(ref)
    if (
        target is None
        or target.parent is None
        or target.parent.key != registry.key
        or target.type.lower() != SCOPE_MAP_TYPE.lower()
    ):
        raise BadRequest(
            unconfirmed.INVALID_SCOPE_MAP_ID_CODE,
            f"The scope map '{given}' is not a scope map of the registry '{registry.name}'.",
            "properties.scopeMapId",
        )
    registry_doc = ctx.load(registry)
    assert registry_doc is not None, "the service checks the parent exists"
    ensure_system_maps(ctx, registry, registry_doc, False)  # a registry an older acrlink created has none yet
    found = ctx.load(target)
    if found is None:
        raise BadRequest(
            unconfirmed.INVALID_SCOPE_MAP_ID_CODE, f"The scope map '{given}' was not found.", "properties.scopeMapId"
        )
    return str(found["id"])


def _kept(ctx: Context, ref: ResourceRef, stored: list[Doc], wanted: Credentials | None) -> list[Doc]:
    """The password entries left after a request that lists the survivors (or all, when it lists none)."""
    if wanted is None or wanted.passwords is None:
        return stored
    names = {p.name for p in wanted.passwords}
    kept = [p for p in stored if p["name"] in names]
    hashes = ctx.tx.kv_get(passwords_key(ref.key)) or {}
    ctx.tx.kv_put(passwords_key(ref.key), {k: v for k, v in hashes.items() if k in names})
    return kept


def _certificates(before: Doc, wanted: Credentials | None) -> list[Doc]:
    """The certificates as the request sets them (kept as given; acrlink's data plane takes passwords only), or as
    they were."""
    if wanted is None or wanted.certificates is None:
        return list(before.get("credentials", {}).get("certificates", []))
    return [c.model_dump(exclude_none=True) for c in wanted.certificates]


def _document(ctx: Context, ref: ResourceRef, existing: Doc | None, props: Doc) -> Doc:
    return {**common.envelope(ref, TYPE), "systemData": common.system_data(ctx, existing), "properties": props}


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT: a token (a new one within the SKU's limit) naming a scope map of the same registry."""
    request = parse(CreateBody, body).properties
    scope_map = _scope_map_id(ctx, ref, request.scopeMapId)
    registry = _registry(ref)
    if existing is None:
        registry_doc = ctx.load(registry)
        assert registry_doc is not None
        check_quota(registry, registry_doc, "tokens", len(ctx.children(registry, CHILD)))
    before = existing["properties"] if existing else {}
    stored = before.get("credentials", {}).get("passwords", [])
    props = {
        "creationDate": before.get("creationDate", iso(ctx.now)),
        "provisioningState": "Succeeded",
        "scopeMapId": scope_map,
        "status": request.status or "enabled",
        "credentials": {
            "certificates": _certificates(before, request.credentials),
            "passwords": _kept(ctx, ref, stored, request.credentials),
        },
    }
    return _document(ctx, ref, existing, props)


def update(ctx: Context, ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH: status, scope map and/or the surviving passwords, each only when named."""
    request = parse(UpdateBody, body).properties
    props = {**existing["properties"]}
    if request is not None:
        if request.scopeMapId is not None:
            props["scopeMapId"] = _scope_map_id(ctx, ref, request.scopeMapId)
        if request.status is not None:
            props["status"] = request.status
        stored = props.get("credentials", {}).get("passwords", [])
        props["credentials"] = {
            "certificates": _certificates(existing["properties"], request.credentials),
            "passwords": _kept(ctx, ref, stored, request.credentials),
        }
    return _document(ctx, ref, existing, props)


def on_delete(ctx: Context, ref: ResourceRef, _doc: Doc) -> None:
    """A deleted token takes its password hashes with it: its passwords stop working at once."""
    ctx.tx.kv_delete(passwords_key(ref.key))


# generateCredentials (an action of the registry) -------------------------------------------------------------


class GenerateBody(Body):
    """``generateCredentials``: the token (required), which password (both when left out) and the new values' expiry."""

    tokenId: str  # noqa: N815 - wire name
    name: PasswordName | None = None
    expiry: str | None = None


def _expiry(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest("InvalidRequestContent", f"The expiry '{text}' is not a date and time.", "expiry") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso(moment.astimezone(UTC))


def generate_credentials(
    ctx: Context, ref: ResourceRef, _doc: Doc, body: Any, _rest: tuple[str, ...]
) -> tuple[int, Any]:
    """New values for one password (``name``) or both: returned once, only their hashes kept."""
    request = parse(GenerateBody, body)
    target = parse_resource_id(request.tokenId)
    if target is None or target.parent is None or target.parent.key != ref.key or target.type.lower() != TYPE.lower():
        raise BadRequest(
            unconfirmed.TOKEN_NOT_FOUND_CODE,
            f"The token '{request.tokenId}' is not a token of the registry '{ref.name}'.",
            "tokenId",
        )
    token = ctx.load(target)
    if token is None:
        raise NotFound(unconfirmed.TOKEN_NOT_FOUND_CODE, f"The token '{request.tokenId}' was not found.", "tokenId")
    expiry = _expiry(request.expiry)
    names = (request.name,) if request.name else PASSWORD_NAMES
    created = iso(ctx.now)
    hashes = dict(ctx.tx.kv_get(passwords_key(target.key)) or {})
    entries = {p["name"]: p for p in token["properties"].get("credentials", {}).get("passwords", [])}
    answered = []
    for name in names:
        value = secrets.token_urlsafe(32)
        hashes[name] = password_hash(value)
        entry: Doc = {"name": name, "creationTime": created}
        if expiry is not None:
            entry["expiry"] = expiry
        entries[name] = entry
        answered.append({**entry, "value": value})
    ctx.tx.kv_put(passwords_key(target.key), hashes)
    credentials = token["properties"].get("credentials", {})
    props = {
        **token["properties"],
        "credentials": {
            "certificates": credentials.get("certificates", []),
            "passwords": [entries[n] for n in PASSWORD_NAMES if n in entries],
        },
    }
    ctx.save(target, {**token, "properties": props})
    return 200, {"username": token["name"], "passwords": answered}


TOKENS_TYPE = ResourceType(
    type=TYPE,
    check_name=check_name,
    create=create,
    update=update,
    on_delete=on_delete,
    location="inherited",
    delete_rank=40,
)
