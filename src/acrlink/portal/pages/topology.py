"""Topology (拓扑): the whole network as one SVG drawn here, by the server (no external service, no script
library), from ARM's ``Acrlink.Network/networkGraph`` view.

A layered layout, readable at 1280x800: hosts (the internet, trusted services, on-premises machines, VMs)
on top; virtual networks with their subnets in the middle; private endpoints (with their NIC's IPs),
registries (replicas, data endpoints) and private DNS zones below. Lines: peerings between VNets, a VM to
its subnet, an endpoint to its subnet and to its registry (coloured by the connection's state), a zone to
the VNets it is linked to. Every element is an SVG link to its blade (``/resource/{id}``); a host links to
the reachability matrix filtered by that host. Each band wraps into rows; nodes are ordered by the VNet
they hang from, so lines stay short.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape
from starlette.responses import Response

from acrlink.portal.app import Page, RouteSpec
from acrlink.portal.armclient import ArmError
from acrlink.portal.i18n import register
from acrlink.portal.pages.common import portal_link

VIEW_API = "2026-01-01"
WIDTH = 1000
MARGIN = 12
LEFT = 40
"""Where a band's boxes start: room on the left for the zone links' curves."""
GAP = 14
BAND_GAP = 34
LINE = 13

register(
    {
        "topology.title": ("Topology", "拓扑"),
        "topology.intro": (
            "The whole network: select an element to open its blade, a host to see what it can reach.",
            "整个网络:选择一个元素可打开其边栏选项卡,选择一台主机可查看它能访问的内容。",
        ),
        "topology.hosts": ("Hosts", "主机"),
        "topology.vnets": ("Virtual networks", "虚拟网络"),
        "topology.endpoints": ("Private endpoints", "专用终结点"),
        "topology.registries": ("Container registries", "容器注册表"),
        "topology.zones": ("Private DNS zones", "专用 DNS 区域"),
        "topology.vnet": ("Virtual network", "虚拟网络"),
        "topology.subnet": ("Subnet", "子网"),
        "topology.endpoint": ("Private endpoint", "专用终结点"),
        "topology.registry": ("Container registry", "容器注册表"),
        "topology.zone": ("Private DNS zone", "专用 DNS 区域"),
        "topology.host": ("Host", "主机"),
        "topology.kind.internet": ("Internet", "Internet"),
        "topology.kind.vm": ("VM", "虚拟机"),
        "topology.kind.onprem": ("On-premises", "本地"),
        "topology.kind.trusted": ("Trusted service", "受信任的服务"),
        "topology.public_on": ("Public access: enabled", "公共访问:已启用"),
        "topology.public_off": ("Public access: disabled", "公共访问:已禁用"),
        "topology.replicas": ("Replicas", "副本"),
        "topology.links": ("Linked to {n} virtual network(s)", "已链接到 {n} 个虚拟网络"),
        "topology.empty": ("Nothing to draw yet.", "尚无可绘制的内容。"),
        "topology.legend": (
            "Lines: peering (blue), subnet membership (grey), endpoint to registry (green: approved, orange: "
            "pending, red: rejected), zone link (purple, dashed).",
            "线条:对等互连(蓝色)、子网成员(灰色)、终结点到注册表(绿色:已批准,橙色:挂起,红色:已拒绝)、"
            "区域链接(紫色虚线)。",
        ),
    }
)


@dataclass
class Box:
    """One drawn element: where it is, what it says, where it links, and its rows' anchors."""

    key: str
    kind: str
    href: str
    label: str
    lines: list[str]
    width: int
    css: str = ""
    x: float = 0
    y: float = 0
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    """Sub-elements drawn as links of their own inside the box (a VNet's subnets): key, text, href."""

    @property
    def height(self) -> float:
        return 8 + LINE * (len(self.lines) + len(self.rows)) + 6

    def row_y(self, index: int) -> float:
        return self.y + 8 + LINE * (len(self.lines) + index) + 4

    @property
    def top(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y

    @property
    def bottom(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height


def pack(boxes: list[Box], top: float) -> float:
    """Place ``boxes`` left to right from ``top``, wrapping at the width; returns the band's bottom."""
    x, y, row_height = float(LEFT), top, 0.0
    for box in boxes:
        if x + box.width > WIDTH - MARGIN and x > LEFT:
            x, y, row_height = float(LEFT), y + row_height + GAP, 0.0
        box.x, box.y = x, y
        x += box.width + GAP
        row_height = max(row_height, box.height)
    return y + row_height


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def host_href(name: str) -> str:
    return f"/reachability?host={quote(name)}"


def subnet_of(vnet: dict[str, Any], ip: str | None) -> dict[str, Any] | None:
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    for subnet in vnet.get("subnets") or []:
        try:
            if address in ipaddress.ip_network(subnet["prefix"], strict=False):
                return dict(subnet)
        except (KeyError, ValueError):
            continue
    return None


def layout(
    graph: dict[str, Any], t: Any
) -> tuple[list[Box], list[tuple[str, str, str, str]], list[tuple[str, float]], float]:
    """The boxes, the lines (from key, to key, style, to-anchor) and band titles of the graph, and its height."""
    vnets = list(graph.get("vnets") or [])
    order = {v["id"].lower(): i for i, v in enumerate(vnets)}
    far = len(vnets) + 1

    def vnet_rank(vnet_id: str | None) -> int:
        return order.get((vnet_id or "").lower(), far)

    kinds_first = {"internet": 0, "trusted": 1, "onprem": 2, "vm": 3}
    hosts = sorted(
        graph.get("hosts") or [],
        key=lambda h: (kinds_first.get(h.get("kind", ""), 4), vnet_rank(h.get("vnetId")), h["name"].lower()),
    )
    endpoints = sorted(
        graph.get("endpoints") or [],
        key=lambda e: (vnet_rank(e.get("vnetId")), str(e.get("subnetId")), e["name"].lower()),
    )
    first_endpoint: dict[str, int] = {}
    for index, endpoint in enumerate(endpoints):
        first_endpoint.setdefault(str(endpoint.get("registryId") or "").lower(), index)
    registries = sorted(
        graph.get("registries") or [],
        key=lambda r: (first_endpoint.get(r["id"].lower(), len(endpoints)), r["name"].lower()),
    )
    zones = sorted(
        graph.get("zones") or [],
        key=lambda z: (min((vnet_rank(v) for v in z.get("linkedVnets") or []), default=far), z["name"].lower()),
    )

    boxes: list[Box] = []
    edges: list[tuple[str, str, str, str]] = []
    bands: list[tuple[str, float]] = []
    top = 28.0

    def band(title: str, items: list[Box]) -> None:
        nonlocal top
        if not items:
            return
        bands.append((title, top - 8))
        top = pack(items, top + 6) + BAND_GAP
        boxes.extend(items)

    host_boxes = []
    for h in hosts:
        kind = h.get("kind", "")
        words = t(f"topology.kind.{kind}") if kind in kinds_first else kind
        lines = [short(h["name"], 24), f"{words}{' · ' + h['ip'] if h.get('ip') else ''}"]
        host_boxes.append(
            Box(
                f"host:{h['name'].lower()}",
                "host",
                host_href(h["name"]),
                f"{words}: {h['name']}",
                lines,
                170,
                f"host {kind}",
            )
        )
    band(t("topology.hosts"), host_boxes)

    vnet_boxes = []
    for v in vnets:
        box = Box(
            v["id"].lower(),
            "vnet",
            portal_link(v["id"]),
            f"{t('topology.vnet')}: {v['name']}",
            [short(v["name"], 30), short(", ".join(v.get("prefixes") or []), 34)],
            230,
            "vnet",
        )
        box.rows = [
            (s["id"].lower(), f"{short(s['name'], 18)}  {s.get('prefix', '')}", portal_link(s["id"]))
            for s in v.get("subnets") or []
        ]
        vnet_boxes.append(box)
    band(t("topology.vnets"), vnet_boxes)

    endpoint_boxes = []
    for e in endpoints:
        addresses = [
            f"{ip}  {short(fqdn, 40)}"
            for fqdn, ip in sorted((e.get("addresses") or {}).items(), key=lambda pair: pair[1])
        ]
        status = str(e.get("status") or "")
        lines = [short(e["name"], 26), status, *addresses]
        endpoint_boxes.append(
            Box(
                e["id"].lower(),
                "endpoint",
                portal_link(e["id"]),
                f"{t('topology.endpoint')}: {e['name']}",
                lines,
                270,
                "endpoint",
            )
        )
    band(t("topology.endpoints"), endpoint_boxes)

    registry_boxes = []
    for r in registries:
        public = (
            t("topology.public_on")
            if str(r.get("publicNetworkAccess", "")).lower() in ("enabled", "true")
            else t("topology.public_off")
        )
        regions = list(r.get("regions") or [])
        lines = [short(r["name"], 26), short(str(r.get("loginServer") or ""), 34), public]
        if len(regions) > 1:
            lines.append(short(f"{t('topology.replicas')}: {', '.join(regions[1:])}", 36))
        lines += [short(d, 44) for d in r.get("dataEndpoints") or []]
        registry_boxes.append(
            Box(
                r["id"].lower(),
                "registry",
                portal_link(r["id"]),
                f"{t('topology.registry')}: {r['name']}",
                lines,
                270,
                "registry",
            )
        )
    band(t("topology.registries"), registry_boxes)

    zone_boxes = []
    for z in zones:
        linked = list(z.get("linkedVnets") or [])
        lines = [short(z["name"], 32), t("topology.links").replace("{n}", str(len(linked)))]
        zone_boxes.append(
            Box(z["id"].lower(), "zone", portal_link(z["id"]), f"{t('topology.zone')}: {z['name']}", lines, 230, "zone")
        )
    band(t("topology.zones"), zone_boxes)

    by_key = {b.key: b for b in boxes}
    vnets_by_id = {v["id"].lower(): v for v in vnets}
    for h in hosts:
        vnet = vnets_by_id.get(str(h.get("vnetId") or "").lower())
        if vnet is None:
            continue
        subnet = subnet_of(vnet, h.get("ip"))
        edges.append(
            (f"host:{h['name'].lower()}", vnet["id"].lower(), "member", subnet["id"].lower() if subnet else "")
        )
    seen: set[tuple[str, str]] = set()
    for v in vnets:
        for peer in v.get("peers") or []:
            pair = tuple(sorted((v["id"].lower(), str(peer).lower())))
            if pair not in seen and pair[0] in by_key and pair[1] in by_key:
                seen.add((pair[0], pair[1]))
                edges.append((pair[0], pair[1], "peering", ""))
    for e in endpoints:
        if str(e.get("vnetId") or "").lower() in by_key:
            edges.append((str(e["vnetId"]).lower(), e["id"].lower(), "member", str(e.get("subnetId") or "").lower()))
        registry = str(e.get("registryId") or "").lower()
        if registry in by_key:
            edges.append((e["id"].lower(), registry, "link-" + str(e.get("status") or "").lower(), ""))
    for z in zones:
        for vnet_id in z.get("linkedVnets") or []:
            if str(vnet_id).lower() in by_key:
                edges.append((z["id"].lower(), str(vnet_id).lower(), "zonelink", ""))
    return boxes, edges, bands, top


STYLE = """
.topo text { font: 11px "Segoe UI", "Noto Sans CJK SC", sans-serif; fill: #323130; }
.topo text.title { font-weight: 600; }
.topo text.band { font-size: 12px; font-weight: 600; fill: #605e5c; }
.topo rect { stroke-width: 1.2; }
.topo .host rect { fill: #f3f2f1; stroke: #8a8886; }
.topo .host.internet rect { fill: #eaf3fb; stroke: #0f6cbd; }
.topo .vnet rect.box { fill: #eef6ec; stroke: #107c10; }
.topo .subnet rect { fill: #fff; stroke: #9fd89f; }
.topo .endpoint rect { fill: #fff8ec; stroke: #c19c00; }
.topo .registry rect { fill: #eaf3fb; stroke: #0f6cbd; }
.topo .zone rect { fill: #f5effa; stroke: #8764b8; }
.topo a:hover rect, .topo a:focus rect { stroke-width: 2.5; }
.topo a:focus { outline: none; }
.topo path { fill: none; stroke-width: 1.4; }
.topo .e-member { stroke: #a19f9d; }
.topo .e-peering { stroke: #0f6cbd; stroke-width: 2.4; }
.topo .e-link-approved { stroke: #107c10; }
.topo .e-link-pending { stroke: #ca5010; stroke-dasharray: 5 3; }
.topo .e-link-rejected, .topo .e-link-disconnected { stroke: #a4262c; stroke-dasharray: 2 3; }
.topo .e-zonelink { stroke: #8764b8; stroke-dasharray: 6 4; opacity: .7; }
"""


def draw(graph: dict[str, Any], t: Any) -> Markup:
    boxes, edges, bands, height = layout(graph, t)
    by_key = {b.key: b for b in boxes}
    rows = {key: (b, i) for b in boxes for i, (key, _, _) in enumerate(b.rows)}
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="topology topo" role="img" '
        f'viewBox="0 0 {WIDTH} {int(height)}" width="{WIDTH}" height="{int(height)}" '
        f'aria-label="{escape(t("topology.title"))}"><style>{STYLE}</style>'
    ]
    for title, y in bands:
        out.append(f'<text class="band" x="{MARGIN}" y="{y:.0f}">{escape(title)}</text>')
    for source, target, style, anchor in edges:
        a, b = by_key[source], by_key[target]
        if style == "peering":
            (x1, y1), (x2, y2) = (a.x + a.width / 2, a.y), (b.x + b.width / 2, b.y)
            lift = 18 + abs(x2 - x1) / 8
            out.append(
                f'<path class="e-peering" d="M{x1:.0f},{y1:.0f} C{x1:.0f},{y1 - lift:.0f} '
                f'{x2:.0f},{y2 - lift:.0f} {x2:.0f},{y2:.0f}"/>'
            )
            continue
        if style == "zonelink":
            (x1, y1), (x2, y2) = (a.x, a.y + a.height / 2), (b.x, b.y + b.height / 2)
            bow = LEFT - 6
            out.append(
                f'<path class="e-zonelink" d="M{x1:.0f},{y1:.0f} C{x1 - bow:.0f},{y1:.0f} '
                f'{x2 - bow:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"/>'
            )
            continue
        if source.startswith("host:"):
            (x1, y1), (x2, y2) = a.bottom, b.top
            if anchor in rows:
                box, index = rows[anchor]
                x2, y2 = box.x + box.width, box.row_y(index) + 5
                out.append(
                    f'<path class="e-member" d="M{x1:.0f},{y1:.0f} C{x1:.0f},{y2:.0f} '
                    f'{x2 + 40:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"/>'
                )
                continue
        elif a.kind == "vnet":
            (x1, y1), (x2, y2) = a.bottom, b.top
            if anchor in rows:
                box, index = rows[anchor]
                x1, y1 = box.x + box.width - 2, box.row_y(index) + 5
        else:
            (x1, y1), (x2, y2) = a.bottom, b.top
        middle = (y1 + y2) / 2
        out.append(
            f'<path class="e-{escape(style)}" d="M{x1:.0f},{y1:.0f} C{x1:.0f},{middle:.0f} '
            f'{x2:.0f},{middle:.0f} {x2:.0f},{y2:.0f}"/>'
        )
    for box in boxes:
        out.append(
            f'<g class="{escape(box.css)}"><a href="{escape(box.href)}" aria-label="{escape(box.label)}">'
            f"<title>{escape(box.label)}</title>"
            f'<rect class="box" x="{box.x:.0f}" y="{box.y:.0f}" width="{box.width}" height="{box.height:.0f}" rx="3"/>'
        )
        for index, line in enumerate(box.lines):
            css = ' class="title"' if index == 0 else ""
            out.append(f'<text{css} x="{box.x + 6:.0f}" y="{box.y + 8 + LINE * index + 9:.0f}">{escape(line)}</text>')
        out.append("</a>")
        for index, (_, text, href) in enumerate(box.rows):
            y = box.row_y(index)
            label = f"{t('topology.subnet')}: {text.split()[0]}"
            out.append(
                f'<g class="subnet"><a href="{escape(href)}" aria-label="{escape(label)}">'
                f"<title>{escape(label)}</title>"
                f'<rect x="{box.x + 6:.0f}" y="{y - 2:.0f}" width="{box.width - 12}" height="{LINE:.0f}" rx="2"/>'
                f'<text x="{box.x + 10:.0f}" y="{y + 8:.0f}">{escape(text)}</text></a></g>'
            )
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


async def topology_page(page: Page) -> Response:
    path = f"/subscriptions/{page.world.default_subscription}/providers/Acrlink.Network/networkGraph"
    error: ArmError | None = None
    graph: dict[str, Any] = {}
    try:
        graph = await page.arm.get(path, VIEW_API) or {}
    except ArmError as refused:
        error = refused
    empty = not any(graph.get(k) for k in ("vnets", "endpoints", "registries", "zones", "hosts"))
    svg = Markup("") if empty else draw(graph, page.t)
    return page.render("topology.html", svg=svg, empty=empty, error=error)


ROUTES: list[RouteSpec] = [("/topology", topology_page, ("GET",))]
