"""maxmemory and eviction (keyspace.eviction) under a controlled clock and meter.

The policy tests swap the process-wide meter for one that counts key and
value bytes, so "used memory" is exact and the limits small; the real
meter has its own tests at the end.
"""

import gc

import crabcache.commands  # noqa: F401  (registers every command and setup hook)
from crabcache import dispatch, errors
from crabcache.errors import CommandError
from crabcache.keyspace.eviction import Meter, object_size
from crabcache.protocol.writer import NULL_ARRAY, OK
from crabcache.server.session import Session
from crabcache.server.state import ManualClock, Server


class CountingMeter:
    """Used memory = the bytes of every key and string value (exact, no staleness)."""

    def __init__(self, server):
        self.server = server
        self.base = self.pending = self.countdown = 0
        self.interval = 1

    def refresh(self):
        self.base = sum(len(k) + len(v) for db in self.server.dbs for k, v in db.data.items())
        self.pending = self.countdown = 0
        return self.base

    exact = refresh

    def estimate(self):
        return self.base

    def grows(self, argv):
        pass

    def freed(self, key, value):
        return len(key) + len(value)


def make(policy="allkeys-lru", samples=64):
    server = Server()
    clock = ManualClock(1_700_000_000_000)
    server.set_clock(clock)
    server.eviction.meter = CountingMeter(server)
    server.config.set_many([("maxmemory-policy", policy), ("maxmemory-samples", str(samples))])
    c = Session(server)
    return server, clock, c


def ok(r):
    return getattr(r, "raw", None) == OK.raw


def run(c, *args):
    return dispatch.execute(c, [a if isinstance(a, bytes) else str(a).encode() for a in args])


def limit(server, n):
    server.config.set_many([("maxmemory", str(n))])


def fill(c, n, prefix="k", size=8):
    # keys "k00".."k{n-1}" of 3 bytes + values of ``size`` bytes
    for i in range(n):
        assert run(c, "set", "%s%02d" % (prefix, i), "v" * size) is not None


def keys(c):
    return sorted(c.db.live_keys())


def test_guard_only_while_maxmemory_is_set():
    server, _, c = make()
    assert server.oom_guard is None
    limit(server, 1000)
    assert server.oom_guard is not None
    limit(server, 0)
    assert server.oom_guard is None


def test_allkeys_lru_keeps_recently_touched_keys():
    server, clock, c = make("allkeys-lru")
    fill(c, 20)  # 20 * 11 = 220 bytes
    clock.advance(100_000)
    server.tick_lru_clock()
    for i in range(5):
        run(c, "get", "k%02d" % i)
    clock.advance(10_000)
    server.tick_lru_clock()
    limit(server, 160)
    assert ok(run(c, "set", "new", "v" * 8))
    left = keys(c)
    assert all(("k%02d" % i).encode() in left for i in range(5))
    assert b"new" in left
    assert server.stats.evicted_keys == 6 == 20 + 1 - len(left)  # 60 bytes over: six 11-byte keys


def test_allkeys_lfu_keeps_frequently_used_keys():
    server, clock, c = make("allkeys-lfu")
    server.config.set_many([("lfu-log-factor", "0")])  # every access counts
    fill(c, 20)
    for _ in range(10):
        for i in (3, 7, 11):
            run(c, "get", "k%02d" % i)
    assert run(c, "object", "freq", "k03") == 15
    limit(server, 120)
    run(c, "set", "new", "v" * 8)
    left = keys(c)
    assert {b"k03", b"k07", b"k11"} <= set(left)
    assert len(left) < 21


def test_volatile_lru_only_evicts_keys_with_a_ttl():
    server, clock, c = make("volatile-lru")
    fill(c, 10)
    for i in range(10, 20):
        run(c, "set", "k%02d" % i, "v" * 8, "ex", 1000)
    limit(server, 180)
    assert ok(run(c, "set", "new", "v" * 8))
    left = set(keys(c))
    assert all(("k%02d" % i).encode() in left for i in range(10))  # persistent keys untouched
    assert server.stats.evicted_keys > 0
    # Volatile keys run out: the rest can't go, so writes are refused, reads served.
    limit(server, 50)
    e = run(c, "set", "more", "x")
    assert isinstance(e, CommandError) and e.message == errors.OOM
    assert all(c.db.get_ttl(k) is None for k in keys(c) if k != b"new")
    assert run(c, "get", "k00") == b"v" * 8


def test_volatile_ttl_evicts_the_nearest_expiry_first():
    server, clock, c = make("volatile-ttl")
    fill(c, 4)
    for i in range(10):
        run(c, "set", "t%02d" % i, "v" * 8, "ex", 100 + i * 100)
    limit(server, 14 * 11 - 3 * 11)
    run(c, "get", "t00")
    run(c, "set", "x", "y")  # denyoom: evicts the three nearest expiries
    left = set(keys(c))
    assert not {b"t00", b"t01", b"t02"} & left
    assert {b"t03", b"t09", b"k00"} <= left


def test_random_policies():
    server, clock, c = make("volatile-random")
    fill(c, 10)
    for i in range(10):
        run(c, "set", "t%02d" % i, "v" * 8, "px", 100000)
    limit(server, 150)
    run(c, "set", "x", "y")
    left = set(keys(c))
    assert all(("k%02d" % i).encode() in left for i in range(10))
    assert server.stats.evicted_keys >= 5
    server.config.set_many([("maxmemory-policy", "allkeys-random")])
    limit(server, 60)
    assert ok(run(c, "set", "z", "y"))
    assert server.eviction.meter.exact() <= 60 + 2


def test_noeviction_refuses_writes_and_serves_reads():
    server, clock, c = make("noeviction")
    fill(c, 10)
    limit(server, 50)
    e = run(c, "set", "new", "v")
    assert isinstance(e, CommandError)
    assert e.message == "OOM command not allowed when used memory > 'maxmemory'."
    assert run(c, "get", "k01") == b"v" * 8
    assert run(c, "del", "k01") == 1  # not denyoom
    assert run(c, "incr", "k02") is not None  # denyoom: refused
    assert server.stats.evicted_keys == 0
    assert server.stats.errorstats.get("OOM", 0) >= 2
    limit(server, 0)
    assert ok(run(c, "set", "new", "v"))


def test_evicted_event_and_counter():
    server, clock, c = make("allkeys-lru")
    seen = []
    server.config.set_many([("notify-keyspace-events", "Ee")])
    server.hooks["notify"] = lambda db, cls, event, key: seen.append((cls, event, key))
    fill(c, 10)
    limit(server, 60)
    run(c, "set", "x", "y")
    assert server.stats.evicted_keys == len(seen) > 0
    assert all(cls == "e" and ev == b"evicted" for cls, ev, _ in seen)
    assert not {k for _, _, k in seen} & set(keys(c))
    info = run(c, "info", "stats").text if hasattr(run(c, "info", "stats"), "text") else run(c, "info", "stats")
    assert b"evicted_keys:%d" % len(seen) in info


def test_eviction_dirties_watch():
    server, clock, c = make("allkeys-lru")
    fill(c, 10)
    clock.advance(5000)
    server.tick_lru_clock()
    for i in range(1, 10):
        run(c, "get", "k%02d" % i)  # k00 stays the oldest
    other = Session(server)
    run(other, "watch", "k00")
    limit(server, 100)
    run(c, "set", "x", "y")
    assert run(c, "exists", "k00") == 0
    run(other, "multi")
    run(other, "get", "k01")
    assert run(other, "exec") is NULL_ARRAY


def test_multi_and_exec_under_oom():
    server, clock, c = make("noeviction")
    fill(c, 4)
    assert ok(run(c, "multi"))
    run(c, "set", "a", "b")  # queued while under the limit
    limit(server, 10)
    e = run(c, "exec")  # execCommandAbort: the queue is dropped
    assert isinstance(e, CommandError)
    assert e.message == "EXECABORT Transaction discarded because of: " + errors.OOM
    assert c.multi is None
    assert run(c, "exists", "a") == 0
    run(c, "multi")
    e = run(c, "get", "k00")  # anything queued while OOM is refused
    assert isinstance(e, CommandError) and e.message == errors.OOM
    assert run(c, "exec").message.startswith("EXECABORT")
    run(c, "multi")
    assert ok(run(c, "discard"))


def test_scripts_under_oom():
    server, clock, c = make("noeviction")
    fill(c, 4)
    limit(server, 10)
    e = run(c, "eval", "#!lua\nreturn 1", 0)
    assert isinstance(e, CommandError) and e.message == errors.OOM
    assert run(c, "eval", "#!lua flags=no-writes\nreturn 1", 0) == 1
    assert ok(run(c, "eval", "#!lua flags=allow-oom\nreturn redis.call('set','a','b')", 0))
    e = run(c, "eval", "return redis.call('set','a','b')", 0)
    assert isinstance(e, CommandError) and e.message.startswith(errors.OOM + " script: ")
    e = run(c, "eval", "return redis.pcall('set','a','b')", 0)
    assert isinstance(e, CommandError) and e.message == errors.OOM
    assert ok(run(c, "eval", "redis.call('del','zz') return redis.call('set','a','b')", 0))
    assert run(c, "eval", "return redis.call('get','k00')", 0) == b"v" * 8


def test_memory_usage():
    server, clock, c = make()
    run(c, "set", "s", "x" * 1000)
    run(c, "rpush", "l", *["e%d" % i for i in range(100)])
    small = run(c, "memory", "usage", "s")
    assert isinstance(small, int) and small > 1000
    assert run(c, "memory", "usage", "nokey") is None
    assert run(c, "memory", "usage", "l") > run(c, "memory", "usage", "l", "samples", 1) * 0.5
    assert run(c, "memory", "usage", "l", "samples", 0) > 100 * 20
    assert isinstance(run(c, "memory", "usage", "s", "samples", -1), CommandError)
    assert isinstance(run(c, "memory", "usage", "s", "foo"), CommandError)
    assert object_size(b"k", b"x" * 10000) > object_size(b"k", b"x")


def test_real_meter_goes_down_when_keys_go():
    server = Server()
    c = Session(server)
    m = Meter()
    gc.collect()
    before = m.exact()
    for i in range(20000):
        run(c, "set", "key:%d" % i, "x" * (i % 200))
    for i in range(2000):
        run(c, "set", "big:%d" % i, "y" * 3000)
    full = m.exact()
    assert full - before > 20000 * 100 + 2000 * 3000
    run(c, "flushall")
    gc.collect()
    after = m.exact()
    assert after < full - 2000 * 3000 - 20000 * 100 // 2
    assert m.estimate() == after


def test_real_meter_keeps_a_write_loop_near_the_limit():
    server = Server()
    c = Session(server)
    server.config.set_many([("maxmemory-policy", "allkeys-lru")])
    gc.collect()
    limit(server, server.eviction.meter.exact() + 3_000_000)
    worst = 0
    for i in range(40000):  # ~10 MB of small keys through a 3 MB window
        run(c, "set", "key:%d" % i, "v" * 100)
        if i % 1000 == 999:
            worst = max(worst, server.eviction.meter.exact() - server.config["maxmemory"])
    assert server.stats.evicted_keys > 10000
    assert worst < 300_000  # over by at most one refresh interval's writes


def test_real_meter_oom_state_clears_after_a_delete():
    server = Server()
    c = Session(server)
    server.config.set_many([("maxmemory-policy", "noeviction")])
    run(c, "set", "big", b"x" * 3_000_000)
    gc.collect()
    limit(server, server.eviction.meter.exact() + 1_000_000)
    for _ in range(50):  # reads in OOM state keep the state without re-measuring
        assert run(c, "get", "big") is not None
    e = run(c, "set", "big2", b"y" * 2_000_000)
    assert isinstance(e, CommandError) and e.message == errors.OOM
    assert run(c, "exists", "big") == 1
    assert run(c, "del", "big") == 1
    assert ok(run(c, "set", "small", "v"))  # the next write re-measures: room again


def test_config_set_below_usage_evicts_at_once():
    server, clock, c = make("allkeys-random")
    fill(c, 10)
    assert ok(run(c, "config", "set", "maxmemory", "55"))
    assert server.stats.evicted_keys == 5 and c.db.size == 5


def test_no_eviction_while_a_script_is_busy():
    server, clock, c = make("allkeys-lru")
    fill(c, 10)
    limit(server, 200)
    fill(c, 10, prefix="x")  # 220 bytes: over
    before = server.stats.evicted_keys
    server.busy = object()  # a script past busy-reply-threshold (the dispatcher answers -BUSY)
    assert server.eviction.guard(c, crabcache.commands.registry.COMMANDS[b"set"], [b"set", b"y", b"z"]) is None
    assert server.stats.evicted_keys == before
    server.busy = None
    assert server.eviction.guard(c, crabcache.commands.registry.COMMANDS[b"set"], [b"set", b"y", b"z"]) is None
    assert server.stats.evicted_keys > before
