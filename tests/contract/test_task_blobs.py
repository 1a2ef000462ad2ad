"""The ACR Tasks blobs contract (acrlink.tasks.blobs.TaskBlobs), run against both backends: files and Azure Blob
Storage (a real Azurite). Two handles over one backing stand for two processes of a cluster: each sees what the
other wrote, appends from both are all kept, and a reader never sees ``Complete`` before the last bytes."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient

from acrlink.domain.oci import parse_digest
from acrlink.domain.sas import ACCOUNT, BlobName
from acrlink.store.azure_blobs import AzureBlobStore
from acrlink.store.base import BlobStore, StoreUnavailable
from acrlink.store.blobs import FileBlobStore
from acrlink.store.urls import CONNECTION_STRING
from acrlink.tasks.azure_blobs import AzureTaskBlobs
from acrlink.tasks.blobs import TASKS_DIR, FileTaskBlobs, TaskBlobs, open_task_blobs
from tests.servers.azurite import ACCOUNT as AZURITE_ACCOUNT
from tests.servers.azurite import ACCOUNT_KEY, Container

CONTEXT = BlobName(ACCOUNT, "reg", "source/202612010000/ctx.tar.gz")
LOG = BlobName(ACCOUNT, "reg", "logs/ca1/rawtext.log")

Opener = Callable[[], TaskBlobs]


@dataclass
class Backing:
    """One shared backing: ``open()`` gives another process's handle on it; ``blob_store()`` the registry's
    blob store beside it."""

    kind: str
    root: Path
    container: Container | None = None
    opened: list[TaskBlobs] = field(default_factory=list)

    def open(self) -> TaskBlobs:
        handle: TaskBlobs
        if self.container is None:
            handle = FileTaskBlobs(self.root / TASKS_DIR)
        else:
            handle = AzureTaskBlobs(self.container.connection_string, self.container.name)
        self.opened.append(handle)
        return handle

    def blob_store(self) -> BlobStore:
        if self.container is None:
            return FileBlobStore(self.root)
        return AzureBlobStore(self.container.connection_string, self.container.name)


@pytest.fixture(params=["files", "azurite"])
def backing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backing]:
    container = request.getfixturevalue("azurite_container") if request.param == "azurite" else None
    shared = Backing(request.param, tmp_path / "blobs", container)
    yield shared
    for handle in shared.opened:
        handle.close()


@pytest.fixture
def opener(backing: Backing) -> Opener:
    return backing.open


def test_only_a_backend_behind_a_network_blocks(opener: Opener) -> None:
    blobs = opener()
    assert blobs.blocking is isinstance(blobs, AzureTaskBlobs), "the face calls files on the event loop"


def test_put_replaces_bytes_and_metadata_and_ranges_read_back(opener: Opener, tmp_path: Path) -> None:
    blobs = opener()
    assert blobs.properties(CONTEXT) is None
    assert blobs.read(CONTEXT, 0, 10) == b""
    assert not blobs.fetch(CONTEXT, tmp_path / "absent")
    blobs.put(CONTEXT, b"0123456789", {"origin": "az"})
    props = blobs.properties(CONTEXT)
    assert props is not None and props.size == 10 and props.metadata == {"origin": "az"} and props.modified > 0
    assert blobs.read(CONTEXT, 4, 4099) == b"456789", "a range is clipped to the blob"
    assert blobs.read(CONTEXT, 0, 0) == b"0"
    assert blobs.read(CONTEXT, 10, 20) == b"", "nothing past the end"
    blobs.put(CONTEXT, b"new")
    props = blobs.properties(CONTEXT)
    assert props is not None and props.size == 3 and props.metadata == {}
    assert blobs.fetch(CONTEXT, tmp_path / "ctx") and (tmp_path / "ctx").read_bytes() == b"new"


def test_a_context_put_through_one_process_is_fetched_by_another(opener: Opener, tmp_path: Path) -> None:
    face, agent = opener(), opener()
    data = os.urandom(3 << 20)
    face.put(CONTEXT, data)
    assert agent.fetch(CONTEXT, tmp_path / "ctx.tar.gz")
    assert (tmp_path / "ctx.tar.gz").read_bytes() == data


def test_appends_make_the_blob_and_metadata_marks_it_complete(opener: Opener) -> None:
    writer, reader = opener(), opener()
    writer.append(LOG, b"line 1\r\n")
    writer.append(LOG, b"line 2\r\n")
    props = reader.properties(LOG)
    assert props is not None and props.size == 16 and "Complete" not in props.metadata
    writer.set_metadata(LOG, {"Complete": "successful"})
    props = reader.properties(LOG)
    assert props is not None and props.size == 16 and props.metadata == {"Complete": "successful"}
    assert reader.read(LOG, 0, props.size - 1) == b"line 1\r\nline 2\r\n"
    other = BlobName(ACCOUNT, "reg", "logs/ca2/rawtext.log")
    writer.set_metadata(other, {"Complete": "canceled"})
    props = reader.properties(other)
    assert props is not None and props.size == 0 and props.metadata == {"Complete": "canceled"}


def test_appends_from_two_processes_are_all_kept_whole(opener: Opener) -> None:
    first, second = opener(), opener()
    lines = 40

    def write(handle: TaskBlobs, who: str) -> None:
        for i in range(lines):
            handle.append(LOG, f"{who} {i:03}\r\n".encode())

    threads = [threading.Thread(target=write, args=(h, w)) for h, w in ((first, "a"), (second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    props = first.properties(LOG)
    assert props is not None
    text = first.read(LOG, 0, props.size - 1).decode()
    written = text.split("\r\n")[:-1]
    assert sorted(written) == sorted(f"{w} {i:03}" for w in "ab" for i in range(lines))
    assert [x for x in written if x.startswith("a")] == [f"a {i:03}" for i in range(lines)], "one writer's order"


def test_a_reader_never_sees_complete_before_the_last_bytes(opener: Opener) -> None:
    """az's log reader: once one HEAD says ``Complete``, the size it gives is the whole log."""
    writer, reader = opener(), opener()
    final = b"".join(f"step {i}\r\n".encode() for i in range(30))
    seen: list[tuple[int, bool]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            props = reader.properties(LOG)
            if props is not None:
                seen.append((props.size, "Complete" in props.metadata))
                if "Complete" in props.metadata:
                    return

    watcher = threading.Thread(target=watch)
    watcher.start()
    for i in range(30):
        writer.append(LOG, f"step {i}\r\n".encode())
    writer.set_metadata(LOG, {"Complete": "successful"})
    watcher.join(timeout=60)
    done.set()
    watcher.join()
    props = reader.properties(LOG)
    assert props is not None and props.size == len(final) and props.metadata == {"Complete": "successful"}
    assert all(size == len(final) for size, complete in seen if complete)
    sizes = [size for size, _ in seen]
    assert sizes == sorted(sizes), "a log only grows"


def test_task_blobs_are_not_in_the_blob_stores_listing(backing: Backing) -> None:
    """They live beside the registry's blobs: garbage collection, which lists those, never sees them."""
    blobs = backing.open()
    blobs.put(CONTEXT, b"context")
    blobs.append(LOG, b"line\r\n")
    store = backing.blob_store()
    try:
        data = b"a layer"
        digest = parse_digest("sha256:" + hashlib.sha256(data).hexdigest())
        store.write(digest, data)
        assert [b.digest for b in store.stored()] == [digest]
    finally:
        store.close()
    assert blobs.properties(CONTEXT) is not None


# The choice of backend and what each adds ------------------------------------------------------------------


def test_the_blob_store_url_picks_the_backend(
    tmp_path: Path, azurite_container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = open_task_blobs(f"file://{tmp_path / 'shared'}")
    files.put(CONTEXT, b"x")
    assert (tmp_path / "shared" / TASKS_DIR / "data" / ACCOUNT / "reg" / CONTEXT.blob).read_bytes() == b"x"
    monkeypatch.setenv(CONNECTION_STRING, azurite_container.connection_string)
    azure = open_task_blobs(f"azure-blob://{azurite_container.name}")
    try:
        azure.append(LOG, b"line\r\n")
        service = BlobServiceClient.from_connection_string(azurite_container.connection_string)
        names = [b.name for b in service.get_container_client(azurite_container.name).list_blobs()]
        assert names == [f"tasks/{ACCOUNT}/reg/{LOG.blob}"]
        kind = service.get_container_client(azurite_container.name).get_blob_client(names[0])
        assert kind.get_blob_properties().blob_type == "AppendBlob", "a log is an append blob"
    finally:
        azure.close()
    monkeypatch.delenv(CONNECTION_STRING)
    for bad in ("azure-blob://c-name", "ftp://x", "file://relative/path"):
        with pytest.raises(ValueError):
            open_task_blobs(bad)


def test_files_read_a_data_dirs_old_tasks_blobs_and_adopt_them_before_a_change(tmp_path: Path) -> None:
    legacy = tmp_path / "node" / "tasks" / "blobs"
    old = FileTaskBlobs(legacy)
    old.put(CONTEXT, b"an old context")
    old.append(LOG, b"an old line\r\n")
    old.set_metadata(LOG, {"Complete": "failed"})
    blobs = FileTaskBlobs(tmp_path / "shared" / TASKS_DIR, legacy)
    props = blobs.properties(CONTEXT)
    assert props is not None and props.size == 14
    assert blobs.fetch(CONTEXT, tmp_path / "ctx") and (tmp_path / "ctx").read_bytes() == b"an old context"
    blobs.append(LOG, b"a new line\r\n")
    props = blobs.properties(LOG)
    assert props is not None and props.metadata == {"Complete": "failed"}
    assert blobs.read(LOG, 0, props.size - 1) == b"an old line\r\na new line\r\n"
    assert old.read(LOG, 0, 100) == b"an old line\r\n", "the old directory is only read"


def test_an_unreachable_service_is_store_unavailable(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.servers import azurite as servers

    own = servers.start(tmp_path_factory.mktemp("azurite-tasks-down"))
    try:
        blobs = AzureTaskBlobs(own.connection_string, "outage", retries=0)
        blobs.put(CONTEXT, b"before")
    finally:
        servers.stop(own)
    target = tmp_path_factory.mktemp("fetch") / "ctx"
    for operation in (
        lambda: blobs.put(CONTEXT, b"x"),
        lambda: blobs.append(LOG, b"x"),
        lambda: blobs.set_metadata(LOG, {"Complete": "failed"}),
        lambda: blobs.properties(CONTEXT),
        lambda: blobs.read(CONTEXT, 0, 1),
        lambda: blobs.fetch(CONTEXT, target),
    ):
        with pytest.raises(StoreUnavailable):
            operation()
    blobs.close()
    refused = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{own.port}/{AZURITE_ACCOUNT};"
    )
    with pytest.raises(StoreUnavailable):
        AzureTaskBlobs(refused, "down", retries=0)
