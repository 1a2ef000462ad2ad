"""The store contract (acrlink.store.base), run against every backend."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from acrlink.domain.content import TAG, Attributes, Manifest
from acrlink.store.base import CONTENT, WORLD, Record, Store
from acrlink.store.content import create_tables
from acrlink.store.postgres import PostgresStore
from acrlink.store.sqlite import SqliteStore

OpenStore = Callable[[], Store]

NS_TYPE = "Microsoft.ContainerRegistry/registries"
CHILD_TYPE = f"{NS_TYPE}/replications"
GROUP_A = "/subscriptions/sub1/resourceGroups/rgA/providers/Microsoft.ContainerRegistry/registries"
GROUP_B = "/subscriptions/sub1/resourceGroups/rgB/providers/Microsoft.ContainerRegistry/registries"


BACKENDS = ["sqlite-file", "sqlite-memory", "postgresql"]
SHARED = ["sqlite-file", "postgresql"]
"""The backends whose stores opened one after another share their data (a file, a database)."""


@pytest.fixture(params=BACKENDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """Opens a store of one backend; for a shared backend every store opened shares one file or database
    (PostgreSQL: a fresh database of the session's server per test)."""
    opened: list[Store] = []
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None

    def open_store() -> Store:
        store: Store
        if url is not None:
            store = PostgresStore(url)
        else:
            store = SqliteStore(tmp_path / "acrlink.db" if request.param == "sqlite-file" else ":memory:")
        opened.append(store)
        return store

    yield open_store
    for store in reversed(opened):
        store.close()


@pytest.fixture
def store(store_factory: OpenStore) -> Store:
    return store_factory()


def _record(
    key: str,
    *,
    type: str = NS_TYPE,
    subscription: str = "sub1",
    resource_group: str = "rgA",
    parent: str = "",
    body: dict[str, Any] | None = None,
) -> Record:
    return Record(key, type, subscription, resource_group, parent, body if body is not None else {"k": key})


def _registry(group_id: str, name: str, **kwargs: Any) -> Record:
    group = group_id.split("/")[4]
    return _record(f"{group_id}/{name}".lower(), resource_group=group.lower(), **kwargs)


def _put(store: Store, *records: Record) -> None:
    with store.transaction() as tx:
        for record in records:
            tx.put(record)


def _keys(records: list[Record]) -> list[str]:
    return [r.key for r in records]


# --- resources -------------------------------------------------------------------------------


def test_get_returns_what_put_stored(store: Store) -> None:
    record = _registry(GROUP_A, "reg1", body={"name": "Reg1", "properties": {"sku": "Premium"}})
    _put(store, record)
    with store.transaction() as tx:
        assert tx.get(record.key) == Record(
            record.key, NS_TYPE.lower(), "sub1", "rga", "", {"name": "Reg1", "properties": {"sku": "Premium"}}
        )


def test_get_of_a_missing_key_is_none(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.get("/subscriptions/x/nothing") is None


def test_keys_are_case_insensitive(store: Store) -> None:
    _put(store, _record("/Subscriptions/Sub1/Thing/MyReg"))
    with store.transaction() as tx:
        found = tx.get("/SUBSCRIPTIONS/SUB1/THING/MYREG")
    assert found is not None
    assert found.key == "/subscriptions/sub1/thing/myreg"


def test_put_under_another_casing_replaces_the_same_record(store: Store) -> None:
    _put(store, _record("/a/Reg", body={"v": 1}))
    _put(store, _record("/A/REG", body={"v": 2}))
    with store.transaction() as tx:
        assert [r.body for r in tx.query()] == [{"v": 2}]


def test_query_columns_are_stored_lower_case(store: Store) -> None:
    _put(store, _record("/k", type=NS_TYPE, subscription="SUB1", resource_group="My-RG", parent="/P/Q"))
    with store.transaction() as tx:
        [found] = tx.query()
    assert (found.type, found.subscription, found.resource_group, found.parent) == (
        "microsoft.containerregistry/registries",
        "sub1",
        "my-rg",
        "/p/q",
    )


def test_query_columns_match_case_insensitively(store: Store) -> None:
    _put(store, _record("/k", type=NS_TYPE, subscription="Sub1", resource_group="My-RG", parent="/P"))
    with store.transaction() as tx:
        assert _keys(tx.query(type="MICROSOFT.CONTAINERREGISTRY/REGISTRIES")) == ["/k"]
        assert _keys(tx.query(subscription="SUB1")) == ["/k"]
        assert _keys(tx.query(resource_group="my-rg")) == ["/k"]
        assert _keys(tx.query(parent="/p")) == ["/k"]


def test_query_lists_in_insertion_order(store: Store) -> None:
    _put(store, _record("/c"), _record("/a"))
    _put(store, _record("/b"))
    with store.transaction() as tx:
        assert _keys(tx.query()) == ["/c", "/a", "/b"]


def test_put_replaces_but_keeps_the_listing_place(store: Store) -> None:
    _put(store, _record("/first", body={"v": 1}), _record("/second"), _record("/third"))
    _put(store, _record("/first", body={"v": 2}, resource_group="moved"))
    with store.transaction() as tx:
        listed = tx.query()
    assert _keys(listed) == ["/first", "/second", "/third"]
    assert (listed[0].body, listed[0].resource_group) == ({"v": 2}, "moved")


def test_query_without_filters_lists_everything(store: Store) -> None:
    _put(store, _record("/a", type="t1"), _record("/b", type="t2"))
    with store.transaction() as tx:
        assert _keys(tx.query()) == ["/a", "/b"]


@pytest.fixture
def populated(store: Store) -> Store:
    """Registries in two groups of sub1 and one in sub2, plus replications of the first registry."""
    reg1 = _registry(GROUP_A, "reg1")
    _put(
        store,
        reg1,
        _registry(GROUP_B, "reg2"),
        _record("/subscriptions/sub2/rga/reg3", subscription="sub2", resource_group="rgA"),
        _record(f"{reg1.key}/replications/east", type=CHILD_TYPE, parent=reg1.key),
        _record(f"{reg1.key}/replications/north", type=CHILD_TYPE, parent=reg1.key),
        _record(
            "/subscriptions/sub1/rgb/reg2/replications/x",
            type=CHILD_TYPE,
            resource_group="rgB",
            parent=f"{GROUP_B}/reg2".lower(),
        ),
    )
    return store


def test_query_by_type(populated: Store) -> None:
    with populated.transaction() as tx:
        assert len(tx.query(type=NS_TYPE)) == 3
        assert len(tx.query(type=CHILD_TYPE)) == 3
        assert tx.query(type="Microsoft.Network/privateEndpoints") == []


def test_query_by_subscription(populated: Store) -> None:
    with populated.transaction() as tx:
        assert _keys(tx.query(subscription="sub2")) == ["/subscriptions/sub2/rga/reg3"]
        assert len(tx.query(subscription="sub1")) == 5


def test_query_by_resource_group(populated: Store) -> None:
    with populated.transaction() as tx:
        assert len(tx.query(resource_group="rgA")) == 4
        assert len(tx.query(resource_group="rgB")) == 2


def test_query_by_parent(populated: Store) -> None:
    parent = f"{GROUP_A}/reg1".lower()
    with populated.transaction() as tx:
        assert _keys(tx.query(parent=parent)) == [
            f"{parent}/replications/east",
            f"{parent}/replications/north",
        ]


def test_query_by_empty_parent_lists_top_level_records(populated: Store) -> None:
    with populated.transaction() as tx:
        assert {r.type for r in tx.query(parent="")} == {NS_TYPE.lower()}


def test_query_by_type_and_scope(populated: Store) -> None:
    with populated.transaction() as tx:
        assert _keys(tx.query(type=NS_TYPE, subscription="sub1", resource_group="rgA")) == [f"{GROUP_A}/reg1".lower()]
        assert len(tx.query(type=NS_TYPE, subscription="sub1")) == 2
        assert len(tx.query(type=CHILD_TYPE, resource_group="rgA")) == 2


def test_query_by_every_column(populated: Store) -> None:
    parent = f"{GROUP_B}/reg2".lower()
    with populated.transaction() as tx:
        found = tx.query(type=CHILD_TYPE, subscription="sub1", resource_group="rgB", parent=parent)
        assert _keys(found) == ["/subscriptions/sub1/rgb/reg2/replications/x"]
        assert tx.query(type=CHILD_TYPE, subscription="sub2", resource_group="rgB", parent=parent) == []


def test_delete_of_an_existing_record_is_true_and_removes_it(store: Store) -> None:
    _put(store, _record("/a"), _record("/b"))
    with store.transaction() as tx:
        assert tx.delete("/A") is True
        assert tx.get("/a") is None
        assert _keys(tx.query()) == ["/b"]


def test_delete_of_a_missing_record_is_false(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.delete("/missing") is False


def test_delete_twice_is_true_then_false(store: Store) -> None:
    _put(store, _record("/a"))
    with store.transaction() as tx:
        assert tx.delete("/a") is True
        assert tx.delete("/a") is False


def test_record_put_again_after_delete_goes_to_the_end(store: Store) -> None:
    _put(store, _record("/a"), _record("/b"))
    with store.transaction() as tx:
        tx.delete("/a")
        tx.put(_record("/a"))
        assert _keys(tx.query()) == ["/b", "/a"]


NESTED: dict[str, Any] = {
    "string": "ünïcødé ✓ 中文",
    "int": 7,
    "big": 2**53,
    "negative": -1,
    "float": 1.5,
    "true": True,
    "false": False,
    "null": None,
    "empty": {},
    "list": [1, "two", None, [3, [4]], {"five": 5}],
    "deep": {"a": {"b": {"c": {"d": ["e"]}}}},
    'quote"key': "back\\slash\nnewline",
}


def test_nested_body_survives_the_round_trip(store: Store) -> None:
    _put(store, _record("/nested", body=NESTED))
    with store.transaction() as tx:
        found = tx.get("/nested")
    assert found is not None and found.body == NESTED


def test_stored_body_is_a_copy(store: Store) -> None:
    body: dict[str, Any] = {"list": [1]}
    _put(store, _record("/a", body=body))
    body["list"].append(2)
    with store.transaction() as tx:
        found = tx.get("/a")
    assert found is not None and found.body == {"list": [1]}


# --- key/value space -------------------------------------------------------------------------


def test_kv_get_returns_what_kv_put_stored(store: Store) -> None:
    with store.transaction() as tx:
        tx.kv_put("world", {"subscriptions": ["sub1"]})
    with store.transaction() as tx:
        assert tx.kv_get("world") == {"subscriptions": ["sub1"]}


def test_kv_get_of_a_missing_key_is_none(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.kv_get("missing") is None


def test_kv_put_replaces(store: Store) -> None:
    with store.transaction() as tx:
        tx.kv_put("k", 1)
        tx.kv_put("k", "two")
        assert tx.kv_get("k") == "two"


@pytest.mark.parametrize("value", [NESTED, [1, [2, {"3": None}]], "text", 42, 1.25, True, False])
def test_kv_values_survive_the_round_trip(store: Store, value: Any) -> None:
    with store.transaction() as tx:
        tx.kv_put("value", value)
    with store.transaction() as tx:
        assert tx.kv_get("value") == value


def test_kv_delete_is_true_then_false(store: Store) -> None:
    with store.transaction() as tx:
        tx.kv_put("k", 1)
        assert tx.kv_delete("k") is True
        assert tx.kv_get("k") is None
        assert tx.kv_delete("k") is False


def test_kv_insert_stores_a_value_once(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.kv_insert("keys/k", {"v": 1}) == {"v": 1}
        assert tx.kv_insert("keys/k", {"v": 2}) == {"v": 1}
    with store.transaction() as tx:
        assert tx.kv_insert("keys/k", {"v": 3}) == {"v": 1}
        assert tx.kv_get("keys/k") == {"v": 1}


def test_kv_insert_rolled_back_leaves_the_key_free(store: Store) -> None:
    with pytest.raises(Boom), store.transaction() as tx:
        tx.kv_insert("keys/k", "first")
        raise Boom
    with store.transaction() as tx:
        assert tx.kv_insert("keys/k", "second") == "second"


@pytest.mark.parametrize("store_factory", ["sqlite-file"], indirect=True)
def test_kv_insert_of_two_stores_keeps_the_first_commit(store_factory: OpenStore) -> None:
    first, second = store_factory(), store_factory()
    with first.transaction() as tx:
        assert tx.kv_insert("keys/k", "from-first") == "from-first"
    with second.transaction() as tx:
        assert tx.kv_insert("keys/k", "from-second") == "from-first"


def test_kv_items_lists_keys_with_the_prefix_sorted(store: Store) -> None:
    with store.transaction() as tx:
        for key in ("provider:sub1:b", "provider:sub1:a", "provider:sub2:a", "operation:1", "provider:sub"):
            tx.kv_put(key, key.upper())
    with store.transaction() as tx:
        assert list(tx.kv_items("provider:sub1:")) == [
            ("provider:sub1:a", "PROVIDER:SUB1:A"),
            ("provider:sub1:b", "PROVIDER:SUB1:B"),
        ]


def test_kv_items_with_empty_prefix_lists_everything(store: Store) -> None:
    with store.transaction() as tx:
        tx.kv_put("b", 2)
        tx.kv_put("a", 1)
        assert list(tx.kv_items("")) == [("a", 1), ("b", 2)]


def test_kv_items_of_an_unused_prefix_is_empty(store: Store) -> None:
    with store.transaction() as tx:
        tx.kv_put("a", 1)
        assert list(tx.kv_items("z")) == []


def test_kv_items_treats_percent_literally(store: Store) -> None:
    with store.transaction() as tx:
        for key in ("50%/a", "50x/a", "50/a", "50%%/a"):
            tx.kv_put(key, 1)
        assert [k for k, _ in tx.kv_items("50%/")] == ["50%/a"]
        assert [k for k, _ in tx.kv_items("50%")] == ["50%%/a", "50%/a"]


def test_kv_items_treats_underscore_literally(store: Store) -> None:
    with store.transaction() as tx:
        for key in ("a_b:1", "axb:1", "ab:1", "a__b:1"):
            tx.kv_put(key, 1)
        assert [k for k, _ in tx.kv_items("a_b")] == ["a_b:1"]
        assert [k for k, _ in tx.kv_items("a_")] == ["a__b:1", "a_b:1"]


def test_kv_items_treats_backslash_literally(store: Store) -> None:
    with store.transaction() as tx:
        for key in ("dir\\x", "dir\\%", "dirx"):
            tx.kv_put(key, 1)
        assert [k for k, _ in tx.kv_items("dir\\")] == ["dir\\%", "dir\\x"]
        assert [k for k, _ in tx.kv_items("dir\\%")] == ["dir\\%"]


def test_kv_space_is_separate_from_resources(store: Store) -> None:
    with store.transaction() as tx:
        tx.put(_record("/same"))
        tx.kv_put("/same", "kv")
        assert tx.kv_get("/same") == "kv"
        assert tx.delete("/same") is True
        assert tx.kv_get("/same") == "kv"


# --- transactions ----------------------------------------------------------------------------


class Boom(Exception):
    pass


def test_committed_transaction_is_visible_to_the_next(store: Store) -> None:
    _put(store, _record("/a"))
    with store.transaction() as tx:
        assert tx.get("/a") is not None


def test_transaction_that_raises_rolls_back_everything(store: Store) -> None:
    with pytest.raises(Boom), store.transaction() as tx:
        tx.put(_record("/a"))
        tx.kv_put("k", 1)
        raise Boom
    with store.transaction() as tx:
        assert tx.get("/a") is None
        assert tx.query() == []
        assert tx.kv_get("k") is None
        assert list(tx.kv_items("")) == []


def test_rollback_restores_replaced_and_deleted_data(store: Store) -> None:
    with store.transaction() as tx:
        tx.put(_record("/kept", body={"v": 1}))
        tx.put(_record("/deleted"))
        tx.kv_put("kept", 1)
        tx.kv_put("deleted", 2)
    with pytest.raises(Boom), store.transaction() as tx:
        tx.put(_record("/kept", body={"v": 2}))
        tx.delete("/deleted")
        tx.kv_put("kept", 99)
        tx.kv_delete("deleted")
        raise Boom
    with store.transaction() as tx:
        assert [(r.key, r.body) for r in tx.query()] == [("/kept", {"v": 1}), ("/deleted", {"k": "/deleted"})]
        assert list(tx.kv_items("")) == [("deleted", 2), ("kept", 1)]


def test_store_is_usable_after_a_rollback(store: Store) -> None:
    with pytest.raises(Boom), store.transaction() as tx:
        tx.put(_record("/a"))
        raise Boom
    _put(store, _record("/b"))
    with store.transaction() as tx:
        assert _keys(tx.query()) == ["/b"]


def test_writes_are_visible_inside_their_own_transaction(store: Store) -> None:
    with store.transaction() as tx:
        tx.put(_record("/a"))
        tx.kv_put("k", 1)
        assert tx.get("/a") is not None
        assert tx.kv_get("k") == 1


# --- change counters ---------------------------------------------------------------------------


def test_a_marked_commit_moves_its_counters_and_tells_watchers(store: Store) -> None:
    told: list[dict[str, int]] = []
    store.watch(lambda moved: told.append(dict(moved)))
    with store.transaction() as tx:
        tx.kv_put("k", 1)
    assert store.versions() == {} and told == [], "an unmarked commit moves nothing"
    with store.transaction() as tx:
        tx.changed(WORLD)
        tx.changed(WORLD)
    with store.transaction() as tx:
        tx.changed(WORLD)
        tx.changed(CONTENT)
    assert store.versions() == {WORLD: 2, CONTENT: 1}
    assert told == [{WORLD: 1}, {WORLD: 2, CONTENT: 1}]


def test_a_rolled_back_mark_moves_nothing(store: Store) -> None:
    told: list[object] = []
    store.watch(told.append)
    with pytest.raises(Boom), store.transaction() as tx:
        tx.changed(WORLD)
        raise Boom
    assert store.versions() == {} and told == []


@pytest.mark.parametrize("store_factory", ["sqlite-file"], indirect=True)
def test_counters_are_shared_by_stores_on_one_file(store_factory: OpenStore) -> None:
    first, second = store_factory(), store_factory()
    told: list[object] = []
    second.watch(told.append)
    with first.transaction() as tx:
        tx.changed(CONTENT)
    assert second.versions() == {CONTENT: 1}
    assert told == [], "watchers hear their own store object's commits; others' come through versions()"


# --- durability ------------------------------------------------------------------------------


@pytest.mark.parametrize("store_factory", SHARED, indirect=True)
def test_committed_data_is_visible_to_a_new_store_on_the_same_file(store_factory: OpenStore) -> None:
    first = store_factory()
    with first.transaction() as tx:
        tx.put(_record("/a", body=NESTED))
        tx.kv_put("k", {"v": 1})
    second = store_factory()
    with second.transaction() as tx:
        found = tx.get("/a")
        assert found is not None and found.body == NESTED
        assert tx.kv_get("k") == {"v": 1}


@pytest.mark.parametrize("store_factory", SHARED, indirect=True)
def test_committed_data_survives_closing_the_store(store_factory: OpenStore) -> None:
    first = store_factory()
    _put(first, _record("/a"), _record("/b"))
    first.close()
    with store_factory().transaction() as tx:
        assert _keys(tx.query()) == ["/a", "/b"]


@pytest.mark.parametrize("store_factory", SHARED, indirect=True)
def test_rolled_back_data_is_not_visible_to_a_new_store(store_factory: OpenStore) -> None:
    first = store_factory()
    with pytest.raises(Boom), first.transaction() as tx:
        tx.put(_record("/a"))
        tx.kv_put("k", 1)
        raise Boom
    with store_factory().transaction() as tx:
        assert tx.get("/a") is None
        assert tx.kv_get("k") is None


@pytest.mark.parametrize("store_factory", ["sqlite-memory"], indirect=True)
def test_memory_stores_are_independent(store_factory: OpenStore) -> None:
    _put(store_factory(), _record("/a"))
    with store_factory().transaction() as tx:
        assert tx.get("/a") is None


@pytest.mark.parametrize(
    "filters",
    [{}, {"type": NS_TYPE}, {"type": CHILD_TYPE.upper()}, {"subscription": "sub1"}, {"resource_group": "rgA"},
     {"parent": ""}, {"parent": f"{GROUP_A}/reg1"}, {"type": CHILD_TYPE, "resource_group": "rgB"},
     {"type": "Microsoft.Network/privateEndpoints"}],
)  # fmt: skip
def test_count_is_the_number_of_records_query_lists(populated: Store, filters: dict[str, str]) -> None:
    with populated.transaction() as tx:
        assert tx.count(**filters) == len(tx.query(**filters))


# --- change counters -------------------------------------------------------------------------


def test_versions_start_empty(store: Store) -> None:
    assert store.versions() == {}


def test_a_committed_change_moves_its_topic_once(store: Store) -> None:
    with store.transaction() as tx:
        tx.put(_record("/a"))
        tx.changed(WORLD)
        tx.changed(WORLD)
    assert store.versions() == {WORLD: 1}
    with store.transaction() as tx:
        tx.changed(CONTENT)
        tx.changed(WORLD)
    assert store.versions() == {WORLD: 2, CONTENT: 1}


def test_a_transaction_that_marks_nothing_moves_nothing(store: Store) -> None:
    _put(store, _record("/a"))
    with store.transaction() as tx:
        tx.kv_put("k", 1)
    assert store.versions() == {}


def test_a_rolled_back_change_moves_nothing(store: Store) -> None:
    with store.transaction() as tx:
        tx.changed(CONTENT)
    with pytest.raises(Boom), store.transaction() as tx:
        tx.put(_record("/a"))
        tx.changed(WORLD)
        tx.changed(CONTENT)
        raise Boom
    assert store.versions() == {CONTENT: 1}


@pytest.mark.parametrize("store_factory", SHARED, indirect=True)
def test_a_change_committed_by_one_store_is_seen_by_another(store_factory: OpenStore) -> None:
    first, second = store_factory(), store_factory()
    before = second.versions()
    with first.transaction() as tx:
        tx.put(_record("/a"))
        tx.changed(WORLD)
    assert second.versions() == {**before, WORLD: before.get(WORLD, 0) + 1}
    with second.transaction() as tx:
        assert tx.get("/a") is not None


# --- snapshots -------------------------------------------------------------------------------


def _fill(store: Store) -> None:
    with store.transaction() as tx:
        create_tables(tx)  # the content service creates them on a store it is given
    with store.transaction() as tx:
        for key in ("/c", "/a", "/b"):
            tx.put(_record(key, body=NESTED))
        tx.kv_put("secret:key", {"pem": "x"})
        tx.kv_put("provider:sub1:ms.network", "Registered")
        tx.changed(WORLD)
        content = tx.content
        content.touch_repository("reg", "repo", "t1")
        content.put_manifest("reg", "repo", MANIFEST_ONE)
        content.put_tag("reg", "repo", "v1", MANIFEST_ONE.digest, "t1")
        content.link_blob("reg", "repo", "sha256:" + "b" * 64, 7)
        content.put_upload("u1", "reg", "repo", 100)
        content.put_attributes("reg", "repo", TAG, "v1", Attributes(write_enabled=False))
        tx.changed(CONTENT)
    with store.transaction() as tx:
        tx.put(_record("/a", body={"v": 2}))
        tx.changed(WORLD)


MANIFEST_ONE = Manifest(
    "sha256:" + "1" * 64,
    "application/vnd.oci.image.manifest.v1+json",
    5,
    b"{\x00\xff}\n",
    "t1",
    "a/b",
    None,
    '{"k":"v"}',
)


def test_snapshot_holds_everything_stored(store: Store) -> None:
    _fill(store)
    copy = store.snapshot()
    try:
        with copy.transaction() as tx:
            listed = tx.query()
            assert [(r.key, r.body) for r in listed] == [("/c", NESTED), ("/a", {"v": 2}), ("/b", NESTED)]
            assert list(tx.kv_items("")) == [("provider:sub1:ms.network", "Registered"), ("secret:key", {"pem": "x"})]
            content = tx.content
            assert content.repository_names("reg") == ["repo"]
            assert content.manifest("reg", "repo", MANIFEST_ONE.digest) == MANIFEST_ONE
            tag = content.tag("reg", "repo", "v1")
            assert tag is not None and tag.digest == MANIFEST_ONE.digest
            assert content.blob_size("reg", "repo", "sha256:" + "b" * 64) == 7
            assert content.upload("u1") == {
                "id": "u1", "registry": "reg", "repo": "repo", "started": 100, "touched": 100, "offset": 0,
                "generation": 0, "holder": None, "lease_until": None,
            }  # fmt: skip
            assert content.attributes("reg", "repo", TAG, "v1") == Attributes(write_enabled=False)
        assert copy.versions() == store.versions() == {WORLD: 2, CONTENT: 1}
    finally:
        copy.close()


def test_snapshot_is_private_in_both_directions(store: Store) -> None:
    _fill(store)
    copy = store.snapshot()
    try:
        with copy.transaction() as tx:
            tx.put(_record("/only-in-copy"))
            tx.delete("/c")
            tx.content.delete_tag("reg", "repo", "v1")
            tx.changed(WORLD)
        with store.transaction() as tx:
            tx.put(_record("/only-in-store"))
            tx.kv_delete("secret:key")
        with store.transaction() as tx:
            assert _keys(tx.query()) == ["/c", "/a", "/b", "/only-in-store"]
            assert tx.content.tag("reg", "repo", "v1") is not None
        with copy.transaction() as tx:
            assert _keys(tx.query()) == ["/a", "/b", "/only-in-copy"]
            assert tx.kv_get("secret:key") == {"pem": "x"}
        assert store.versions() == {WORLD: 2, CONTENT: 1}
        assert copy.versions() == {WORLD: 3, CONTENT: 1}
    finally:
        copy.close()


def test_snapshot_keeps_listing_order_for_records_put_after_it(store: Store) -> None:
    _fill(store)
    copy = store.snapshot()
    try:
        with copy.transaction() as tx:
            tx.put(_record("/d"))
            tx.put(_record("/c", body={"v": 9}))
            assert _keys(tx.query()) == ["/c", "/a", "/b", "/d"]
    finally:
        copy.close()


# --- concurrent stores on one database (as several processes share one) ----------------------


@pytest.mark.parametrize("store_factory", SHARED, indirect=True)
def test_read_then_write_transactions_of_two_stores_never_lose_an_update(store_factory: OpenStore) -> None:
    """Each transaction reads a counter and writes it plus one, from threads of two stores at once:
    transactions are serial across stores, so no increment is lost (the services' read-check-write
    transactions, e.g. picking a free IP address, rely on this)."""
    stores = [store_factory(), store_factory()]
    with stores[0].transaction() as tx:
        tx.kv_put("counter", 0)
    rounds, threads = 25, 4
    start = threading.Barrier(threads)

    def work(store: Store) -> None:
        start.wait()
        for _ in range(rounds):
            with store.transaction() as tx:
                value = tx.kv_get("counter")
                tx.put(_record(f"/seen/{value}"))
                tx.kv_put("counter", value + 1)

    workers = [threading.Thread(target=work, args=(stores[i % 2],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with stores[1].transaction() as tx:
        assert tx.kv_get("counter") == rounds * threads
        assert tx.count() == rounds * threads, "every transaction read a value no other one read"
