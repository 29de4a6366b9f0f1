"""Per-key access data under a controlled clock: LRU idle time and LFU decay."""

from crabcache.keyspace.db import LFU_INIT_VAL, idle_seconds, lfu_decayed
from crabcache.server.state import ManualClock, Server


def make():
    server = Server()
    clock = ManualClock(1_700_000_000_000)
    server.set_clock(clock)
    return server, clock, server.dbs[0]


def test_idle_time_grows_and_resets_on_access():
    server, clock, db = make()
    db.set(b"k", b"v")
    clock.advance(90_000)
    server.tick_lru_clock()
    assert idle_seconds(db.access(b"k"), server) == 90
    db.peek(b"k")  # no touch
    assert idle_seconds(db.access(b"k"), server) == 90
    db.lookup(b"k")
    assert idle_seconds(db.access(b"k"), server) == 0


def test_access_data_goes_with_the_key():
    server, clock, db = make()
    db.set(b"k", b"v")
    db.delete(b"k")
    assert b"k" not in db.atime
    db.set(b"k", b"v")
    db.set_expire(b"k", server.now_ms() + 10)
    clock.advance(20)
    assert db.lookup(b"k") is None
    assert b"k" not in db.atime


def test_lfu_decay_per_period():
    server, clock, db = make()
    server.config.set_many([("maxmemory-policy", "allkeys-lfu"), ("lfu-decay-time", "1")])
    db.set(b"k", b"v")
    assert lfu_decayed(db.access(b"k"), server) == LFU_INIT_VAL
    db.lookup(b"k")
    assert lfu_decayed(db.access(b"k"), server) == LFU_INIT_VAL + 1
    clock.advance(3 * 60_000)  # three idle minutes, one point each
    assert lfu_decayed(db.access(b"k"), server) == LFU_INIT_VAL - 2


def test_restore_style_planting():
    server, clock, db = make()
    db.set(b"k", b"v")
    db.set_access(b"k", idle_s=1234)
    assert idle_seconds(db.access(b"k"), server) == 1234
