"""ARM's tracing headers as the Python SDK surfaces them: on results, on errors, in its HTTP log, and on
every poll of a long-running operation."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError

from .conftest import Running, sdk_for

pytestmark = pytest.mark.slow


class Seen:
    """Every (request, response) pair a client's pipeline saw (azure-core's ``raw_response_hook``)."""

    def __init__(self) -> None:
        self.pairs: list[tuple[Any, Any]] = []

    def __call__(self, pipeline_response: Any) -> None:
        self.pairs.append((pipeline_response.http_request, pipeline_response.http_response))


def _guid(value: str | None) -> bool:
    return value is not None and str(uuid.UUID(value)) == value


def test_results_echo_the_correlation_and_client_request_ids(acrlink: Running, trust: None) -> None:
    seen = Seen()
    sdk = sdk_for(acrlink, raw_response_hook=seen)
    correlation = str(uuid.uuid4())
    sdk.resources.resource_groups.create_or_update(
        "rg-traced", {"location": "chinanorth2"}, headers={"x-ms-correlation-request-id": correlation}
    )
    request, response = seen.pairs[-1]
    assert _guid(response.headers["x-ms-request-id"])
    assert response.headers["x-ms-correlation-request-id"] == correlation
    assert response.headers["x-ms-client-request-id"] == request.headers["x-ms-client-request-id"]
    assert response.headers["x-ms-ratelimit-remaining-subscription-writes"].isdigit()


def test_errors_carry_the_ids(acrlink: Running, trust: None) -> None:
    sdk = sdk_for(acrlink)
    with pytest.raises(ResourceNotFoundError) as caught:
        sdk.acr.registries.get("rg-traced-nosuch", "nosuchregistry")
    response = caught.value.response
    assert response is not None
    assert _guid(response.headers["x-ms-request-id"])
    assert _guid(response.headers["x-ms-correlation-request-id"])
    assert response.headers["x-ms-client-request-id"] == response.request.headers["x-ms-client-request-id"]


def test_the_sdks_http_log_shows_them(acrlink: Running, trust: None, caplog: pytest.LogCaptureFixture) -> None:
    sdk = sdk_for(acrlink, logging_enable=True)
    with caplog.at_level(logging.INFO, logger="azure.core.pipeline.policies.http_logging_policy"):
        list(sdk.resources.resource_groups.list())
    logged = "\n".join(r.getMessage() for r in caplog.records)
    request_ids = [line for line in logged.splitlines() if "'x-ms-request-id':" in line]
    assert request_ids and "REDACTED" not in request_ids[-1]
    assert "'x-ms-ratelimit-remaining-subscription-reads': '" in logged


def test_every_poll_of_a_long_running_operation_is_traced(acrlink_async: Running, trust: None) -> None:
    seen = Seen()
    sdk = sdk_for(acrlink_async, raw_response_hook=seen)
    sdk.resources.resource_groups.create_or_update("rg-traced-lro", {"location": "chinanorth2"})
    seen.pairs.clear()
    sdk.acr.registries.begin_create(
        "rg-traced-lro", "tracedlro01", {"location": "chinanorth2", "sku": {"name": "Basic"}}
    ).result()
    paths = [request.url for request, _ in seen.pairs]
    assert any("operationStatuses" in p or "operationResults" in p for p in paths), paths
    for request, response in seen.pairs:
        assert _guid(response.headers["x-ms-request-id"]), request.url
        assert response.headers["x-ms-client-request-id"] == request.headers["x-ms-client-request-id"]
