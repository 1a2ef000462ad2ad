"""``acrlink check``'s identity step: may the identity that would pull from a host pull from the registry?

Pure wording and fix over facts a service gathers (the grants come from ``services/registry_rights.py``, the
code the registry's token service runs, so ``check`` and the registry never disagree):

- ok: ``<identity> may pull from REG (<role> at <scope>)``, a conditional grant (ABAC mode) saying for which
  repositories;
- fail: ``<identity> may not pull from REG: no role gives pull on it (...)``, with the fix
  ``az role assignment create --assignee-object-id OID --assignee-principal-type ServicePrincipal --role ROLE
  --scope REGISTRY_ID`` (AcrPull in legacy mode, Container Registry Repository Reader in ABAC mode): applied as
  printed, the next check passes;
- an identity of another tenant than the registry's cannot pull whatever its roles (ACR takes Entra tokens of
  its own tenant only): a hint, no command;
- a host without a managed identity and no ``--as``: nothing is checked, and a note says so and how.
"""

from __future__ import annotations

from dataclasses import dataclass

from acrlink.domain.builtin_roles import ABAC_MODE, LEGACY_MODE, role_assignment_mode
from acrlink.domain.diagnosis import Step

PULL_ROLES: dict[str, tuple[str, ...]] = {
    LEGACY_MODE: ("AcrPull", "AcrPush", "Reader", "Contributor", "Owner"),
    ABAC_MODE: (
        "Container Registry Repository Reader",
        "Container Registry Repository Writer",
        "Container Registry Repository Contributor",
    ),
}
"""The roles people assign for pull, per mode, as the refusal names them (each really gives pull in its mode:
``builtin_roles.role_token_actions``; the table has a few more, such as User Access Administrator)."""
FIX_ROLE = {LEGACY_MODE: "AcrPull", ABAC_MODE: "Container Registry Repository Reader"}
"""The narrowest role that gives pull in each mode: what the fix assigns."""
MODE_WORDS = {LEGACY_MODE: "legacy mode", ABAC_MODE: "ABAC mode"}


@dataclass(frozen=True)
class Identity:
    """Who would pull: a principal named with ``--as``, or a VM's managed identity."""

    label: str
    """``principal NAME (OID)`` or ``VM's managed identity (OID)``."""
    object_id: str
    tenant_id: str


@dataclass(frozen=True)
class PullGrant:
    """One role assignment that gives pull on the registry (before its condition, if it has one)."""

    role: str
    """The role's name (``AcrPull``), or its definition's GUID when the role is not known."""
    scope: str
    condition: str | None = None


@dataclass(frozen=True)
class RegistryFacts:
    """What the identity step needs of a registry: its id (the scope roles are read at), its role assignment mode, its
    tenant and whether anyone may pull."""

    name: str
    id: str
    mode: str
    tenant_id: str
    anonymous_pull: bool = False


@dataclass(frozen=True)
class IdentityCheck:
    """The identity step (None when no identity was checked), its fix or hint, and a note when nothing was
    checked."""

    step: Step | None
    fix: str | None = None
    hint: str | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        """Nothing checked is no failure: only a checked identity without a role that pulls fails."""
        return self.step is None or self.step.ok


def roles_that_pull(mode: str) -> str:
    """``AcrPull, AcrPush, Reader, Contributor or Owner``: the roles the refusal names for ``mode``."""
    names = PULL_ROLES[role_assignment_mode(mode)]
    return ", ".join(names[:-1]) + " or " + names[-1]


def refusal_reason(mode: str) -> str:
    """Why nothing gives pull, naming the roles that would, for the registry's mode."""
    canonical = role_assignment_mode(mode)
    extra = ", optionally with a condition" if canonical == ABAC_MODE else ""
    return f"no role gives pull on it ({MODE_WORDS[canonical]}: {roles_that_pull(canonical)}{extra})"


def fix_command(object_id: str, registry_id: str, mode: str) -> str:
    """The ``az role assignment create`` that gives the identity pull on the registry: by object id and principal
    type, so az needs no Graph lookup."""
    role = FIX_ROLE[role_assignment_mode(mode)]
    quoted = f'"{role}"' if " " in role else role
    return (
        f"az role assignment create --assignee-object-id {object_id} --assignee-principal-type ServicePrincipal "
        f"--role {quoted} --scope {registry_id}"
    )


def check(identity: Identity, registry: RegistryFacts, grants: tuple[PullGrant, ...]) -> IdentityCheck:
    """The identity step for ``identity`` on ``registry`` given the ``grants`` its role assignments give: ok
    with the first unconditional grant (else the conditional ones, for the repositories they allow), ok when
    anonymous pull is on, refused for another tenant's identity, else refused with the fix."""
    mode = role_assignment_mode(registry.mode)
    details = (f"registry mode: {mode}", f"object id: {identity.object_id}, tenant {identity.tenant_id}")
    if registry.anonymous_pull:
        title = f"{identity.label} may pull from {registry.name} (anonymous pull is enabled)"
        return IdentityCheck(Step(True, title, details))
    if identity.tenant_id.lower() != registry.tenant_id.lower():
        title = (
            f"{identity.label} may not pull from {registry.name}: it is of tenant {identity.tenant_id}, the registry "
            f"of tenant {registry.tenant_id}, and ACR takes Entra ID tokens of its own tenant only"
        )
        hint = f"pull as a principal or managed identity of tenant {registry.tenant_id}"
        return IdentityCheck(Step(False, title, details), hint=hint)
    whole = [g for g in grants if not g.condition]
    if whole:
        first = whole[0]
        title = f"{identity.label} may pull from {registry.name} ({first.role} at {first.scope})"
        others = tuple(f"also: {g.role} at {g.scope}" + _when(g) for g in grants if g is not first)
        return IdentityCheck(Step(True, title, (*details, *others)))
    if grants:
        first = grants[0]
        title = (
            f"{identity.label} may pull from {registry.name} ({first.role} at {first.scope}, only from "
            f"repositories its condition allows)"
        )
        conditions = tuple(f"{g.role} at {g.scope}" + _when(g) for g in grants)
        return IdentityCheck(Step(True, title, (*details, *conditions)))
    title = f"{identity.label} may not pull from {registry.name}: {refusal_reason(mode)}"
    return IdentityCheck(Step(False, title, details), fix=fix_command(identity.object_id, registry.id, mode))


def _when(grant: PullGrant) -> str:
    return f", when {grant.condition}" if grant.condition else ""


def unchecked(host_name: str) -> IdentityCheck:
    """No ``--as`` and a host without a managed identity (the internet, an on-premises machine): say which
    identity was not checked and how to check it."""
    return IdentityCheck(
        None,
        note=(
            f"identity not checked: {host_name} has no managed identity, so the principal that would pull from "
            "there is unknown; name it with --as NAME (a principal's name, client id or object id)"
        ),
    )


def principal_label(name: str, object_id: str) -> str:
    """How a check names a service principal: its name and object id."""
    return f"principal {name} ({object_id})"


def managed_label(host_name: str, object_id: str) -> str:
    """How a check names a host's managed identity: the host's name and the identity's object id."""
    return f"{host_name}'s managed identity ({object_id})"


def as_json(identity: Identity | None, result: IdentityCheck) -> dict[str, object]:
    """The identity step as the reachability view carries it (``identity`` of a cell): who (null ids when no
    identity was checked), whether it was checked, and the step, fix, hint and note."""
    step = result.step
    return {
        "principalId": identity.object_id if identity else None,
        "tenantId": identity.tenant_id if identity else None,
        "label": identity.label if identity else None,
        "checked": step is not None,
        "ok": result.ok,
        "step": {"ok": step.ok, "title": step.title, "details": list(step.details)} if step else None,
        "fix": result.fix,
        "hint": result.hint,
        "note": result.note,
    }
