"""Every ARM and Entra answer carries ARM's tracing headers: successes, errors, polls and token answers."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import Arm, make_arm

CORRELATION = "5b4c1b0e-1a8e-4c8e-9c3e-0c6a2f9d7e11"
CLIENT = "c1d2e3f4-0000-4000-8000-000000000001"


def _is_guid(value: str) -> bool:
    return str(uuid.UUID(value)) == value


def _assert_traced(response: httpx.Response, *, correlation: str | None = None, client: str | None = None) -> None:
    assert _is_guid(response.headers["x-ms-request-id"])
    if correlation is None:
        assert response.headers["x-ms-correlation-request-id"] == response.headers["x-ms-request-id"]
    else:
        assert response.headers["x-ms-correlation-request-id"] == correlation
    assert response.headers.get("x-ms-client-request-id") == client


def test_success_echoes_the_clients_ids(arm: Arm) -> None:
    headers = {"x-ms-correlation-request-id": CORRELATION, "x-ms-client-request-id": CLIENT}
    response = arm.request("GET", "/subscriptions/{sub}/resourcegroups", headers=headers)
    assert response.status_code == 200
    _assert_traced(response, correlation=CORRELATION, client=CLIENT)
    assert response.headers["x-ms-ratelimit-remaining-subscription-reads"].isdigit()
    assert "x-ms-ratelimit-remaining-subscription-writes" not in response.headers


def test_without_client_ids_a_new_correlation_id_per_answer(arm: Arm) -> None:
    first = arm.request("GET", "/subscriptions/{sub}/resourcegroups")
    second = arm.request("GET", "/subscriptions/{sub}/resourcegroups")
    _assert_traced(first)
    _assert_traced(second)
    assert first.headers["x-ms-request-id"] != second.headers["x-ms-request-id"]


def test_writes_count_against_the_write_budget(arm: Arm) -> None:
    response = arm.request("PUT", "/subscriptions/{sub}/resourcegroups/rg", {"location": "chinanorth2"})
    assert response.status_code == 201
    assert response.headers["x-ms-ratelimit-remaining-subscription-writes"].isdigit()


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/subscriptions/{sub}/resourcegroups/nosuch", {}, 404),
        ("/subscriptions/{sub}/resourcegroups", {"Authorization": "Bearer garbage.x.y"}, 401),
        ("/subscriptions/{sub}/resourcegroups", {"Authorization": ""}, 401),
    ],
)
def test_errors_are_traced(arm: Arm, path: str, headers: dict[str, str], status: int) -> None:
    sent = {"x-ms-correlation-request-id": CORRELATION, "x-ms-client-request-id": CLIENT, **headers}
    response = arm.request("GET", path, headers=sent)
    assert response.status_code == status
    _assert_traced(response, correlation=CORRELATION, client=CLIENT)


def test_lro_answers_and_polls_are_traced(tmp_path: Path) -> None:
    arm = next(make_arm(tmp_path, arm_async=True))
    arm.group()
    sent = {"x-ms-correlation-request-id": CORRELATION, "x-ms-client-request-id": CLIENT}
    put = arm.request(
        "PUT", arm.registry_path("tracedreg"), {"location": "chinanorth2", "sku": {"name": "Basic"}}, headers=sent
    )
    assert put.status_code == 201
    _assert_traced(put, correlation=CORRELATION, client=CLIENT)
    poll = arm.client.get(put.headers["Azure-AsyncOperation"].removeprefix("https://arm.test"), headers=sent)
    assert poll.status_code == 200
    _assert_traced(poll, correlation=CORRELATION, client=CLIENT)


def test_entra_answers_are_traced_and_echo_msals_client_request_id(arm: Arm) -> None:
    tenant = arm.application.tenancy.world.tenant_id
    token = arm.client.post(
        f"/{tenant}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": "app", "client_secret": "s", "scope": "x/.default"},
        headers={"client-request-id": CLIENT},
    )
    assert token.status_code == 200
    assert _is_guid(token.headers["x-ms-request-id"])
    assert token.headers["client-request-id"] == CLIENT
    assert "x-ms-ratelimit-remaining-subscription-reads" not in token.headers
    refused = arm.client.post(f"/{tenant}/oauth2/v2.0/token", data={"grant_type": "password"})
    assert refused.status_code == 400
    assert _is_guid(refused.headers["x-ms-request-id"])


@pytest.mark.parametrize("value", ["a" * 300, "two words", "x\u00e9".encode()])
def test_unechoable_client_ids_are_replaced_not_echoed(arm: Arm, value: str | bytes) -> None:
    response = arm.request(
        "GET",
        "/subscriptions/{sub}/resourcegroups",
        headers={"x-ms-correlation-request-id": value, "x-ms-client-request-id": value},
    )
    assert response.status_code == 200
    _assert_traced(response)
