"""String commands against CrabCache and real Redis 7.0 (RESP2 and RESP3).

Replies are checked as the server sent them (``rr``: no redis-py callbacks),
errors by their exact text; a few byte-level checks use ``raw``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

NOT_INT = "value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)


def err(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def info(r: redis.Redis, field: str) -> int:
    text = r.execute_command("INFO", "all")
    text = text.decode() if isinstance(text, bytes) else text
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    raise KeyError(field)


def test_get_set_basics(rr):
    x = rr.execute_command
    assert x("GET", "k") is None
    assert x("SET", "k", "v") == b"OK"
    assert x("GET", "k") == b"v"
    assert x("SET", "k", b"\x00\xff bin") == b"OK"
    assert x("GET", "k") == b"\x00\xff bin"
    x("RPUSH", "l", "a")
    assert err(rr, "GET", "l") == WRONGTYPE
    assert x("SET", "l", "now a string") == b"OK"  # SET overwrites any type
    assert x("TYPE", "l") == b"string"


def test_set_options(rr):
    x = rr.execute_command
    assert x("SET", "k", "1", "NX") == b"OK"
    assert x("SET", "k", "2", "NX") is None
    assert x("SET", "k", "3", "XX") == b"OK"
    assert x("SET", "nokey", "3", "XX") is None
    assert x("SET", "k", "4", "GET") == b"3"
    assert x("SET", "nokey", "4", "GET") is None
    assert x("GET", "nokey") == b"4"
    # NX with GET: the old value comes back and nothing is written (7.0)
    assert x("SET", "k", "5", "NX", "GET") == b"4"
    assert x("GET", "k") == b"4"
    assert x("SET", "fresh", "5", "get", "nx") is None
    assert x("GET", "fresh") == b"5"
    x("RPUSH", "l", "a")
    assert err(rr, "SET", "l", "v", "GET") == WRONGTYPE
    assert x("TYPE", "l") == b"list"
    # options repeat; the last expire wins
    assert x("SET", "k", "v", "EX", "100", "EX", "200") == b"OK"
    assert 199 <= x("TTL", "k") <= 200
    assert x("SET", "k", "v", "PX", "100000") == b"OK"
    assert 99000 < x("PTTL", "k") <= 100000
    assert x("SET", "k", "v2", "KEEPTTL") == b"OK"
    assert 99000 < x("PTTL", "k") <= 100000
    assert x("SET", "k", "v3") == b"OK"
    assert x("TTL", "k") == -1
    future = int(time.time()) + 1000
    assert x("SET", "k", "v", "EXAT", future) == b"OK"
    assert x("EXPIRETIME", "k") == future
    assert x("SET", "k", "v", "PXAT", future * 1000 + 1) == b"OK"
    assert x("PEXPIRETIME", "k") == future * 1000 + 1
    assert x("SET", "k", "v", "PXAT", LLONG_MAX) == b"OK"
    assert x("PEXPIRETIME", "k") == LLONG_MAX


@pytest.mark.parametrize("args", [
    ("NX", "XX"), ("XX", "NX"), ("KEEPTTL", "EX", "10"), ("EX", "10", "KEEPTTL"), ("EX", "10", "PX", "10"),
    ("PX", "10", "EXAT", "10"), ("EX",), ("FOO",), ("PERSIST",), ("EX", "10", "GET", "PXAT", "1"),
])
def test_set_syntax_errors(rr, args):
    assert err(rr, "SET", "k", "v", *args) == "syntax error"


@pytest.mark.parametrize("cmd, args, msg", [
    ("SET", ("k", "v", "EX", "0"), "invalid expire time in 'set' command"),
    ("SET", ("k", "v", "EX", "-1"), "invalid expire time in 'set' command"),
    ("SET", ("k", "v", "PX", "0"), "invalid expire time in 'set' command"),
    ("SET", ("k", "v", "EX", "9223372036854775"), "invalid expire time in 'set' command"),
    ("SET", ("k", "v", "EX", "9223372036854776"), "invalid expire time in 'set' command"),
    ("SET", ("k", "v", "PX", "9223372036854775807"), "invalid expire time in 'set' command"),
    ("SET", ("k", "v", "EXAT", "9223372036854776"), "invalid expire time in 'set' command"),
    ("SET", ("k", "v", "EX", "abc"), NOT_INT),
    ("SET", ("k", "v", "EX", "1.5"), NOT_INT),
    ("SETEX", ("k", "0", "v"), "invalid expire time in 'setex' command"),
    ("SETEX", ("k", "x", "v"), NOT_INT),
    ("PSETEX", ("k", "-5", "v"), "invalid expire time in 'psetex' command"),
    ("GETEX", ("s", "EX", "0"), "invalid expire time in 'getex' command"),
    ("GETEX", ("s", "PXAT", "-1"), "invalid expire time in 'getex' command"),
    ("GETEX", ("s", "EX", "x"), NOT_INT),
    ("GETEX", ("s", "PERSIST", "EX", "10"), "syntax error"),
    ("GETEX", ("s", "EX", "10", "PERSIST"), "syntax error"),
    ("GETEX", ("s", "KEEPTTL"), "syntax error"),
    ("GETEX", ("s", "NX"), "syntax error"),
    ("GETEX", ("s", "GET"), "syntax error"),
])
def test_expire_argument_errors(rr, cmd, args, msg):
    rr.execute_command("SET", "s", "v")
    assert err(rr, cmd, *args) == msg


def test_set_expire_is_checked_before_get_and_type(rr):
    x = rr.execute_command
    x("RPUSH", "l", "a")
    assert err(rr, "SET", "l", "v", "GET", "EX", "0") == "invalid expire time in 'set' command"
    assert err(rr, "SET", "l", "v", "GET", "EX", "10") == WRONGTYPE


def test_setnx_setex_psetex(rr):
    x = rr.execute_command
    assert x("SETNX", "k", "a") == 1
    assert x("SETNX", "k", "b") == 0
    assert x("GET", "k") == b"a"
    assert x("SETEX", "k", "100", "c") == b"OK"
    assert x("GET", "k") == b"c"
    assert 99 <= x("TTL", "k") <= 100
    assert x("PSETEX", "k", "100000", "d") == b"OK"
    assert 99000 < x("PTTL", "k") <= 100000
    x("RPUSH", "l", "a")
    assert x("SETNX", "l", "x") == 0
    assert x("SETEX", "l", "10", "x") == b"OK"
    assert x("TYPE", "l") == b"string"


def test_getex(rr):
    x = rr.execute_command
    assert x("GETEX", "nokey") is None
    assert x("GETEX", "nokey", "EX", "abc") is None  # the key is looked at first
    x("SET", "k", "v")
    assert x("GETEX", "k") == b"v"
    assert x("GETEX", "k", "EX", "100") == b"v"
    assert 99 <= x("TTL", "k") <= 100
    assert x("GETEX", "k", "PX", "200000") == b"v"
    assert 199000 < x("PTTL", "k") <= 200000
    assert x("GETEX", "k", "PERSIST") == b"v"
    assert x("TTL", "k") == -1
    future = int(time.time()) + 500
    assert x("GETEX", "k", "EXAT", future) == b"v"
    assert x("EXPIRETIME", "k") == future
    # an absolute time in the past deletes the key (after replying)
    assert x("GETEX", "k", "PXAT", "1") == b"v"
    assert x("EXISTS", "k") == 0
    x("RPUSH", "l", "a")
    assert err(rr, "GETEX", "l") == WRONGTYPE
    assert err(rr, "GETEX", "l", "EX", "0") == WRONGTYPE


def test_getdel_getset(rr):
    x = rr.execute_command
    assert x("GETDEL", "k") is None
    x("SET", "k", "v", "EX", "100")
    assert x("GETSET", "k", "w") == b"v"
    assert x("TTL", "k") == -1  # GETSET drops the TTL
    assert x("GETSET", "new", "z") is None
    assert x("GET", "new") == b"z"
    assert x("GETDEL", "k") == b"w"
    assert x("EXISTS", "k") == 0
    x("RPUSH", "l", "a")
    assert err(rr, "GETDEL", "l") == WRONGTYPE
    assert err(rr, "GETSET", "l", "x") == WRONGTYPE
    assert x("TYPE", "l") == b"list"


def test_mget_mset_msetnx(rr):
    x = rr.execute_command
    assert x("MSET", "a", "1", "b", "2") == b"OK"
    x("RPUSH", "l", "a")
    assert x("MGET", "a", "nokey", "l", "b") == [b"1", None, None, b"2"]
    assert x("MSETNX", "a", "9", "c", "3") == 0
    assert x("EXISTS", "c") == 0
    assert x("MSETNX", "c", "3", "d", "4", "c", "5") == 1
    assert x("MGET", "c", "d") == [b"5", b"4"]
    assert err(rr, "MSET", "a", "1", "b") == "wrong number of arguments for 'mset' command"
    assert err(rr, "MSETNX", "a") == "wrong number of arguments for 'msetnx' command"
    assert err(rr, "MSETNX", "a", "1", "b") == "wrong number of arguments for 'msetnx' command"


def test_append_strlen(rr):
    x = rr.execute_command
    assert x("STRLEN", "k") == 0
    assert x("APPEND", "k", "") == 0
    assert x("EXISTS", "k") == 1  # APPEND creates the key even with nothing to add
    assert x("APPEND", "k", "hello") == 5
    x("EXPIRE", "k", "100")
    for i in range(50):
        x("APPEND", "k", b"%d" % i)
    assert x("STRLEN", "k") == 5 + sum(len(str(i)) for i in range(50))
    assert x("GET", "k") == b"hello" + b"".join(b"%d" % i for i in range(50))
    assert x("TTL", "k") > 0  # APPEND keeps the TTL
    x("SET", "n", "12")
    assert x("APPEND", "n", "3") == 3
    assert x("INCR", "n") == 124
    x("RPUSH", "l", "a")
    assert err(rr, "APPEND", "l", "x") == WRONGTYPE
    assert err(rr, "STRLEN", "l") == WRONGTYPE


def test_append_in_multi_reply_is_a_snapshot(rr):
    x = rr.execute_command
    p = rr.pipeline(transaction=True)
    p.execute_command("SET", "k", "a")
    p.execute_command("APPEND", "k", "b")
    p.execute_command("GET", "k")
    p.execute_command("APPEND", "k", "c")
    p.execute_command("GET", "k")
    assert p.execute() == [b"OK", 2, b"ab", 3, b"abc"]
    assert x("GET", "k") == b"abc"


def test_incr_family(rr):
    x = rr.execute_command
    assert x("INCR", "n") == 1
    assert x("INCRBY", "n", "10") == 11
    assert x("DECR", "n") == 10
    assert x("DECRBY", "n", "-5") == 15
    assert x("INCRBY", "n", "-20") == -5
    x("SET", "n", "10", "EX", "100")
    assert x("INCR", "n") == 11
    assert x("TTL", "n") > 0  # counters keep the TTL
    for bad in ["abc", " 1", "1 ", "01", "+1", "-0", "1.0", "", "9223372036854775808", "0x10"]:
        x("SET", "b", bad)
        assert err(rr, "INCR", "b") == NOT_INT, bad
    assert err(rr, "INCRBY", "n", "1.5") == NOT_INT
    assert err(rr, "INCRBY", "n", "9223372036854775808") == NOT_INT
    x("RPUSH", "l", "a")
    assert err(rr, "INCR", "l") == WRONGTYPE
    assert err(rr, "INCRBY", "l", "x") == NOT_INT  # the increment is parsed first


def test_incr_limits(rr):
    x = rr.execute_command
    x("SET", "n", str(LLONG_MAX - 1))
    assert x("INCR", "n") == LLONG_MAX
    assert err(rr, "INCR", "n") == "increment or decrement would overflow"
    assert x("GET", "n") == str(LLONG_MAX).encode()
    x("SET", "n", str(LLONG_MIN + 1))
    assert x("DECR", "n") == LLONG_MIN
    assert err(rr, "DECR", "n") == "increment or decrement would overflow"
    assert err(rr, "INCRBY", "n", "-1") == "increment or decrement would overflow"
    assert x("INCRBY", "n", str(LLONG_MAX)) == -1
    assert err(rr, "DECRBY", "n", str(LLONG_MIN)) == "decrement would overflow"
    assert x("DECRBY", "n", str(LLONG_MAX)) == LLONG_MIN
    x("SET", "n", "0")
    assert x("INCRBY", "n", str(LLONG_MIN)) == LLONG_MIN


@pytest.mark.parametrize("start, incr, want", [
    (None, "10.5", b"10.5"),
    ("10.50", "0.1", b"10.6"),
    ("5.0e3", "2.0e2", b"5200"),
    ("1", "1", b"2"),
    (None, "-0.1", b"-0.1"),
    ("0.1", "0.2", b"0.3"),
    ("3", "-3", b"0"),
    (None, "-1e-20", b"0"),
    (None, "1e-17", b"0.00000000000000001"),
    (None, "5e-18", b"0"),  # the x87 value nearest 5e-18 is just below it
    (None, "0x10", b"16"),
    (None, "0x1p-3", b"0.125"),
    (None, "1e20", b"100000000000000000000"),
    (None, "1.23456789012345678901234", b"1.23456789012345679"),
    ("9223372036854775807", "1", b"9223372036854775808"),
    (None, ".5", b"0.5"),
    (None, "5.", b"5"),
    (None, "+7", b"7"),
])
def test_incrbyfloat_values(rr, start, incr, want):
    x = rr.execute_command
    if start is not None:
        x("SET", "f", start)
    assert x("INCRBYFLOAT", "f", incr) == want
    assert x("GET", "f") == want


def test_incrbyfloat_huge_value_is_exact(rr):
    x = rr.execute_command
    got = x("INCRBYFLOAT", "f", "1e4000")
    assert len(got) == 4000 and got.startswith(b"99999999999999999999654638730996237849")


@pytest.mark.parametrize("start, incr, msg", [
    (None, "abc", "value is not a valid float"),
    (None, " 1", "value is not a valid float"),
    (None, "1 ", "value is not a valid float"),
    (None, "", "value is not a valid float"),
    (None, "nan", "value is not a valid float"),
    (None, "1e5000", "value is not a valid float"),
    (None, "1e-5000", "value is not a valid float"),
    ("abc", "1", "value is not a valid float"),
    (None, "inf", "increment would produce NaN or Infinity"),
    ("inf", "1", "increment would produce NaN or Infinity"),
    ("1e4932", "1e4932", "increment would produce NaN or Infinity"),
])
def test_incrbyfloat_errors(rr, start, incr, msg):
    if start is not None:
        rr.execute_command("SET", "f", start)
    assert err(rr, "INCRBYFLOAT", "f", incr) == msg


def test_incrbyfloat_keeps_ttl_and_type_checks_first(rr):
    x = rr.execute_command
    x("SET", "f", "1", "EX", "100")
    assert x("INCRBYFLOAT", "f", "1.5") == b"2.5"
    assert x("TTL", "f") > 0
    x("RPUSH", "l", "a")
    assert err(rr, "INCRBYFLOAT", "l", "abc") == WRONGTYPE


def test_getrange_substr(rr):
    x = rr.execute_command
    assert x("GETRANGE", "nokey", "0", "-1") == b""
    x("SET", "k", "This is a string")
    for cmd in ("GETRANGE", "SUBSTR"):
        assert x(cmd, "k", "0", "3") == b"This"
        assert x(cmd, "k", "-3", "-1") == b"ing"
        assert x(cmd, "k", "0", "-1") == b"This is a string"
        assert x(cmd, "k", "10", "100") == b"string"
        assert x(cmd, "k", "5", "3") == b""
        assert x(cmd, "k", "-1", "-5") == b""
        assert x(cmd, "k", "-100", "-50") == b"T"
        assert x(cmd, "k", "100", "200") == b""
        assert x(cmd, "k", str(LLONG_MIN), str(LLONG_MAX)) == b"This is a string"
    x("SET", "n", "1234")
    assert x("GETRANGE", "n", "1", "2") == b"23"
    x("SET", "e", "")
    assert x("GETRANGE", "e", "0", "-1") == b""
    assert err(rr, "GETRANGE", "k", "a", "1") == NOT_INT
    assert err(rr, "GETRANGE", "nokey", "0", "x") == NOT_INT
    x("RPUSH", "l", "a")
    assert err(rr, "GETRANGE", "l", "0", "1") == WRONGTYPE


def test_setrange(rr):
    x = rr.execute_command
    assert x("SETRANGE", "k", "0", "") == 0
    assert x("EXISTS", "k") == 0
    assert x("SETRANGE", "k", "3", "abc") == 6
    assert x("GET", "k") == b"\x00\x00\x00abc"
    assert x("SETRANGE", "k", "1", "XY") == 6
    assert x("GET", "k") == b"\x00XYabc"
    assert x("SETRANGE", "k", "10", "Z") == 11
    assert x("GET", "k") == b"\x00XYabc\x00\x00\x00\x00Z"
    assert x("SETRANGE", "k", "2", "") == 11
    x("SET", "n", "1234")
    assert x("SETRANGE", "n", "1", "9") == 4
    assert x("GET", "n") == b"1934"
    assert err(rr, "SETRANGE", "k", "-1", "x") == "offset is out of range"
    assert err(rr, "SETRANGE", "k", "x", "x") == NOT_INT
    assert err(rr, "SETRANGE", "k", "536870912", "x") == \
        "string exceeds maximum allowed size (proto-max-bulk-len)"
    assert err(rr, "SETRANGE", "nokey", "536870911", "xy") == \
        "string exceeds maximum allowed size (proto-max-bulk-len)"
    assert x("EXISTS", "nokey") == 0
    x("RPUSH", "l", "a")
    assert err(rr, "SETRANGE", "l", "0", "x") == WRONGTYPE


def test_string_length_limit_follows_config(r, config_restore):
    config_restore("proto-max-bulk-len", "1mb")
    r.set("k", b"x" * 1000)
    with pytest.raises(redis.ResponseError, match="string exceeds maximum allowed size"):
        r.append("k", b"y" * (1024 * 1024 - 999))
    assert r.append("k", b"y" * (1024 * 1024 - 1000)) == 1024 * 1024
    with pytest.raises(redis.ResponseError, match="string exceeds maximum allowed size"):
        r.setrange("k2", 1024 * 1024, b"x")


def test_lcs(rr, protocol):
    x = rr.execute_command
    x("MSET", "a", "ohmytext", "b", "mynewtext")
    assert x("LCS", "a", "b") == b"mytext"
    assert x("LCS", "a", "b", "LEN") == 6
    assert x("LCS", "a", "nokey") == b""
    assert x("LCS", "nokey", "nokey2", "LEN") == 0
    idx = x("LCS", "a", "b", "IDX")
    want = [[[4, 7], [5, 8]], [[2, 3], [0, 1]]]
    if protocol == 2:
        assert idx == [b"matches", want, b"len", 6]
    else:
        assert idx == {b"matches": want, b"len": 6}
    idx = x("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")
    want = [[[4, 7], [5, 8], 4]]
    assert idx == ([b"matches", want, b"len", 6] if protocol == 2 else {b"matches": want, b"len": 6})
    idx = x("LCS", "a", "b", "IDX", "MINMATCHLEN", "-5")
    assert (idx[1] if protocol == 2 else idx[b"matches"]) == [[[4, 7], [5, 8]], [[2, 3], [0, 1]]]
    assert err(rr, "LCS", "a", "b", "IDX", "LEN") == \
        "If you want both the length and indexes, please just use IDX."
    assert err(rr, "LCS", "a", "b", "FOO") == "syntax error"
    assert err(rr, "LCS", "a", "b", "MINMATCHLEN") == "syntax error"
    assert err(rr, "LCS", "a", "b", "MINMATCHLEN", "x") == NOT_INT
    x("RPUSH", "l", "a")
    assert err(rr, "LCS", "a", "l") == "The specified keys must contain string values"
    assert err(rr, "LCS", "l", "a", "FOO") == "The specified keys must contain string values"


def test_lcs_tie_breaking(rr):
    # Which of several longest subsequences comes back, and its ranges, depend
    # on Redis's walk back through the table (recorded from Redis 7.0.15).
    x = rr.execute_command
    x("MSET", "a", "acbdacbdaabbcdda", "b", "bcadbcaddbacdbadc")
    assert x("LCS", "a", "b") == b"bcabcdda"
    got = x("LCS", "a", "b", "IDX", "WITHMATCHLEN")
    matches = got[1] if isinstance(got, list) else got[b"matches"]
    assert matches == [[[15, 15], [14, 14], 1], [[14, 14], [12, 12], 1], [[13, 13], [8, 8], 1],
                       [[11, 12], [4, 5], 2], [[9, 9], [2, 2], 1], [[5, 5], [1, 1], 1],
                       [[2, 2], [0, 0], 1]]


def test_string_encodings(rr, config_restore):
    x = rr.execute_command
    cases = {
        "1": b"int", "-9223372036854775808": b"int", "12345678901234567890": b"embstr",
        "01": b"embstr", "a" * 44: b"embstr", "a" * 45: b"raw", "": b"embstr", " 1": b"embstr",
    }
    for value, enc in cases.items():
        x("SET", "k", value)
        assert x("OBJECT", "ENCODING", "k") == enc, value
    x("SET", "k", "abc")
    x("APPEND", "k", "d")
    assert x("OBJECT", "ENCODING", "k") == b"raw"
    x("APPEND", "new", "5")
    assert x("OBJECT", "ENCODING", "new") == b"int"
    x("SETRANGE", "sr", "0", "5")
    assert x("OBJECT", "ENCODING", "sr") == b"raw"
    x("SET", "n", "5")
    x("INCR", "n")
    assert x("OBJECT", "ENCODING", "n") == b"int"
    assert x("OBJECT", "REFCOUNT", "n") == 2147483647
    x("SET", "n", "10000")
    assert x("OBJECT", "REFCOUNT", "n") == 1
    x("SET", "n", "-1")
    assert x("OBJECT", "REFCOUNT", "n") == 1
    x("SET", "s", "hello")
    assert x("OBJECT", "REFCOUNT", "s") == 1
    x("COPY", "k", "k2")
    assert x("OBJECT", "ENCODING", "k2") == b"raw"
    config_restore("maxmemory", "100mb")
    config_restore("maxmemory-policy", "allkeys-lru")
    x("SET", "n", "5")
    assert x("OBJECT", "REFCOUNT", "n") == 1


def test_keyspace_hits_and_misses(rr):
    x = rr.execute_command
    x("SET", "s", "v")
    x("RPUSH", "l", "a")
    x("CONFIG", "RESETSTAT")
    # read lookups count; write lookups don't
    x("GET", "s")
    x("GET", "nokey")
    x("MGET", "s", "nokey", "l")
    x("STRLEN", "s")
    x("GETRANGE", "nokey", "0", "1")
    x("EXISTS", "s", "nokey")
    x("TYPE", "s")
    x("TTL", "nokey")
    x("SET", "s", "v2", "GET")
    x("GETEX", "s")
    x("LCS", "s", "nokey")
    assert (info(rr, "keyspace_hits"), info(rr, "keyspace_misses")) == (9, 6)
    x("CONFIG", "RESETSTAT")
    x("SET", "s", "v")
    x("INCR", "n")
    x("APPEND", "s", "x")
    x("SETRANGE", "s", "0", "y")
    x("SETNX", "s", "z")
    x("MSETNX", "a", "1")
    x("DEL", "a")
    x("EXPIRE", "s", "100")
    x("PERSIST", "s")
    x("INCRBYFLOAT", "f", "1")
    x("RENAME", "s", "s2")
    x("MOVE", "s2", "1")
    assert (info(rr, "keyspace_hits"), info(rr, "keyspace_misses")) == (0, 0)


def test_dirty_counts(rr):
    x = rr.execute_command
    base = info(rr, "rdb_changes_since_last_save")
    x("SET", "a", "1")
    x("MSET", "b", "1", "c", "2", "d", "3")
    x("INCR", "a")
    x("SETRANGE", "a", "0", "")  # no change
    x("SET", "a", "1", "NX")  # not set
    x("APPEND", "a", "")
    x("GETEX", "a", "PERSIST")  # had no TTL: no change
    assert info(rr, "rdb_changes_since_last_save") - base == 6


def test_exact_bytes(raw):
    def check(data: bytes, want: bytes) -> None:
        assert raw(data, expect=len(want)) == want

    check(b"SET k v\r\nGET k\r\nGET nokey\r\n", b"+OK\r\n$1\r\nv\r\n$-1\r\n")
    check(b"INCRBYFLOAT f 1.5\r\n", b"$3\r\n1.5\r\n")
    check(b"SET k v EX 0\r\n", b"-ERR invalid expire time in 'set' command\r\n")
    check(b"RPUSH l a\r\nGET l\r\n",
          b":1\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
    got = raw(b"HELLO 3\r\nGET nokey\r\nPING\r\n", expect=10**6, timeout=0.5)
    assert got.endswith(b"_\r\n+PONG\r\n")


def test_incr_family_on_an_existing_key_keeps_ttl_and_tells_watchers(server, rr):
    x = rr.execute_command
    x("SET", "n", "10", "EX", "100")
    for cmd, args, want in (("INCR", (), 11), ("DECR", (), 10), ("INCRBY", ("5",), 15), ("DECRBY", ("3",), 12)):
        assert x(cmd, "n", *args) == want
        assert 0 < x("TTL", "n") <= 100
    x("APPEND", "n", "0")  # a string changed in place: INCR still reads it
    assert x("INCR", "n") == 121 and x("GET", "n") == b"121"
    assert x("OBJECT", "ENCODING", "n") == b"int"
    # WATCH sees the change made by another client.
    other = server.client()
    try:
        rr.execute_command("WATCH", "n")
        other.incr("n")
        rr.execute_command("MULTI")
        rr.execute_command("SET", "n", "0")
        assert rr.execute_command("EXEC") is None
        assert x("GET", "n") == b"122"
    finally:
        other.close()
