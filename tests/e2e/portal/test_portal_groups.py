"""Resource groups in the portal, in both languages: create one, delete it with the type-the-name
confirmation (S26), the language switch, and the not-found blade."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Running

from .conftest import arm_get, open_portal, shot

pytestmark = [pytest.mark.slow, pytest.mark.portal]

WORDS = {
    "en": {"groups": "Resource groups", "create": "+ Create", "name": "Resource group", "submit": "Create",
           "delete": "Delete resource group", "confirm": "Enter resource group name to confirm deletion",
           "region": "Region"},
    "zh": {"groups": "资源组", "create": "+ 创建", "name": "资源组", "submit": "创建",
           "delete": "删除资源组", "confirm": "输入资源组名称以确认删除", "region": "区域"},
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh"])
def test_create_and_delete_a_resource_group(browser: Any, portal_acrlink: Running, language: str) -> None:
    words, group = WORDS[language], f"portal-rg-{language}"
    page = open_portal(browser, portal_acrlink, language)
    page.get_by_role("link", name=words["groups"], exact=True).first.click()
    page.get_by_role("link", name=words["create"]).click()
    page.get_by_label(words["name"], exact=True).fill(group)
    page.get_by_label(words["region"]).select_option("chinaeast2")
    page.get_by_role("button", name=words["submit"], exact=True).click()
    page.get_by_role("heading", name=group).wait_for()
    path = f"/subscriptions/{portal_acrlink.subscription}/resourceGroups/{group}"
    answer = arm_get(portal_acrlink, path, "2025-04-01")
    assert answer.status_code == 200 and answer.json()["location"] == "chinaeast2"

    page.get_by_label(words["confirm"]).fill("wrong-name")
    page.get_by_role("button", name=words["delete"]).click()
    page.get_by_role("alert").filter(has_text="").first.wait_for()
    assert arm_get(portal_acrlink, path, "2025-04-01").status_code == 200  # nothing deleted
    page.get_by_label(words["confirm"]).fill(group)
    if language == "en":
        shot(page, "delete-resource-group")
    page.get_by_role("button", name=words["delete"]).click()
    page.get_by_role("heading", name=words["groups"]).wait_for()
    assert arm_get(portal_acrlink, path, "2025-04-01").status_code == 404
    page.context.close()


def test_the_language_switch_and_the_not_found_blade(browser: Any, portal_acrlink: Running) -> None:
    page = open_portal(browser, portal_acrlink, "en")
    assert page.get_by_role("link", name="Resource groups", exact=True).count() >= 1
    page.get_by_label("Language").select_option("zh-Hans")
    page.get_by_role("link", name="资源组", exact=True).first.wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    missing = f"{portal_acrlink.endpoints['portal']}resource/subscriptions/{portal_acrlink.subscription}/resourceGroups/nowhere"
    response = page.goto(missing)
    assert response is not None and response.status == 404
    page.get_by_role("heading", name="找不到").wait_for()
    assert "Traceback" not in page.content()
    page.context.close()


def test_a_form_from_another_origin_or_without_the_token_changes_nothing(portal_acrlink: Running) -> None:
    import httpx

    portal = portal_acrlink.endpoints["portal"]
    with httpx.Client(verify=False) as client:  # noqa: S501 - the attacker's page does not need the CA
        client.get(portal)
        answer = client.post(f"{portal}resourcegroups/create", data={"name": "evil", "location": "chinanorth2"})
        assert answer.status_code == 403
        answer = client.post(
            f"{portal}resourcegroups/create",
            data={"name": "evil", "location": "chinanorth2", "csrf": "guess"},
            headers={"Origin": "https://evil.example"},
        )
        assert answer.status_code == 403
    path = f"/subscriptions/{portal_acrlink.subscription}/resourceGroups/evil"
    assert arm_get(portal_acrlink, path, "2025-04-01").status_code == 404
