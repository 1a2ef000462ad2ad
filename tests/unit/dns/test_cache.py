"""The DNS face's byte-bounded LRU."""

from __future__ import annotations

from acrlink.dns.cache import ENTRY_OVERHEAD, ByteLru


def test_the_budget_bounds_what_is_held_and_the_least_recently_used_goes_first() -> None:
    cache: ByteLru[str] = ByteLru(3 * (ENTRY_OVERHEAD + 11), len)
    for key in ("a", "b", "c"):
        cache.put(key, b"x" * 10)
    assert cache.get("a") == b"x" * 10  # "b" is now the least recently used
    cache.put("d", b"y" * 10)
    assert (cache.get("b"), len(cache), cache.bytes) == (None, 3, cache.budget)
    assert all(cache.get(k) for k in ("a", "c", "d"))


def test_replacing_an_entry_counts_it_once_and_an_oversized_one_is_not_kept() -> None:
    cache: ByteLru[str] = ByteLru(1000, len)
    cache.put("a", b"1" * 100)
    cache.put("a", b"2" * 50)
    assert (cache.bytes, cache.get("a")) == (ENTRY_OVERHEAD + 51, b"2" * 50)
    cache.put("big", b"z" * 2000)
    assert cache.get("big") is None and cache.bytes == ENTRY_OVERHEAD + 51
    cache.clear()
    assert (len(cache), cache.bytes) == (0, 0)


def test_a_flood_of_distinct_keys_stays_within_the_budget() -> None:
    cache: ByteLru[bytes] = ByteLru(64 * 1024, len)
    for i in range(100_000):
        key = i.to_bytes(8, "big") * 8
        cache.put(key, b"r" * 100)
        assert cache.bytes <= cache.budget
    assert len(cache) == 64 * 1024 // (ENTRY_OVERHEAD + 164)
