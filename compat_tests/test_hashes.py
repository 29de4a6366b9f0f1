"""Hash commands against CrabCache and real Redis 7.0 (RESP2 and RESP3).

Replies are checked as the server sent them (``rr``: no redis-py callbacks),
errors by their exact text.  HINCRBYFLOAT results are compared digit for digit
(Redis computes in long double and prints ``%.17Lf``).
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


def as_dict(reply: Any) -> dict:
    """HGETALL: a map in RESP3, a flat array in RESP2."""
    if isinstance(reply, dict):
        return reply
    return dict(zip(reply[::2], reply[1::2]))


def test_set_get_basics(rr):
    x = rr.execute_command
    assert x("HSET", "h", "a", "1", "b", "2") == 2
    assert x("HSET", "h", "a", "3", "c", "4") == 1
    assert x("HGET", "h", "a") == b"3"
    assert x("HGET", "h", "zz") is None
    assert x("HGET", "nokey", "a") is None
    assert x("HMSET", "h", "d", "5") == b"OK"
    assert x("HMGET", "h", "a", "zz", "d") == [b"3", None, b"5"]
    assert x("HMGET", "nokey", "a", "b") == [None, None]
    assert x("HLEN", "h") == 4
    assert x("HLEN", "nokey") == 0
    assert x("HEXISTS", "h", "a") == 1
    assert x("HEXISTS", "h", "zz") == 0
    assert x("HSTRLEN", "h", "a") == 1
    assert x("HSTRLEN", "h", "zz") == 0
    assert x("HSETNX", "h", "a", "9") == 0
    assert x("HSETNX", "h", "e", "9") == 1
    assert x("HGET", "h", "e") == b"9"


def test_arity_and_wrongtype(rr):
    assert err(rr, "HSET", "h", "a") == "wrong number of arguments for 'hset' command"
    assert err(rr, "HSET", "h", "a", "1", "b") == "wrong number of arguments for 'hset' command"
    assert err(rr, "HMSET", "h", "a", "1", "b") == "wrong number of arguments for 'hmset' command"
    rr.execute_command("SET", "s", "x")
    for cmd in (("HSET", "s", "a", "1"), ("HGET", "s", "a"), ("HMGET", "s", "a"), ("HDEL", "s", "a"),
                ("HLEN", "s"), ("HKEYS", "s"), ("HGETALL", "s"), ("HINCRBY", "s", "a", 1),
                ("HINCRBYFLOAT", "s", "a", 1), ("HRANDFIELD", "s"), ("HSCAN", "s", 0), ("HSETNX", "s", "a", "b")):
        assert err(rr, *cmd) == WRONGTYPE


def test_keys_vals_getall_in_insertion_order(rr):
    x = rr.execute_command
    x("HSET", "h", "z", "1", "a", "2", "m", "3")
    x("HDEL", "h", "a")
    x("HSET", "h", "a", "4")
    assert x("HKEYS", "h") == [b"z", b"m", b"a"]
    assert x("HVALS", "h") == [b"1", b"3", b"4"]
    assert as_dict(x("HGETALL", "h")) == {b"z": b"1", b"m": b"3", b"a": b"4"}
    assert list(as_dict(x("HGETALL", "h"))) == [b"z", b"m", b"a"]
    assert x("HKEYS", "nokey") == []
    assert as_dict(x("HGETALL", "nokey")) == {}


def test_hgetall_reply_type(raw):
    assert raw(b"HSET h f v\r\nHGETALL h\r\n") == b":1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    assert raw(b"HELLO 3\r\nHGETALL h\r\nHGETALL nokey\r\n").endswith(b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n%0\r\n")


def test_hdel_deletes_empty_key(rr):
    x = rr.execute_command
    x("HSET", "h", "a", "1", "b", "2")
    assert x("HDEL", "h", "a", "zz", "a") == 1
    assert x("HDEL", "h", "b") == 1
    assert x("EXISTS", "h") == 0
    assert x("HDEL", "nokey", "a") == 0


def test_hincrby(rr):
    x = rr.execute_command
    assert x("HINCRBY", "h", "n", 5) == 5
    assert x("HINCRBY", "h", "n", -7) == -2
    x("HSET", "h", "big", "9223372036854775807", "s", "abc", "sp", " 1", "f", "1.5")
    assert x("HINCRBY", "h", "big", 0) == 9223372036854775807
    assert err(rr, "HINCRBY", "h", "big", 1) == "increment or decrement would overflow"
    assert err(rr, "HINCRBY", "h", "s", 1) == "hash value is not an integer"
    assert err(rr, "HINCRBY", "h", "sp", 1) == "hash value is not an integer"
    assert err(rr, "HINCRBY", "h", "f", 1) == "hash value is not an integer"
    assert err(rr, "HINCRBY", "h", "n", "1.5") == NOT_INT
    assert x("HINCRBY", "h", "m", -9223372036854775808) == -9223372036854775808
    assert err(rr, "HINCRBY", "h", "m", -1) == "increment or decrement would overflow"


@pytest.mark.parametrize("start, incr, result", [
    (None, "10.5", b"10.5"),
    ("1", "0.1", b"1.1"),
    ("1.1", "-1.1", b"0"),
    ("0", "-0.00000000000000000001", b"0"),
    ("-0", "0", b"0"),
    ("0x1p3", "1", b"9"),
    ("5.0e3", "2.0e2", b"5200"),
    ("0", "1.5e-17", b"0.00000000000000002"),
    ("0", "5e-18", b"0"),
    ("3", "1e70", b"10000000000000000000222479489586148259025995410601157579323600873193472"),
    ("1.7976931348623157e308", "1.7976931348623157e308", None),
    ("1e400", "0x10", None),
])
def test_hincrbyfloat_long_double(rr, start, incr, result):
    x = rr.execute_command
    if start is not None:
        x("HSET", "h", "f", start)
    out = x("HINCRBYFLOAT", "h", "f", incr)
    if result is None:  # huge: check the shape (digits only, long double precision)
        assert out.isdigit() and x("HGET", "h", "f") == out
    else:
        assert out == result
        assert x("HGET", "h", "f") == result


def test_hincrbyfloat_errors(rr):
    x = rr.execute_command
    x("HSET", "h", "s", "abc", "sp", " 1", "big", "1e5000", "inf", "inf")
    assert err(rr, "HINCRBYFLOAT", "h", "s", 1) == "hash value is not a float"
    assert err(rr, "HINCRBYFLOAT", "h", "sp", 1) == "hash value is not a float"
    assert err(rr, "HINCRBYFLOAT", "h", "big", 1) == "hash value is not a float"
    assert err(rr, "HINCRBYFLOAT", "h", "inf", 1) == "increment would produce NaN or Infinity"
    assert err(rr, "HINCRBYFLOAT", "h", "n", "nan") == "value is not a valid float"
    assert err(rr, "HINCRBYFLOAT", "h", "n", "abc") == "value is not a valid float"
    assert err(rr, "HINCRBYFLOAT", "h", "n", "inf") == "value is NaN or Infinity"
    assert x("HEXISTS", "h", "n") == 0


def test_hrandfield(rr, protocol):
    x = rr.execute_command
    fields = {b"f%d" % i: b"v%d" % i for i in range(5)}
    x("HSET", "h", *[a for kv in fields.items() for a in kv])
    assert x("HRANDFIELD", "h") in fields
    assert x("HRANDFIELD", "nokey") is None
    assert x("HRANDFIELD", "nokey", 3) == []
    assert x("HRANDFIELD", "h", 0) == []
    some = x("HRANDFIELD", "h", 3)
    assert len(some) == 3 and len(set(some)) == 3 and set(some) <= set(fields)
    assert x("HRANDFIELD", "h", 10) == list(fields)  # everything, in hash order
    dup = x("HRANDFIELD", "h", -20)
    assert len(dup) == 20 and set(dup) <= set(fields)
    withv = x("HRANDFIELD", "h", -6, "WITHVALUES")
    pairs = withv if protocol == 3 else [withv[i:i + 2] for i in range(0, len(withv), 2)]
    assert len(pairs) == 6 and all(fields[f] == v for f, v in pairs)
    assert err(rr, "HRANDFIELD", "h", "abc") == NOT_INT
    assert err(rr, "HRANDFIELD", "h", 1, "WITHVALUES", "x") == "syntax error"
    assert err(rr, "HRANDFIELD", "h", 1, "foo") == "syntax error"
    assert err(rr, "HRANDFIELD", "h", -9223372036854775808) == (
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    assert err(rr, "HRANDFIELD", "h", 4611686018427387904, "WITHVALUES") == "value is out of range"


def test_hscan(rr):
    x = rr.execute_command
    x("HSET", "h", "a1", "1", "b1", "2", "a2", "3")
    assert x("HSCAN", "h", 0) == [b"0", [b"a1", b"1", b"b1", b"2", b"a2", b"3"]]
    assert x("HSCAN", "h", 0, "MATCH", "a*") == [b"0", [b"a1", b"1", b"a2", b"3"]]
    assert x("HSCAN", "h", 0, "COUNT", 1) == [b"0", [b"a1", b"1", b"b1", b"2", b"a2", b"3"]]  # listpack: all
    assert x("HSCAN", "nokey", 0, "COUNT", 0) == [b"0", []]  # options aren't looked at
    assert err(rr, "HSCAN", "h", "abc") == "invalid cursor"
    assert err(rr, "HSCAN", "h", "18446744073709551616") == "invalid cursor"
    assert err(rr, "HSCAN", "h", 0, "COUNT", 0) == "syntax error"
    assert err(rr, "HSCAN", "h", 0, "COUNT", "x") == NOT_INT
    assert err(rr, "HSCAN", "h", 0, "MATCH") == "syntax error"
    assert err(rr, "HSCAN", "h", 0, "TYPE", "string") == "syntax error"


def test_hscan_large_hash_full_iteration(rr, config_restore):
    x = rr.execute_command
    # Redis's built-in default is 512 (redis.conf says 128): set it, don't rely on it.
    config_restore("hash-max-listpack-entries", "128")
    n = 300
    x("HSET", "h", *[a for i in range(n) for a in (b"f%d" % i, b"v%d" % i)])
    assert x("OBJECT", "ENCODING", "h") == b"hashtable"
    seen: dict = {}
    cursor = b"0"
    calls = 0
    while True:
        cursor, items = x("HSCAN", "h", cursor, "COUNT", 50)
        calls += 1
        seen.update(zip(items[::2], items[1::2]))
        if cursor == b"0":
            break
        # Changes during the scan: everything present throughout is still returned.
        x("HSET", "h", b"new%d" % calls, b"x")
    assert all(seen.get(b"f%d" % i) == b"v%d" % i for i in range(n))
    assert calls > 1


def test_encoding_rules(rr, config_restore):
    x = rr.execute_command
    long = "f" * 65
    x("HSET", "h", "a", "1")
    assert x("OBJECT", "ENCODING", "h") == b"listpack"
    x("HSETNX", "h", "a", long)  # not written: no conversion
    assert x("OBJECT", "ENCODING", "h") == b"listpack"
    x("HINCRBY", "h2", long, 1)
    assert x("OBJECT", "ENCODING", "h2") == b"hashtable"
    x("HINCRBYFLOAT", "h3", "a", "1e70")  # the stored value is 71 characters long
    assert x("OBJECT", "ENCODING", "h3") == b"hashtable"
    config_restore("hash-max-listpack-entries", "2")
    x("HSET", "h4", "a", "1", "b", "2")
    assert x("OBJECT", "ENCODING", "h4") == b"listpack"
    x("HSET", "h4", "c", "3")
    assert x("OBJECT", "ENCODING", "h4") == b"hashtable"
    x("HDEL", "h4", "c", "b")
    assert x("OBJECT", "ENCODING", "h4") == b"hashtable"  # never back


def test_keyspace_events(r, config_restore):
    config_restore("notify-keyspace-events", "KEA")
    p = r.pubsub()
    p.psubscribe("__keyevent@0__:*")
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    x = r.execute_command
    x("HSET", "h", "a", "1")
    x("HSETNX", "h", "a", "2")  # no event
    x("HINCRBY", "h", "n", 1)
    x("HINCRBYFLOAT", "h", "f", 1)
    x("HDEL", "h", "zz")  # no event
    x("HDEL", "h", "a", "n", "f")
    got = []
    while len(got) < 5:
        m = p.get_message(timeout=2)
        assert m is not None, got
        got.append((m["channel"].split(b":", 1)[1], m["data"]))
    p.close()
    assert got == [(b"hset", b"h"), (b"hincrby", b"h"), (b"hincrbyfloat", b"h"), (b"hdel", b"h"), (b"del", b"h")]
