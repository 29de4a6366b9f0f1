"""Set commands against CrabCache and real Redis 7.0 (RESP2 and RESP3).

Replies are checked as the server sent them (``rr``: no redis-py callbacks).
Whole-set replies are compared exactly where Redis's order is defined (an
intset iterates in ascending order) and as sets otherwise.  Random commands
are checked by their properties.
"""

from __future__ import annotations

from typing import Any

import pytest
import redis

NOT_INT = "value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def err(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def members(reply: Any) -> list:
    """A RESP3 set reply comes back as a Python set (redis-py's parser): make it a sorted list."""
    return sorted(reply)


def test_add_rem_card(rr):
    x = rr.execute_command
    assert x("SADD", "s", "a", "b", "a") == 2
    assert x("SADD", "s", "b", "c") == 1
    assert x("SCARD", "s") == 3
    assert x("SCARD", "nokey") == 0
    assert x("SISMEMBER", "s", "a") == 1
    assert x("SISMEMBER", "s", "zz") == 0
    assert x("SISMEMBER", "nokey", "a") == 0
    assert x("SMISMEMBER", "s", "a", "zz", "c") == [1, 0, 1]
    assert x("SMISMEMBER", "nokey", "a") == [0]
    assert x("SREM", "s", "a", "zz") == 1
    assert x("SREM", "nokey", "a") == 0
    assert x("SREM", "s", "b", "c") == 2
    assert x("EXISTS", "s") == 0
    assert members(x("SMEMBERS", "nokey")) == []


def test_intset_order_and_reply_type(raw):
    assert raw(b"SADD s 10 -3 7 100\r\nSMEMBERS s\r\n") == (
        b":4\r\n*4\r\n$2\r\n-3\r\n$1\r\n7\r\n$2\r\n10\r\n$3\r\n100\r\n")
    assert raw(b"HELLO 3\r\nSMEMBERS s\r\nSMEMBERS nokey\r\nSSCAN s 0\r\n").endswith(
        b"~4\r\n$2\r\n-3\r\n$1\r\n7\r\n$2\r\n10\r\n$3\r\n100\r\n~0\r\n"
        b"*2\r\n$1\r\n0\r\n*4\r\n$2\r\n-3\r\n$1\r\n7\r\n$2\r\n10\r\n$3\r\n100\r\n")


def test_wrongtype(rr):
    rr.execute_command("SET", "str", "x")
    rr.execute_command("SADD", "s", "a")
    for cmd in (("SADD", "str", "a"), ("SREM", "str", "a"), ("SMEMBERS", "str"), ("SISMEMBER", "str", "a"),
                ("SCARD", "str"), ("SPOP", "str"), ("SRANDMEMBER", "str"), ("SINTER", "s", "str"),
                ("SINTER", "nokey", "str"), ("SUNION", "nokey", "str"), ("SDIFF", "nokey", "str"),
                ("SINTERSTORE", "d", "s", "str"), ("SSCAN", "str", 0), ("SMOVE", "s", "str", "a"),
                ("SMOVE", "str", "s", "a"), ("SINTERCARD", 2, "s", "str")):
        assert err(rr, *cmd) == WRONGTYPE
    assert rr.execute_command("SMOVE", "nokey", "str", "a") == 0  # the source is looked at first


def test_algebra(rr):
    x = rr.execute_command
    x("SADD", "a", "1", "2", "3", "4")
    x("SADD", "b", "3", "4", "5")
    x("SADD", "c", "x", "y", "3")
    assert members(x("SINTER", "a", "b")) == [b"3", b"4"]
    assert members(x("SINTER", "a", "b", "c")) == [b"3"]
    assert members(x("SINTER", "a", "nokey")) == []
    assert members(x("SUNION", "a", "b")) == [b"1", b"2", b"3", b"4", b"5"]
    assert members(x("SUNION", "a", "nokey")) == [b"1", b"2", b"3", b"4"]
    assert members(x("SDIFF", "a", "b")) == [b"1", b"2"]
    assert members(x("SDIFF", "a", "b", "c")) == [b"1", b"2"]
    assert members(x("SDIFF", "nokey", "a")) == []
    assert members(x("SMEMBERS", "a")) == [b"1", b"2", b"3", b"4"]


def test_store_commands(rr):
    x = rr.execute_command
    x("SADD", "a", "1", "2", "3")
    x("SADD", "b", "2", "3", "x")
    x("SET", "dst", "old")
    x("EXPIRE", "dst", 100)
    assert x("SINTERSTORE", "dst", "a", "b") == 2
    assert x("TTL", "dst") == -1  # the store replaces the key, TTL included
    assert members(x("SMEMBERS", "dst")) == [b"2", b"3"]
    assert x("OBJECT", "ENCODING", "dst") == b"intset"
    assert x("SUNIONSTORE", "dst", "a", "b") == 4
    assert x("OBJECT", "ENCODING", "dst") == b"hashtable"
    assert x("SDIFFSTORE", "dst", "a", "b") == 1
    assert members(x("SMEMBERS", "dst")) == [b"1"]
    assert x("SINTERSTORE", "dst", "a", "nokey") == 0
    assert x("EXISTS", "dst") == 0
    x("SADD", "dst", "q")
    assert x("SDIFFSTORE", "dst", "a", "a") == 0
    assert x("EXISTS", "dst") == 0
    assert x("SUNIONSTORE", "a", "a", "b") == 4  # a source may be the destination


def test_sintercard(rr):
    x = rr.execute_command
    x("SADD", "a", *"abcdef")
    x("SADD", "b", *"bcdefg")
    assert x("SINTERCARD", 2, "a", "b") == 5
    assert x("SINTERCARD", 2, "a", "b", "LIMIT", 3) == 3
    assert x("SINTERCARD", 2, "a", "b", "LIMIT", 0) == 5
    assert x("SINTERCARD", 2, "a", "nokey") == 0
    assert x("SINTERCARD", 1, "a") == 6
    assert err(rr, "SINTERCARD", 0, "a") == "numkeys should be greater than 0"
    assert err(rr, "SINTERCARD", "x", "a") == "numkeys should be greater than 0"
    assert err(rr, "SINTERCARD", 3, "a", "b") == "Number of keys can't be greater than number of args"
    assert err(rr, "SINTERCARD", 1, "a", "LIMIT", -1) == "LIMIT can't be negative"
    assert err(rr, "SINTERCARD", 1, "a", "LIMIT", "x") == "LIMIT can't be negative"
    assert err(rr, "SINTERCARD", 1, "a", "FOO", 1) == "syntax error"


def test_smove(rr):
    x = rr.execute_command
    x("SADD", "a", "1", "2")
    assert x("SMOVE", "a", "b", "1") == 1
    assert x("SMOVE", "a", "b", "9") == 0
    assert x("SMOVE", "nokey", "b", "1") == 0
    assert x("SMOVE", "a", "a", "2") == 1
    assert x("SMOVE", "a", "a", "9") == 0
    assert x("SMOVE", "a", "b", "2") == 1
    assert x("EXISTS", "a") == 0
    assert members(x("SMEMBERS", "b")) == [b"1", b"2"]
    x("SADD", "c", "1")
    assert x("SMOVE", "c", "b", "1") == 1  # already there: still moved out of c
    assert x("EXISTS", "c") == 0


def test_spop(rr):
    x = rr.execute_command
    all_ = {b"%d" % i for i in range(20)}
    x("SADD", "s", *all_)
    m = x("SPOP", "s")
    assert m in all_ and x("SISMEMBER", "s", m) == 0
    popped = x("SPOP", "s", 5)
    assert len(set(popped)) == 5 and set(popped) <= all_ - {m}
    assert x("SCARD", "s") == 14
    many = x("SPOP", "s", 10)  # the "keep a few" strategy
    assert len(set(many)) == 10
    rest = set(x("SMEMBERS", "s"))
    assert len(rest) == 4 and rest | set(many) | set(popped) | {m} == all_
    assert set(x("SPOP", "s", 100)) == rest
    assert x("EXISTS", "s") == 0
    assert x("SPOP", "nokey") is None
    assert list(x("SPOP", "nokey", 3)) == []
    x("SADD", "s", "a")
    assert list(x("SPOP", "s", 0)) == []
    assert err(rr, "SPOP", "s", -1) == "value is out of range, must be positive"
    assert err(rr, "SPOP", "s", "abc") == "value is out of range, must be positive"
    assert err(rr, "SPOP", "s", 1, 2) == "syntax error"


def test_spop_rebuild_gives_fresh_encoding(rr, config_restore):
    x = rr.execute_command
    config_restore("set-max-intset-entries", "10")
    x("SADD", "s", *range(20))
    assert x("OBJECT", "ENCODING", "s") == b"hashtable"
    x("SPOP", "s", 18)  # 18 * 5 > 20: Redis rebuilds the set from the 2 that stay
    assert x("OBJECT", "ENCODING", "s") == b"intset"
    x("SADD", "t", *range(20))
    x("SPOP", "t", 2)  # popped one by one: stays a hashtable
    assert x("OBJECT", "ENCODING", "t") == b"hashtable"


def test_srandmember(rr):
    x = rr.execute_command
    all_ = [b"%d" % i for i in range(10)]
    x("SADD", "s", *all_)
    assert x("SRANDMEMBER", "s") in all_
    assert x("SRANDMEMBER", "nokey") is None
    assert x("SRANDMEMBER", "nokey", 5) == []
    assert x("SRANDMEMBER", "s", 0) == []
    some = x("SRANDMEMBER", "s", 4)
    assert len(set(some)) == 4 and set(some) <= set(all_)
    assert x("SRANDMEMBER", "s", 100) == sorted(all_, key=int)  # an intset: all, in order
    dup = x("SRANDMEMBER", "s", -30)
    assert len(dup) == 30 and set(dup) <= set(all_)
    assert x("SCARD", "s") == 10
    assert err(rr, "SRANDMEMBER", "s", "abc") == NOT_INT
    assert err(rr, "SRANDMEMBER", "s", -9223372036854775808) == (
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    assert err(rr, "SRANDMEMBER", "s", 1, 2) == "syntax error"


def test_random_picks_are_spread(rr):
    x = rr.execute_command
    x("SADD", "s", *[b"m%d" % i for i in range(50)])
    seen = set(x("SRANDMEMBER", "s", -2000))
    assert len(seen) == 50  # every member turns up (fails with probability ~1e-16)


def test_sscan(rr, config_restore):
    x = rr.execute_command
    x("SADD", "s", "a1", "b1", "a2")
    cursor, got = x("SSCAN", "s", 0, "MATCH", "a*")
    assert cursor == b"0" and sorted(got) == [b"a1", b"a2"]
    assert x("SSCAN", "nokey", 0) == [b"0", []]
    assert err(rr, "SSCAN", "s", "x") == "invalid cursor"
    assert err(rr, "SSCAN", "s", 0, "COUNT", 0) == "syntax error"
    config_restore("set-max-intset-entries", "512")
    x("SADD", "big", *[b"m%d" % i for i in range(1000)])
    seen = set()
    cursor = b"0"
    removed = set()
    while True:
        cursor, got = x("SSCAN", "big", cursor, "COUNT", 100)
        seen.update(got)
        if cursor == b"0":
            break
        victim = b"m%d" % (len(removed) * 7)
        if x("SREM", "big", victim):
            removed.add(victim)
    assert {b"m%d" % i for i in range(1000)} - removed <= seen


def test_encodings(rr, config_restore):
    x = rr.execute_command
    x("SADD", "i", "1", "-5", "9223372036854775807")
    assert x("OBJECT", "ENCODING", "i") == b"intset"
    for bad in ("-0", "007", "9223372036854775808", "1.0", " 1"):
        x("DEL", "t")
        x("SADD", "t", bad)
        assert x("OBJECT", "ENCODING", "t") == b"hashtable", bad
    x("SADD", "i", "x")
    x("SREM", "i", "x")
    assert x("OBJECT", "ENCODING", "i") == b"hashtable"  # never back
    config_restore("set-max-intset-entries", "2")
    x("SADD", "j", "1", "2")
    assert x("OBJECT", "ENCODING", "j") == b"intset"
    x("SADD", "j", "3")
    assert x("OBJECT", "ENCODING", "j") == b"hashtable"
    x("SMOVE", "j", "k", "1")
    assert x("OBJECT", "ENCODING", "k") == b"intset"


def test_keyspace_events(r, config_restore):
    config_restore("notify-keyspace-events", "KEA")
    p = r.pubsub()
    p.psubscribe("__keyevent@0__:*")
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    x = r.execute_command
    x("SADD", "s", "a", "b")
    x("SADD", "s", "a")  # nothing added: no event
    x("SREM", "s", "zz")  # nothing removed: no event
    x("SMOVE", "s", "t", "a")
    x("SPOP", "s")
    x("SINTERSTORE", "d", "t", "t")
    x("SDIFFSTORE", "d", "t", "t")
    x("SUNIONSTORE", "d", "t")
    want = [(b"sadd", b"s"), (b"srem", b"s"), (b"sadd", b"t"), (b"spop", b"s"), (b"del", b"s"),
            (b"sinterstore", b"d"), (b"del", b"d"), (b"sunionstore", b"d")]
    got = []
    while len(got) < len(want):
        m = p.get_message(timeout=2)
        assert m is not None, got
        got.append((m["channel"].split(b":", 1)[1], m["data"]))
    p.close()
    assert got == want


def test_keyspace_hits_and_misses(rr):
    x = rr.execute_command
    x("SADD", "s", "m")
    x("ZADD", "z", 1, "m")
    x("CONFIG", "RESETSTAT")
    # Every source of the algebra commands is a read lookup, STORE forms included.
    for cmd in (("SINTER", "s", "nokey"), ("SUNIONSTORE", "d", "s", "nokey"), ("SINTERCARD", 2, "s", "nokey"),
                ("ZUNIONSTORE", "d", 2, "z", "nokey"), ("ZINTER", 2, "z", "nokey"), ("SMEMBERS", "s"),
                ("SPOP", "nokey"), ("LPOP", "nokey"), ("ZSCORE", "z", "m"), ("HGET", "nokey", "f")):
        x(*cmd)
    info = x("INFO", "stats")
    info = info.decode() if isinstance(info, bytes) else str(info)
    fields = dict(line.split(":", 1) for line in info.splitlines() if line.startswith("keyspace_"))
    assert (fields["keyspace_hits"], fields["keyspace_misses"]) == ("7", "6")
