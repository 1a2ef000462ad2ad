"""What the Azure Blob Storage backend adds to the blob store contract, on a real Azurite: its layout, the
bounded block list of a staged upload, writers that never resurrect a dropped key, digest blobs that appear
only whole, the SAS forms of a connection string, and outages as ``StoreUnavailable``."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

from acrlink.domain.oci import Digest, parse_digest
from acrlink.store.azure_blobs import BLOCK_SIZE, AzureBlobStore, Prefix, plan_prefix
from acrlink.store.base import StoreUnavailable
from acrlink.store.urls import open_blob_store
from tests.servers.azurite import ACCOUNT, ACCOUNT_KEY, Container

MiB = 1 << 20


def _digest(data: bytes) -> Digest:
    return parse_digest("sha256:" + hashlib.sha256(data).hexdigest())


@pytest.fixture
def service(azurite_container: Container) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(azurite_container.connection_string)


@pytest.fixture
def store(azurite_container: Container) -> Iterator[AzureBlobStore]:
    opened = AzureBlobStore(azurite_container.connection_string, azurite_container.name)
    yield opened
    opened.close()


def _names(service: BlobServiceClient, container: str) -> list[str]:
    return sorted(blob.name for blob in service.get_container_client(container).list_blobs())


def test_the_container_is_created_and_the_layout_is_blobs_and_uploads(
    store: AzureBlobStore, service: BlobServiceClient, azurite_container: Container
) -> None:
    assert service.get_container_client(azurite_container.name).exists()
    AzureBlobStore(azurite_container.connection_string, azurite_container.name)  # an existing container is fine
    data = b"layout"
    digest = _digest(data)
    store.stage("up.0")
    assert _names(service, azurite_container.name) == ["uploads/up.0"]
    writer = store.writer("up.0", 0)
    writer.write(data)
    writer.close()
    assert store.commit("up.0", len(data), digest)
    assert _names(service, azurite_container.name) == [f"blobs/sha256/{digest.encoded}"]


def test_many_small_requests_keep_the_block_list_short(
    store: AzureBlobStore, service: BlobServiceClient, azurite_container: Container
) -> None:
    store.stage("small.0")
    offset, data = 0, b""
    for i in range(30):
        part = bytes([i]) * 1000
        writer = store.writer("small.0", offset)
        writer.write(part)
        writer.close()
        offset, data = writer.offset, data + part
    blob = service.get_blob_client(azurite_container.name, "uploads/small.0")
    committed, _ = blob.get_block_list("committed")
    assert len(committed) <= 2, "small blocks are merged by the service as they arrive"
    assert b"".join(store.read_staged("small.0", len(data))) == data


def test_block_ids_record_each_block_start(
    store: AzureBlobStore, service: BlobServiceClient, azurite_container: Container
) -> None:
    data = os.urandom(2 * BLOCK_SIZE + 10)
    store.stage("ids.0")
    writer = store.writer("ids.0", 0)
    writer.write(data)
    writer.close()
    committed, _ = service.get_blob_client(azurite_container.name, "uploads/ids.0").get_block_list("committed")
    starts = [int(block.id[:16], 16) for block in committed]
    assert starts == [0, BLOCK_SIZE, 2 * BLOCK_SIZE]
    assert [block.size for block in committed] == [BLOCK_SIZE, BLOCK_SIZE, 10]
    assert len({len(block.id) for block in committed}) == 1


def test_a_writer_never_resurrects_a_dropped_key(store: AzureBlobStore) -> None:
    store.stage("gone.0")
    writer = store.writer("gone.0", 0)
    writer.write(b"late bytes")
    store.drop_staged("gone.0")
    with pytest.raises(FileNotFoundError):
        writer.close()
    with pytest.raises(FileNotFoundError):
        store.writer("gone.0", 0)


def test_a_writer_cannot_start_beyond_the_staged_bytes(store: AzureBlobStore) -> None:
    store.stage("b.0")
    with pytest.raises(ValueError):
        store.writer("b.0", 1)


def test_a_digest_blob_is_invisible_until_its_commit_and_never_replaced(
    store: AzureBlobStore, service: BlobServiceClient, azurite_container: Container
) -> None:
    data = os.urandom(5 * MiB)
    digest = _digest(data)
    store.stage("v.0")
    writer = store.writer("v.0", 0)
    writer.write(data)
    writer.close()
    target = service.get_blob_client(azurite_container.name, f"blobs/sha256/{digest.encoded}")
    source = store.source_url(store._staged("v.0"))
    blocks = store.copy_blocks(
        target,
        source,
        0,
        len(data),
        service.get_blob_client(azurite_container.name, "uploads/v.0").get_blob_properties().etag,
    )
    assert blocks, "blocks copied into the digest blob"
    assert store.size(digest) is None, "uncommitted blocks are not a blob"
    with pytest.raises(FileNotFoundError):
        store.open_range(digest, 0, 0)
    assert store.commit("v.0", len(data), digest)
    assert store.size(digest) == len(data)
    store.stage("w.0")
    writer = store.writer("w.0", 0)
    writer.write(b"\0" * len(data))
    writer.close()
    assert not store.commit("w.0", len(data), digest)
    assert target.download_blob().readall() == data


def test_a_range_whose_blob_goes_before_it_is_read_is_file_not_found(store: AzureBlobStore) -> None:
    data = b"short-lived"
    digest = _digest(data)
    assert store.write(digest, data)
    opened = store.open_range(digest, 0, len(data) - 1)
    assert store.delete(digest)
    with pytest.raises(FileNotFoundError):
        b"".join(opened.chunks())
    assert store.write(digest, data)
    assert b"".join(opened.chunks()) == data, "stored again: the same bytes (a range is pinned to no ETag)"


def test_a_range_reads_whole_across_touches_and_commits_of_its_digest(store: AzureBlobStore) -> None:
    """A pull is not pinned to the ETag it saw: pushes and collections touch a digest blob (a new ETag, the
    same bytes) at any moment, before the GET or while it streams."""
    data = os.urandom(3 * MiB + 7)
    digest = _digest(data)
    assert store.write(digest, data)
    opened = store.open_range(digest, 0, len(data) - 1)
    assert store.touch(digest)
    store.stage("again.0")
    writer = store.writer("again.0", 0)
    writer.write(data)
    writer.close()
    assert not store.commit("again.0", len(data), digest), "already stored: touched"
    chunks = opened.chunks()
    first = next(chunks)
    assert store.touch(digest)
    assert first + b"".join(chunks) == data


def test_a_copy_of_a_staged_object_that_changed_meanwhile_is_refused(
    store: AzureBlobStore, service: BlobServiceClient, azurite_container: Container
) -> None:
    store.stage("x.0")
    staged = service.get_blob_client(azurite_container.name, "uploads/x.0")
    etag = staged.get_blob_properties().etag
    writer = store.writer("x.0", 0)
    writer.write(b"changed")
    writer.close()
    target = service.get_blob_client(azurite_container.name, "blobs/sha256/" + "0" * 64)
    with pytest.raises(FileNotFoundError):
        store.copy_blocks(target, store.source_url(store._staged("x.0")), 0, 7, etag)


def test_a_connection_string_with_a_container_sas_works(azurite_container: Container) -> None:
    BlobServiceClient.from_connection_string(azurite_container.connection_string).create_container(
        azurite_container.name
    )
    sas = generate_container_sas(
        ACCOUNT,
        azurite_container.name,
        account_key=ACCOUNT_KEY,
        permission=ContainerSasPermissions(read=True, write=True, delete=True, list=True, add=True, create=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    connection = f"BlobEndpoint={azurite_container.azurite.endpoint};SharedAccessSignature={sas}"
    store = AzureBlobStore(connection, azurite_container.name)  # a container SAS may not create the container
    data = b"through a SAS"
    digest = _digest(data)
    store.stage("sas.0")
    writer = store.writer("sas.0", 0)
    writer.write(data)
    writer.close()
    assert store.commit("sas.0", len(data), digest), "the service reads the staged blob through the same SAS"
    assert b"".join(store.open_range(digest, 0, len(data) - 1).chunks()) == data
    assert store.sweep_staged(-1) == []


def test_open_blob_store_reads_the_connection_string_from_the_environment(
    azurite_container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite_container.connection_string)
    store = open_blob_store(f"azure-blob://{azurite_container.name}")
    assert isinstance(store, AzureBlobStore)
    assert store.write(_digest(b"env"), b"env")


def test_bad_names_are_value_errors() -> None:
    for name in ("A", "ab", "-abc", "abc-", "a--b", "x" * 64, "a_b"):
        with pytest.raises(ValueError):
            AzureBlobStore("UseDevelopmentStorage=true", name)
    with pytest.raises(ValueError):
        AzureBlobStore("not a connection string", "fine")


def test_an_unreachable_service_is_store_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        connection = (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
        )
        with pytest.raises(StoreUnavailable):
            AzureBlobStore(connection, "down", retries=0)


def test_a_server_gone_mid_use_is_store_unavailable(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.servers import azurite as servers

    own = servers.start(tmp_path_factory.mktemp("azurite-down"))
    try:
        connection = own.connection_string
        store = AzureBlobStore(connection, "outage", retries=0)
        data = b"before the outage"
        assert store.write(_digest(data), data)
        store.stage("o.0")
    finally:
        servers.stop(own)
    for operation in (
        lambda: store.size(_digest(data)),
        lambda: store.open_range(_digest(data), 0, 1),
        lambda: store.stage("o.1"),
        lambda: store.writer("o.0", 0),
        lambda: b"".join(store.read_staged("o.0", 1)),
        lambda: store.commit("o.0", 0, _digest(b"")),
        lambda: store.write(_digest(b"x"), b"x"),
        lambda: store.delete(_digest(data)),
        lambda: store.drop_staged("o.0"),
        lambda: store.sweep_staged(0),
    ):
        with pytest.raises(StoreUnavailable):
            operation()


def test_a_missing_azurite_fails_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.servers import azurite as servers

    monkeypatch.setattr(servers, "BINARY", servers.HERE / "node_modules" / ".bin" / "absent")
    with pytest.raises(pytest.fail.Exception, match="npm ci"):
        servers.start(tmp_path_factory.mktemp("no-azurite"))


# The writer's plan (pure) ----------------------------------------------------------------------------------

B = BLOCK_SIZE


@pytest.mark.parametrize(
    ("sizes", "offset", "merge", "plan"),
    [
        ([], 0, True, Prefix(0, 0, 0)),
        ([B, B, 10], 2 * B + 10, False, Prefix(3, 2 * B + 10, 2 * B + 10)),
        ([B, B, 10], 2 * B + 10, True, Prefix(3, 2 * B + 10, 2 * B + 10)),  # one small block: nothing to merge
        ([B, B, 10], B, False, Prefix(1, B, B)),  # on a boundary: the blocks before it, as they are
        ([B, B, 10], B + 5, False, Prefix(1, B, B + 5)),  # inside a block: its first bytes staged again
        ([B, 10, 20], B + 30, True, Prefix(1, B, B + 30)),  # two small blocks merge into one
        ([B, 10, 20], B + 30, False, Prefix(3, B + 30, B + 30)),
        ([B, 10, 20], B + 15, False, Prefix(1, B, B + 15)),  # inside a block after a small one: both restaged
        ([10], 0, True, Prefix(0, 0, 0)),
    ],
)
def test_the_writer_keeps_whole_blocks_and_restages_the_rest(
    sizes: list[int], offset: int, merge: bool, plan: Prefix
) -> None:
    assert plan_prefix(sizes, offset, merge=merge) == plan


def test_the_plan_refuses_an_offset_beyond_the_blocks() -> None:
    with pytest.raises(ValueError):
        plan_prefix([10], 11, merge=False)
    with pytest.raises(ValueError):
        plan_prefix([10], -1, merge=False)
