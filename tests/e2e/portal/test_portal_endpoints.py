"""Private endpoints in the portal, in both languages: flow 2 (add an endpoint to an existing Premium
registry with the wizard; one Microsoft.PrivateEndpoint-<stamp> deployment with its nested ones, the
endpoint Approved, the zone with the registry's records, its VNet link and the zone group, and a VM in the
VNet resolving the registry to the private address), flow 3 (the DNS configuration page shows exactly the
FQDN/IP pairs of ``az network private-endpoint show``), the delete with its what-if, and bad input (an
invalid or taken name next to the Name field, a subnet in another region or too small: ARM's message on
Review + create, nothing created). Every result is checked through az or ARM, not through the page."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.conftest import Running, arm_client

from .conftest import arm_get, open_portal, shot

pytestmark = [pytest.mark.slow, pytest.mark.portal]

ZONE = "privatelink.azurecr.cn"
NETWORK_API = "2024-05-01"

WORDS = {
    "en": {"nav": "Private endpoints", "create": "+ Create", "basics": "Basics", "resource_tab": "Resource",
           "configuration": "Configuration", "review": "Review + create", "project": "Project details",
           "instance": "Instance details", "subscription": "Subscription", "group": "Resource group",
           "name": "Name", "region": "Region", "next_resource": "Next: Resource",
           "method": "Connection method", "directory": "Connect to an Azure resource in my directory",
           "type": "Resource type", "resource": "Resource", "sub": "Target sub-resource",
           "next_configuration": "Next: Configuration", "networking": "Networking", "vnet": "Virtual network",
           "subnet": "Subnet", "dns": "Private DNS integration", "integrate": "Integrate with private DNS zone",
           "yes": "Yes", "zone": "Private DNS Zone", "new_zone": f"(New) {ZONE}", "next_review": "Next: Review + create",
           "passed": "Validation passed", "failed": "Validation failed", "submit": "Create",
           "complete": "Your deployment is complete", "go": "Go to resource", "dns_page": "DNS configuration",
           "nic_page": "Network interface", "delete": "Delete", "taken": "already exists", "whatif": "Who loses or gains access",
           "by_id": "Connect to an Azure resource by resource ID or alias", "resource_id": "Resource ID or alias",
           "message": "Request message", "no": "No"},
    "zh": {"nav": "专用终结点", "create": "+ 创建", "basics": "基本信息", "resource_tab": "资源",
           "configuration": "配置", "review": "查看 + 创建", "project": "项目详细信息", "instance": "实例详细信息",
           "subscription": "订阅", "group": "资源组", "name": "名称", "region": "区域", "next_resource": "下一步: 资源",
           "method": "连接方法", "directory": "连接到我的目录中的 Azure 资源", "type": "资源类型", "resource": "资源",
           "sub": "目标子资源", "next_configuration": "下一步: 配置", "networking": "联网", "vnet": "虚拟网络",
           "subnet": "子网", "dns": "专用 DNS 集成", "integrate": "与专用 DNS 区域集成", "yes": "是",
           "zone": "专用 DNS 区域", "new_zone": f"(新) {ZONE}", "next_review": "下一步: 查看 + 创建",
           "passed": "验证通过", "failed": "验证失败", "submit": "创建", "complete": "你的部署已完成",
           "go": "转到资源", "dns_page": "DNS 配置", "nic_page": "网络接口", "delete": "删除", "taken": "已存在",
           "whatif": "哪些主机将失去或获得访问权限", "by_id": "按资源 ID 或别名连接到 Azure 资源",
           "resource_id": "资源 ID 或别名", "message": "请求消息", "no": "否"},
}  # fmt: skip


def _registry_and_vnet(running: Running, group: str, registry: str, vnet: str) -> tuple[str, str]:
    """A Premium registry and a VNet with subnet ``default`` in chinanorth2, made with az: (registry id,
    VNet id)."""
    running.azs(f"group create -n {group} -l chinanorth2")
    running.azs(f"acr create -n {registry} -g {group} --sku Premium")
    running.azs(f"network vnet create -g {group} -n {vnet} --address-prefixes 10.0.0.0/16 --subnet-name default "
                "--subnet-prefixes 10.0.0.0/24")  # fmt: skip
    return _id(running, group, f"Microsoft.ContainerRegistry/registries/{registry}"), _id(
        running, group, f"Microsoft.Network/virtualNetworks/{vnet}"
    )


def _id(running: Running, group: str, rest: str) -> str:
    return f"/subscriptions/{running.subscription}/resourceGroups/{group}/providers/{rest}"


def _put(running: Running, path: str, api_version: str, body: dict[str, Any]) -> None:
    """An ARM PUT, waited for until it has provisioned (setting up a world without az's start-up cost)."""
    with arm_client(running) as client:
        answer = client.put(path, params={"api-version": api_version}, json=body)
        assert answer.status_code in (200, 201, 202), answer.text
        deadline = time.time() + 30
        while True:
            doc = client.get(path, params={"api-version": api_version}).json()
            if (doc.get("properties") or {}).get("provisioningState", "Succeeded") == "Succeeded":
                return
            assert time.time() < deadline, doc
            time.sleep(0.2)


def _vnet(location: str, prefix: str, **subnets: str) -> dict[str, Any]:
    return {
        "location": location,
        "properties": {
            "addressSpace": {"addressPrefixes": [prefix]},
            "subnets": [{"name": name, "properties": {"addressPrefix": p}} for name, p in subnets.items()],
        },
    }


def _names(running: Running, path: str, api_version: str) -> list[str]:
    answer = arm_get(running, path, api_version)
    assert answer.status_code == 200, answer.text
    return sorted(item["name"] for item in answer.json()["value"])


def _select(page: Any, label: str, value: str) -> None:
    """Choose in a select that re-renders its step when it changes (waiting for the new page)."""
    control = page.get_by_label(label, exact=True)
    if control.input_value() != value:
        with page.expect_navigation():
            control.select_option(value)


def _portal_deployments(running: Running, group: str) -> list[str]:
    names = running.azs(f"deployment group list -g {group} --query [].name")
    return [n for n in names.split() if n]


def _dig_a(running: Running, host: str, name: str) -> list[str]:
    out = running.cli("dig", "--from", host, name).stdout
    return [line.split()[-1] for line in out.splitlines() if not line.startswith(";") and " IN A " in line]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_add_an_endpoint_with_the_wizard_then_its_dns_configuration(
    browser: Any, portal_acrlink: Running, language: str
) -> None:
    w, az = WORDS[language], portal_acrlink
    group, registry, vnet, endpoint = f"pe-{language}", f"peportal{language}", "myvnet", f"pe-wizard-{language}"
    registry_id, vnet_id = _registry_and_vnet(az, group, registry, vnet)
    group_path = f"/subscriptions/{az.subscription}/resourceGroups/{group}"

    # Flow 2: Private endpoints > + Create, the wizard step by step.
    page = open_portal(browser, az, language)
    page.get_by_role("link", name=w["nav"], exact=True).first.click()
    page.get_by_role("link", name=w["create"], exact=True).click()
    for tab in ("basics", "resource_tab", "configuration", "review"):
        page.get_by_role("tab", name=w[tab], exact=True).wait_for()
    assert page.get_by_role("tab", name=w["basics"], exact=True).get_attribute("aria-selected") == "true"
    page.get_by_role("group", name=w["project"]).wait_for()
    page.get_by_role("group", name=w["instance"]).wait_for()
    assert page.get_by_label(w["subscription"], exact=True).input_value() == az.subscription
    _select(page, w["group"], group)
    assert page.get_by_label(w["region"], exact=True).input_value() == "chinanorth2"  # the group's
    page.get_by_label(w["name"], exact=True).fill(endpoint)
    page.get_by_role("button", name=w["next_resource"], exact=True).click()

    assert page.get_by_role("tab", name=w["resource_tab"], exact=True).get_attribute("aria-selected") == "true"
    method = page.get_by_role("group", name=w["method"])
    assert method.get_by_role("radio", name=w["directory"], exact=True).is_checked()
    assert page.get_by_label(w["subscription"], exact=True).input_value() == az.subscription
    assert page.get_by_label(w["type"], exact=True).input_value() == "Microsoft.ContainerRegistry/registries"
    page.get_by_label(w["resource"], exact=True).select_option(registry_id)
    assert page.get_by_label(w["sub"], exact=True).input_value() == "registry"
    page.get_by_role("button", name=w["next_configuration"], exact=True).click()

    page.get_by_role("group", name=w["networking"], exact=True).wait_for()
    vnet_select = page.get_by_label(w["vnet"], exact=True)
    assert vnet_select.locator(f"option[value='{vnet_id}']").inner_text() == f"{vnet} ({group})"
    _select(page, w["vnet"], vnet_id)
    page.get_by_label(w["subnet"], exact=True).select_option(f"{vnet_id}/subnets/default")
    page.get_by_role("group", name=w["dns"], exact=True).wait_for()
    assert page.get_by_role("group", name=w["integrate"]).get_by_role("radio", name=w["yes"]).is_checked()
    zone = page.get_by_label(w["zone"], exact=True)
    assert zone.locator("option:checked").inner_text() == w["new_zone"]
    page.get_by_role("button", name=w["next_review"], exact=True).click()

    page.get_by_role("status").filter(has_text=w["passed"]).wait_for()
    endpoints_path = f"{group_path}/providers/Microsoft.Network/privateEndpoints"
    assert _names(az, endpoints_path, NETWORK_API) == []  # validate created nothing
    shot(page, "endpoint-wizard-review" + ("" if language == "en" else "-zh"))
    page.get_by_role("button", name=w["submit"], exact=True).dblclick()  # one deployment, one endpoint
    page.get_by_role("heading", name=w["complete"]).wait_for(timeout=60_000)

    # Through az: the endpoint, Approved; the zone with the registry's records, its VNet link; the zone group;
    # the deployment and its nested deployments, once each.
    shown = az.az_json("network", "private-endpoint", "show", "-g", group, "-n", endpoint)
    connection = shown["privateLinkServiceConnections"][0]
    assert connection["privateLinkServiceConnectionState"]["status"] == "Approved"
    assert connection["privateLinkServiceId"].lower() == registry_id.lower()
    assert shown["subnet"]["id"].lower() == f"{vnet_id}/subnets/default".lower()
    addresses = {c["fqdn"]: c["ipAddresses"][0] for c in shown["customDnsConfigs"]}
    private_ip = addresses[f"{registry}.azurecr.cn"]
    records = az.az_json("network", "private-dns", "record-set", "a", "list", "-g", group, "-z", ZONE)
    by_name = {r["name"]: [a["ipv4Address"] for a in r["aRecords"]] for r in records}
    assert by_name[registry] == [private_ip]
    assert by_name[f"{registry}.chinanorth2.data"] == [addresses[f"{registry}.chinanorth2.data.azurecr.cn"]]
    links = az.az_json("network", "private-dns", "link", "vnet", "list", "-g", group, "-z", ZONE)
    assert [link["virtualNetwork"]["id"].lower() for link in links] == [vnet_id.lower()]
    zone_groups = az.az_json("network", "private-endpoint", "dns-zone-group", "list", "-g", group,
                             "--endpoint-name", endpoint)  # fmt: skip
    assert [g["privateDnsZoneConfigs"][0]["privateDnsZoneId"].rsplit("/", 1)[-1] for g in zone_groups] == [ZONE]
    deployments = _portal_deployments(az, group)
    main = [d for d in deployments if d.startswith("Microsoft.PrivateEndpoint-")]
    assert len(main) == 1 and re.fullmatch(r"Microsoft\.PrivateEndpoint-\d{14}", main[0])
    when = main[0].rsplit("-", 1)[1]
    assert sorted(deployments) == sorted(
        [
            main[0],
            *(
                f"{kind}-{when}"
                for kind in ("PrivateDns", "VirtualNetworkLink", "DnsZoneGroup", "UpdateSubnetDeployment")
            ),
        ]  # fmt: skip
    )
    assert _names(az, endpoints_path, NETWORK_API) == [endpoint]
    # A VM in the VNet resolves the registry to the endpoint's address.
    vm = f"vm{language}"
    az.cli("vm", "create", vm, "-g", group, "--vnet-name", vnet, "--subnet", "default")
    assert _dig_a(az, vm, f"{registry}.azurecr.cn") == [private_ip]

    # Flow 3: the endpoint > DNS configuration shows exactly az's customDnsConfigs.
    page.get_by_role("link", name=w["go"], exact=True).click()
    page.get_by_role("heading", name=endpoint).wait_for()
    page.get_by_role("link", name=w["dns_page"], exact=True).click()
    page.get_by_role("heading", name=f"{endpoint} | {w['dns_page']}").wait_for()
    pairs = shown["customDnsConfigs"]  # az network private-endpoint show's
    table = page.locator("table[aria-labelledby=custom-dns] tbody tr")
    rows = [(table.nth(i).locator("td").nth(1).inner_text(), table.nth(i).locator("td").nth(2).inner_text())
            for i in range(table.count())]  # fmt: skip
    assert sorted(rows) == sorted((p["fqdn"], ", ".join(p["ipAddresses"])) for p in pairs)
    # The zone group's configuration: the zone (a link to its blade) and its A records for this endpoint.
    zone_link = page.get_by_role("link", name=ZONE, exact=True)
    assert zone_link.get_attribute("href").lower().endswith(f"/privatednszones/{ZONE}".lower())
    record_rows = page.locator("section.zone-config table tbody tr")
    assert {record_rows.nth(i).locator("td").nth(0).inner_text() for i in range(record_rows.count())} == {
        registry,
        f"{registry}.chinanorth2.data",
    }
    if language == "en":
        shot(page, "endpoint-dns-configuration")

    # Network interface: each ip configuration with its member name and address.
    page.get_by_role("link", name=w["nic_page"], exact=True).click()
    nic_rows = page.locator("table tbody tr")
    members = {nic_rows.nth(i).locator("td").nth(1).inner_text(): nic_rows.nth(i).locator("td").nth(2).inner_text()
               for i in range(nic_rows.count())}  # fmt: skip
    assert members == {"registry": private_ip,
                       "registry_data_chinanorth2": addresses[f"{registry}.chinanorth2.data.azurecr.cn"]}  # fmt: skip

    # Delete (command bar): the what-if confirmation, then the endpoint is gone (through ARM).
    page.get_by_role("link", name=w["delete"], exact=True).click()
    page.get_by_role("heading", name=w["whatif"]).wait_for()
    # The what-if (Acrlink.Network/whatIf): the VM loses the private path to the registry's names.
    whatif = page.locator("table[aria-labelledby=whatif] tbody tr")
    changed = {(whatif.nth(i).locator("td").nth(0).inner_text(), whatif.nth(i).locator("td").nth(1).inner_text())
               for i in range(whatif.count())}  # fmt: skip
    assert (vm, f"{registry}.azurecr.cn") in changed and (vm, f"{registry}.chinanorth2.data.azurecr.cn") in changed
    path = f"{endpoints_path}/{endpoint}"
    assert arm_get(az, path, NETWORK_API).status_code == 200  # the what-if changed nothing
    page.get_by_role("button", name=w["delete"], exact=True).click()
    page.get_by_role("heading", name=w["nav"]).wait_for()
    deadline = time.time() + 30
    while arm_get(az, path, NETWORK_API).status_code != 404:
        assert time.time() < deadline, "the endpoint was not deleted"
        time.sleep(0.5)
    page.context.close()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_bad_input_shows_arms_message_and_creates_nothing(browser: Any, portal_acrlink: Running, language: str) -> None:
    w, az = WORDS[language], portal_acrlink
    group, registry = f"pebad-{language}", f"pebad{language}"
    group_path = f"/subscriptions/{az.subscription}/resourceGroups/{group}"
    network = f"{group_path}/providers/Microsoft.Network"
    registry_id = f"{group_path}/providers/Microsoft.ContainerRegistry/registries/{registry}"
    mine, east = f"{network}/virtualNetworks/myvnet", f"{network}/virtualNetworks/eastvnet"
    _put(az, group_path, "2025-04-01", {"location": "chinanorth2"})
    _put(az, registry_id, "2025-11-01", {"location": "chinanorth2", "sku": {"name": "Premium"}, "properties": {}})
    # A /29 has three usable addresses; the endpoint already in it holds two, a second one needs two more.
    _put(az, mine, NETWORK_API, _vnet("chinanorth2", "10.0.0.0/16", default="10.0.0.0/24", tiny="10.0.9.0/29"))
    _put(az, east, NETWORK_API, _vnet("chinaeast2", "10.5.0.0/16", default="10.5.0.0/24"))
    connection = {"name": "taken", "properties": {"privateLinkServiceId": registry_id, "groupIds": ["registry"]}}
    taken = {"subnet": {"id": f"{mine}/subnets/tiny"}, "privateLinkServiceConnections": [connection]}
    _put(az, f"{network}/privateEndpoints/taken", NETWORK_API, {"location": "chinanorth2", "properties": taken})

    # The registry blade's "+ Private endpoint" link: the wizard with the registry preselected.
    page = open_portal(browser, az, language)
    page.goto(f"{az.endpoints['portal']}privateendpoints/create?resource={quote(registry_id)}")
    assert page.get_by_label(w["group"], exact=True).input_value() == group
    assert page.get_by_label(w["region"], exact=True).input_value() == "chinanorth2"
    name = page.get_by_label(w["name"], exact=True)
    name.fill("bad name!")
    page.get_by_role("button", name=w["next_resource"], exact=True).click()
    error = page.locator("#name-error")
    assert "Resource name bad name! is invalid" in error.inner_text()  # ARM's InvalidResourceName
    assert page.get_by_label(w["name"], exact=True).get_attribute("aria-describedby") == "name-error"
    page.get_by_label(w["name"], exact=True).fill("taken")
    page.get_by_role("button", name=w["next_resource"], exact=True).click()
    assert w["taken"] in page.locator("#name-error").inner_text()

    page.get_by_label(w["name"], exact=True).fill("pe-bad")
    page.get_by_role("button", name=w["next_resource"], exact=True).click()
    assert page.get_by_label(w["resource"], exact=True).input_value() == registry_id  # preselected
    page.get_by_role("button", name=w["next_configuration"], exact=True).click()

    # A subnet in another region: the deployment's validate refuses it with ARM's message.
    _select(page, w["vnet"], east)
    page.get_by_role("button", name=w["next_review"], exact=True).click()
    alert = page.get_by_role("alert").filter(has_text=w["failed"])
    assert "must be in the region of its virtual network" in alert.inner_text()
    assert page.get_by_role("button", name=w["submit"], exact=True).is_disabled()

    # A subnet too small for the registry's two addresses: ARM's refusal on Review + create.
    page.get_by_role("tab", name=w["configuration"], exact=True).click()
    _select(page, w["vnet"], mine)
    page.get_by_label(w["subnet"], exact=True).select_option(f"{mine}/subnets/tiny")
    page.get_by_role("button", name=w["next_review"], exact=True).click()
    alert = page.get_by_role("alert").filter(has_text=w["failed"])
    alert.wait_for()
    assert "tiny" in alert.inner_text() and "does not have enough capacity" in alert.inner_text()
    assert page.get_by_role("button", name=w["submit"], exact=True).is_disabled()

    # Nothing was created: no endpoint, no zone, no portal deployment.
    assert _names(az, f"{network}/privateEndpoints", NETWORK_API) == ["taken"]
    assert _names(az, f"{network}/privateDnsZones", "2024-06-01") == []
    assert _names(az, f"{group_path}/providers/Microsoft.Resources/deployments", "2025-04-01") == []
    page.context.close()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_connect_by_resource_id_is_a_request_for_approval(browser: Any, portal_acrlink: Running, language: str) -> None:
    """The alternative connection method: by resource ID, a manual connection (Pending until the registry's
    owner approves), without DNS integration."""
    w, az = WORDS[language], portal_acrlink
    group, registry, endpoint = f"pemanual-{language}", f"pemanual{language}", f"pe-manual-{language}"
    group_path = f"/subscriptions/{az.subscription}/resourceGroups/{group}"
    network = f"{group_path}/providers/Microsoft.Network"
    registry_id = f"{group_path}/providers/Microsoft.ContainerRegistry/registries/{registry}"
    _put(az, group_path, "2025-04-01", {"location": "chinanorth2"})
    _put(az, registry_id, "2025-11-01", {"location": "chinanorth2", "sku": {"name": "Premium"}, "properties": {}})
    _put(
        az, f"{network}/virtualNetworks/myvnet", NETWORK_API, _vnet("chinanorth2", "10.0.0.0/16", default="10.0.0.0/24")
    )

    page = open_portal(browser, az, language)
    page.goto(f"{az.endpoints['portal']}privateendpoints/create")
    _select(page, w["group"], group)
    page.get_by_label(w["name"], exact=True).fill(endpoint)
    page.get_by_role("button", name=w["next_resource"], exact=True).click()
    with page.expect_navigation():
        page.get_by_role("radio", name=w["by_id"], exact=True).check()
    page.get_by_label(w["resource_id"], exact=True).fill(registry_id)
    page.get_by_label(w["message"], exact=True).fill("please approve")
    page.get_by_role("button", name=w["next_configuration"], exact=True).click()
    # The group's own VNet is the default (another group has a "myvnet" too).
    assert page.get_by_label(w["vnet"], exact=True).input_value() == f"{network}/virtualNetworks/myvnet"
    with page.expect_navigation():
        page.get_by_role("group", name=w["integrate"]).get_by_role("radio", name=w["no"]).check()
    assert page.get_by_label(w["zone"], exact=True).count() == 0
    page.get_by_role("button", name=w["next_review"], exact=True).click()
    page.get_by_role("status").filter(has_text=w["passed"]).wait_for()
    page.get_by_role("button", name=w["submit"], exact=True).click()
    page.get_by_role("heading", name=w["complete"]).wait_for(timeout=60_000)

    doc = arm_get(az, f"{network}/privateEndpoints/{endpoint}", NETWORK_API).json()["properties"]
    assert doc["privateLinkServiceConnections"] == []
    (manual,) = doc["manualPrivateLinkServiceConnections"]
    assert manual["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"
    assert manual["properties"]["requestMessage"] == "please approve"
    assert _names(az, f"{network}/privateEndpoints/{endpoint}/privateDnsZoneGroups", NETWORK_API) == []
    deployments = _names(az, f"{group_path}/providers/Microsoft.Resources/deployments", "2025-04-01")
    assert [d.split("-", 1)[0] for d in deployments] == ["Microsoft.PrivateEndpoint", "UpdateSubnetDeployment"]
    page.context.close()
