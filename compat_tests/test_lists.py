"""List commands against CrabCache and real Redis 7.0 (RESP2 and RESP3).

Replies are checked as the server sent them (``rr``: no redis-py callbacks),
errors by their exact text; null-array vs null-bulk differences with ``raw``.
Blocking commands live in test_blocking.py.
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


def test_push_pop_len(rr):
    x = rr.execute_command
    assert x("RPUSH", "l", "a", "b") == 2
    assert x("LPUSH", "l", "x", "y") == 4  # y x a b
    assert x("LRANGE", "l", 0, -1) == [b"y", b"x", b"a", b"b"]
    assert x("LLEN", "l") == 4
    assert x("LLEN", "nokey") == 0
    assert x("LPUSHX", "nokey", "a") == 0
    assert x("RPUSHX", "nokey", "a", "b") == 0
    assert x("EXISTS", "nokey") == 0
    assert x("RPUSHX", "l", "c", "d") == 6
    assert x("LPUSHX", "l", "z") == 7
    assert x("LPOP", "l") == b"z"
    assert x("RPOP", "l") == b"d"
    assert x("LPOP", "l", 2) == [b"y", b"x"]
    assert x("RPOP", "l", 10) == [b"c", b"b", b"a"]
    assert x("EXISTS", "l") == 0  # the last element took the key with it
    assert x("LPOP", "nokey") is None
    assert x("RPOP", "nokey") is None


def test_pop_count_edge_replies(raw):
    assert raw(b"RPUSH l a b c\r\nLPOP l 0\r\nRPOP l 0\r\n") == b":3\r\n*0\r\n*0\r\n"
    # a missing key: null bulk without COUNT, null array with it (even COUNT 0)
    assert raw(b"LPOP nokey\r\nLPOP nokey 0\r\nRPOP nokey 3\r\n") == b"$-1\r\n*-1\r\n*-1\r\n"
    assert raw(b"HELLO 3\r\nLPOP nokey 1\r\n").endswith(b"_\r\n")


def test_pop_errors(rr):
    rr.execute_command("RPUSH", "l", "a")
    assert err(rr, "LPOP", "l", "-1") == "value is out of range, must be positive"
    assert err(rr, "RPOP", "l", "abc") == "value is out of range, must be positive"
    assert err(rr, "LPOP", "l", "1", "2") == "wrong number of arguments for 'lpop' command"
    rr.execute_command("SET", "s", "x")
    for cmd in (("LPOP", "s"), ("RPOP", "s", 1), ("LPUSH", "s", "a"), ("RPUSHX", "s", "a"), ("LLEN", "s"),
                ("LRANGE", "s", 0, 1), ("LINDEX", "s", 0), ("LSET", "s", 0, "a"), ("LREM", "s", 0, "a"),
                ("LTRIM", "s", 0, 1), ("LINSERT", "s", "BEFORE", "a", "b"), ("LPOS", "s", "a")):
        assert err(rr, *cmd) == WRONGTYPE


def test_lrange_index_rules(rr):
    x = rr.execute_command
    x("RPUSH", "l", *"abcde")
    assert x("LRANGE", "l", 0, 0) == [b"a"]
    assert x("LRANGE", "l", -2, -1) == [b"d", b"e"]
    assert x("LRANGE", "l", -100, 100) == [b"a", b"b", b"c", b"d", b"e"]
    assert x("LRANGE", "l", 3, 1) == []
    assert x("LRANGE", "l", 5, 10) == []
    assert x("LRANGE", "l", 1, -2) == [b"b", b"c", b"d"]
    assert x("LRANGE", "nokey", 0, -1) == []
    assert err(rr, "LRANGE", "l", "abc", 1) == NOT_INT
    assert err(rr, "LRANGE", "nokey", 0, "1.5") == NOT_INT  # numbers are checked before the key


def test_long_list_range_from_either_end(rr):
    x = rr.execute_command
    x("RPUSH", "l", *range(1000))
    assert x("LRANGE", "l", 990, -1) == [b"%d" % i for i in range(990, 1000)]
    assert x("LRANGE", "l", -1000, 4) == [b"0", b"1", b"2", b"3", b"4"]
    assert len(x("LRANGE", "l", 100, 699)) == 600
    assert x("LINDEX", "l", -3) == b"997"


def test_lindex_lset(rr):
    x = rr.execute_command
    x("RPUSH", "l", "a", "b", "c")
    assert x("LINDEX", "l", 0) == b"a"
    assert x("LINDEX", "l", -1) == b"c"
    assert x("LINDEX", "l", 3) is None
    assert x("LINDEX", "l", -4) is None
    assert x("LINDEX", "nokey", "abc") is None  # the key is looked up first
    assert err(rr, "LINDEX", "l", "abc") == NOT_INT
    assert x("LSET", "l", -1, "z") == b"OK"
    assert x("LSET", "l", 0, "y") == b"OK"
    assert x("LRANGE", "l", 0, -1) == [b"y", b"b", b"z"]
    assert err(rr, "LSET", "l", 3, "q") == "index out of range"
    assert err(rr, "LSET", "nokey", "abc", "q") == "no such key"
    assert err(rr, "LSET", "l", "abc", "q") == NOT_INT


def test_linsert(rr):
    x = rr.execute_command
    x("RPUSH", "l", "a", "b", "a")
    assert x("LINSERT", "l", "BEFORE", "a", "x") == 4
    assert x("LINSERT", "l", "after", "a", "y") == 5
    assert x("LRANGE", "l", 0, -1) == [b"x", b"a", b"y", b"b", b"a"]
    assert x("LINSERT", "l", "before", "zz", "q") == -1
    assert x("LINSERT", "nokey", "before", "a", "q") == 0
    assert err(rr, "LINSERT", "l", "middle", "a", "q") == "syntax error"
    assert err(rr, "LINSERT", "nokey", "middle", "a", "q") == "syntax error"


def test_lrem(rr):
    x = rr.execute_command
    x("RPUSH", "l", *"abacada")
    assert x("LREM", "l", 2, "a") == 2
    assert x("LRANGE", "l", 0, -1) == [b"b", b"c", b"a", b"d", b"a"]
    assert x("LREM", "l", -1, "a") == 1
    assert x("LRANGE", "l", 0, -1) == [b"b", b"c", b"a", b"d"]
    assert x("LREM", "l", 0, "zz") == 0
    assert x("LREM", "l", 0, "a") == 1
    assert x("LREM", "nokey", 0, "a") == 0
    assert err(rr, "LREM", "l", "x", "a") == NOT_INT
    x("DEL", "l")
    x("RPUSH", "l", "a", "a")
    assert x("LREM", "l", 0, "a") == 2
    assert x("EXISTS", "l") == 0


def test_ltrim(rr):
    x = rr.execute_command
    x("RPUSH", "l", *"abcdef")
    assert x("LTRIM", "l", 1, -2) == b"OK"
    assert x("LRANGE", "l", 0, -1) == [b"b", b"c", b"d", b"e"]
    assert x("LTRIM", "l", -100, 100) == b"OK"
    assert x("LLEN", "l") == 4
    assert x("LTRIM", "l", 2, 1) == b"OK"  # an empty range deletes the key
    assert x("EXISTS", "l") == 0
    assert x("LTRIM", "nokey", 0, 1) == b"OK"
    assert err(rr, "LTRIM", "nokey", "a", 1) == NOT_INT


def test_lpos(rr):
    x = rr.execute_command
    x("RPUSH", "l", *"aabaca")
    assert x("LPOS", "l", "a") == 0
    assert x("LPOS", "l", "c") == 4
    assert x("LPOS", "l", "zz") is None
    assert x("LPOS", "l", "a", "RANK", 2) == 1
    assert x("LPOS", "l", "a", "RANK", -1) == 5
    assert x("LPOS", "l", "a", "RANK", -2) == 3
    assert x("LPOS", "l", "a", "COUNT", 0) == [0, 1, 3, 5]
    assert x("LPOS", "l", "a", "COUNT", 2, "RANK", -1) == [5, 3]
    assert x("LPOS", "l", "a", "COUNT", 0, "MAXLEN", 2) == [0, 1]
    assert x("LPOS", "l", "a", "RANK", 2, "COUNT", 2, "MAXLEN", 2) == [1]
    assert x("LPOS", "l", "a", "COUNT", 1, "COUNT", 2) == [0, 1]  # the last one wins
    assert x("LPOS", "l", "zz", "COUNT", 0) == []
    assert x("LPOS", "nokey", "a") is None
    assert x("LPOS", "nokey", "a", "COUNT", 0) == []
    assert x("LPOS", "l", "a", "RANK", -9223372036854775808) == 5  # Redis's overflow: rank -1
    assert x("LPOS", "l", "a", "RANK", 9223372036854775807) is None
    assert err(rr, "LPOS", "l", "a", "RANK", 0).startswith("RANK can't be zero: use 1 to start from the first")
    assert err(rr, "LPOS", "l", "a", "COUNT", -1) == "COUNT can't be negative"
    assert err(rr, "LPOS", "l", "a", "MAXLEN", -1) == "MAXLEN can't be negative"
    assert err(rr, "LPOS", "l", "a", "COUNT") == "syntax error"
    assert err(rr, "LPOS", "l", "a", "FOO", 1) == "syntax error"
    assert err(rr, "LPOS", "l", "a", "RANK", "x") == NOT_INT
    assert err(rr, "LPOS", "l", "a", "COUNT", "x") == "COUNT can't be negative"
    assert err(rr, "LPOS", "l", "a", "MAXLEN", "x") == "MAXLEN can't be negative"


def test_lmove_rpoplpush(rr):
    x = rr.execute_command
    x("RPUSH", "src", "a", "b", "c")
    assert x("LMOVE", "src", "dst", "LEFT", "RIGHT") == b"a"
    assert x("LMOVE", "src", "dst", "right", "left") == b"c"
    assert x("LRANGE", "dst", 0, -1) == [b"c", b"a"]
    assert x("RPOPLPUSH", "src", "dst") == b"b"
    assert x("EXISTS", "src") == 0
    assert x("LRANGE", "dst", 0, -1) == [b"b", b"c", b"a"]
    assert x("LMOVE", "dst", "dst", "LEFT", "RIGHT") == b"b"  # rotation
    assert x("LRANGE", "dst", 0, -1) == [b"c", b"a", b"b"]
    x("RPUSH", "one", "x")
    assert x("RPOPLPUSH", "one", "one") == b"x"  # a one-element rotation keeps the key
    assert x("LRANGE", "one", 0, -1) == [b"x"]
    assert x("LMOVE", "nokey", "dst", "LEFT", "LEFT") is None
    assert x("RPOPLPUSH", "nokey", "dst") is None
    x("SET", "str", "v")
    assert err(rr, "RPOPLPUSH", "dst", "str") == WRONGTYPE
    assert x("LLEN", "dst") == 3  # nothing popped
    assert err(rr, "LMOVE", "str", "dst", "LEFT", "LEFT") == WRONGTYPE
    assert err(rr, "LMOVE", "dst", "x", "UP", "LEFT") == "syntax error"
    assert err(rr, "LMOVE", "str", "x", "LEFT", "DOWN") == "syntax error"  # before the type check


def test_lmpop(rr, protocol):
    x = rr.execute_command
    x("RPUSH", "b", "1", "2", "3")
    assert x("LMPOP", 2, "a", "b", "LEFT") == [b"b", [b"1"]]
    assert x("LMPOP", 2, "a", "b", "RIGHT", "COUNT", 10) == [b"b", [b"3", b"2"]]
    assert x("EXISTS", "b") == 0
    assert x("LMPOP", 1, "a", "LEFT") is None
    assert err(rr, "LMPOP", 0, "a", "LEFT") == "numkeys should be greater than 0"
    assert err(rr, "LMPOP", "x", "a", "LEFT") == "numkeys should be greater than 0"
    assert err(rr, "LMPOP", 5, "a", "b", "LEFT") == "syntax error"
    assert err(rr, "LMPOP", 1, "a", "UP") == "syntax error"
    assert err(rr, "LMPOP", 1, "a", "LEFT", "COUNT", 0) == "count should be greater than 0"
    assert err(rr, "LMPOP", 1, "a", "LEFT", "COUNT", "x") == "count should be greater than 0"
    assert err(rr, "LMPOP", 1, "a", "LEFT", "COUNT", 1, "COUNT", 2) == "syntax error"
    x("SET", "s", "v")
    x("RPUSH", "l", "v")
    assert err(rr, "LMPOP", 2, "s", "l", "LEFT") == WRONGTYPE
    assert x("LMPOP", 2, "l", "s", "LEFT") == [b"l", [b"v"]]  # stops at the first list


def test_lmpop_null_reply(raw):
    assert raw(b"LMPOP 1 nokey LEFT\r\n") == b"*-1\r\n"


def test_encoding_and_type(rr):
    x = rr.execute_command
    x("RPUSH", "l", "a")
    assert x("OBJECT", "ENCODING", "l") == b"quicklist"  # Redis 7.0: every list
    assert x("TYPE", "l") == b"list"


def test_binary_safe_and_empty_elements(rr):
    x = rr.execute_command
    x("RPUSH", "l", b"", b"\x00\xff", b"a\r\nb")
    assert x("LRANGE", "l", 0, -1) == [b"", b"\x00\xff", b"a\r\nb"]
    assert x("LPOS", "l", b"") == 0
    assert x("LREM", "l", 0, b"\x00\xff") == 1


def test_keyspace_events(r, config_restore):
    config_restore("notify-keyspace-events", "KEA")
    p = r.pubsub()
    p.psubscribe("__keyevent@0__:*")
    assert p.get_message(timeout=2)["type"] in ("psubscribe", b"psubscribe")
    x = r.execute_command
    x("RPUSH", "l", "a", "b")
    x("LPUSH", "l", "c")
    x("LINSERT", "l", "BEFORE", "a", "z")
    x("LSET", "l", 0, "q")
    x("LREM", "l", 1, "z")
    x("LTRIM", "l", 0, -1)
    x("LMOVE", "l", "m", "LEFT", "RIGHT")
    x("RPOP", "l", 5)
    x("PING")
    got = []
    while True:
        m = p.get_message(timeout=2)
        if m is None:
            break
        got.append((m["channel"].split(b":", 1)[1], m["data"]))
        if m["data"] == b"l" and got[-1][0] == b"del":
            break
    p.close()
    assert got == [
        (b"rpush", b"l"), (b"lpush", b"l"), (b"linsert", b"l"), (b"lset", b"l"), (b"lrem", b"l"),
        (b"ltrim", b"l"), (b"rpush", b"m"), (b"lpop", b"l"), (b"rpop", b"l"), (b"del", b"l"),
    ]
