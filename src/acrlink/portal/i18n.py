"""The portal's two languages: English with the Azure portal's wording, Simplified Chinese with the seed
document's own wording (a Chinese user follows the seed label by label).

Labels are registered by the modules that use them (``register``), each key with its English and Chinese
text; a page asks ``Labels.t(key)``. The language is the session's choice, else the browser's
``Accept-Language``.
"""

from __future__ import annotations

from dataclasses import dataclass

EN = "en"
ZH = "zh-Hans"
LANGUAGES = (EN, ZH)

_LABELS: dict[str, tuple[str, str]] = {}


def register(labels: dict[str, tuple[str, str]]) -> None:
    """Add labels (key -> (English, Chinese)); a key registered twice must mean the same words."""
    for key, words in labels.items():
        if key in _LABELS and _LABELS[key] != words:
            raise ValueError(f"portal label {key!r} registered twice with different words")
        _LABELS[key] = words


def from_accept_language(header: str | None) -> str:
    """The first of the browser's languages acrlink has: any ``zh`` (but ``zh-TW``/``zh-Hant``) is
    Simplified Chinese; anything else English."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh") and "hant" not in tag and tag not in ("zh-tw", "zh-hk", "zh-mo"):
            return ZH
        if tag.startswith("en"):
            return EN
    return EN


@dataclass(frozen=True)
class Labels:
    language: str

    def t(self, key: str) -> str:
        """The label in this language; an unregistered key is a bug and shows as itself, marked."""
        words = _LABELS.get(key)
        if words is None:
            return f"?{key}?"
        return words[1] if self.language == ZH else words[0]

    @property
    def html_lang(self) -> str:
        return "zh-Hans" if self.language == ZH else "en"


register(
    {
        "portal.title": ("Microsoft Azure (acrlink)", "Microsoft Azure (acrlink)"),
        "nav.home": ("Home", "主页"),
        "nav.all_resources": ("All resources", "所有资源"),
        "nav.resource_groups": ("Resource groups", "资源组"),
        "nav.subscriptions": ("Subscriptions", "订阅"),
        "nav.registries": ("Container registries", "容器注册表"),
        "nav.private_endpoints": ("Private endpoints", "专用终结点"),
        "nav.virtual_networks": ("Virtual networks", "虚拟网络"),
        "nav.private_dns_zones": ("Private DNS zones", "专用 DNS 区域"),
        "nav.topology": ("Topology", "拓扑"),
        "nav.reachability": ("Reachability", "可访问性"),
        "nav.deployments": ("Deployments", "部署"),
        "header.language": ("Language", "语言"),
        "common.name": ("Name", "名称"),
        "common.type": ("Type", "类型"),
        "common.location": ("Location", "位置"),
        "common.region": ("Region", "区域"),
        "common.subscription": ("Subscription", "订阅"),
        "common.resource_group": ("Resource group", "资源组"),
        "common.status": ("Status", "状态"),
        "common.create": ("Create", "创建"),
        "common.plus_create": ("+ Create", "+ 创建"),
        "common.delete": ("Delete", "删除"),
        "common.save": ("Save", "保存"),
        "common.discard": ("Discard", "放弃"),
        "common.cancel": ("Cancel", "取消"),
        "common.refresh": ("Refresh", "刷新"),
        "common.overview": ("Overview", "概述"),
        "common.settings": ("Settings", "设置"),
        "common.none": ("None", "无"),
        "common.yes": ("Yes", "是"),
        "common.no": ("No", "否"),
        "common.tags": ("Tags", "标记"),
        "common.provisioning_state": ("Provisioning state", "预配状态"),
        "common.error": ("Error", "错误"),
        "common.new": ("(New)", "(新)"),
        "notfound.title": ("Not found", "找不到"),
        "notfound.text": (
            "The resource you are looking for was not found. It may have been deleted or moved.",
            "找不到你要查找的资源。它可能已被删除或移动。",
        ),
        "common.no_items": ("No items to display", "没有可显示的项"),
    }
)
