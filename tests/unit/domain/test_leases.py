def test_an_earlier_process_of_the_same_data_directory_is_gone_at_once() -> None:
    """The data directory's lock proves the earlier process died: its fresh lease needs no expiry."""
    from acrlink.domain import leases

    me = leases.owner_id("node1", "second")
    earlier = leases.lease(leases.owner_id("node1", "first"), 100.0)
    other_node = leases.lease(leases.owner_id("node2", "first"), 100.0)
    assert leases.orphaned(earlier, me, 100.5) and leases.claimable(earlier, me, 100.5)
    assert not leases.orphaned(other_node, me, 100.5), "another data directory's process may be alive"
    assert not leases.orphaned(leases.lease(me, 100.0), me, 100.5), "this process's own work"
    assert not leases.earlier_self(leases.lease("plain-owner", 100.0), me), "an owner without a node part"
