"""The content store contract (acrlink.store.content): repositories, manifests, tags, links, uploads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from acrlink.domain.content import MANIFEST, REPOSITORY, TAG, UNLOCKED, Attributes, Manifest
from acrlink.store.content import ContentTx, create_tables
from acrlink.store.postgres import PostgresStore
from acrlink.store.sqlite import SqliteStore

D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


AnyStore = SqliteStore | PostgresStore


def _open(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AnyStore:
    if backend == "postgresql":
        return PostgresStore(request.getfixturevalue("postgres_url"))
    return SqliteStore(tmp_path / "acrlink.db" if backend == "sqlite-file" else ":memory:")


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnyStore]:
    opened = _open(request.param, request, tmp_path)
    with opened.transaction() as tx:
        create_tables(tx)
    yield opened
    opened.close()


@pytest.fixture(params=["sqlite-file", "postgresql"])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[AnyStore, AnyStore]]:
    """Two stores on one file or database, as two processes sharing it have."""
    first = _open(request.param, request, tmp_path)
    with first.transaction() as tx:
        create_tables(tx)
    second = _open(request.param, request, tmp_path)
    yield first, second
    second.close()
    first.close()


def _manifest(digest: str, subject: str | None = None, created: str = "t1") -> Manifest:
    return Manifest(digest, "application/vnd.oci.image.manifest.v1+json", 3, b"{}\n", created, "a/b", subject)


def test_manifests_tags_and_referrers(store: AnyStore) -> None:
    with store.transaction() as tx:
        content = ContentTx(tx)
        content.touch_repository("reg", "repo", "t1")
        content.put_manifest("reg", "repo", _manifest(D1))
        content.put_manifest("reg", "repo", _manifest(D2, subject=D1))
        content.put_tag("reg", "repo", "v1", D1, "t1")
        content.put_tag("reg", "repo", "v1", D2, "t2")
    with store.transaction() as tx:
        content = ContentTx(tx)
        tag = content.tag("reg", "repo", "v1")
        assert tag is not None and (tag.digest, tag.created, tag.updated) == (D2, "t1", "t2")
        assert [m.digest for m in content.referrers("reg", "repo", D1)] == [D2]
        assert content.manifest("reg", "other", D1) is None
        assert content.manifest("other", "repo", D1) is None
        assert content.delete_manifest("reg", "repo", D2)
        assert content.tag("reg", "repo", "v1") is None, "deleting a manifest deletes its tags"
        assert not content.delete_manifest("reg", "repo", D2)


def test_pages_in_lexical_order(store: AnyStore) -> None:
    with store.transaction() as tx:
        content = ContentTx(tx)
        for name in ["c", "a", "b/x", "b"]:
            content.touch_repository("reg", name, "t")
            content.put_tag("reg", "a", name.replace("/", "-"), D1, "t")
    with store.transaction() as tx:
        content = ContentTx(tx)
        assert content.repository_names("reg") == ["a", "b", "b/x", "c"]
        assert content.repository_names("reg", last="b", n=2) == ["b/x", "c"]
        assert [t.name for t in content.tags("reg", "a", n=2)] == ["a", "b"]
        assert [t.name for t in content.tags("reg", "a", last="b")] == ["b-x", "c"]


def test_rollback_leaves_nothing(store: AnyStore) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        ContentTx(tx).link_blob("reg", "repo", D1, 5)
        raise RuntimeError
    with store.transaction() as tx:
        assert ContentTx(tx).blob_size("reg", "repo", D1) is None


def test_links_uploads_and_dropping_a_registry(store: AnyStore) -> None:
    with store.transaction() as tx:
        content = ContentTx(tx)
        content.link_blob("reg", "repo", D1, 5)
        content.put_upload("u1", "reg", "repo", 100)
        content.touch_repository("reg", "repo", "t")
        content.touch_repository("keep", "repo", "t")
    with store.transaction() as tx:
        content = ContentTx(tx)
        assert content.blob_size("reg", "repo", D1) == 5
        assert content.upload("u1") == {
            "id": "u1",
            "registry": "reg",
            "repo": "repo",
            "started": 100,
            "touched": 100,
            "offset": 0,
            "generation": 0,
            "holder": None,
            "lease_until": None,
        }
        assert [r["id"] for r in content.uploads_touched_before(101)] == ["u1"]
        assert content.uploads_touched_before(100) == []
        content.drop_registry("reg")
    with store.transaction() as tx:
        content = ContentTx(tx)
        assert content.blob_size("reg", "repo", D1) is None
        assert content.upload("u1") is None
        assert content.repository_names("reg") == []
        assert content.repository_names("keep") == ["repo"]


def test_upload_rows_are_compare_and_set(store: AnyStore) -> None:
    """A session row changes only while it still holds what the writer last saw (the claim rule lives
    in the uploads service; the store only compares and sets)."""
    with store.transaction() as tx:
        content = ContentTx(tx)
        content.put_upload("u1", "reg", "repo", 100)
        assert content.update_upload("u1", {"offset": 0, "holder": None}, {"holder": "a", "lease_until": 5.0})
        assert not content.update_upload("u1", {"offset": 0, "holder": None}, {"holder": "b"}), "already held"
        assert not content.update_upload("u1", {"holder": "b"}, {"offset": 9}), "not b's"
        assert content.update_upload("u1", {"holder": "a"}, {"holder": None, "lease_until": None, "offset": 9})
        assert not content.update_upload("nosuch", {}, {"offset": 1})
        with pytest.raises(ValueError):
            content.update_upload("u1", {}, {"registry": "other"})
        assert not content.delete_upload("u1", {"offset": 0})
        assert content.upload("u1")["offset"] == 9  # type: ignore[index]
        assert content.delete_upload("u1", {"offset": 9, "holder": None})
        assert content.upload("u1") is None


def test_attributes_default_set_and_go_with_their_target(store: AnyStore) -> None:
    locked = Attributes(write_enabled=False, list_enabled=False)
    with store.transaction() as tx:
        content = ContentTx(tx)
        content.touch_repository("reg", "repo", "t1")
        content.touch_repository("reg", "other", "t1")
        content.put_manifest("reg", "repo", _manifest(D1))
        content.put_tag("reg", "repo", "v1", D1, "t1")
        content.put_tag("reg", "repo", "v2", D1, "t1")
        assert content.attributes("reg", "repo", TAG, "v1") == UNLOCKED
        content.put_attributes("reg", "repo", TAG, "v1", locked)
        content.put_attributes("reg", "repo", MANIFEST, D1, Attributes(delete_enabled=False))
        content.put_attributes("reg", "other", REPOSITORY, "", locked)
    with store.transaction() as tx:
        content = ContentTx(tx)
        assert content.attributes("reg", "repo", TAG, "v1") == locked
        assert content.attributes("reg", "repo", TAG, "v2") == UNLOCKED
        assert content.attributes("other", "repo", TAG, "v1") == UNLOCKED
        assert set(content.all_attributes("reg")) == {
            ("repo", TAG, "v1"),
            ("repo", MANIFEST, D1),
            ("other", REPOSITORY, ""),
        }
        assert [t.name for t in content.tags("reg", "repo", listed_only=True)] == ["v2"]
        assert [t.name for t in content.tags("reg", "repo")] == ["v1", "v2"]
        assert content.repository_names("reg", listed_only=True) == ["repo"]
        assert content.repository_names("reg") == ["other", "repo"]
        content.put_attributes("reg", "repo", TAG, "v2", UNLOCKED)
        assert ("repo", TAG, "v2") not in content.all_attributes("reg"), "the default needs no row"
        assert content.delete_tag("reg", "repo", "v1")
        assert content.attributes("reg", "repo", TAG, "v1") == UNLOCKED, "a deleted tag's attributes go with it"
        content.put_tag("reg", "repo", "v1", D1, "t2")
        content.put_attributes("reg", "repo", TAG, "v1", locked)
        assert content.delete_manifest("reg", "repo", D1)
        assert content.all_attributes("reg") == {("other", REPOSITORY, ""): locked}, "manifest and its tags' go"
        assert content.delete_repository("reg", "other")
        assert content.all_attributes("reg") == {}
        content.put_attributes("reg", "repo", REPOSITORY, "", locked)
        content.drop_registry("reg")
        assert content.all_attributes("reg") == {}


# Garbage collection's queries --------------------------------------------------------------------------


def test_links_have_a_time_that_pushes_hold_and_collection_compares(store: SqliteStore) -> None:
    with store.transaction() as tx:
        content = ContentTx(tx)
        content.link_blob("reg", "repo", D1, 5, now=100.0)
        content.link_blob("reg", "repo", D2, 6, now=100.0)
        content.link_blob("reg", "other", D1, 5, now=100.0)
        content.link_blob("reg2", "repo", D1, 5, now=100.0)
    with store.transaction() as tx:
        content = ContentTx(tx)
        assert sorted((x.registry, x.repo, x.digest, x.linked) for x in content.blob_links()) == [
            ("reg", "other", D1, 100.0),
            ("reg", "repo", D1, 100.0),
            ("reg", "repo", D2, 100.0),
            ("reg2", "repo", D1, 100.0),
        ]
        absent = "sha256:" + "3" * 64
        assert content.hold_links("reg", "repo", [D1, absent], now=200.0) == {D1}, "only links that exist"
        assert content.hold_links("reg", "repo", []) == set()
        content.link_blob("reg", "repo", D2, 6, now=150.0)  # linked again
    with store.transaction() as tx:
        content = ContentTx(tx)
        times = {(x.registry, x.repo, x.digest): x.linked for x in content.blob_links()}
        assert times[("reg", "repo", D1)] == 200.0, "held by a push"
        assert times[("reg", "other", D1)] == 100.0 and times[("reg2", "repo", D1)] == 100.0, "only that repository's"
        assert times[("reg", "repo", D2)] == 150.0
        assert not content.unlink_blob_before("reg", "repo", D1, 200.0), "not older than the moment"
        assert content.unlink_blob_before("reg", "repo", D1, 200.5)
        assert not content.unlink_blob_before("reg", "repo", D1, 300.0), "already gone"
        assert content.blob_size("reg", "repo", D1) is None
        assert content.blob_size("reg", "other", D1) == 5


def test_manifest_bodies_span_every_registry(store: SqliteStore) -> None:
    with store.transaction() as tx:
        content = ContentTx(tx)
        content.put_manifest("reg", "repo", _manifest(D1))
        content.put_manifest("reg2", "web", _manifest(D2))
    with store.transaction() as tx:
        found = sorted((m.registry, m.repo, m.media_type, m.body) for m in ContentTx(tx).manifest_bodies())
    media = "application/vnd.oci.image.manifest.v1+json"
    assert found == [("reg", "repo", media, b"{}\n"), ("reg2", "web", media, b"{}\n")]


def test_links_stored_before_they_had_a_time_count_as_linked_at_the_upgrade(tmp_path: Path) -> None:
    import time

    path = tmp_path / "old.db"
    old = SqliteStore(path)  # creates today's tables: make its links table the one before link times
    with old.transaction() as tx:
        tx.connection.exec_driver_sql("DROP TABLE oci_blob_links")  # type: ignore[attr-defined]
        tx.connection.exec_driver_sql(  # type: ignore[attr-defined]
            "CREATE TABLE oci_blob_links (registry VARCHAR NOT NULL, repo VARCHAR NOT NULL, digest VARCHAR NOT NULL,"
            " size INTEGER NOT NULL, PRIMARY KEY (registry, repo, digest))"
        )
        tx.connection.exec_driver_sql(  # type: ignore[attr-defined]
            f"INSERT INTO oci_blob_links VALUES ('reg', 'repo', '{D1}', 5)"
        )
    old.close()
    upgraded = SqliteStore(path)
    started = time.time()
    with upgraded.transaction() as tx:
        create_tables(tx)
    with upgraded.transaction() as tx:
        content = ContentTx(tx)
        (link,) = content.blob_links()
        assert link.digest == D1 and link.linked >= started - 1
        assert content.blob_size("reg", "repo", D1) == 5
        content.link_blob("reg", "repo", D2, 6)
    with upgraded.transaction() as tx:
        create_tables(tx)  # a second start changes nothing
        assert len(ContentTx(tx).blob_links()) == 2
    upgraded.close()


def test_content_through_the_transaction_port(store: AnyStore) -> None:
    """``tx.content`` is the same content store ``ContentTx(tx)`` is."""
    with store.transaction() as tx:
        tx.content.put_manifest("reg", "repo", _manifest(D1))
    with store.transaction() as tx:
        found = tx.content.manifest("reg", "repo", D1)
        assert found == _manifest(D1)
        assert ContentTx(tx).manifests("reg", "repo") == [found]


def test_values_keep_their_types(store: AnyStore) -> None:
    """Bytes stay bytes (every byte value), sizes and offsets past 32 bits, booleans and floats as stored."""
    body = bytes(range(256)) * 3
    big = 5 * 2**32 + 7
    manifest = Manifest(D1, "application/vnd.oci.image.index.v1+json", big, body, "t1", None, None, '{"a":"\u00e9"}')
    with store.transaction() as tx:
        content = ContentTx(tx)
        content.put_manifest("reg", "repo", manifest)
        content.link_blob("reg", "repo", D2, big)
        content.put_upload("u1", "reg", "repo", 2**40)
        assert content.update_upload("u1", {"offset": 0}, {"offset": big, "lease_until": 1234.5, "holder": "h"})
        content.put_attributes("reg", "repo", MANIFEST, D1, Attributes(read_enabled=False))
    with store.transaction() as tx:
        content = ContentTx(tx)
        assert content.manifest("reg", "repo", D1) == manifest
        assert content.blob_size("reg", "repo", D2) == big
        session = content.upload("u1")
        assert session is not None
        assert (session["offset"], session["lease_until"], session["started"]) == (big, 1234.5, 2**40)
        found = content.attributes("reg", "repo", MANIFEST, D1)
        assert found == Attributes(read_enabled=False)
        assert all(type(v) is bool for v in found.__dict__.values())


def test_lexical_order_is_code_point_order(store: AnyStore) -> None:
    """Listings sort by code point whatever the database's collation (the PostgreSQL test databases use
    ICU en-US, which would put "b-x" after "b/x" and ignore case first)."""
    names = ["b", "b-x", "b/x", "b_x", "B", "a.b", "a0", "ab"]
    with store.transaction() as tx:
        content = ContentTx(tx)
        for name in names:
            content.touch_repository("reg", name, "t")
            content.put_tag("reg", "repo", name.replace("/", "~"), D1, "t")
    with store.transaction() as tx:
        content = ContentTx(tx)
        assert content.repository_names("reg") == sorted(names)
        assert content.repository_names("reg", last="b") == [n for n in sorted(names) if n > "b"]
        tags = sorted(n.replace("/", "~") for n in names)
        assert [t.name for t in content.tags("reg", "repo")] == tags
        assert [t.name for t in content.tags("reg", "repo", last="a0", n=3)] == [t for t in tags if t > "a0"][:3]


def test_racing_upload_claims_of_two_stores_have_one_winner(two_stores: tuple[AnyStore, AnyStore]) -> None:
    """Claims race from threads of two stores on one database, round after round: for every session exactly
    one compare-and-set wins."""
    first, second = two_stores
    sessions, racers = 30, 4
    with first.transaction() as tx:
        for i in range(sessions):
            ContentTx(tx).put_upload(f"u{i}", "reg", "repo", 100)
    start = threading.Barrier(racers)
    won: dict[str, list[str]] = {f"u{i}": [] for i in range(sessions)}

    def race(store: AnyStore, name: str) -> None:
        start.wait()
        for i in range(sessions):
            with store.transaction() as tx:
                if ContentTx(tx).update_upload(f"u{i}", {"holder": None}, {"holder": name, "lease_until": 9.0}):
                    won[f"u{i}"].append(name)

    threads = [threading.Thread(target=race, args=((first, second)[n % 2], f"racer{n}")) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(winners) == 1 for winners in won.values()), won
    with second.transaction() as tx:
        for session, winners in won.items():
            row = ContentTx(tx).upload(session)
            assert row is not None and row["holder"] == winners[0]
