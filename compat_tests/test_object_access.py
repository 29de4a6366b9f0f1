"""Per-key access data: OBJECT IDLETIME (LRU clock) and OBJECT FREQ (LFU counter).

Time is not slept through: RESTORE ... IDLETIME / FREQ plant known values,
and the tests check which commands refresh them (reads and writes) and which
leave them alone (OBJECT, TYPE, EXISTS, TTL: Redis's LOOKUP_NOTOUCH).
"""


def planted(r, idle=None, freq=None):
    r.set("src", "v")
    payload = r.dump("src")
    args = ["RESTORE", "k", 0, payload, "REPLACE"]
    if idle is not None:
        args += ["IDLETIME", idle]
    if freq is not None:
        args += ["FREQ", freq]
    r.execute_command(*args)


def test_idletime_tracks_access(r):
    planted(r, idle=1000)
    idle = r.object("idletime", "k")
    assert 1000 <= idle <= 1001
    # LOOKUP_NOTOUCH commands leave it alone...
    r.type("k")
    r.exists("k")
    r.ttl("k")
    r.object("encoding", "k")
    assert 1000 <= r.object("idletime", "k") <= 1001
    # ...a read refreshes it.
    r.get("k")
    assert r.object("idletime", "k") <= 1


def test_idletime_refreshed_by_write(r):
    planted(r, idle=500)
    r.append("k", "x")
    assert r.object("idletime", "k") <= 1
    planted(r, idle=500)
    r.set("k", "new")
    assert r.object("idletime", "k") <= 1


def test_new_key_is_fresh(r):
    # Not "1": small integers are shared objects in Redis, with no access data of their own.
    r.set("n", "one")
    assert r.object("idletime", "n") <= 1


def test_lfu_counter(r, config_restore):
    config_restore("maxmemory-policy", "allkeys-lfu")
    r.set("k", "v")
    assert r.object("freq", "k") == 5  # LFU_INIT_VAL
    r.get("k")
    assert r.object("freq", "k") == 6  # from the initial value the first hit always counts
    r.exists("k")
    r.type("k")
    assert r.object("freq", "k") == 6
    planted(r, freq=100)
    assert r.object("freq", "k") == 100
    r.set("k", "again")  # an overwrite keeps the counter under LFU
    assert r.object("freq", "k") == 100
