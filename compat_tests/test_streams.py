"""Streams (XADD ... XSETID) against CrabCache and real Redis 7.0, RESP2 and RESP3.

Replies that carry times (idle, seen-time, delivery time, auto IDs) are checked
for shape and plausible range only; everything else must match exactly.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
import redis


def resp(*args: object) -> bytes:
    """A RESP2 multibulk request."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(b), b)
    return out


def x(r: redis.Redis, *args: object):
    return r.execute_command(*args)


def as_dict(reply):
    """A map reply as a dict, whether it came as a RESP3 map or a RESP2 flat array."""
    return reply if isinstance(reply, dict) else dict(zip(reply[::2], reply[1::2]))


def streams_reply(rr, reply):
    """XREAD/XREADGROUP: RESP2 [[key, entries]...], RESP3 {key: entries}; as a dict."""
    if rr.connection_pool.connection_kwargs.get("protocol") == 3:
        assert isinstance(reply, dict)
        return reply
    assert isinstance(reply, list)
    return {k: v for k, v in reply}


def need(r, *names):
    """Skip unless the server has these commands (other families land separately)."""
    info = r.execute_command("COMMAND", "INFO", *names)
    if any(i is None for i in info):
        pytest.skip("server lacks one of %s" % (names,))


def check(raw, pairs):
    """Send every request on one connection; compare the concatenated replies exactly."""
    req = b"".join(resp(*args) for args, _ in pairs)
    want = b"".join(w for _, w in pairs)
    assert raw(req, expect=len(want)) == want


INVALID_ID = b"-ERR Invalid stream ID specified as stream command argument\r\n"


# --- XADD / XLEN / XRANGE / XREVRANGE ----------------------------------------------------

def test_xadd_xrange_explicit_ids(rr):
    assert x(rr, "XADD", "s", "1-1", "a", "1") == b"1-1"
    assert x(rr, "XADD", "s", "1-2", "a", "2", "b", "3") == b"1-2"
    assert x(rr, "XADD", "s", "2", "c", "4") == b"2-0"
    assert x(rr, "XADD", "s", "2-*", "d", "5") == b"2-1"
    assert x(rr, "XADD", "s", "3-*", "e", "6") == b"3-0"
    assert x(rr, "XLEN", "s") == 5
    e1, e2, e3, e4, e5 = ([b"1-1", [b"a", b"1"]], [b"1-2", [b"a", b"2", b"b", b"3"]],
                          [b"2-0", [b"c", b"4"]], [b"2-1", [b"d", b"5"]], [b"3-0", [b"e", b"6"]])
    assert x(rr, "XRANGE", "s", "-", "+") == [e1, e2, e3, e4, e5]
    assert x(rr, "XRANGE", "s", "1", "2") == [e1, e2, e3, e4]  # "2" as end means 2-max
    assert x(rr, "XRANGE", "s", "(1-1", "(2-1") == [e2, e3]
    assert x(rr, "XRANGE", "s", "(1", "+") == [e1, e2, e3, e4, e5]  # (1 is (1-0
    assert x(rr, "XRANGE", "s", "-", "+", "COUNT", "2") == [e1, e2]
    assert x(rr, "XRANGE", "s", "-", "+", "count", "1", "COUNT", "3") == [e1, e2, e3]
    assert x(rr, "XREVRANGE", "s", "+", "-") == [e5, e4, e3, e2, e1]
    assert x(rr, "XREVRANGE", "s", "(3-0", "-", "COUNT", "2") == [e4, e3]
    assert x(rr, "XREVRANGE", "s", "(3", "-", "COUNT", "1") == [e5]  # (3 is (3-max
    assert x(rr, "XRANGE", "s", "2-1", "1-1") == []
    assert x(rr, "XRANGE", "nokey", "-", "+") == []
    assert x(rr, "XLEN", "nokey") == 0


def test_xrange_count_zero_is_null(raw):
    check(raw, [
        (("XADD", "s", "1-1", "a", "b"), b"$3\r\n1-1\r\n"),
        (("XRANGE", "s", "-", "+", "COUNT", "0"), b"*-1\r\n"),
        (("XREVRANGE", "s", "+", "-", "COUNT", "-3"), b"*-1\r\n"),
        (("XRANGE", "nokey", "-", "+", "COUNT", "0"), b"*0\r\n"),
    ])


def test_xrange_errors(raw):
    check(raw, [
        (("XADD", "s", "1-1", "a", "b"), b"$3\r\n1-1\r\n"),
        (("XRANGE", "s", "(-", "+"), INVALID_ID),
        (("XRANGE", "s", "(", "+"), INVALID_ID),
        (("XRANGE", "s", "1-*", "+"), INVALID_ID),
        (("XRANGE", "s", "x", "+"), INVALID_ID),
        (("XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"),
         b"-ERR invalid start ID for the interval\r\n"),
        (("XRANGE", "s", "-", "(0-0"), b"-ERR invalid end ID for the interval\r\n"),
        (("XRANGE", "s", "-", "+", "COUNT"), b"-ERR syntax error\r\n"),
        (("XRANGE", "s", "-", "+", "LIMIT", "1"), b"-ERR syntax error\r\n"),
        (("XRANGE", "s", "-", "+", "COUNT", "x"), b"-ERR value is not an integer or out of range\r\n"),
        (("XRANGE", "s", "-"), b"-ERR wrong number of arguments for 'xrange' command\r\n"),
    ])


def test_stream_id_parsing(rr):
    # string2ull: leading blanks and '+' are accepted, leading zeros too; a
    # negative long long is refused, but strtoull wraps what string2ll can't read.
    assert x(rr, "XADD", "s", " 1-+2", "a", "b") == b"1-2"
    assert x(rr, "XADD", "s", "007-1", "a", "b") == b"7-1"
    with pytest.raises(redis.ResponseError, match="Invalid stream ID"):
        x(rr, "XADD", "s", "8--1", "a", "b")
    assert x(rr, "XADD", "s", "8--18446744073709551615", "a", "b") == b"8-1"
    assert x(rr, "XADD", "s", "18446744073709551615-0", "a", "b") == b"18446744073709551615-0"
    with pytest.raises(redis.ResponseError, match="Invalid stream ID"):
        x(rr, "XRANGE", "s", "18446744073709551616", "+")
    with pytest.raises(redis.ResponseError, match="Invalid stream ID"):
        x(rr, "XRANGE", "s", "1" * 128, "+")
    assert x(rr, "XRANGE", "s", "-", "7") == [[b"1-2", [b"a", b"b"]], [b"7-1", [b"a", b"b"]]]


def test_xadd_auto_ids(rr):
    t0 = int(x(rr, "TIME")[0]) * 1000
    a = x(rr, "XADD", "s", "*", "f", "v")
    ms, seq = map(int, a.split(b"-"))
    assert t0 - 5000 <= ms <= t0 + 5000
    b = x(rr, "XADD", "s", "*", "f", "v")
    assert tuple(map(int, b.split(b"-"))) > (ms, seq)
    # The clock never goes back past the last ID: a future explicit ID wins.
    assert x(rr, "XADD", "s", "99999999999999-5", "f", "v") == b"99999999999999-5"
    assert x(rr, "XADD", "s", "*", "f", "v") == b"99999999999999-6"
    assert x(rr, "XADD", "s", "99999999999999-*", "f", "v") == b"99999999999999-7"


def test_xadd_errors(raw):
    check(raw, [
        (("XADD", "s", "0-0", "a", "b"), b"-ERR The ID specified in XADD must be greater than 0-0\r\n"),
        (("XADD", "s", "0", "a", "b"), b"-ERR The ID specified in XADD must be greater than 0-0\r\n"),
        (("DBSIZE",), b":0\r\n"),  # a failed XADD creates no key
        (("XADD", "s", "5-5", "a", "b"), b"$3\r\n5-5\r\n"),
        (("XADD", "s", "5-5", "a", "b"),
         b"-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"),
        (("XADD", "s", "4-*", "a", "b"),
         b"-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"),
        (("XADD", "s", "-", "a", "b"), INVALID_ID),
        (("XADD", "s", "+", "a", "b"), INVALID_ID),
        (("XADD", "s", "1-x", "a", "b"), INVALID_ID),
        (("XADD", "s", "*", "a"), b"-ERR wrong number of arguments for 'xadd' command\r\n"),
        (("XADD", "s", "*", "a", "b", "c"), b"-ERR wrong number of arguments for 'xadd' command\r\n"),
        (("XADD", "s", "NOMKSTREAM", "NOMKSTREAM", "NOMKSTREAM"),
         b"-ERR wrong number of arguments for 'xadd' command\r\n"),
        (("XADD", "s", "MAXLEN", "5", "a", "b"), INVALID_ID),
        (("XADD", "s", "MAXLEN", "x", "*", "a", "b"), b"-ERR value is not an integer or out of range\r\n"),
        (("XADD", "s", "MAXLEN", "-1", "*", "a", "b"), b"-ERR The MAXLEN argument must be >= 0.\r\n"),
        (("XADD", "s", "MINID", "5-*", "*", "a", "b"), INVALID_ID),
        (("XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "a", "b"),
         b"-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n"),
        (("XADD", "s", "LIMIT", "10", "*", "a", "b"),
         b"-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"),
        (("XADD", "s", "LIMIT", "0", "*", "a", "b"),
         b"-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"),
        (("XADD", "s", "MAXLEN", "=", "9", "LIMIT", "10", "*", "a", "b"),
         b"-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"),
        (("XADD", "s", "LIMIT", "-1", "*", "a", "b"), b"-ERR The LIMIT argument must be >= 0.\r\n"),
        (("XADD", "s", "5-18446744073709551615", "a", "b"), b"$22\r\n5-18446744073709551615\r\n"),
        # Redis 7.0 reports the sequence overflow of <ms>-* with the "too large" text.
        (("XADD", "s", "5-*", "a", "b"), b"-ERR Elements are too large to be stored\r\n"),
        (("XADD", "s", "18446744073709551615-18446744073709551615", "a", "b"),
         b"$41\r\n18446744073709551615-18446744073709551615\r\n"),
        (("XADD", "s", "*", "a", "b"),
         b"-ERR The stream has exhausted the last possible ID, unable to add more items\r\n"),
        (("XADD", "nokey", "NOMKSTREAM", "*", "a", "b"), b"$-1\r\n"),
        (("DBSIZE",), b":1\r\n"),
        (("SET", "str", "x"), b"+OK\r\n"),
        (("XADD", "str", "*", "a", "b"), b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ])


def test_xadd_nomkstream_and_type(r):
    assert r.xadd("s", {"a": 1}, nomkstream=True) is None
    assert r.dbsize() == 0
    r.xadd("s", {"a": 1}, id="1-1")
    assert r.xadd("s", {"a": 2}, id="1-2", nomkstream=True) == b"1-2"
    need(r, "type", "object")
    assert r.type("s") == b"stream"
    assert r.object("encoding", "s") == b"stream"


# --- trimming ----------------------------------------------------------------------------

def fill(r, key, n, start=1):
    p = r.pipeline(transaction=False)
    for i in range(start, start + n):
        p.execute_command("XADD", key, "%d-1" % i, "f", "v")
    p.execute_command("XLEN", key)
    return p.execute()[-1]


def test_xtrim_exact_and_approximate(rr):
    assert fill(rr, "s", 250) == 250
    # Approximate trims remove whole nodes of stream-node-max-entries (100) only.
    assert x(rr, "XTRIM", "s", "MAXLEN", "~", "180") == 0
    assert x(rr, "XTRIM", "s", "MAXLEN", "~", "150") == 100
    assert x(rr, "XLEN", "s") == 150
    assert x(rr, "XTRIM", "s", "MAXLEN", "=", "120") == 30
    assert x(rr, "XRANGE", "s", "-", "+", "COUNT", "1") == [[b"131-1", [b"f", b"v"]]]
    # The node that was cut into counts its 70 live entries: it goes whole or not at all.
    assert x(rr, "XTRIM", "s", "MAXLEN", "~", "60") == 0
    assert x(rr, "XTRIM", "s", "MAXLEN", "~", "50") == 70
    assert x(rr, "XLEN", "s") == 50
    assert x(rr, "XTRIM", "s", "MINID", "~", "241") == 0
    assert x(rr, "XTRIM", "s", "MINID", "241") == 40
    assert x(rr, "XTRIM", "s", "MINID", "241") == 0
    assert x(rr, "XTRIM", "s", "MAXLEN", "0") == 10
    assert x(rr, "XLEN", "s") == 0
    assert x(rr, "DBSIZE") == 1  # empty streams stay
    assert x(rr, "XTRIM", "nokey", "MAXLEN", "0") == 0


def test_xtrim_limit(rr):
    fill(rr, "s", 500)
    assert x(rr, "XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "250") == 200
    assert x(rr, "XTRIM", "s", "MINID", "~", "1000", "LIMIT", "99") == 0
    assert x(rr, "XTRIM", "s", "MINID", "~", "1000", "LIMIT", "0") == 300


def test_xadd_with_trimming(rr):
    fill(rr, "s", 10)
    assert x(rr, "XADD", "s", "MAXLEN", "3", "11-1", "f", "v") == b"11-1"
    assert [e[0] for e in x(rr, "XRANGE", "s", "-", "+")] == [b"9-1", b"10-1", b"11-1"]
    assert x(rr, "XADD", "s", "MINID", "=", "11", "12-1", "f", "v") == b"12-1"
    assert x(rr, "XLEN", "s") == 2
    fill(rr, "t", 150)
    assert x(rr, "XADD", "t", "MAXLEN", "~", "10", "151-1", "f", "v") == b"151-1"
    assert x(rr, "XLEN", "t") == 51
    assert x(rr, "XADD", "t", "NOMKSTREAM", "MAXLEN", "~", "0", "LIMIT", "50", "152-1", "f", "v") == b"152-1"
    assert x(rr, "XLEN", "t") == 52  # the node holds 52 entries: more than LIMIT allows
    assert x(rr, "XADD", "t", "MAXLEN", "~", "0", "LIMIT", "100", "153-1", "f", "v") == b"153-1"
    assert x(rr, "XLEN", "t") == 0


def test_xtrim_errors(raw):
    check(raw, [
        (("XTRIM", "s", "foo", "1"), b"-ERR syntax error\r\n"),
        (("XTRIM", "s", "MAXLEN", "~"), b"-ERR value is not an integer or out of range\r\n"),
        (("XTRIM", "s", "LIMIT", "5", "x"), b"-ERR syntax error\r\n"),
        (("XTRIM", "s", "LIMIT", "5", "MAXLEN", "1"),
         b"-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"),
        (("XTRIM", "s", "MINID", "1", "NOMKSTREAM"), b"-ERR syntax error\r\n"),
        (("XTRIM", "s", "MAXLEN"), b"-ERR wrong number of arguments for 'xtrim' command\r\n"),
        (("XTRIM", "s", "LIMIT", "0", "LIMIT", "0"),
         b"-ERR syntax error, XTRIM must be called with a trimming strategy\r\n"),
    ])


def test_node_sizes_follow_config(rr):
    x(rr, "CONFIG", "SET", "stream-node-max-entries", "4")
    try:
        fill(rr, "s", 10)
        info = as_dict(x(rr, "XINFO", "STREAM", "s"))
        assert info[b"radix-tree-keys"] == 3
        assert x(rr, "XTRIM", "s", "MAXLEN", "~", "5") == 4
    finally:
        x(rr, "CONFIG", "SET", "stream-node-max-entries", "100")
    x(rr, "CONFIG", "SET", "stream-node-max-bytes", "150")
    try:
        # A node's listpack: 22 bytes of header and master entry, then 50 bytes per
        # entry; a new node starts when bytes + the new entry's 45 raw bytes reach 150.
        for i in range(1, 6):
            x(rr, "XADD", "b", "%d-1" % i, "field", "v" * 40)
        info = as_dict(x(rr, "XINFO", "STREAM", "b"))
        assert info[b"radix-tree-keys"] == 3
    finally:
        x(rr, "CONFIG", "SET", "stream-node-max-bytes", "4096")


# --- XDEL ----------------------------------------------------------------------------------

def test_xdel(rr):
    fill(rr, "s", 3)
    assert x(rr, "XDEL", "s", "2-1", "2-1", "9-9") == 1
    assert x(rr, "XLEN", "s") == 2
    with pytest.raises(redis.ResponseError, match="Invalid stream ID"):
        x(rr, "XDEL", "s", "1-1", "bad")
    assert x(rr, "XLEN", "s") == 2  # all or nothing
    assert x(rr, "XDEL", "s", "1-1", "3-1") == 2
    assert x(rr, "DBSIZE") == 1
    assert x(rr, "XDEL", "nokey", "bad") == 0  # no key: IDs aren't even looked at
    info = as_dict(x(rr, "XINFO", "STREAM", "s"))
    assert info[b"max-deleted-entry-id"] == b"3-1"
    assert info[b"recorded-first-entry-id"] == b"0-0"
    assert info[b"entries-added"] == 3
    assert info[b"first-entry"] is None and info[b"last-entry"] is None


def test_wrongtype(raw):
    wt = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    check(raw, [
        (("SET", "k", "v"), b"+OK\r\n"),
        (("XLEN", "k"), wt),
        (("XRANGE", "k", "-", "+"), wt),
        (("XRANGE", "k", "bad", "+"), INVALID_ID),  # IDs are parsed before the type check
        (("XDEL", "k", "1-1"), wt),
        (("XTRIM", "k", "MAXLEN", "1"), wt),
        (("XREAD", "STREAMS", "k", "0"), wt),
        (("XGROUP", "CREATE", "k", "g", "0"), wt),
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"), wt),
        (("XACK", "k", "g", "1-1"), wt),
        (("XPENDING", "k", "g"), wt),
        (("XCLAIM", "k", "g", "c", "0", "1-1"), wt),
        (("XAUTOCLAIM", "k", "g", "c", "0", "0"), wt),
        (("XINFO", "STREAM", "k"), wt),
        (("XSETID", "k", "1-1"), wt),
    ])


# --- XREAD -----------------------------------------------------------------------------------

def test_xread(rr):
    x(rr, "XADD", "s", "1-1", "a", "1")
    x(rr, "XADD", "s", "1-2", "a", "2")
    x(rr, "XADD", "t", "5-0", "b", "1")
    got = streams_reply(rr, x(rr, "XREAD", "STREAMS", "s", "t", "nokey", "0", "0", "0"))
    assert got == {b"s": [[b"1-1", [b"a", b"1"]], [b"1-2", [b"a", b"2"]]], b"t": [[b"5-0", [b"b", b"1"]]]}
    got = streams_reply(rr, x(rr, "XREAD", "COUNT", "1", "STREAMS", "s", "t", "1-1", "5"))
    assert got == {b"s": [[b"1-2", [b"a", b"2"]]]}
    assert x(rr, "XREAD", "STREAMS", "s", "$") is None
    assert x(rr, "XREAD", "STREAMS", "nokey", "0") is None
    assert x(rr, "XREAD", "BLOCK", "10", "STREAMS", "s", "1-2") is None


def test_xread_raw_shapes(raw):
    check(raw, [
        (("XADD", "s", "1-1", "a", "1"), b"$3\r\n1-1\r\n"),
        (("XREAD", "STREAMS", "s", "0"),
         b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (("XREAD", "STREAMS", "s", "$"), b"*-1\r\n"),
        (("XREAD", "STREAMS", "s", "nokey", "0", "0"),
         b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
    ])


def test_xread_errors(raw):
    check(raw, [
        (("XREAD", "STREAMS", "s", "0", "1"),
         b"-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\r\n"),
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "s", "0"),
         b"-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\r\n"),
        (("XREAD", "STREAMS", "s", ">"),
         b"-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
         b"<consumer> option.\r\n"),
        (("XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"),
         b"-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.\r\n"),
        (("XREAD", "NOACK", "STREAMS", "s", "0"),
         b"-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.\r\n"),
        (("XREAD", "FOO", "STREAMS", "s", "0"), b"-ERR syntax error\r\n"),
        (("XREAD", "COUNT", "1", "s", "0"), b"-ERR syntax error\r\n"),
        (("XREAD", "BLOCK", "-1", "STREAMS", "s", "0"), b"-ERR timeout is negative\r\n"),
        (("XREAD", "BLOCK", "1.5", "STREAMS", "s", "0"), b"-ERR timeout is not an integer or out of range\r\n"),
        (("XREAD", "COUNT", "x", "STREAMS", "s", "0"), b"-ERR value is not an integer or out of range\r\n"),
        (("XREAD", "STREAMS", "s", "bad"), INVALID_ID),
        (("XREAD", "STREAMS", "s"), b"-ERR wrong number of arguments for 'xread' command\r\n"),
        (("XREADGROUP", "COUNT", "1", "STREAMS", "s", "t", ">", ">"), b"-ERR Missing GROUP option for XREADGROUP\r\n"),
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
         b"-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n"),
        (("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"), b"+OK\r\n"),
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"),
         b"-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of "
         b"this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would "
         b"just return an empty result set.\r\n"),
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "x", ">", ">"),
         b"-NOGROUP No such key 'x' or consumer group 'g' in XREADGROUP with GROUP option\r\n"),
    ])


# --- consumer groups -------------------------------------------------------------------------

def test_xgroup_lifecycle(rr):
    x(rr, "XADD", "s", "1-1", "a", "1")
    assert x(rr, "XGROUP", "CREATE", "s", "g", "$") == b"OK"
    with pytest.raises(redis.ResponseError, match="^BUSYGROUP Consumer Group name already exists$"):
        x(rr, "XGROUP", "CREATE", "s", "g", "0")
    assert x(rr, "XGROUP", "CREATE", "new", "g", "$", "MKSTREAM") == b"OK"
    assert x(rr, "XLEN", "new") == 0
    assert x(rr, "XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "1") == b"OK"
    assert x(rr, "XGROUP", "CREATECONSUMER", "s", "g", "alice") == 1
    assert x(rr, "XGROUP", "CREATECONSUMER", "s", "g", "alice") == 0
    assert x(rr, "XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "0") == b"OK"
    assert x(rr, "XGROUP", "SETID", "s", "g2", "-") == b"OK"
    groups = [as_dict(g) for g in x(rr, "XINFO", "GROUPS", "s")]
    assert [(g[b"name"], g[b"consumers"], g[b"last-delivered-id"], g[b"entries-read"], g[b"lag"])
            for g in groups] == [(b"g", 1, b"0-0", 0, 1), (b"g2", 0, b"0-0", None, 1)]
    assert x(rr, "XGROUP", "DELCONSUMER", "s", "g", "alice") == 0
    assert x(rr, "XGROUP", "DELCONSUMER", "s", "g", "alice") == 0
    assert x(rr, "XGROUP", "DESTROY", "s", "g") == 1
    assert x(rr, "XGROUP", "DESTROY", "s", "g") == 0
    assert [as_dict(g)[b"name"] for g in x(rr, "XINFO", "GROUPS", "s")] == [b"g2"]


def test_xgroup_errors(raw):
    missing = (b"-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
               b"to use the MKSTREAM option to create an empty stream automatically.\r\n")
    check(raw, [
        (("XGROUP", "CREATE", "s", "g", "0"), missing),
        (("XGROUP", "DESTROY", "s", "g"), missing),
        (("XGROUP", "SETID", "s", "g", "0"), missing),
        (("XGROUP", "CREATECONSUMER", "s", "g", "c"), missing),
        (("XADD", "s", "1-1", "a", "b"), b"$3\r\n1-1\r\n"),
        (("XGROUP", "SETID", "s", "g", "0"), b"-NOGROUP No such consumer group 'g' for key name 's'\r\n"),
        (("XGROUP", "DELCONSUMER", "s", "g", "c"), b"-NOGROUP No such consumer group 'g' for key name 's'\r\n"),
        (("XGROUP", "create", "s", "g", "0", "MKSTREAM", "foo"),
         b"-ERR unknown subcommand or wrong number of arguments for 'create'. Try XGROUP HELP.\r\n"),
        (("XGROUP", "CREATE", "s", "g", "0", "ENTRIESREAD"),
         b"-ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.\r\n"),
        (("XGROUP", "CREATE", "s", "g", "0", "ENTRIESREAD", "-2"),
         b"-ERR value for ENTRIESREAD must be positive or -1\r\n"),
        (("XGROUP", "CREATE", "s", "g", "0-*"), INVALID_ID),
        (("XGROUP", "CREATE", "s", "g", "0"), b"+OK\r\n"),
        (("XGROUP", "SETID", "s", "g", "bad", "foo", "1"),
         b"-ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.\r\n"),
        (("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "1", "ENTRIESREAD", "2"),
         b"-ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.\r\n"),
        (("XGROUP", "SETID", "s", "g", "bad"), INVALID_ID),
        (("XGROUP", "FOO", "s", "g"), b"-ERR unknown subcommand 'FOO'. Try XGROUP HELP.\r\n"),
        (("XGROUP", "HELP", "x"), b"-ERR wrong number of arguments for 'xgroup|help' command\r\n"),
        (("XGROUP", "DESTROY", "s"), b"-ERR wrong number of arguments for 'xgroup|destroy' command\r\n"),
        (("XGROUP",), b"-ERR wrong number of arguments for 'xgroup' command\r\n"),
    ])


def test_help_texts(raw):
    check(raw, [
        (("XGROUP", "HELP"),
         b"*17\r\n+XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
         b"+CREATE <key> <groupname> <id|$> [option]\r\n+    Create a new consumer group. Options are:\r\n"
         b"+    * MKSTREAM\r\n+      Create the empty stream if it does not exist.\r\n"
         b"+    * ENTRIESREAD entries_read\r\n+      Set the group's entries_read counter (internal use).\r\n"
         b"+CREATECONSUMER <key> <groupname> <consumer>\r\n+    Create a new consumer in the specified group.\r\n"
         b"+DELCONSUMER <key> <groupname> <consumer>\r\n+    Remove the specified consumer.\r\n"
         b"+DESTROY <key> <groupname>\r\n+    Remove the specified group.\r\n"
         b"+SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]\r\n"
         b"+    Set the current group ID and entries_read counter.\r\n+HELP\r\n+    Prints this help.\r\n"),
        (("XINFO", "HELP"),
         b"*9\r\n+XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
         b"+CONSUMERS <key> <groupname>\r\n+    Show consumers of <groupname>.\r\n+GROUPS <key>\r\n"
         b"+    Show the stream consumer groups.\r\n+STREAM <key> [FULL [COUNT <count>]\r\n"
         b"+    Show information about the stream.\r\n+HELP\r\n+    Prints this help.\r\n"),
    ])


def test_xreadgroup_flow(rr):
    for i in range(1, 4):
        x(rr, "XADD", "s", "1-%d" % i, "a", str(i))
    x(rr, "XGROUP", "CREATE", "s", "g", "0")
    e1, e2, e3 = ([b"1-1", [b"a", b"1"]], [b"1-2", [b"a", b"2"]], [b"1-3", [b"a", b"3"]])
    # No history yet: the key is there with an empty list.
    assert streams_reply(rr, x(rr, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0")) == {b"s": []}
    assert streams_reply(rr, x(rr, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")) == {b"s": [e1]}
    assert streams_reply(rr, x(rr, "XREADGROUP", "GROUP", "g", "c2", "NOACK", "STREAMS", "s", ">")) == {b"s": [e2, e3]}
    assert x(rr, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">") is None
    assert streams_reply(rr, x(rr, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0")) == {b"s": [e1]}
    x(rr, "XDEL", "s", "1-1")
    # A pending entry deleted from the stream comes back as its ID and a null.
    assert streams_reply(rr, x(rr, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0")) == {b"s": [[b"1-1", None]]}
    pending = x(rr, "XPENDING", "s", "g", "-", "+", "10")
    assert [(p[0], p[1], p[3]) for p in pending] == [(b"1-1", b"c", 2)]
    assert x(rr, "XACK", "s", "g", "1-1", "1-9") == 1
    assert x(rr, "XACK", "s", "g", "1-1") == 0
    assert x(rr, "XACK", "s", "nogroup", "x") == 0
    assert x(rr, "XACK", "nokey", "g", "1-1") == 0
    with pytest.raises(redis.ResponseError, match="Invalid stream ID"):
        x(rr, "XACK", "s", "g", "bad")
    consumers = [as_dict(c) for c in x(rr, "XINFO", "CONSUMERS", "s", "g")]
    assert [(c[b"name"], c[b"pending"]) for c in consumers] == [(b"c", 0), (b"c2", 0)]
    assert all(0 <= c[b"idle"] < 5000 for c in consumers)


def test_xreadgroup_redelivery_after_setid(rr):
    fill(rr, "s", 3)
    x(rr, "XGROUP", "CREATE", "s", "g", "0")
    x(rr, "XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    x(rr, "XGROUP", "SETID", "s", "g", "1-1")
    got = streams_reply(rr, x(rr, "XREADGROUP", "GROUP", "g", "b", "COUNT", "1", "STREAMS", "s", ">"))
    assert got == {b"s": [[b"2-1", [b"f", b"v"]]]}
    summary = x(rr, "XPENDING", "s", "g")
    assert summary == [3, b"1-1", b"3-1", [[b"a", b"2"], [b"b", b"1"]]]


def test_xpending(rr):
    fill(rr, "s", 3)
    x(rr, "XGROUP", "CREATE", "s", "g", "0")
    assert x(rr, "XPENDING", "s", "g") == [0, None, None, None]
    x(rr, "XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">")
    x(rr, "XREADGROUP", "GROUP", "g", "d", "STREAMS", "s", ">")
    assert x(rr, "XPENDING", "s", "g") == [3, b"1-1", b"3-1", [[b"c", b"2"], [b"d", b"1"]]]
    full = x(rr, "XPENDING", "s", "g", "-", "+", "10")
    assert [(p[0], p[1], p[3]) for p in full] == [(b"1-1", b"c", 1), (b"2-1", b"c", 1), (b"3-1", b"d", 1)]
    assert all(0 <= p[2] < 5000 for p in full)
    assert [p[0] for p in x(rr, "XPENDING", "s", "g", "(1-1", "+", "1")] == [b"2-1"]
    assert [p[0] for p in x(rr, "XPENDING", "s", "g", "-", "+", "10", "d")] == [b"3-1"]
    assert x(rr, "XPENDING", "s", "g", "-", "+", "10", "nobody") == []
    assert x(rr, "XPENDING", "s", "g", "-", "+", "0") == []
    assert x(rr, "XPENDING", "s", "g", "IDLE", "3600000", "-", "+", "10") == []
    assert len(x(rr, "XPENDING", "s", "g", "IDLE", "0", "-", "+", "10", "c")) == 2


def test_xpending_errors(raw):
    check(raw, [
        (("XPENDING", "s", "g"), b"-NOGROUP No such key 's' or consumer group 'g'\r\n"),
        (("XPENDING", "s", "g", "-", "+"), b"-ERR syntax error\r\n"),
        (("XPENDING", "s", "g", "-", "+", "x"), b"-ERR value is not an integer or out of range\r\n"),
        (("XPENDING", "s", "g", "IDLE", "x", "-", "+", "1"), b"-ERR value is not an integer or out of range\r\n"),
        (("XPENDING", "s", "g", "IDLE", "1", "-", "+"), b"-ERR syntax error\r\n"),
        (("XPENDING", "s", "g", "bad", "+", "1"), INVALID_ID),
        (("XPENDING", "s", "g", "-", "+", "1", "c", "a", "b", "c"), b"-ERR syntax error\r\n"),
    ])


def test_xclaim(rr):
    fill(rr, "s", 4)
    x(rr, "XGROUP", "CREATE", "s", "g", "0")
    x(rr, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    assert x(rr, "XCLAIM", "s", "g", "d", "0", "1-1") == [[b"1-1", [b"f", b"v"]]]
    # Nothing idle for an hour: nothing claimed, and the consumer isn't created.
    assert x(rr, "XCLAIM", "s", "g", "e", "3600000", "2-1") == []
    assert [as_dict(c)[b"name"] for c in x(rr, "XINFO", "CONSUMERS", "s", "g")] == [b"c", b"d"]
    assert x(rr, "XCLAIM", "s", "g", "d", "0", "2-1", "JUSTID") == [b"2-1"]
    assert x(rr, "XCLAIM", "s", "g", "d", "0", "3-1", "RETRYCOUNT", "7", "IDLE", "5000") == [[b"3-1", [b"f", b"v"]]]
    pending = {p[0]: p for p in x(rr, "XPENDING", "s", "g", "-", "+", "10")}
    assert pending[b"1-1"][3] == 2 and pending[b"2-1"][3] == 1 and pending[b"3-1"][3] == 7
    assert 5000 <= pending[b"3-1"][2] < 10000
    # FORCE creates a PEL entry, but only for entries that exist.
    x(rr, "XADD", "s", "5-1", "f", "v")
    assert x(rr, "XCLAIM", "s", "g", "d", "0", "5-1", "9-9", "FORCE", "JUSTID") == [b"5-1"]
    x(rr, "XDEL", "s", "4-1")
    # A deleted entry is dropped from the PEL instead of being claimed.
    assert x(rr, "XCLAIM", "s", "g", "d", "0", "4-1", "5-1", "LASTID", "7-0", "JUSTID") == [b"5-1"]
    assert x(rr, "XPENDING", "s", "g")[0] == 4
    assert as_dict(x(rr, "XINFO", "GROUPS", "s")[0])[b"last-delivered-id"] == b"7-0"


def test_xclaim_errors(raw):
    check(raw, [
        (("XCLAIM", "s", "g", "c", "0", "1-1"), b"-NOGROUP No such key 's' or consumer group 'g'\r\n"),
        (("XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"), b"+OK\r\n"),
        (("XCLAIM", "s", "g", "c", "x", "1-1"), b"-ERR Invalid min-idle-time argument for XCLAIM\r\n"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "foo"), b"-ERR Unrecognized XCLAIM option 'foo'\r\n"),
        (("XCLAIM", "s", "g", "c", "0", "bad"), b"-ERR Unrecognized XCLAIM option 'bad'\r\n"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "IDLE"), b"-ERR Unrecognized XCLAIM option 'IDLE'\r\n"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "IDLE", "x"), b"-ERR Invalid IDLE option argument for XCLAIM\r\n"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "TIME", "x"), b"-ERR Invalid TIME option argument for XCLAIM\r\n"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "RETRYCOUNT", "x"),
         b"-ERR Invalid RETRYCOUNT option argument for XCLAIM\r\n"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "LASTID", "x"), INVALID_ID),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "JUSTID", "2-2"), b"-ERR Unrecognized XCLAIM option '2-2'\r\n"),
        (("XCLAIM", "s", "g", "c", "-5", "1-1"), b"*0\r\n"),
    ])


def test_xautoclaim(rr):
    fill(rr, "s", 4)
    x(rr, "XGROUP", "CREATE", "s", "g", "0")
    x(rr, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    x(rr, "XDEL", "s", "2-1")
    e = [b"f", b"v"]
    assert x(rr, "XAUTOCLAIM", "s", "g", "d", "0", "0", "COUNT", "1") == [b"2-1", [[b"1-1", e]], []]
    # The deleted entry is reported and leaves the PEL; it counts against COUNT.
    assert x(rr, "XAUTOCLAIM", "s", "g", "d", "0", "2-1", "COUNT", "2") == [b"4-1", [[b"3-1", e]], [b"2-1"]]
    assert x(rr, "XAUTOCLAIM", "s", "g", "d", "0", "0", "JUSTID") == [b"0-0", [b"1-1", b"3-1", b"4-1"], []]
    assert x(rr, "XAUTOCLAIM", "s", "g", "d", "0", "(3-1", "JUSTID") == [b"0-0", [b"4-1"], []]
    assert x(rr, "XAUTOCLAIM", "s", "g", "e", "3600000", "0") == [b"0-0", [], []]
    pending = {p[0]: p[3] for p in x(rr, "XPENDING", "s", "g", "-", "+", "10")}
    assert pending == {b"1-1": 2, b"3-1": 2, b"4-1": 1}  # JUSTID doesn't count deliveries


def test_xautoclaim_errors(raw):
    check(raw, [
        (("XAUTOCLAIM", "s", "g", "c", "0", "bad"), INVALID_ID),
        (("XAUTOCLAIM", "s", "g", "c", "x", "0"), b"-ERR Invalid min-idle-time argument for XAUTOCLAIM\r\n"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0"), b"-ERR COUNT must be > 0\r\n"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "x"), b"-ERR COUNT must be > 0\r\n"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "9223372036854775807"), b"-ERR COUNT must be > 0\r\n"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT"), b"-ERR syntax error\r\n"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "0", "FOO"), b"-ERR syntax error\r\n"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "(18446744073709551615-18446744073709551615"),
         b"-ERR invalid start ID for the interval\r\n"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "0"), b"-NOGROUP No such key 's' or consumer group 'g'\r\n"),
    ])


# --- XINFO / XSETID ------------------------------------------------------------------------

def test_xinfo_stream(rr):
    fill(rr, "s", 3)
    x(rr, "XGROUP", "CREATE", "s", "g", "0")
    x(rr, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
    info = as_dict(x(rr, "XINFO", "STREAM", "s"))
    assert info == {
        b"length": 3, b"radix-tree-keys": 1, b"radix-tree-nodes": 2, b"last-generated-id": b"3-1",
        b"max-deleted-entry-id": b"0-0", b"entries-added": 3, b"recorded-first-entry-id": b"1-1",
        b"groups": 1, b"first-entry": [b"1-1", [b"f", b"v"]], b"last-entry": [b"3-1", [b"f", b"v"]],
    }
    full = as_dict(x(rr, "XINFO", "STREAM", "s", "FULL"))
    assert full[b"entries"] == [[b"%d-1" % i, [b"f", b"v"]] for i in (1, 2, 3)]
    (group,) = [as_dict(g) for g in full[b"groups"]]
    assert (group[b"name"], group[b"last-delivered-id"], group[b"entries-read"], group[b"lag"],
            group[b"pel-count"]) == (b"g", b"1-1", 1, 2, 1)
    (p,) = group[b"pending"]
    assert p[0] == b"1-1" and p[1] == b"c" and p[3] == 1 and p[2] > 1600000000000
    (cons,) = [as_dict(c) for c in group[b"consumers"]]
    assert cons[b"name"] == b"c" and cons[b"pel-count"] == 1 and cons[b"seen-time"] > 1600000000000
    assert [q[0] for q in cons[b"pending"]] == [b"1-1"]
    assert len(as_dict(x(rr, "XINFO", "STREAM", "s", "FULL", "COUNT", "2"))[b"entries"]) == 2
    fill(rr, "s", 12, start=4)
    assert len(as_dict(x(rr, "XINFO", "STREAM", "s", "FULL"))[b"entries"]) == 10
    assert len(as_dict(x(rr, "XINFO", "STREAM", "s", "FULL", "COUNT", "0"))[b"entries"]) == 15
    assert len(as_dict(x(rr, "XINFO", "STREAM", "s", "FULL", "COUNT", "-1"))[b"entries"]) == 10


def test_xinfo_errors(raw):
    check(raw, [
        (("XINFO", "STREAM", "s"), b"-ERR no such key\r\n"),
        (("XINFO", "GROUPS", "s"), b"-ERR no such key\r\n"),
        (("XADD", "s", "1-1", "a", "b"), b"$3\r\n1-1\r\n"),
        (("XINFO", "GROUPS", "s"), b"*0\r\n"),
        (("XINFO", "CONSUMERS", "s", "g"), b"-NOGROUP No such consumer group 'g' for key name 's'\r\n"),
        (("XINFO", "STREAM", "s", "FULL", "COUNT"),
         b"-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.\r\n"),
        (("XINFO", "STREAM", "s", "foo"),
         b"-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.\r\n"),
        (("XINFO", "STREAM", "s", "FULL", "COUNT", "x"), b"-ERR value is not an integer or out of range\r\n"),
        (("XINFO", "FOO", "s"), b"-ERR unknown subcommand 'FOO'. Try XINFO HELP.\r\n"),
        (("XINFO", "GROUPS"), b"-ERR wrong number of arguments for 'xinfo|groups' command\r\n"),
    ])


def test_lag_and_entries_read(rr):
    fill(rr, "s", 5)
    x(rr, "XGROUP", "CREATE", "s", "g", "0")
    x(rr, "XGROUP", "CREATE", "s", "late", "$")

    def lag(name):
        g = {as_dict(g)[b"name"]: as_dict(g) for g in x(rr, "XINFO", "GROUPS", "s")}[name]
        return g[b"entries-read"], g[b"lag"]

    assert lag(b"g") == (None, 5) and lag(b"late") == (None, 0)
    x(rr, "XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">")
    assert lag(b"g") == (2, 3)
    x(rr, "XDEL", "s", "4-1")  # a tombstone ahead of the group: the lag is unknown
    assert lag(b"g") == (2, None)
    x(rr, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    assert lag(b"g") == (5, 0)
    x(rr, "XADD", "s", "6-1", "f", "v")
    # "late" never read: its counter is estimated, impossible behind the tombstone.
    assert lag(b"g") == (5, 1) and lag(b"late") == (None, None)


def test_xsetid(raw):
    check(raw, [
        (("XSETID", "s", "1-1"), b"-ERR no such key\r\n"),
        (("XADD", "s", "1-1", "a", "b"), b"$3\r\n1-1\r\n"),
        (("XADD", "s", "1-2", "a", "b"), b"$3\r\n1-2\r\n"),
        (("XSETID", "s", "1-1"), b"-ERR The ID specified in XSETID is smaller than the target stream top item\r\n"),
        (("XSETID", "s", "5-0", "ENTRIESADDED", "1"),
         b"-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n"),
        (("XSETID", "s", "5-0", "ENTRIESADDED", "-1"), b"-ERR entries_added must be positive\r\n"),
        (("XSETID", "s", "5-0", "MAXDELETEDID", "6-0"),
         b"-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n"),
        (("XSETID", "s", "5-0", "MAXDELETEDID", "bad"), INVALID_ID),
        (("XSETID", "s", "5-0", "FOO"), b"-ERR syntax error\r\n"),
        (("XSETID", "s", "5-0", "ENTRIESADDED"), b"-ERR syntax error\r\n"),
        (("XSETID", "s", "+"), INVALID_ID),
        (("XSETID", "s", "5-0", "ENTRIESADDED", "9", "MAXDELETEDID", "4-0"), b"+OK\r\n"),
        # Redis 7.0 lets the last ID go back, down to the top entry (not to max-deleted-entry-id).
        (("XSETID", "s", "3-0"), b"+OK\r\n"),
        (("XSETID", "s", "1-1"), b"-ERR The ID specified in XSETID is smaller than the target stream top item\r\n"),
        (("XADD", "s", "3-0", "a", "b"),
         b"-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"),
        (("XADD", "s", "3-*", "a", "b"), b"$3\r\n3-1\r\n"),
    ])


# --- blocking ------------------------------------------------------------------------------

class Reader(threading.Thread):
    """Runs one (blocking) command on its own connection."""

    def __init__(self, server, protocol, *args):
        super().__init__(daemon=True)
        self.client = server.client(protocol=protocol)
        self.client.response_callbacks.clear()
        self.args = args
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = self.client.execute_command(*self.args)
        except redis.ResponseError as e:
            self.error = str(e)

    def finish(self, timeout=5.0):
        self.join(timeout)
        assert not self.is_alive()
        self.client.close()
        return self


def wait_blocked(r, n, deadline=3.0):
    """Wait until ``n`` clients are blocked (INFO clients)."""
    end = time.time() + deadline
    while time.time() < end:
        if r.info("clients").get("blocked_clients") == n:
            return
        time.sleep(0.01)


def test_xread_block_wakes_on_xadd(server, protocol, r):
    r.xadd("s", {"a": 1}, id="1-1")
    readers = [
        Reader(server, protocol, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
        Reader(server, protocol, "XREAD", "COUNT", "5", "BLOCK", "5000", "STREAMS", "other", "s", "0", "1-1"),
    ]
    for t in readers:
        t.start()
    wait_blocked(r, 2)
    r.xadd("s", {"b": 2}, id="2-1")
    want = [[b"2-1", [b"b", b"2"]]]
    for t in readers:
        t.finish()
        assert t.error is None
        assert (t.result == {b"s": want}) if protocol == 3 else (t.result == [[b"s", want]])


def test_xread_block_timeout_and_multi(server, protocol, rr):
    r = rr
    t = Reader(server, protocol, "XREAD", "BLOCK", "100", "STREAMS", "s", "$")
    t0 = time.time()
    t.start()
    t.finish()
    assert t.result is None and t.error is None and time.time() - t0 >= 0.09
    need(r, "multi")
    p = r.pipeline(transaction=True)
    p.execute_command("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    assert p.execute() == [None]  # inside MULTI, BLOCK can't block


def test_xreadgroup_block(server, protocol, r):
    r.xgroup_create("s", "g", "$", mkstream=True)
    r.xgroup_create("s", "g2", "$")
    a = Reader(server, protocol, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
    b = Reader(server, protocol, "XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">")
    gone = Reader(server, protocol, "XREADGROUP", "GROUP", "g2", "c", "BLOCK", "0", "STREAMS", "s", ">")
    for n, t in enumerate((a, b, gone), 1):  # one at a time: the first blocked is served first
        t.start()
        wait_blocked(r, n)
    r.xgroup_destroy("s", "g2")
    gone.finish()
    assert gone.error == "NOGROUP the consumer group this client was blocked on no longer exists"
    r.xadd("s", {"x": 1}, id="1-1")  # served to the first one blocked; the other keeps waiting
    a.finish()
    want = [[b"1-1", [b"x", b"1"]]]
    assert (a.result == {b"s": want}) if protocol == 3 else (a.result == [[b"s", want]])
    r.xadd("s", {"x": 2}, id="2-1")
    b.finish()
    want = [[b"2-1", [b"x", b"2"]]]
    assert (b.result == {b"s": want}) if protocol == 3 else (b.result == [[b"s", want]])
    assert r.xpending("s", "g")["pending"] == 2


def test_xread_block_client_unblock_and_new_key(server, protocol, r):
    need(r, "client")
    t = Reader(server, protocol, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    t.start()
    wait_blocked(r, 1)
    cid = next(c["id"] for c in r.client_list() if c["cmd"] == "xread")
    assert r.execute_command("CLIENT", "UNBLOCK", cid, "ERROR") == 1
    t.finish()
    assert t.error == "UNBLOCKED client unblocked via CLIENT UNBLOCK"
    # $ on a missing key waits for anything: the XADD that creates it serves it.
    t = Reader(server, protocol, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    t.start()
    wait_blocked(r, 1)
    r.xadd("s", {"a": 1}, id="7-7")
    t.finish()
    want = [[b"7-7", [b"a", b"1"]]]
    assert (t.result == {b"s": want}) if protocol == 3 else (t.result == [[b"s", want]])


def test_block_from_scripts(r):
    need(r, "eval")
    r.xadd("s", {"a": 1}, id="1-1")
    with pytest.raises(redis.ResponseError, match="^xread command is not allowed with BLOCK option from scripts"):
        r.eval("return redis.pcall('xread', 'block', '0', 'streams', 's', '0')", 0)
    with pytest.raises(redis.ResponseError,
                       match="^XREADgroup command is not allowed with BLOCK option from scripts"):
        r.eval("return redis.pcall('XREADgroup', 'GROUP', 'g', 'c', 'block', 'x', 'streams', 's', '>')", 0)
    assert r.eval("return redis.call('xread', 'count', '1', 'streams', 's', '0')", 0) == \
        [[b"s", [[b"1-1", [b"a", b"1"]]]]]


# --- the command table ----------------------------------------------------------------------

STREAM_COMMANDS = ["xadd", "xlen", "xrange", "xrevrange", "xdel", "xtrim", "xread", "xreadgroup", "xgroup",
                   "xack", "xpending", "xclaim", "xautoclaim", "xinfo", "xsetid"]


def test_command_info_matches(pair):
    a, b = pair
    for c in (a, b):
        c.response_callbacks.clear()

    def summary(info):
        name, arity, flags, first, last, step, cats = info[:7]
        subs = sorted(summary(s) for s in info[9]) if len(info) > 9 else []
        if subs:
            # Containers: the registry derives @stream from the group; Redis lists only @slow.
            cats = [c for c in cats if c != b"@stream"]
        return (name, arity, sorted(flags), first, last, step, sorted(cats), subs)

    mine = a.execute_command("COMMAND", "INFO", *STREAM_COMMANDS)
    theirs = b.execute_command("COMMAND", "INFO", *STREAM_COMMANDS)
    assert [summary(i) for i in mine] == [summary(i) for i in theirs]
    assert a.execute_command("COMMAND", "GETKEYS", "XREAD", "COUNT", "1", "STREAMS", "k1", "k2", "0", "0") == \
        [b"k1", b"k2"]
    assert a.execute_command("COMMAND", "GETKEYS", "XREADGROUP", "GROUP", "streams", "c", "STREAMS", "k", ">") == \
        b.execute_command("COMMAND", "GETKEYS", "XREADGROUP", "GROUP", "streams", "c", "STREAMS", "k", ">")


# --- differential: random operations must give identical replies ---------------------------

def _random_ops(rnd, n):
    ms, seq, ids = 1, 0, []

    def val():
        k = rnd.random()
        if k < 0.3:
            return str(rnd.randint(-10**6, 10**6))
        if k < 0.4:
            return str(rnd.randint(-2**63, 2**63 - 1))
        if k < 0.8:
            return "x" * rnd.randint(0, 80)
        return "y" * rnd.randint(60, 1500)

    for _ in range(n):
        op = rnd.random()
        if op < 0.6 or not ids:
            if rnd.random() < 0.3:
                ms += rnd.choice([1, 2, 3, 2**40])
                seq = 0
            else:
                seq += rnd.choice([1, 1, 300, 10**6])
            fields = []
            for i in range(rnd.choice([1, 1, 2, 3])):
                fields += ["f%d" % i if rnd.random() < 0.7 else val(), val()]
            args = ["XADD", "s"]
            if rnd.random() < 0.15:
                args += ["MAXLEN", rnd.choice(["~", "="]), str(rnd.randint(0, 300))]
            eid = "%d-%d" % (ms, seq)
            ids.append(eid)
            yield args + [eid] + fields
        elif op < 0.72:
            yield ["XDEL", "s"] + [rnd.choice(ids) for _ in range(rnd.randint(1, 4))]
        elif op < 0.8:
            kind = rnd.choice(["MAXLEN", "MINID"])
            arg = str(rnd.randint(0, 400)) if kind == "MAXLEN" else rnd.choice(ids)
            extra = ["LIMIT", str(rnd.randint(0, 300))] if rnd.random() < 0.3 else []
            yield ["XTRIM", "s", kind, "~" if extra else rnd.choice(["~", "="]), arg] + extra
        elif op < 0.85:
            yield ["XRANGE", "s", rnd.choice(ids), "+", "COUNT", str(rnd.randint(1, 20))]
        elif op < 0.9:
            yield ["XREVRANGE", "s", "+", "(" + rnd.choice(ids), "COUNT", str(rnd.randint(1, 20))]
        elif op < 0.92:
            yield ["XREADGROUP", "GROUP", "g", rnd.choice(["a", "b"]), "COUNT", "3", "STREAMS", "s",
                   rnd.choice([">", ">", "0"])]
        elif op < 0.98:
            yield rnd.choice([
                ["XACK", "s", "g"] + [rnd.choice(ids) for _ in range(rnd.randint(1, 3))],
                ["XCLAIM", "s", "g", rnd.choice(["a", "b", "c"]), "0", rnd.choice(ids), rnd.choice(ids), "JUSTID"],
                ["XCLAIM", "s", "g", "b", "0", rnd.choice(ids), "FORCE", "RETRYCOUNT", "3", "JUSTID"],
                ["XAUTOCLAIM", "s", "g", rnd.choice(["a", "c"]), "0", rnd.choice(ids), "COUNT", "4", "JUSTID"],
                ["XPENDING", "s", "g"],
                ["XGROUP", "SETID", "s", "g", rnd.choice(ids)],
                ["XGROUP", "DELCONSUMER", "s", "g", rnd.choice(["a", "b", "c"])],
                ["XINFO", "GROUPS", "s"],
            ])
        else:
            yield ["XINFO", "STREAM", "s"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_operations_agree(pair, seed):
    a, b = pair
    rnd = random.Random(seed)
    node_cfg = [("stream-node-max-entries", rnd.choice(["100", "5", "0"])),
                ("stream-node-max-bytes", rnd.choice(["4096", "300", "0"]))]
    for c in (a, b):
        c.response_callbacks.clear()
        for k, v in node_cfg:
            c.config_set(k, v)
        c.execute_command("XGROUP", "CREATE", "s", "g", "0", "MKSTREAM")
    try:
        for args in _random_ops(rnd, 400):
            got = []
            for c in (a, b):
                try:
                    got.append(c.execute_command(*args))
                except redis.ResponseError as e:
                    got.append(str(e))
            assert got[0] == got[1], args
        final = [c.execute_command("XINFO", "STREAM", "s", "FULL", "COUNT", "0") for c in (a, b)]
        for f in final:  # delivery and seen times differ between the servers
            for g in f[b"groups"]:
                g[b"pending"] = [p[:2] + p[3:] for p in g[b"pending"]]
                for cons in g[b"consumers"]:
                    cons[b"seen-time"] = 0
                    cons[b"pending"] = [p[:1] + p[2:] for p in cons[b"pending"]]
        assert final[0] == final[1]
    finally:
        for c in (a, b):
            c.config_set("stream-node-max-entries", "100")
            c.config_set("stream-node-max-bytes", "4096")


# --- persistence -----------------------------------------------------------------------------

def _build_for_dump(c):
    for k in range(1, 260):
        c.execute_command("XADD", "s", "%d-%d" % (k, k % 3), "f", "v%d" % k, *(["g", "12345"] if k % 4 == 0 else []))
    c.execute_command("XDEL", "s", *["%d-%d" % (k, k % 3) for k in range(30, 70)])
    c.execute_command("XGROUP", "CREATE", "s", "g1", "0")
    c.execute_command("XGROUP", "CREATE", "s", "123", "$", "ENTRIESREAD", "9")
    c.execute_command("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "20", "STREAMS", "s", ">")
    c.execute_command("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "5", "STREAMS", "s", ">")
    c.execute_command("XGROUP", "CREATECONSUMER", "s", "123", "idle")


def test_dump_restore_across_servers(pair):
    crab, real = pair
    need(crab, "dump", "restore")
    for c in (crab, real):
        c.response_callbacks.clear()
    _build_for_dump(real)
    crab.execute_command("RESTORE", "s", "0", real.execute_command("DUMP", "s"))
    # Times travel in the payload, so even the PEL and seen-times are equal.
    full = ("XINFO", "STREAM", "s", "FULL", "COUNT", "0")
    assert crab.execute_command(*full) == real.execute_command(*full)
    real.execute_command("RESTORE", "back", "0", crab.execute_command("DUMP", "s"))
    a = real.execute_command("XINFO", "STREAM", "back", "FULL", "COUNT", "0")
    b = real.execute_command(*full)
    # We write live entries only, so Redis may lay out its nodes differently.
    for info in (a, b):
        info.pop(b"radix-tree-keys")
        info.pop(b"radix-tree-nodes")
    assert a == b


def test_debug_reload_keeps_streams(r):
    need(r, "debug")
    _build_for_dump(r)
    full = ("XINFO", "STREAM", "s", "FULL", "COUNT", "0")
    before = r.execute_command(*full)
    try:
        r.execute_command("DEBUG", "RELOAD")
    except redis.ResponseError as e:
        pytest.skip("no DEBUG RELOAD here: %s" % e)
    assert r.execute_command(*full) == before


def test_copy_duplicates_groups_too(rr):
    need(rr, "copy")
    _build_for_dump(rr)
    assert x(rr, "COPY", "s", "t") == 1
    full = ("XINFO", "STREAM", "%s", "FULL", "COUNT", "0")
    assert x(rr, *[a.replace("%s", "t") for a in full]) == x(rr, *[a.replace("%s", "s") for a in full])
    x(rr, "XACK", "t", "g1", "1-1")
    x(rr, "XADD", "t", "999-0", "a", "b")
    assert x(rr, "XPENDING", "s", "g1")[0] == 25 and x(rr, "XLEN", "s") == 219


def test_keyspace_events(r, config_restore):
    need(r, "psubscribe")
    config_restore("notify-keyspace-events", "Et")
    p = r.pubsub()
    p.psubscribe("__keyevent@0__:*")
    assert p.get_message(timeout=2)["type"] in ("psubscribe", b"psubscribe")
    for args in [("XADD", "s", "1-1", "a", "b"), ("XADD", "s", "MAXLEN", "0", "2-1", "a", "b"),
                 ("XADD", "s", "3-1", "a", "b"), ("XDEL", "s", "3-1"), ("XDEL", "s", "3-1"),
                 ("XTRIM", "s", "MAXLEN", "0"), ("XGROUP", "CREATE", "s", "g", "0"),
                 ("XGROUP", "CREATECONSUMER", "s", "g", "c"), ("XREADGROUP", "GROUP", "g", "d", "STREAMS", "s", ">"),
                 ("XGROUP", "SETID", "s", "g", "$"), ("XGROUP", "DELCONSUMER", "s", "g", "c"),
                 ("XSETID", "s", "5-0"), ("XGROUP", "DESTROY", "s", "g"), ("XADD", "x", "NOMKSTREAM", "*", "a", "b")]:
        r.execute_command(*args)
    got = []
    while True:
        m = p.get_message(timeout=0.5)
        if m is None:
            break
        got.append((m["channel"].split(b":", 1)[1], m["data"]))
    p.close()
    assert got == [(b"xadd", b"s"), (b"xadd", b"s"), (b"xtrim", b"s"), (b"xadd", b"s"), (b"xdel", b"s"),
                   # XREADGROUP creates its consumer only when it has something to serve (7.0)
                   (b"xgroup-create", b"s"), (b"xgroup-createconsumer", b"s"), (b"xgroup-setid", b"s"), (b"xgroup-delconsumer", b"s"), (b"xsetid", b"s"),
                   (b"xgroup-destroy", b"s")]


def test_xreadgroup_block_released_when_stream_deleted(server, protocol, r):
    r.xgroup_create("s", "g", "$", mkstream=True)
    reader = Reader(server, protocol, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    plain = Reader(server, protocol, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    reader.start()
    wait_blocked(r, 1)
    plain.start()
    wait_blocked(r, 2)
    assert r.delete("s") == 1
    reader.finish()
    assert reader.error == "UNBLOCKED the stream key no longer exists"
    # A plain XREAD keeps waiting for the stream to come back.
    r.xadd("s", {"x": 1}, id="1-1")
    plain.finish()
    want = [[b"1-1", [b"x", b"1"]]]
    assert (plain.result == {b"s": want}) if protocol == 3 else (plain.result == [[b"s", want]])
