"""Run handlers (Command.run: GET, SET) against the handlers they stand in for.

A pipelined run of GETs or SETs takes ``strings.get_run`` / ``set_run``; every
other command, and the rest of a run after a case they leave alone, takes the
per-command handler.  The same batch run twice on identical servers -- once as
the dispatcher runs it, once with the run handlers removed -- must give the same
reply bytes, keyspace (values, TTLs, access stamps), stats, dirty count,
keyspace events and WATCH flags.  MSET's inline stores are held to the SETs they
stand for the same way.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from hypothesis import given, settings, strategies as st

import crabcache.commands  # noqa: F401  (registers commands)
from crabcache.commands.registry import COMMANDS
from crabcache.commands.strings import get_run, set_run
from crabcache.dispatch import execute, run_batch
from crabcache.server.session import Session
from crabcache.server.state import ManualClock, Server

KEYS = [b"a", b"b", b"c", b"ttl", b"old", b"lst", b"ba", b"new1", b"new2"]


class Env:
    def __init__(self, resp3: bool, lfu: bool, notify: bool, watch: bytes | None, tracking: bool) -> None:
        self.server = Server()
        self.clock = ManualClock(1_700_000_000_000)
        self.server.set_clock(self.clock)
        self.events: list[tuple[str, bytes, bytes]] = []
        self.server.hooks["notify"] = lambda db, cls, event, key: self.events.append((cls, event, key))
        self.c = Session(self.server)
        self.server.clients[self.c.id] = self.c
        self.c.resp3 = resp3
        self.run("SET", "a", "1")
        self.run("SET", "b", "x" * 2000)  # a bulk header not in the table
        self.run("SET", "ttl", "t", "EX", "100")
        self.run("SET", "old", "o", "PX", "5")
        self.run("RPUSH", "lst", "1")
        self.run("SET", "ba", "y")
        self.run("APPEND", "ba", "z")  # a bytearray value
        self.clock.advance(2000)  # "old" is past its TTL, not yet reclaimed; a new LRU second
        self.server.tick_lru_clock()
        if lfu:
            self.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        if notify:
            self.run("CONFIG", "SET", "notify-keyspace-events", "KEA")
        self.other = Session(self.server)
        self.server.clients[self.other.id] = self.other
        if watch is not None:
            execute(self.other, [b"WATCH", watch])
        if tracking:
            self.other.resp3 = True
            self.other.deliver = lambda data: None
            execute(self.other, [b"CLIENT", b"TRACKING", b"ON"])
            execute(self.other, [b"GET", b"a"])
        self.events.clear()
        self.c.refresh()

    def run(self, *args: str) -> Any:
        return execute(self.c, [a.encode() for a in args])

    def batch(self, cmds: list[list[bytes]]) -> bytes:
        out: list[bytes] = []
        self.c.refresh()
        i = 0
        while i < len(cmds):
            i, r = run_batch(self.c, [list(a) for a in cmds], i, out)
            assert r is None
        return b"".join(out)

    def state(self) -> Any:
        db = self.server.dbs[0]
        st_ = self.server.stats
        return (dict(db.data), dict(db.expires), dict(db.atime), st_.keyspace_hits, st_.keyspace_misses,
                self.server.dirty, self.events, self.other.watch_dirty)


@contextmanager
def no_run_handlers() -> Iterator[None]:
    saved = {name: COMMANDS[name].run for name in (b"get", b"set")}
    for name in saved:
        COMMANDS[name].run = None
    try:
        yield
    finally:
        for name, fn in saved.items():
            COMMANDS[name].run = fn


def run_of_one_name() -> st.SearchStrategy[list[list[bytes]]]:
    """Commands of one name as sent (a run, for the dispatcher), mostly the plain shape."""
    key = st.sampled_from(KEYS)
    value = st.sampled_from([b"v", b"", b"w" * 1500])
    get_args = st.one_of(st.tuples(key), st.tuples(key), st.tuples(key, key, key))  # 3 keys: wrong arity
    set_args = st.one_of(
        st.tuples(key, value), st.tuples(key, value),
        st.tuples(key, value, st.just(b"EX"), st.just(b"50")), st.tuples(key, key, key),  # a syntax error
    )

    def of(name: bytes) -> st.SearchStrategy[list[list[bytes]]]:
        args = get_args if name in (b"GET", b"get") else set_args
        return st.lists(args.map(lambda a: [name, *a]), min_size=1, max_size=8)
    return st.sampled_from([b"GET", b"get", b"SET", b"set"]).flatmap(of)


batches = st.lists(st.one_of(run_of_one_name(), st.just([[b"PING"]])), min_size=1, max_size=5).map(
    lambda runs: [cmd for run in runs for cmd in run])


SITUATIONS = {  # what may make a run handler stop (each alone: every one gets its share of examples)
    "plain": {}, "lfu": {"lfu": True}, "notify": {"notify": True}, "watch": {"watch": b"a"},
    "watch-new": {"watch": b"new1"}, "tracking": {"tracking": True},
}


@settings(max_examples=400, deadline=None)
@given(cmds=batches, resp3=st.booleans(), situation=st.sampled_from(sorted(SITUATIONS)))
def test_run_handlers_match_the_handlers(cmds, resp3, situation):
    kw: dict[str, Any] = {"lfu": False, "notify": False, "watch": None, "tracking": False}
    kw.update(SITUATIONS[situation])
    fast = Env(resp3, **kw)
    slow = Env(resp3, **kw)
    calls = {name: COMMANDS[name].calls for name in (b"get", b"set")}
    got = fast.batch(cmds)
    fast_calls = {name: COMMANDS[name].calls - calls[name] for name in calls}
    with no_run_handlers():
        calls = {name: COMMANDS[name].calls for name in (b"get", b"set")}
        want = slow.batch(cmds)
        slow_calls = {name: COMMANDS[name].calls - calls[name] for name in calls}
    assert got == want
    assert fast.state() == slow.state()
    assert fast_calls == slow_calls  # commandstats count every command once either way


def test_a_plain_run_is_taken_whole_and_a_special_case_stops_it():
    env = Env(resp3=False, lfu=False, notify=False, watch=None, tracking=False)
    out: list[bytes] = []
    cmds = [[b"GET", b"a"], [b"GET", b"nope"], [b"GET", b"ttl"], [b"GET", b"old"], [b"GET", b"a"]]
    assert get_run(env.c, cmds, 0, out) == 3  # stops at the expired key, which lookup reclaims
    assert out == [b"$1\r\n", b"1", b"\r\n", b"$-1\r\n", b"$1\r\n", b"t", b"\r\n"]
    out = []
    dirty = env.server.dirty
    cmds = [[b"SET", b"a", b"2"], [b"SET", b"new1", b"n"], [b"SET", b"ttl", b"u"], [b"GET", b"a"]]
    assert set_run(env.c, cmds, 0, out) == 3  # a new key and a TTL dropped via Database.set
    db = env.server.dbs[0]
    assert out == [b"+OK\r\n"] * 3
    assert db.data[b"a"] == b"2" and db.data[b"new1"] == b"n" and b"ttl" not in db.expires
    assert env.server.dirty == dirty + 3

    env.run("CONFIG", "SET", "notify-keyspace-events", "KEA")
    assert set_run(env.c, [[b"SET", b"a", b"3"]], 0, []) == 0  # events to send: the handler's


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from([b"v", b"w" * 1500])), min_size=1, max_size=6),
       situation=st.sampled_from(sorted(SITUATIONS)))
def test_mset_stores_as_sets_do(pairs, situation):
    # MSET replaces plain string keys inline too (strings._mset): the keyspace, dirty
    # count, events and WATCH flags must be those of the same SETs one by one.
    kw: dict[str, Any] = {"lfu": False, "notify": False, "watch": None, "tracking": False}
    kw.update(SITUATIONS[situation])
    fast = Env(False, **kw)
    slow = Env(False, **kw)
    assert fast.run("MSET", *[x.decode() for kv in pairs for x in kv]).text == b"OK"
    with no_run_handlers():
        for k, v in pairs:
            assert slow.run("SET", k.decode(), v.decode()).text == b"OK"
    assert fast.state() == slow.state()
