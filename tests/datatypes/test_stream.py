"""The stream value type (datatypes/stream.py) and the stream commands run in-process.

The Stream class is checked against a plain sorted-dict model, its listpack
byte accounting against the RDB module's independent listpack encoder, and its
radix-tree node counts against values read from a real Redis 7.0.15.  Command
tests run handlers through ``dispatch.execute`` with a manual clock, for the
parts the compat suite can't pin down: idle times, delivery times, keyspace
events, dirty counts, WATCH signals and keyspace hit statistics.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crabcache.commands  # noqa: F401  (registers commands)
from crabcache.datatypes import stream as sm
from crabcache.datatypes.stream import MAX_ID, Stream, fmt_id
from crabcache.dispatch import execute
from crabcache.errors import CommandError
from crabcache.persistence import rdb
from crabcache.protocol.writer import NULL_ARRAY, Map
from crabcache.server.session import Session
from crabcache.server.state import ManualClock, Server


def i(ms: int, seq: int = 0) -> int:
    return ms << 64 | seq


def add(s: Stream, eid: int, fields: list[bytes] | None = None, max_bytes: int = 4096,
        max_entries: int = 100) -> None:
    s.append(eid, fields if fields is not None else [b"f", b"v"], max_bytes, max_entries)


# --- IDs and listpack sizes ---------------------------------------------------------------

def test_ids_are_ints():
    assert fmt_id(i(5, 7)) == b"5-7"
    assert fmt_id(MAX_ID) == b"18446744073709551615-18446744073709551615"
    assert i(1, 2**64 - 1) + 1 == i(2, 0)  # streamIncrID is +1


@given(st.one_of(
    st.binary(max_size=5000),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: str(v).encode()),
    st.sampled_from([b"", b"0", b"-0", b"007", b"127", b"128", b"-4096", b"4095", b"4096",
                     b"9223372036854775808", b"-9223372036854775809", b"1" * 20]),
))
def test_lp_size_matches_the_rdb_listpack_encoder(b):
    assert sm._lp_size(b) == len(rdb.lp_entry(b))


@given(st.integers(-(2**63), 2**63 - 1))
def test_int_size_matches_the_rdb_listpack_encoder(v):
    assert sm._int_size(v) == len(rdb.lp_entry(str(v).encode()))


def _listpack_of(node: sm.Node, deleted: list[tuple[int, list[bytes]]]) -> bytes:
    # Encode ``node`` the way Redis lays out a stream listpack (only for sizing:
    # deleted entries are given back by the caller, in ID order with the live ones).
    ent = rdb.lp_entry
    live = len(node.ids)
    items = [ent(b"%d" % live), ent(b"%d" % (node.total - live)), ent(b"%d" % len(node.mfields))]
    items += [ent(f) for f in node.mfields] + [ent(b"0")]
    everything = sorted(list(zip(node.ids, node.vals)) + deleted)
    for eid, fields in everything:
        same = fields[0::2] == node.mfields
        ms = ((eid >> 64) - (node.master >> 64)) & sm.M64
        seq = ((eid & sm.M64) - (node.master & sm.M64)) & sm.M64
        items += [ent(b"2" if same else b"0"), ent(b"%d" % sm._signed(ms)), ent(b"%d" % sm._signed(seq))]
        if same:
            items += [ent(v) for v in fields[1::2]]
            items.append(ent(b"%d" % (len(fields) // 2 + 3)))
        else:
            items.append(ent(b"%d" % (len(fields) // 2)))
            items += [ent(x) for x in fields]
            items.append(ent(b"%d" % (len(fields) + 4)))
    return rdb.listpack(items)


@settings(max_examples=50)
@given(st.lists(st.tuples(
    st.integers(0, 3),  # ms step
    st.sampled_from([0, 1, 1, 300, 2**63, 2**64 - 1]),  # seq
    st.lists(st.tuples(st.sampled_from([b"f", b"g", b"123", b"x" * 70]),
                       st.one_of(st.binary(max_size=100), st.integers(-10**12, 10**12).map(lambda v: b"%d" % v))),
             min_size=1, max_size=3),
), min_size=1, max_size=40), st.lists(st.integers(0, 39), max_size=10))
def test_node_bytes_match_an_encoded_listpack(entries, deletes):
    s = Stream()
    ms = 1
    added = []
    for step, seq, pairs in entries:
        ms += step
        eid = i(ms, seq)
        if eid <= s.last_id:
            continue
        fields = [x for p in pairs for x in p]
        s.append(eid, fields, 0, 0)  # one node, no limits
        added.append((eid, fields))
    gone = []
    for k in deletes:
        if k < len(added) and s.delete(added[k][0]):
            gone.append(added[k])
    if s.nodes:
        (node,) = s.nodes
        assert node.lp_bytes() == len(_listpack_of(node, gone))


# --- append, ranges, delete ----------------------------------------------------------------

def test_append_and_ranges_across_nodes():
    s = Stream()
    for k in range(1, 26):
        add(s, i(k, 1), [b"n", b"%d" % k], max_entries=10)
    assert [n.total for n in s.nodes] == [10, 10, 5]
    assert s.keys == [i(1, 1), i(11, 1), i(21, 1)]
    ids = [eid for eid, _ in s.range(0, MAX_ID)]
    assert ids == [i(k, 1) for k in range(1, 26)]
    assert [eid for eid, _ in s.range(i(9), i(12, 5))] == [i(9, 1), i(10, 1), i(11, 1), i(12, 1)]
    assert [eid for eid, _ in s.range(i(9), MAX_ID, count=3)] == [i(9, 1), i(10, 1), i(11, 1)]
    assert [eid for eid, _ in s.range(0, i(12), rev=True, count=3)] == [i(11, 1), i(10, 1), i(9, 1)]
    assert s.range(i(30), MAX_ID) == [] and s.range(i(5), i(4)) == []
    assert s.get(i(7, 1)) == [b"n", b"7"] and s.get(i(7, 2)) is None and s.get(0) is None
    assert (s.first_id(), s.last_valid_id(), s.length, s.entries_added) == (i(1, 1), i(25, 1), 25, 25)


def test_delete_drops_empty_nodes_and_keeps_counts():
    s = Stream()
    for k in range(1, 6):
        add(s, i(k), max_entries=2)
    assert s.delete(i(3)) and not s.delete(i(3)) and not s.delete(i(9))
    assert [n.total for n in s.nodes] == [2, 2, 1]  # a deletion stays counted in its node
    assert s.delete(i(4))
    assert s.keys == [i(1), i(5)]  # node [3, 4] had nothing left
    # A new entry goes to the last node, whose deleted entries still count.
    assert s.delete(i(5))
    add(s, i(6), max_entries=2)
    assert s.keys == [i(1), i(6)]
    assert [eid for eid, _ in s] == [i(1), i(2), i(6)]


def test_node_split_by_bytes():
    s = Stream()
    # Header and master entry: 7 + 2 + 2 + 2 + len("field")+2 + 2 = 22; each
    # entry then takes 50 bytes; a node is full when bytes + 45 raw bytes >= limit.
    for k in range(1, 6):
        add(s, i(k), [b"field", b"v" * 40], max_bytes=150)
    assert [n.total for n in s.nodes] == [2, 2, 1]
    assert s.nodes[0].lp_bytes() == 22 + 50 * 2


def test_rax_node_counts_match_redis():
    # Values read from Redis 7.0.15's XINFO STREAM with stream-node-max-entries 1.
    cases = [([], 1), ([(1, 1)], 2), ([(1, 1), (1, 2)], 4), ([(1, 1), (1, 2), (1, 3)], 5),
             ([(1, 1), (2, 1), (3, 1), (300, 1)], 11), ([(1, 1), (1, 256), (1, 65536)], 9)]
    for ids, nodes in cases:
        s = Stream()
        for ms, seq in ids:
            add(s, i(ms, seq), max_entries=1)
        assert s.rax_nodes() == nodes


# --- trimming --------------------------------------------------------------------------------

def make(n: int, per_node: int = 10) -> Stream:
    s = Stream()
    for k in range(1, n + 1):
        add(s, i(k), max_entries=per_node)
    return s


def test_trim_maxlen_exact_and_approx():
    s = make(35)
    assert s.trim(maxlen=28, approx=True) == 0  # would have to cut into the first node
    assert s.trim(maxlen=25, approx=True) == 10
    assert s.trim(maxlen=22) == 3
    assert s.first_id() == i(14) and s.length == 22
    assert s.nodes[0].total == 10 and len(s.nodes[0].ids) == 7
    assert s.trim(maxlen=15, approx=True) == 7
    assert s.trim(maxlen=0, approx=True, limit=10) == 10
    assert s.trim(maxlen=0, approx=True, limit=4) == 0
    assert s.trim(maxlen=0) == 5 and s.length == 0 and s.nodes == []


def test_trim_minid_uses_the_last_appended_id_of_a_node():
    s = make(20)
    assert s.delete(i(10))
    # The first node's last appended entry (10) is deleted but still counts:
    # MINID 10 can't drop the node whole, and exact trimming empties it in place.
    assert s.trim(minid=i(10), approx=True) == 0
    assert s.trim(minid=i(10)) == 9
    assert len(s.nodes) == 2 and s.nodes[0].ids == []
    assert s.first_id() == i(11)
    assert s.trim(minid=i(10)) == 0
    assert s.trim(minid=i(11), approx=True) == 0  # the empty node goes only...
    assert s.trim(minid=i(12), approx=True) == 0  # ...together with what follows it, never alone
    assert s.trim(minid=i(15)) == 4 and s.length == 6 and len(s.nodes) == 1


@settings(max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(["add", "add", "add", "del", "maxlen", "minid", "range"]),
                          st.integers(0, 60), st.booleans()), max_size=80),
       st.integers(1, 7))
def test_stream_agrees_with_a_sorted_dict_model(ops, per_node):
    s = Stream()
    model: dict[int, list[bytes]] = {}
    nxt = 1
    for op, arg, flag in ops:
        if op == "add":
            nxt += 1 + arg % 3
            eid = i(nxt // 2, nxt)
            add(s, eid, [b"k", b"%d" % arg], max_entries=per_node)
            model[eid] = [b"k", b"%d" % arg]
        elif op == "del":
            eid = sorted(model)[arg % len(model)] if model else 0
            assert s.delete(eid) == (eid in model)
            model.pop(eid, None)
        elif op == "maxlen":
            before = s.length
            n = s.trim(maxlen=arg % 20, approx=flag)
            keep = sorted(model)[n:]
            model = {k: model[k] for k in keep}
            assert n <= before and (flag or s.length == min(before, arg % 20))
        elif op == "minid":
            cut = i(arg // 2, arg)
            n = s.trim(minid=cut, approx=flag)
            removed = sorted(model)[:n]
            assert all(k < cut for k in removed)
            if not flag:
                assert all(k >= cut for k in sorted(model)[n:])
            model = {k: model[k] for k in sorted(model)[n:]}
        else:
            lo, hi = sorted((i(arg // 2), i(arg, 2**64 - 1)))
            want = [(k, model[k]) for k in sorted(model) if lo <= k <= hi]
            assert s.range(lo, hi) == want
            assert s.range(lo, hi, count=2, rev=True) == want[::-1][:2]
        assert s.length == len(model)
        assert list(s) == sorted(model.items())
        assert s.first_id() == (min(model) if model else 0)
        assert sum(n.total for n in s.nodes) >= s.length


# --- consumer-group counters ----------------------------------------------------------------

def test_lag_and_distance():
    s = Stream()
    g = s.create_group(b"g", 0, 0)
    assert s.create_group(b"g", 0, 0) is None
    assert s.lag(g) == 0  # nothing ever added
    for k in range(1, 6):
        add(s, i(k))
    assert s.lag(g) == 5
    s.advance_group(g, i(1))
    s.advance_group(g, i(2))
    assert (g.entries_read, s.lag(g)) == (2, 3)
    s.delete(i(4))
    s.max_deleted = i(4)
    assert s.lag(g) is None
    assert s.estimate_distance(i(5)) == 5  # the last ID is always known
    assert s.estimate_distance(i(9)) == sm.INVALID_ENTRIES_READ
    late = s.create_group(b"late", i(5), sm.INVALID_ENTRIES_READ)
    assert s.lag(late) == 0
    s.delete(i(1))
    s.delete(i(2))
    s.delete(i(3))
    s.delete(i(5))
    assert s.length == 0 and s.estimate_distance(i(3)) == 5  # empty: anything up to last ID


# --- commands in-process ---------------------------------------------------------------------

class Env:
    def __init__(self) -> None:
        self.server = Server()
        self.clock = ManualClock(1_700_000_000_000)
        self.server.set_clock(self.clock)
        self.c = Session(self.server)
        self.events: list[tuple[str, bytes, bytes]] = []
        self.server.notify_flags = "Kt"  # keyspace events of the stream class
        self.server.hooks["notify"] = lambda db, cls, event, key: self.events.append((cls, event, key))

    def __call__(self, *args: Any) -> Any:
        r = execute(self.c, [a if isinstance(a, bytes) else str(a).encode() for a in args])
        if isinstance(r, CommandError):
            raise r
        return r


@pytest.fixture
def env() -> Env:
    return Env()


def test_xadd_auto_ids_follow_the_clock(env):
    assert env("XADD", "s", "*", "a", "b") == b"1700000000000-0"
    assert env("XADD", "s", "*", "a", "b") == b"1700000000000-1"
    env.clock.advance(5)
    assert env("XADD", "s", "*", "a", "b") == b"1700000000005-0"
    env.clock.advance(-1000)  # the clock went back: IDs keep growing
    assert env("XADD", "s", "*", "a", "b") == b"1700000000005-1"
    assert env("XADD", "s", "1700000000005-*", "a", "b") == b"1700000000005-2"


def test_events_dirty_and_watch(env):
    class Watcher:
        watch_dirty = False

    w = Watcher()
    db = env.server.dbs[0]
    env("XADD", "s", "1-1", "a", "b")
    db.watchers[b"s"] = {w}
    dirty = env.server.dirty
    env("XGROUP", "CREATE", "s", "g", "0")
    env("XGROUP", "CREATECONSUMER", "s", "g", "c")
    env("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    env("XREADGROUP", "GROUP", "g", "new", "STREAMS", "s", "0")
    env("XACK", "s", "g", "1-1")
    env("XGROUP", "SETID", "s", "g", "0")
    env("XSETID", "s", "9-9")
    env("XGROUP", "DELCONSUMER", "s", "g", "c")
    env("XGROUP", "DESTROY", "s", "g")
    assert not w.watch_dirty  # group bookkeeping doesn't touch WATCH, as in Redis
    assert env.server.dirty - dirty == 10
    env("XADD", "s", "MAXLEN", "0", "10-1", "a", "b")
    assert w.watch_dirty
    w.watch_dirty = False
    env("XDEL", "s", "99-9")
    assert not w.watch_dirty
    env("XADD", "s", "11-1", "a", "b")
    w.watch_dirty = False
    env("XTRIM", "s", "MAXLEN", "0")
    env("XDEL", "s", "11-1")
    assert w.watch_dirty
    assert [e for _, e, _ in env.events] == [
        b"xadd", b"xgroup-create", b"xgroup-createconsumer", b"xgroup-createconsumer", b"xgroup-setid",
        b"xsetid", b"xgroup-delconsumer", b"xgroup-destroy", b"xadd", b"xtrim", b"xadd", b"xtrim",
    ]
    assert {cls for cls, _, _ in env.events} == {"t"} and {k for _, _, k in env.events} == {b"s"}
    env.events.clear()
    assert env("XADD", "nokey", "NOMKSTREAM", "*", "a", "b") is None
    assert env.events == []


def test_keyspace_hits_and_misses(env):
    stats = env.server.stats
    env("XADD", "s", "1-1", "a", "b")
    h, m = stats.keyspace_hits, stats.keyspace_misses
    env("XLEN", "s")
    env("XRANGE", "s", "-", "+")
    env("XLEN", "nokey")
    env("XDEL", "s", "5-5")  # a write lookup: no statistics
    assert (stats.keyspace_hits - h, stats.keyspace_misses - m) == (2, 1)


def test_pending_idle_times(env):
    env("XADD", "s", "1-1", "a", "b")
    env("XADD", "s", "2-1", "a", "b")
    env("XGROUP", "CREATE", "s", "g", "0")
    env("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
    env.clock.advance(700)
    env("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    env.clock.advance(300)
    assert env("XPENDING", "s", "g", "-", "+", "10") == [[b"1-1", b"c", 1000, 1], [b"2-1", b"c", 300, 1]]
    assert env("XPENDING", "s", "g", "IDLE", "500", "-", "+", "10") == [[b"1-1", b"c", 1000, 1]]
    # Reading the history counts a delivery and restarts the idle time.
    env("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", "0")
    assert env("XPENDING", "s", "g", "-", "+", "10")[0] == [b"1-1", b"c", 0, 2]
    assert env("XINFO", "CONSUMERS", "s", "g") == [Map([b"name", b"c", b"pending", 2, b"idle", 0])]
    env.clock.advance(50)
    env("XPENDING", "s", "g", "-", "+", "10", "c")  # doesn't refresh seen-time
    assert env("XINFO", "CONSUMERS", "s", "g")[0][-1] == 50


def test_xclaim_times_and_counts(env):
    for k in (1, 2, 3):
        env("XADD", "s", "%d-1" % k, "a", "b")
    env("XGROUP", "CREATE", "s", "g", "0")
    env("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    env.clock.advance(1000)
    assert env("XCLAIM", "s", "g", "d", "1001", "1-1") == []
    assert env("XCLAIM", "s", "g", "d", "1000", "1-1", "JUSTID") == [b"1-1"]
    assert env("XCLAIM", "s", "g", "d", "0", "2-1", "IDLE", "400", "JUSTID") == [b"2-1"]
    assert env("XCLAIM", "s", "g", "d", "0", "3-1", "TIME", str(env.clock.ms + 10**6), "RETRYCOUNT", "9",
               "JUSTID") == [b"3-1"]
    pend = {p[0]: p[2:] for p in env("XPENDING", "s", "g", "-", "+", "10")}
    # JUSTID doesn't count a delivery; a future TIME means now; RETRYCOUNT sets the count.
    assert pend == {b"1-1": [0, 1], b"2-1": [400, 1], b"3-1": [0, 9]}
    env.clock.advance(10)
    assert env("XCLAIM", "s", "g", "e", "0", "1-1", "TIME", "-5")[0][0] == b"1-1"
    assert env("XPENDING", "s", "g", "-", "+", "1") == [[b"1-1", b"e", 0, 2]]
    full = env("XINFO", "STREAM", "s", "FULL")
    group = dict(zip(full[full.index(b"groups") + 1][0][0::2], full[full.index(b"groups") + 1][0][1::2]))
    assert group[b"pending"][0] == [b"1-1", b"e", env.clock.ms, 2]


def test_xautoclaim_min_idle_and_cursor(env):
    for k in range(1, 6):
        env("XADD", "s", "%d-1" % k, "a", "b")
    env("XGROUP", "CREATE", "s", "g", "0")
    env("XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">")
    env.clock.advance(100)
    env("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    env.clock.advance(100)
    # Only 1-1 and 2-1 have been idle 200ms; the scan stops after COUNT * 10 attempts.
    assert env("XAUTOCLAIM", "s", "g", "d", "150", "0", "JUSTID") == [b"0-0", [b"1-1", b"2-1"], []]
    assert env("XAUTOCLAIM", "s", "g", "d", "50", "0", "COUNT", "2", "JUSTID") == [b"5-1", [b"3-1", b"4-1"], []]


def test_xread_reply_shapes(env):
    env("XADD", "s", "1-1", "a", "b")
    assert env("XREAD", "STREAMS", "s", "0") == [[b"s", [[b"1-1", [b"a", b"b"]]]]]
    env.c.resp3 = True
    assert env("XREAD", "STREAMS", "s", "0") == Map([b"s", [[b"1-1", [b"a", b"b"]]]])
    assert env("XREAD", "STREAMS", "s", "$") is NULL_ARRAY


def test_object_encoding_and_type():
    s = Stream()
    assert s.type_name == b"stream" and s.encoding(None) == b"stream"


# --- RDB ---------------------------------------------------------------------------------------

# DUMP of a stream written by Redis 7.0.15: entries 1-1..5-1 (5-1 with other fields),
# 2-1 deleted, group g with alice holding 1-1 and 3-1, and bob with nothing pending.
REDIS_DUMP = bytes.fromhex(
    "13011000000000000000010000000000000001c3404c40550755000000200004014000078166020001020100200106"
    "827631030401032015400b0032200b00022001400b0033600b0003600b0034200b01000140030d0101856f7468657206"
    "7b010601ff0405010101020105010167030181ffffffffffffffff0200000000000000010000000000000001b1049b15"
    "a20100000100000000000000030000000000000001b1049b15a2010000010205616c696365b1049b15a20100000200"
    "0000000000000100000000000000010000000000000003000000000000000103626f62b1049b15a2010000000a0019cd"
    "e8d7f8125c53"
)
T = 1795658810545


def test_load_a_redis_dump():
    rtype, s = rdb.load_value(REDIS_DUMP)
    assert rtype == 19 and isinstance(s, Stream)
    assert [(fmt_id(e), f) for e, f in s] == [(b"1-1", [b"f", b"v1"]), (b"3-1", [b"f", b"v3"]),
                                             (b"4-1", [b"f", b"v4"]), (b"5-1", [b"other", b"123"])]
    assert (s.length, s.last_id, s.max_deleted, s.entries_added) == (4, i(5, 1), i(2, 1), 5)
    (node,) = s.nodes
    assert (node.master, node.last, node.total, len(node.ids)) == (i(1, 1), i(5, 1), 5, 4)
    g = s.groups[b"g"]
    assert (g.last_id, g.entries_read) == (i(3, 1), sm.INVALID_ENTRIES_READ)
    assert [(fmt_id(e), n.consumer.name, n.delivery_time, n.delivery_count) for e, n in g.pel.items()] == \
        [(b"1-1", b"alice", T, 1), (b"3-1", b"alice", T, 1)]
    alice, bob = g.sorted_consumers()
    assert (alice.name, alice.seen_time, list(alice.pel)) == (b"alice", T, [i(1, 1), i(3, 1)])
    assert (bob.name, bob.seen_time, len(bob.pel)) == (b"bob", T, 0)
    assert alice.pel[i(1, 1)] is g.pel[i(1, 1)]


def snapshot(s: Stream) -> Any:
    groups = [(name, g.last_id, g.entries_read,
               [(e, n.consumer.name, n.delivery_time, n.delivery_count) for e, n in g.pel.items()],
               [(c.name, c.seen_time, list(c.pel)) for c in g.sorted_consumers()])
              for name, g in s.sorted_groups()]
    return (list(s), s.length, s.last_id, s.first_id(), s.max_deleted, s.entries_added, groups)


@pytest.mark.parametrize("compress", [False, True])
def test_rdb_round_trip(env, compress):
    for k in range(1, 250):
        env("XADD", "s", "%d-%d" % (k, k % 3), "f", "v" * (k % 70), *(["n", str(k * 1000)] if k % 4 else []))
    env("XDEL", "s", *["%d-%d" % (k, k % 3) for k in range(90, 120)])  # empties a node's tail
    env("XTRIM", "s", "MINID", "5")
    env("XGROUP", "CREATE", "s", "g", "0")
    env("XGROUP", "CREATE", "s", "123", "$", "ENTRIESREAD", "7")
    env("XREADGROUP", "GROUP", "g", "a", "COUNT", "20", "STREAMS", "s", ">")
    env.clock.advance(5)
    env("XREADGROUP", "GROUP", "g", "b", "COUNT", "3", "STREAMS", "s", ">")
    env("XGROUP", "CREATECONSUMER", "s", "123", "idle")
    s = env.server.dbs[0].lookup(b"s")
    rtype, back = rdb.load_value(rdb.dump_value(s, compress))
    assert rtype == 19 and snapshot(back) == snapshot(s)
    assert back.keys == [k for n, k in zip(s.nodes, s.keys) if n.ids]
    # The written listpacks hold the live entries only; a reloaded node is sized by them.
    for n in back.nodes:
        assert n.total == len(n.ids) and n.nbytes + 4 == len(sm._node_listpack(n))
    empty = Stream()
    assert snapshot(rdb.load_value(rdb.dump_value(empty))[1]) == snapshot(empty)


def test_rdb_corruption_is_an_error():
    def load(data: bytes) -> Stream:
        return sm.rdb_load(rdb.Reader(data), 19)

    with pytest.raises(rdb.RDBError, match="not the size of a stream ID"):
        load(rdb.enc_len(1) + rdb.enc_string(b"x" * 15))
    s = make(3)
    lp = bytearray(sm._node_listpack(s.nodes[0]))
    lp[6] = 5  # the live count says 5
    with pytest.raises(rdb.RDBError, match="integrity"):
        load(rdb.enc_len(1) + rdb.enc_string(i(1).to_bytes(16, "big")) + rdb.enc_string(bytes(lp)))
    g = s.create_group(b"g", 0, 0)
    cons = g.create_consumer(b"c", 0)
    cons.pel[i(1)] = sm.Nack(cons, 0)  # owned by the consumer, missing from the group PEL
    with pytest.raises(rdb.RDBError, match="not found in group global PEL"):
        load(sm.rdb_encode(s)[1])
    with pytest.raises(rdb.RDBError, match="Short read"):
        load(sm.rdb_encode(make(3))[1][:-2])


def test_dup_is_deep(env):
    for k in range(1, 30):
        env("XADD", "s", "%d-1" % k, "f", "v")
    env("XGROUP", "CREATE", "s", "g", "0")
    env("XREADGROUP", "GROUP", "g", "c", "COUNT", "5", "STREAMS", "s", ">")
    s = env.server.dbs[0].lookup(b"s")
    t = s.dup()
    assert snapshot(t) == snapshot(s) and t.keys == s.keys and t.rax_nodes() == s.rax_nodes()
    assert [n.lp_bytes() for n in t.nodes] == [n.lp_bytes() for n in s.nodes]
    t.delete(i(1, 1))
    t.groups[b"g"].ack(i(2, 1))
    add(t, i(99))
    assert s.length == 29 and len(s.groups[b"g"].pel) == 5 and s.last_id == i(29, 1)
    assert t.groups[b"g"].consumers[b"c"].pel.keys() == t.groups[b"g"].pel.keys()
