"""Container registries in the portal, in both languages, through the real browser: (1) create a Premium
registry with a private endpoint from the wizard's Networking tab; (4) disable public access (the what-if
confirmation lists the internet host losing access), after which the Repositories blade shows the firewall's
refusal while a VM in the VNet still lists the repositories; (5) approve a pending (manual) connection. Bad
input: an invalid name, a taken name, a private endpoint with the Basic SKU. Every result is checked
through ARM (az or arm_get), not through the page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import Running, arm_client

from .conftest import arm_get, open_portal, shot

pytestmark = [pytest.mark.slow, pytest.mark.portal]

ACR_API = "2025-11-01"
NETWORK_API = "2024-05-01"
DNS_API = "2024-06-01"
ZONE = "privatelink.azurecr.cn"
WORDS = {
    "en": {"registries": "Container registries", "create": "+ Create", "basics": "Basics", "networking": "Networking",
           "tags": "Tags", "review": "Review + create", "group": "Resource group", "reg_name": "Registry name",
           "location": "Location", "premium": "Premium", "basic": "Basic", "connectivity": "Network connectivity",
           "private": "Private endpoint", "add": "+ Add", "pane": "Create private endpoint", "name": "Name",
           "subscription": "Subscription", "subresource": "Registry subresource", "registry": "registry",
           "vnet": "Virtual network", "subnet": "Subnet", "integrate": "Integrate with private DNS zone",
           "yes": "Yes", "zone": "Private DNS Zone", "new_zone": "(New) privatelink.azurecr.cn", "ok": "OK",
           "passed": "Validation passed", "submit": "Create", "complete": "Your deployment is complete",
           "go": "Go to resource", "net_menu": "Networking", "public_tab": "Public access",
           "private_tab": "Private endpoints", "allow": "Allow public network access", "disabled": "Disabled",
           "all": "All networks", "save": "Save", "confirm": "Confirm", "loses": "Loses access",
           "repositories": "Repositories", "refused": "The registry refused the request", "approve": "Approve",
           "state": "Connection state", "overview": "Overview", "login_server": "Login server",
           "needs_premium": "only available for registries with the Premium SKU", "client_ip": "Add your client IP address",
           "trusted": "Allow trusted Microsoft services to access this container registry",
           "add_pe": "+ Private endpoint", "reject": "Reject", "remove": "Remove", "discard": "Discard",
           "selected": "Selected networks", "keys": "Access keys", "admin": "Admin user",
           "replications": "Replications", "delete": "Delete"},
    "zh": {"registries": "容器注册表", "create": "+ 创建", "basics": "基本信息", "networking": "网络", "tags": "标记",
           "review": "查看 + 创建", "group": "资源组", "reg_name": "注册表名称", "location": "位置", "premium": "高级",
           "basic": "基本", "connectivity": "网络连接", "private": "专用终结点", "add": "+ 添加",
           "pane": "创建专用终结点", "name": "名称", "subscription": "订阅", "subresource": "注册表子资源",
           "registry": "注册表", "vnet": "虚拟网络", "subnet": "子网", "integrate": "与专用 DNS 区域集成", "yes": "是",
           "zone": "专用 DNS 区域", "new_zone": "(新) privatelink.azurecr.cn", "ok": "确定", "passed": "验证通过",
           "submit": "创建", "complete": "你的部署已完成", "go": "转到资源", "net_menu": "网络",
           "public_tab": "公共访问", "private_tab": "专用终结点", "allow": "允许公用网络访问", "disabled": "禁用",
           "all": "所有网络", "save": "保存", "confirm": "确认", "loses": "失去访问权限", "repositories": "存储库",
           "refused": "注册表拒绝了该请求", "approve": "批准", "state": "连接状态", "overview": "概述",
           "login_server": "登录服务器", "needs_premium": "专用终结点仅适用于高级 SKU 的注册表",
           "client_ip": "添加客户端 IP 地址", "trusted": "允许受信任的 Microsoft 服务访问此容器注册表",
           "add_pe": "+ 专用终结点", "reject": "拒绝", "remove": "删除", "discard": "放弃", "selected": "所选网络", "keys": "访问密钥",
           "admin": "管理员用户", "replications": "复制", "delete": "删除"},
}  # fmt: skip


def acting(running: Running, host: str, *command: str) -> subprocess.CompletedProcess[str]:
    """A command run as ``host`` (acrlink exec --from HOST -- ...)."""
    return subprocess.run([sys.executable, "-m", "acrlink", "exec", "--from", host, "--", *command],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "ACRLINK_DATA_DIR": str(running.data_dir)})  # fmt: skip


def open_wizard(page: Any, words: dict[str, str]) -> None:
    page.get_by_role("link", name=words["registries"], exact=True).first.click()
    page.get_by_role("link", name=words["create"], exact=True).click()
    page.get_by_role("tab", name=words["basics"]).wait_for()


def fill_basics(page: Any, words: dict[str, str], group: str, name: str, sku: str) -> Any:
    basics = page.get_by_role("tabpanel", name=words["basics"])
    basics.get_by_label(words["group"], exact=True).select_option(group)
    basics.get_by_label(words["reg_name"], exact=True).fill(name)
    basics.get_by_label(words["location"], exact=True).select_option("chinanorth2")
    basics.get_by_label("SKU", exact=True).select_option(label=words[sku])
    return basics


def create_with_endpoint(page: Any, words: dict[str, str], running: Running, group: str, name: str,
                         vnet_id: str) -> None:  # fmt: skip
    """Flow 1 through the wizard: Basics (SKU Premium), Networking (Private endpoint > + Add, the pane),
    Tags, Review + create (validation passed), Create (double-clicked)."""
    open_wizard(page, words)
    basics = fill_basics(page, words, group, name, "premium")
    basics.locator("#name-check[data-available=true]").wait_for()
    page.get_by_role("tab", name=words["networking"]).click()
    network = page.get_by_role("tabpanel", name=words["networking"])
    group_box = network.get_by_role("group", name=words["connectivity"])
    group_box.get_by_role("radio", name=words["private"], exact=True).check()
    network.get_by_role("button", name=words["add"], exact=True).click()
    pane = page.get_by_role("region", name=words["pane"])
    assert pane.get_by_label(words["subscription"], exact=True).input_value() == running.subscription
    pane.get_by_label(words["group"], exact=True).select_option(group)
    pane.get_by_label(words["name"], exact=True).fill(f"{name}-pe")
    subresource = pane.get_by_label(words["subresource"], exact=True)
    assert subresource.input_value() == "registry"
    assert subresource.locator("option:checked").inner_text() == words["registry"]
    vnet_box = pane.get_by_label(words["vnet"], exact=True)
    vnet_box.select_option(vnet_id)
    assert vnet_box.locator("option:checked").inner_text() == f"vnet1 ({group})"
    pane.get_by_label(words["subnet"], exact=True).select_option(f"{vnet_id}/subnets/default")
    pane.get_by_label(words["integrate"], exact=True).select_option(label=words["yes"])
    zone = pane.get_by_label(words["zone"], exact=True)
    assert zone.locator("option:checked").inner_text() == words["new_zone"]
    pane.get_by_role("button", name=words["ok"], exact=True).click()
    page.get_by_role("tab", name=words["tags"]).click()
    tags = page.get_by_role("tabpanel", name=words["tags"])
    tags.get_by_label(words["name"], exact=True).first.fill("env")
    tags.get_by_role("textbox").nth(1).fill("seed")
    page.get_by_role("tab", name=words["review"]).click()
    page.get_by_role("status").filter(has_text=words["passed"]).wait_for()


def test_registry_flows(browser: Any, portal_acrlink: Running) -> None:
    """Flows 1, 4 and 5 in English and Chinese, one registry per language."""
    for language in ("en", "zh"):
        _flows(browser, portal_acrlink, language)


def _flows(browser: Any, running: Running, language: str) -> None:
    words, group, name = WORDS[language], f"portal-reg-{language}", f"portalreg{language}flow"
    running.azs(f"group create -n {group} -l chinanorth2")
    running.azs(f"network vnet create -g {group} -n vnet1 --address-prefixes 10.0.0.0/16 --subnet-name default "
                "--subnet-prefixes 10.0.0.0/24")  # fmt: skip
    vnet_id = f"/subscriptions/{running.subscription}/resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/vnet1"
    page = open_portal(browser, running, language)

    # (1) the wizard, then one deployment; a double click on Create still creates one registry.
    create_with_endpoint(page, words, running, group, name, vnet_id)
    if language == "en":
        shot(page, "registry-create-review")
    page.get_by_role("button", name=words["submit"], exact=True).dblclick()
    page.get_by_role("heading", name=words["complete"]).wait_for(timeout=90_000)
    sub = running.subscription
    registry_id = f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.ContainerRegistry/registries/{name}"
    registry = arm_get(running, registry_id, ACR_API).json()
    props = registry["properties"]
    assert registry["sku"]["name"] == "Premium" and registry["location"] == "chinanorth2"
    assert props["publicNetworkAccess"] == "Disabled" and props["adminUserEnabled"] is False
    assert registry["tags"] == {"env": "seed"}
    network = f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Network"
    endpoint = arm_get(running, f"{network}/privateEndpoints/{name}-pe", NETWORK_API).json()
    connection = endpoint["properties"]["privateLinkServiceConnections"][0]["properties"]
    assert connection["privateLinkServiceConnectionState"]["status"] == "Approved"
    assert connection["privateLinkServiceId"].lower() == registry_id.lower()
    assert arm_get(running, f"{network}/privateDnsZones/{ZONE}", DNS_API).status_code == 200
    links = arm_get(running, f"{network}/privateDnsZones/{ZONE}/virtualNetworkLinks", DNS_API).json()["value"]
    assert [link["properties"]["virtualNetwork"]["id"].lower() for link in links] == [vnet_id.lower()]
    zone_group = arm_get(running, f"{network}/privateEndpoints/{name}-pe/privateDnsZoneGroups/default", NETWORK_API)
    config = zone_group.json()["properties"]["privateDnsZoneConfigs"][0]["properties"]
    assert config["privateDnsZoneId"].lower() == f"{network}/privateDnsZones/{ZONE}".lower()
    names = running.az_json("deployment", "group", "list", "-g", group, "--query", "[].name")
    kinds = sorted(n.rsplit("-", 1)[0] for n in names)
    assert kinds == [
        "DnsZoneGroup",
        "Microsoft.ContainerRegistry",
        "PrivateDns",
        "UpdateSubnetDeployment",
        "VirtualNetworkLink",
    ], names  # one registry deployment despite the double click
    assert len({n.rsplit("-", 1)[1] for n in names}) == 1, "every deployment carries the same stamp"

    # The blade: Overview, from the deployment's "Go to resource".
    page.get_by_role("link", name=words["go"]).click()
    page.get_by_role("heading", name=name, exact=True).wait_for()
    assert props["loginServer"] in page.get_by_role("main").inner_text()

    def public_access() -> str:
        return str(arm_get(running, registry_id, ACR_API).json()["properties"]["publicNetworkAccess"])

    # (4) public access back on (through ARM), the Repositories blade lists the imported image as the internet host;
    # then Networking > Public access > Disabled > Save: the what-if lists the internet losing access.
    with arm_client(running) as arm:
        imported = arm.post(f"{registry_id}/importImage", params={"api-version": ACR_API}, json={
            "source": {"registryUri": "mcr.microsoft.com", "sourceImage": "hello-world:latest"},
            "targetTags": ["hello-world:v1"]})  # fmt: skip
        assert imported.status_code in (200, 202), imported.text
        enabled = arm.patch(registry_id, params={"api-version": ACR_API},
                            json={"properties": {"publicNetworkAccess": "Enabled"}})  # fmt: skip
        assert enabled.status_code == 200, enabled.text
    menu = page.get_by_role("navigation", name="Registry menu" if language == "en" else "注册表菜单")
    menu.get_by_role("link", name=words["repositories"], exact=True).click()
    page.get_by_role("link", name="hello-world").click()
    page.get_by_role("table", name="hello-world").get_by_role("cell", name="v1", exact=True).wait_for()
    menu = page.get_by_role("navigation", name="Registry menu" if language == "en" else "注册表菜单")
    menu.get_by_role("link", name=words["net_menu"], exact=True).click()
    public = page.get_by_role("tabpanel", name=words["public_tab"])
    assert public.get_by_role("checkbox", name=words["trusted"]).is_checked()
    assert public.get_by_role("checkbox", name=words["client_ip"], exact=True).count() == 1
    public.get_by_role("group", name=words["allow"]).get_by_role("radio", name=words["disabled"]).check()
    public.get_by_role("button", name=words["save"], exact=True).click()
    confirm = page.get_by_role("button", name=words["confirm"], exact=True)
    confirm.wait_for()
    internet = page.get_by_role("row").filter(has_text="internet").filter(has_text=words["loses"])
    assert internet.count() >= 1, page.get_by_role("main").inner_text()
    assert public_access() == "Enabled", "nothing changes before the confirmation"
    if language == "en":
        shot(page, "registry-disable-public-access")
    confirm.click()
    page.get_by_role("tabpanel", name=words["public_tab"]).wait_for()
    assert public_access() == "Disabled"
    menu = page.get_by_role("navigation", name="Registry menu" if language == "en" else "注册表菜单")
    menu.get_by_role("link", name=words["repositories"], exact=True).click()
    refused = page.get_by_role("alert").filter(has_text=words["refused"])
    refused.wait_for()
    assert "DENIED" in refused.inner_text() and "not allowed access" in refused.inner_text()
    running.cli("vm", "create", f"vm{language}", "-g", group, "--vnet-name", "vnet1", "--subnet", "default")
    from_vm = acting(running, f"vm{language}", "az", "acr", "repository", "list", "-n", name, "-o", "json")
    assert from_vm.returncode == 0 and json.loads(from_vm.stdout) == ["hello-world"], from_vm.stderr

    # (5) a manual-approval endpoint is Pending; Approve in the Private endpoints tab makes it Approved.
    running.azs(f"network private-endpoint create -g {group} -n manualpe --vnet-name vnet1 --subnet default "
                f"--private-connection-resource-id {registry_id} --group-ids registry --connection-name manual "
                "--manual-request --request-message please")  # fmt: skip
    connections = arm_get(running, registry_id, ACR_API).json()["properties"]["privateEndpointConnections"]
    pending = next(c["name"] for c in connections
                   if c["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending")  # fmt: skip
    menu = page.get_by_role("navigation", name="Registry menu" if language == "en" else "注册表菜单")
    menu.get_by_role("link", name=words["net_menu"], exact=True).click()
    page.get_by_role("tab", name=words["private_tab"]).click()
    private = page.get_by_role("tabpanel", name=words["private_tab"])
    add_link = private.get_by_role("link", name=words["add_pe"], exact=True)
    assert add_link.get_attribute("href").startswith("/privateendpoints/create?resource=")
    private.get_by_role("checkbox", name=pending, exact=True).check()
    private.get_by_role("button", name=words["approve"], exact=True).click()
    page.get_by_role("tabpanel", name=words["private_tab"]).get_by_text(pending, exact=True).wait_for()
    state = (
        f"acr private-endpoint-connection show -r {name} -n {pending} --query privateLinkServiceConnectionState.status"
    )
    assert running.azs(state) == "Approved"
    row = page.get_by_role("row").filter(has_text=pending)
    assert "Approved" in row.inner_text()
    if language == "en":
        shot(page, "registry-approve-connection")

    # Access keys (the admin user's PATCH, then listCredentials) and Replications (add, each region's data
    # endpoint, delete).
    menu.get_by_role("link", name=words["keys"], exact=True).click()
    page.get_by_role("switch", name=words["admin"]).check()
    page.get_by_role("button", name=words["save"], exact=True).click()
    page.get_by_text(name, exact=True).first.wait_for()
    page.locator("code").filter(has_text=name).wait_for()
    assert arm_get(running, registry_id, ACR_API).json()["properties"]["adminUserEnabled"] is True
    menu.get_by_role("link", name=words["replications"], exact=True).click()
    page.get_by_label(words["location"], exact=True).select_option("chinaeast2")
    page.get_by_role("button", name=words["submit"], exact=True).click()
    page.get_by_role("cell", name=f"{name}.chinaeast2.data.azurecr.cn").wait_for()
    assert arm_get(running, f"{registry_id}/replications/chinaeast2", ACR_API).status_code == 200
    page.get_by_role("button", name=f"{words['delete']} chinaeast2").click()
    page.get_by_role("cell", name=f"{name}.chinanorth2.data.azurecr.cn").wait_for()
    assert arm_get(running, f"{registry_id}/replications/chinaeast2", ACR_API).status_code == 404
    page.context.close()


def test_bad_input_shows_arms_message_and_creates_nothing(browser: Any, portal_acrlink: Running) -> None:
    running = portal_acrlink
    running.azs("group create -n portal-reg-bad -l chinanorth2")
    running.azs("acr create -n portalregtaken -g portal-reg-bad --sku Basic")
    for language in ("en", "zh"):
        words = WORDS[language]
        page = open_portal(browser, running, language)
        open_wizard(page, words)
        # An invalid name: the availability check next to the field, then the field's error on review.
        basics = fill_basics(page, words, "portal-reg-bad", "ab", "basic")
        basics.get_by_role("status").filter(has_text="Invalid").wait_for()
        page.get_by_role("tab", name=words["review"]).click()
        error = page.locator("#name-error")
        error.wait_for()
        assert "alpha numeric" in error.inner_text()
        assert page.get_by_role("tabpanel", name=words["basics"]).is_visible()
        # A taken name.
        basics = page.get_by_role("tabpanel", name=words["basics"])
        basics.get_by_label(words["reg_name"], exact=True).fill("portalregtaken")
        basics.get_by_role("status").filter(has_text="already in use").wait_for()
        page.get_by_role("tab", name=words["review"]).click()
        page.locator("#name-error").filter(has_text="already in use").wait_for()
        # A private endpoint with the Basic SKU: the choice is disabled with the portal's explanation; forced
        # anyway, review refuses it next to the field.
        basics = page.get_by_role("tabpanel", name=words["basics"])
        basics.get_by_label(words["reg_name"], exact=True).fill(f"portalregbasic{language}")
        basics.get_by_label("SKU", exact=True).select_option(label=words["basic"])
        page.get_by_role("tab", name=words["networking"]).click()
        network = page.get_by_role("tabpanel", name=words["networking"])
        choice = network.get_by_role("radio", name=words["private"], exact=True)
        assert choice.is_disabled()
        assert words["needs_premium"] in network.inner_text()
        choice.evaluate("(radio) => { radio.disabled = false; radio.checked = true; }")
        page.get_by_role("tab", name=words["review"]).click()
        page.locator("#connectivity-error").filter(has_text=words["needs_premium"]).wait_for()
        sub = running.subscription
        path = f"/subscriptions/{sub}/resourceGroups/portal-reg-bad/providers/Microsoft.ContainerRegistry/registries"
        for missing in ("ab", f"portalregbasic{language}"):
            assert arm_get(running, f"{path}/{missing}", ACR_API).status_code in (400, 404)
        deployments = f"/subscriptions/{sub}/resourceGroups/portal-reg-bad/providers/Microsoft.Resources/deployments"
        assert arm_get(running, deployments, "2025-04-01").json()["value"] == []
        page.context.close()
