"""Object ids and managed identities derived from stable inputs."""

from __future__ import annotations

from acrlink.domain import principals


def test_a_managed_identity_is_stable_per_nic_and_new_for_a_new_nic() -> None:
    first = principals.managed_identity("tenant-a", "guid-1")
    assert first == principals.managed_identity("tenant-a", "guid-1")
    assert first.principal_id == principals.object_id("tenant-a", first.client_id)
    assert principals.managed_identity("tenant-a", "guid-2").principal_id != first.principal_id
    other_tenant = principals.managed_identity("tenant-b", "guid-1")
    assert other_tenant.client_id == first.client_id and other_tenant.principal_id != first.principal_id


def test_application_and_service_principal_ids_differ() -> None:
    assert principals.application_object_id("t", "app") != principals.object_id("t", "app")
    assert principals.application_object_id("t", "app") == principals.application_object_id("t", "app")
