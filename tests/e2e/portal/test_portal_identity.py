"""The reachability matrix per host identity, in both languages, in a real browser: a VM inside the registry's
VNet reaches it privately but its managed identity has no role, so its cell is "reachable, identity cannot pull"
with the ``az role assignment create`` in the cell's details; once that command is run with the real az, the
cell turns plain reachable with "identity may pull". The role assignment is checked through az, not the page."""

from __future__ import annotations

import shlex
from typing import Any

import pytest

from tests.e2e.conftest import Running, private_registry

from .conftest import open_portal, shot

pytestmark = [pytest.mark.slow, pytest.mark.portal]

RG, ACR, VNET, VM = "idprg", "idportalacr", "idpvnet", "idpVM"
LOGIN = f"{ACR}.azurecr.cn"
WORDS = {
    "en": {"cannot": "Reachable, identity cannot pull", "may": "Identity may pull", "reachable": "Reachable",
           "fix": "Command that gives the identity pull"},
    "zh": {"cannot": "可访问,但标识无法拉取", "may": "标识可以拉取", "reachable": "可访问", "fix": "授予标识拉取权限的命令"},
}  # fmt: skip


def cell_of(page: Any, running: Running) -> Any:
    page.goto(running.endpoints["portal"].rstrip("/") + f"/reachability?host={VM}")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=LOGIN, exact=True))
    return row.get_by_role("cell")


def test_the_matrix_shows_whether_the_vm_identity_may_pull(browser: Any, portal_acrlink: Running) -> None:
    net = portal_acrlink
    registry_id = private_registry(net, RG, ACR, VNET)
    net.cli("vm", "create", VM, "-g", RG, "--vnet-name", VNET, "--subnet", "default")
    fixes = set()
    for language in ("en", "zh"):
        words = WORDS[language]
        page = open_portal(browser, net, language)
        cell = cell_of(page, net)
        assert words["cannot"] in cell.inner_text()
        assert "noid" in (cell.get_attribute("class") or "")
        if language == "en":
            page.goto(net.endpoints["portal"].rstrip("/") + f"/reachability?registry={ACR}")
            shot(page, "reachability-identity")
            cell = cell_of(page, net)
        cell.get_by_role("link").click()
        page.wait_for_url("**/reachability/cell?*")
        fixes.add(page.get_by_label(words["fix"]).inner_text().strip())
        page.context.close()
    [fix] = fixes
    assert fix.startswith("az role assignment create --assignee-object-id ") and fix.endswith(f"--scope {registry_id}")
    net.az(*shlex.split(fix)[1:])
    listed = net.az_json("role", "assignment", "list", "--scope", registry_id)
    assert [a["roleDefinitionName"] for a in listed] == ["AcrPull"]

    for language in ("en", "zh"):
        words = WORDS[language]
        page = open_portal(browser, net, language)
        cell = cell_of(page, net)
        text = cell.inner_text()
        assert words["may"] in text and words["cannot"] not in text and words["reachable"] in text
        assert "ok" in (cell.get_attribute("class") or "").split()
        page.context.close()
