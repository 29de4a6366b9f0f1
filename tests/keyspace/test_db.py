"""Database additions for the generic commands: read lookups, KEYS, SCAN,
RANDOMKEY and the expiry bookkeeping, on a manual clock (no sockets, no sleeping)."""

from __future__ import annotations

import random

from crabcache.keyspace.slots import NSLOTS, key_slot
from crabcache.server.state import ManualClock, Server


def make() -> tuple[Server, ManualClock]:
    server = Server()
    clock = ManualClock(1_000_000)
    server.set_clock(clock)
    return server, clock


def test_lookup_read_counts_hits_misses_and_keymiss() -> None:
    server, _ = make()
    events = []
    server.notify_flags = "m"
    server.hooks["notify"] = lambda db, cls, event, key: events.append((cls, event, key))
    db = server.dbs[0]
    db.set(b"k", b"v")
    assert db.lookup_read(b"k") == b"v"
    assert db.lookup_read(b"nokey") is None
    assert db.lookup(b"nokey") is None  # a write lookup counts nothing
    assert (server.stats.keyspace_hits, server.stats.keyspace_misses) == (1, 1)
    assert events == [("m", b"keymiss", b"nokey")]


def test_live_keys_skip_expired_without_reclaiming() -> None:
    server, clock = make()
    db = server.dbs[0]
    for k in (b"a", b"b", b"c"):
        db.set(k, b"1")
    db.set_expire(b"b", clock.ms + 10)
    assert sorted(db.live_keys()) == [b"a", b"b", b"c"]
    clock.advance(10)
    assert sorted(db.live_keys()) == [b"a", b"c"]
    assert sorted(db.live_keys(lambda k: k != b"a")) == [b"c"]
    assert db.size == 3  # KEYS does not reclaim, as in Redis


def test_scan_visits_every_slot_once() -> None:
    server, _ = make()
    db = server.dbs[0]
    keys = [b"key:%d" % i for i in range(2000)]
    for k in keys:
        db.set(k, b"v")
    seen: list[bytes] = []
    cursor, calls = 0, 0
    while True:
        cursor, part = db.scan(cursor, 10)
        seen += part
        calls += 1
        if cursor == 0:
            break
    assert sorted(seen) == sorted(keys)  # each exactly once
    assert calls < 300


def test_scan_guarantee_under_churn() -> None:
    server, _ = make()
    db = server.dbs[0]
    rng = random.Random(5)
    stable = {b"s:%d" % i for i in range(300)}
    churn = [b"c:%d" % i for i in range(3000)]
    for k in stable:
        db.set(k, b"v")
    seen: set[bytes] = set()
    cursor = 0
    while True:
        cursor, part = db.scan(cursor, 5)
        seen.update(part)
        for k in rng.sample(churn, 40):
            if not db.delete(k):
                db.set(k, b"v")
        if cursor == 0:
            break
    assert stable <= seen


def test_scan_crowded_slot_comes_back_whole() -> None:
    server, _ = make()
    db = server.dbs[0]
    tagged = [b"{user}:%d" % i for i in range(100)]
    for k in tagged:
        db.set(k, b"v")
    slot = key_slot(tagged[0])
    cursor, part = db.scan(0, 10)
    assert sorted(part) == sorted(tagged)
    assert cursor == (slot + 1) % NSLOTS


def test_expire_helpers() -> None:
    server, clock = make()
    db = server.dbs[0]
    db.set(b"k", b"v")
    db.set_expire(b"k", clock.ms + 5)
    assert not db.is_expired(b"k") and not db.expire_if_needed(b"k")
    clock.advance(5)
    assert db.is_expired(b"k")
    assert db.size == 1
    assert db.expire_if_needed(b"k")
    assert db.size == 0 and server.stats.expired_keys == 1


def test_random_key_finds_live_key_among_many_expired() -> None:
    server, clock = make()
    db = server.dbs[0]
    for i in range(1000):
        db.set(b"d%d" % i, b"v")
        db.set_expire(b"d%d" % i, clock.ms + 1)
    db.set(b"alive", b"v")
    clock.advance(1)
    assert db.random_key() == b"alive"
    db.delete(b"alive")
    assert db.random_key() is None
    assert db.size == 0


def test_avg_ttl_resets_when_no_volatile_key_is_left() -> None:
    server, clock = make()
    db = server.dbs[0]
    db.set(b"a", b"v")
    db.set_expire(b"a", clock.ms + 60_000)
    db.active_expire(clock.ms, float("inf"), lambda: 0.0)
    assert db.avg_ttl > 0
    db.persist(b"a")
    assert db.avg_ttl == 0
    db.set_expire(b"a", clock.ms + 60_000)
    db.active_expire(clock.ms, float("inf"), lambda: 0.0)
    db.flush()
    assert db.avg_ttl == 0


def test_active_expire_reclaims_unread_keys() -> None:
    server, clock = make()
    db = server.dbs[0]
    for i in range(5000):
        db.set(b"k%d" % i, b"v")
        db.set_expire(b"k%d" % i, clock.ms + 1)
    db.set(b"keep", b"v")
    clock.advance(1)
    rounds = 0
    while db.size > 1 and rounds < 100:
        db.active_expire(clock.ms, float("inf"), lambda: 0.0)
        rounds += 1
    assert db.size == 1 and db.nttl == 0
    assert server.stats.expired_keys == 5000


def check_shards(db) -> None:
    """The flat dicts and the per-slot key sets describe the same keyspace."""
    assert set().union(*[s for s in db.slots if s]) == set(db.data)
    assert set().union(*[t for t in db.ttls if t]) == set(db.expires)
    assert set(db.atime) == set(db.data)
    assert set(db.expires) <= set(db.data)
    for slot, keys in enumerate(db.slots):
        assert all(key_slot(k) == slot for k in keys or ())
    for slot, keys in enumerate(db.ttls):
        assert all(key_slot(k) == slot for k in keys or ())
    assert db.size == len(db.data) and db.nttl == len(db.expires)


def test_flat_index_and_slot_shards_agree_under_random_writes() -> None:
    server, clock = make()
    db = server.dbs[0]
    other = server.dbs[1]
    rng = random.Random(7)
    keys = [b"k%d" % i for i in range(60)] + [b"{tag}%d" % i for i in range(20)]
    model: dict[bytes, bytes] = {}
    ttl: dict[bytes, int] = {}
    for step in range(4000):
        k = rng.choice(keys)
        op = rng.randrange(8)
        if op < 3:
            v = b"%d" % step
            keep = rng.random() < 0.3
            db.expire_if_needed(k)  # as a command's lookupKeyWrite does first
            db.set(k, v, keep_ttl=keep)
            if k in model and keep:
                pass
            else:
                ttl.pop(k, None)
            model[k] = v
        elif op == 3:
            assert db.delete(k) == (k in model)
            model.pop(k, None)
            ttl.pop(k, None)
        elif op == 4 and k in model:
            db.expire_if_needed(k)
            when = clock.ms + rng.randrange(1, 50)
            db.set_expire(k, when)
            ttl[k] = when
        elif op == 5:
            db.expire_if_needed(k)
            assert db.persist(k) == (k in ttl)
            ttl.pop(k, None)
        elif op == 6:
            clock.advance(rng.randrange(0, 10))
            for key in [key for key, when in ttl.items() if when <= clock.ms]:
                del ttl[key]
                del model[key]
            if rng.random() < 0.5:
                db.active_expire(clock.ms, float("inf"), lambda: 0.0)
        else:
            assert db.lookup(k) == model.get(k)
        # Whatever is still stored past its time is only awaiting lazy reclaim.
        assert {k: v for k, v in db.data.items() if k not in db.expires or db.expires[k] > clock.ms} == model
        if step % 500 == 0:
            check_shards(db)
            assert sorted(db.keys()) == sorted(model)
            assert db.data == model
    check_shards(db)
    # SWAPDB exchanges everything; each side is still consistent.
    other.set(b"x", b"1")
    db.swap_contents(other)
    assert other.data == model and db.data == {b"x": b"1"}
    check_shards(db)
    check_shards(other)
    db.flush()
    check_shards(db)
    assert db.size == 0 and db.lookup(b"x") is None
