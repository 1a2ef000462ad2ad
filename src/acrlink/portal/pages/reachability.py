"""Reachability (可访问性): every host x every registry endpoint (login server and each data endpoint),
from ARM's ``Acrlink.Network/reachability`` view (one engine with ``acrlink check``: the server computes
it, the portal only renders it). Each cell: the address the name resolves to from that host, the path
(private endpoint, public, none) and the verdict; a cell's details show the steps and the fixing command.
A VM's cells also say whether its managed identity may pull from the registry (the view's ``identityPull``,
the rights the registry's token service grants): reachable and allowed is green, reachable with no role that
gives pull is a state of its own, whose details carry the ``az role assignment create`` that fixes it.
``?host=`` (and ``?registry=``) narrow the matrix."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape
from starlette.responses import Response

from acrlink.portal.app import Page, RouteSpec
from acrlink.portal.armclient import ArmError
from acrlink.portal.i18n import register

VIEW_API = "2026-01-01"

register(
    {
        "reach.title": ("Reachability", "可访问性"),
        "reach.intro": (
            "What every host gets when it connects to every registry endpoint: the address the name resolves "
            "to from there, the path, and whether the connection is let through.",
            "每台主机连接每个注册表终结点时的结果:该名称在那里解析到的地址、路径,以及连接是否被放行。",
        ),
        "reach.host": ("Host", "主机"),
        "reach.all_hosts": ("All hosts", "所有主机"),
        "reach.registry": ("Registry", "注册表"),
        "reach.all_registries": ("All registries", "所有注册表"),
        "reach.endpoint": ("Endpoint", "终结点"),
        "reach.filter": ("Filter", "筛选"),
        "reach.address": ("Address", "地址"),
        "reach.path": ("Path", "路径"),
        "reach.verdict": ("Verdict", "结论"),
        "reach.path.private": ("Private endpoint", "专用终结点"),
        "reach.path.public": ("Public", "公共"),
        "reach.path.none": ("None", "无"),
        "reach.verdict.reachable": ("Reachable", "可访问"),
        "reach.verdict.denied": ("Denied by the firewall", "被防火墙拒绝"),
        "reach.verdict.unresolvable": ("Unresolvable", "无法解析"),
        "reach.verdict.dropped": ("Connection pending or rejected", "连接挂起或已拒绝"),
        "reach.verdict.unreachable": ("Unreachable", "无法访问"),
        "reach.verdict.other": ("Not reachable", "不可访问"),
        "reach.verdict.noidentity": ("Reachable, identity cannot pull", "可访问,但标识无法拉取"),
        "reach.identity": ("Identity", "标识"),
        "reach.identity.ok": ("Identity may pull", "标识可以拉取"),
        "reach.identity.no": ("Identity cannot pull", "标识无法拉取"),
        "reach.identity.fix": ("Command that gives the identity pull", "授予标识拉取权限的命令"),
        "reach.identity.none": ("Not checked: this host has no managed identity.", "未检查:此主机没有托管标识。"),
        "reach.details": ("Details", "详细信息"),
        "reach.cell_title": ("{host} to {name}", "{host} 到 {name}"),
        "reach.steps": ("Steps", "步骤"),
        "reach.fix": ("Fix", "修复"),
        "reach.fix_command": ("Command that fixes it", "修复命令"),
        "reach.hint": ("Hint", "提示"),
        "reach.no_fix": ("Nothing to fix.", "无需修复。"),
        "reach.back": ("Back to the matrix", "返回矩阵"),
        "reach.kind.internet": ("Internet", "Internet"),
        "reach.kind.vm": ("VM", "虚拟机"),
        "reach.kind.onprem": ("On-premises", "本地"),
        "reach.kind.trusted": ("Trusted service", "受信任的服务"),
        "reach.no_cells": ("No host or registry endpoint to show.", "没有可显示的主机或注册表终结点。"),
        "reach.cell_missing": (
            "No such cell: host '{host}', endpoint '{name}'.",
            "没有这样的单元格:主机“{host}”,终结点“{name}”。",
        ),
        "reach.legend": ("Legend", "图例"),
        "reach.previous": ("Previous", "上一页"),
        "reach.next": ("Next", "下一页"),
        "reach.page": ("Page {page} of {pages}", "第 {page} 页,共 {pages} 页"),
    }
)


async def cells(page: Page, host: str = "", name: str = "") -> list[dict[str, Any]]:
    """The view's cells (the world's, asked of the default subscription); for one host (and name) with
    their steps and fix."""
    path = f"/subscriptions/{page.world.default_subscription}/providers/Acrlink.Network/reachability"
    params = {k: v for k, v in (("host", host), ("name", name)) if v}
    answer = await page.arm.get(path, VIEW_API, params or None)
    return list((answer or {}).get("value") or [])


def verdict_key(verdict: str | None) -> str:
    """The verdict's label key: reachable, denied (by the firewall), unresolvable, dropped (the endpoint's
    connection is pending or rejected), unreachable, other."""
    text = (verdict or "").lower()
    for prefix in ("reachable", "denied", "unresolvable", "dropped", "unreachable"):
        if text.startswith(prefix):
            return prefix
    return "other"


def reason_of(verdict: str | None) -> str:
    """What follows ``denied: `` / ``dropped: `` / ``unreachable: `` in the engine's verdict."""
    _, sep, rest = (verdict or "").partition(": ")
    return rest if sep else ""


REGISTRIES_PER_PAGE = 25
"""The whole matrix shows this many registries a page (a world of 100 registries and 50 hosts is 10,000
cells: one page of it all is more HTML than a browser wants at once)."""


def matrix(found: list[dict[str, Any]], host: str, registry: str, page_number: int = 1) -> dict[str, Any]:
    """Rows (registry endpoints in the view's order), columns (hosts), and each cell keyed by both; without a
    registry filter, the registries of one page (``page_number``, from 1)."""
    names = sorted({str(c.get("registry") or "") for c in found} - {""})
    pages = max(1, -(-len(names) // REGISTRIES_PER_PAGE))
    page_number = min(max(page_number, 1), pages)
    shown = set(names[(page_number - 1) * REGISTRIES_PER_PAGE : page_number * REGISTRIES_PER_PAGE])
    hosts: dict[str, dict[str, Any]] = {}
    rows: dict[tuple[str, str], dict[str, str]] = {}
    grid: dict[tuple[str, str], dict[str, Any]] = {}
    all_hosts: dict[str, str] = {}
    all_registries: dict[str, str] = {}
    for cell in found:
        all_hosts.setdefault(cell["host"], cell.get("hostKind") or "")
        all_registries.setdefault(str(cell.get("registry") or ""), "")
        if host and cell["host"].lower() != host.lower():
            continue
        if registry and str(cell.get("registry") or "").lower() != registry.lower():
            continue
        if not registry and str(cell.get("registry") or "") not in shown:
            continue
        hosts.setdefault(cell["host"], {"name": cell["host"], "kind": cell.get("hostKind") or ""})
        key = (str(cell.get("registry") or ""), cell["name"])
        rows.setdefault(key, {"registry": key[0], "name": key[1]})
        grid[(cell["host"], cell["name"])] = cell
    return {
        "hosts": list(hosts.values()),
        "rows": list(rows.values()),
        "grid": grid,
        "all_hosts": all_hosts,
        "all_registries": sorted(r for r in all_registries if r),
        "page": page_number,
        "pages": 1 if registry else pages,
    }


CSS = {
    "reachable": "ok",
    "denied": "bad",
    "unresolvable": "bad",
    "dropped": "warn",
    "unreachable": "bad",
    "other": "bad",
    "noidentity": "noid",
}


def body_rows(page: Page, shown: dict[str, Any]) -> Markup:
    """The matrix's rows as HTML, built here rather than in the template: with 50 hosts and 200 names the
    template engine's per-cell cost was most of the page's time."""
    verdicts = {key: str(escape(page.t(f"reach.verdict.{key}"))) for key in CSS}
    marks = {
        True: f'<br><span class="id-ok">{escape(page.t("reach.identity.ok"))}</span>',
        False: f'<br><span class="id-no">{escape(page.t("reach.identity.no"))}</span>',
        None: "",
    }
    paths = {
        "private": page.t("reach.path.private"),
        "public": page.t("reach.path.public"),
        None: page.t("reach.path.none"),
    }
    paths = {k: str(escape(v)) for k, v in paths.items()}
    hosts = [(h["name"], quote(h["name"])) for h in shown["hosts"]]
    grid = shown["grid"]
    out: list[str] = []
    for row in shown["rows"]:
        name = row["name"]
        shown_name = escape(name)
        label = shown_name if ".data." in name else Markup(f'<span class="reg">{shown_name}</span>')
        out.append(f'<tr><th scope="row" class="row">{label}</th>')
        quoted = quote(name)
        for host, quoted_host in hosts:
            cell = grid.get((host, name))
            if cell is None:
                out.append('<td class="cell"></td>')
                continue
            key = verdict_key(cell.get("verdict"))
            # The identity matters where the network lets the connection through (elsewhere the details say).
            pulls = cell.get("identityPull") if key == "reachable" else None
            mark = marks[pulls]
            if pulls is False:
                key, mark = "noidentity", ""
            path = paths.get(cell.get("path")) or str(escape(cell.get("path")))
            out.append(
                f'<td class="cell {CSS[key]}"><a href="/reachability/cell?host={quoted_host}&amp;name={quoted}" '
                f'title="{escape(cell.get("verdict") or "")}">{escape(cell.get("address") or "-")}<br>{path}<br>'
                f"{verdicts[key]}{mark}</a></td>"
            )
        out.append("</tr>")
    return Markup("".join(out))


async def matrix_page(page: Page) -> Response:
    host = page.request.query_params.get("host", "")
    registry = page.request.query_params.get("registry", "")
    error: ArmError | None = None
    try:
        found = await cells(page)
    except ArmError as refused:
        found, error = [], refused
    try:
        number = int(page.request.query_params.get("page", "1"))
    except ValueError:
        number = 1
    shown = matrix(found, host, registry, number)
    return page.render(
        "reach_matrix.html", m=shown, host=host, registry=registry, error=error, rows=body_rows(page, shown)
    )


async def cell_page(page: Page) -> Response:
    host = page.request.query_params.get("host", "")
    name = page.request.query_params.get("name", "")
    found = next(
        (c for c in await cells(page, host, name) if c["name"].lower() == name.lower()),
        None,
    )
    status = 200 if found else 404
    return page.render(
        "reach_cell.html", status, cell=found, host=host, name=name, verdict_key=verdict_key, reason_of=reason_of
    )


ROUTES: list[RouteSpec] = [
    ("/reachability", matrix_page, ("GET",)),
    ("/reachability/cell", cell_page, ("GET",)),
]
