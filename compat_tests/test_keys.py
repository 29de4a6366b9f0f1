"""Generic keyspace commands against CrabCache and real Redis 7.0 (RESP2 and RESP3):
DEL/EXISTS/TYPE/TOUCH, RENAME/COPY/MOVE, KEYS (glob corners), SCAN, RANDOMKEY,
OBJECT, SORT/SORT_RO, WAIT, keyspace events and hit/miss statistics."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
import redis

NOT_INT = "value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def err(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def info(r: redis.Redis, field: str) -> int:
    text = r.execute_command("INFO", "all")
    text = text.decode() if isinstance(text, bytes) else text
    return int(text.split(field + ":")[1].split()[0])


def test_del_exists_type_touch(rr):
    x = rr.execute_command
    x("MSET", "a", "1", "b", "2")
    x("RPUSH", "l", "x")
    x("SADD", "s", "x")
    x("HSET", "h", "f", "v")
    x("ZADD", "z", "1", "m")
    assert [x("TYPE", k) for k in ("a", "l", "s", "h", "z", "nokey")] == \
        [b"string", b"list", b"set", b"hash", b"zset", b"none"]
    assert x("EXISTS", "a", "a", "nokey", "l") == 3
    assert x("TOUCH", "a", "nokey", "b") == 2
    assert x("DEL", "a", "nokey", "a") == 1
    assert x("UNLINK", "b", "l", "s") == 3
    assert x("DEL", "nokey") == 0
    assert x("DBSIZE") == 2


def test_rename(rr):
    x = rr.execute_command
    assert err(rr, "RENAME", "nokey", "b") == "no such key"
    assert err(rr, "RENAME", "nokey", "nokey") == "no such key"
    assert err(rr, "RENAMENX", "nokey", "b") == "no such key"
    x("SET", "a", "1", "EX", "100")
    assert x("RENAME", "a", "a") == b"OK"
    assert x("RENAMENX", "a", "a") == 0
    assert x("RENAME", "a", "b") == b"OK"
    assert x("EXISTS", "a") == 0
    assert x("GET", "b") == b"1"
    assert 99 <= x("TTL", "b") <= 100  # the TTL moves with the value
    x("RPUSH", "l", "x")
    x("SET", "c", "3", "EX", "100")
    assert x("RENAMENX", "b", "l") == 0
    assert x("RENAME", "l", "c") == b"OK"  # overwrites any type, and its TTL
    assert x("TYPE", "c") == b"list"
    assert x("TTL", "c") == -1
    assert x("RENAMENX", "c", "d") == 1
    assert x("LRANGE", "d", "0", "-1") == [b"x"]


def test_copy(rr):
    x = rr.execute_command
    x("SET", "a", "1", "EX", "100")
    assert x("COPY", "a", "b") == 1
    assert x("GET", "b") == b"1"
    assert 99 <= x("TTL", "b") <= 100
    assert x("COPY", "a", "b") == 0
    x("SET", "a", "2")
    assert x("COPY", "a", "b", "REPLACE") == 1
    assert x("GET", "b") == b"2"
    assert x("TTL", "b") == -1
    assert x("COPY", "nokey", "c") == 0
    assert x("COPY", "a", "a", "DB", "1") == 1
    x("SELECT", "1")
    assert x("GET", "a") == b"2"
    x("SELECT", "0")
    assert err(rr, "COPY", "a", "a") == "source and destination objects are the same"
    assert err(rr, "COPY", "a", "a", "DB", "0") == "source and destination objects are the same"
    assert err(rr, "COPY", "a", "b", "DB", "99") == "DB index is out of range"
    assert err(rr, "COPY", "a", "b", "DB", "-1") == "DB index is out of range"
    assert err(rr, "COPY", "a", "b", "DB", "x") == NOT_INT
    assert err(rr, "COPY", "a", "b", "DB", "4294967296") == \
        "value is out of range, value must between -2147483648 and 2147483647"
    assert err(rr, "COPY", "a", "b", "FOO") == "syntax error"
    assert err(rr, "COPY", "a", "b", "DB") == "syntax error"
    assert err(rr, "COPY", "nokey", "nokey") == "source and destination objects are the same"


def test_copy_is_deep(rr):
    x = rr.execute_command
    x("RPUSH", "l", "a", "b")
    x("HSET", "h", "f", "v")
    x("SADD", "s", "m")
    x("ZADD", "z", "1", "m")
    x("SETRANGE", "r", "0", "abc")
    for k in ("l", "h", "s", "z", "r"):
        assert x("COPY", k, k + "2") == 1
    x("RPUSH", "l2", "c")
    x("HSET", "h2", "g", "w")
    x("SADD", "s2", "n")
    x("ZADD", "z2", "2", "n")
    x("APPEND", "r2", "d")
    assert x("LLEN", "l") == 2
    assert x("HLEN", "h") == 1
    assert x("SCARD", "s") == 1
    assert x("ZCARD", "z") == 1
    assert x("GET", "r") == b"abc"
    assert x("GET", "r2") == b"abcd"


def test_move(rr):
    x = rr.execute_command
    x("SET", "a", "1", "EX", "100")
    assert x("MOVE", "a", "1") == 1
    assert x("EXISTS", "a") == 0
    assert x("MOVE", "a", "1") == 0
    x("SELECT", "1")
    assert x("GET", "a") == b"1"
    assert 99 <= x("TTL", "a") <= 100
    x("SET", "b", "in1")
    x("SELECT", "0")
    x("SET", "b", "in0")
    assert x("MOVE", "b", "1") == 0  # already there: nothing moves
    assert x("GET", "b") == b"in0"
    assert err(rr, "MOVE", "b", "0") == "source and destination objects are the same"
    assert err(rr, "MOVE", "b", "16") == "DB index is out of range"
    assert err(rr, "MOVE", "b", "x") == NOT_INT
    assert err(rr, "MOVE", "nokey", "0") == "source and destination objects are the same"
    x("SELECT", "1")
    x("FLUSHDB")
    x("SELECT", "0")


KEYNAMES = [b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"a", b"b", b"]", b"^", b"-", b"\\",
            b"*", b"?", b"[", b"ab", b"a\xff", b"\x80", b"\xff", b"A", b"Z", b"_", b"a b", b"\x00x"]


@pytest.mark.parametrize("pattern", [
    b"*", b"h?llo", b"h*llo", b"h[ae]llo", b"h[^e]llo", b"h[a-b]llo", b"[z-a]", b"[a-]", b"[a-]b",
    b"[abc", b"[", b"[^", b"[]", b"[^]", b"\\*", b"\\", b"[\\]]", b"[a-\xff]", b"[\x80-\xff]",
    b"**", b"*?", b"?*", b"a*", b"[---]", b"[^a-z]", b"*\xff", b"[\\", b"\x00*", b"[A-z]",
])
def test_keys_glob(rr, pattern):
    x = rr.execute_command
    x("MSET", *[v for k in KEYNAMES for v in (k, b"1")])
    x("SET", b"", b"empty")
    got = sorted(x("KEYS", pattern))
    want = sorted(k for k in KEYNAMES + [b""] if _fnmatch_expected(pattern, k, rr))
    assert got == want


def _fnmatch_expected(pattern: bytes, key: bytes, r: redis.Redis) -> bool:
    # The server under test is the oracle for itself only through KEYS; the
    # cross-check that both servers agree is test_keys_glob_random_agree.  Here
    # we check KEYS against SCAN MATCH on the same server (two code paths).
    if pattern == b"*":
        return True
    cur, found = 0, []
    while True:
        cur, part = r.execute_command("SCAN", cur, "MATCH", pattern, "COUNT", 1000)
        found += part
        if int(cur) == 0:
            break
    return key in found


def test_keys_glob_random_agree(pair):
    a, b = pair
    for c in (a, b):
        c.mset({k: b"1" for k in KEYNAMES})
    rng = random.Random(42)
    alphabet = [b"a", b"b", b"h", b"l", b"*", b"?", b"[", b"]", b"^", b"-", b"\\", b"\xff", b"x"]
    for _ in range(300):
        pat = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 7)))
        assert sorted(a.keys(pat)) == sorted(b.keys(pat)), pat


def test_keys_and_scan_skip_expired(rr):
    x = rr.execute_command
    x("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        x("SET", "live", "1")
        x("SET", "dead", "1", "PXAT", "1")  # already past: expires on first touch
        assert x("DBSIZE") == 2
        assert x("KEYS", "*") == [b"live"]
        assert x("DBSIZE") == 2  # KEYS skips it but does not reclaim it
        assert x("SCAN", "0", "COUNT", "100")[1] == [b"live"]
        assert x("DBSIZE") == 1  # SCAN reclaims what it meets
    finally:
        x("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def _full_scan(r: redis.Redis, *opts: Any) -> list[bytes]:
    cur, out = b"0", []
    while True:
        cur, part = r.execute_command("SCAN", cur, *opts)
        out += part
        if cur in (b"0", 0):
            return out


def test_scan(rr):
    x = rr.execute_command
    assert x("SCAN", "0") == [b"0", []]
    keys = [b"key:%d" % i for i in range(300)]
    x("MSET", *[v for k in keys for v in (k, b"v")])
    x("RPUSH", "list:1", "a")
    got = _full_scan(rr)
    assert sorted(got) == sorted(keys + [b"list:1"])
    assert len(got) == len(set(got))
    assert sorted(_full_scan(rr, "MATCH", "key:1?")) == sorted(b"key:1%d" % i for i in range(10))
    assert _full_scan(rr, "TYPE", "list") == [b"list:1"]
    assert _full_scan(rr, "TYPE", "LIST", "COUNT", "1000") == [b"list:1"]
    assert _full_scan(rr, "TYPE", "nosuchtype") == []
    assert len(_full_scan(rr, "COUNT", "1")) == 301
    assert x("SCAN", "", "COUNT", "1")[0] != b"0"  # "" reads as cursor 0
    assert x("SCAN", "+0", "MATCH", "nomatch*", "COUNT", "1000")[1] == []


@pytest.mark.parametrize("args, msg", [
    (("abc",), "invalid cursor"), ((" 0",), "invalid cursor"), (("0x",), "invalid cursor"),
    (("18446744073709551616",), "invalid cursor"), (("-",), "invalid cursor"),
    (("0", "COUNT", "0"), "syntax error"), (("0", "COUNT", "-1"), "syntax error"),
    (("0", "COUNT", "x"), NOT_INT), (("0", "MATCH"), "syntax error"), (("0", "FOO", "1"), "syntax error"),
    (("0", "TYPE"), "syntax error"),
])
def test_scan_errors(rr, args, msg):
    assert err(rr, "SCAN", *args) == msg


def test_scan_guarantee_while_keyspace_changes(rr):
    # Every key present for the whole iteration comes back, however many
    # keys are added or removed meanwhile.
    x = rr.execute_command
    stable = [b"s:%d" % i for i in range(500)]
    x("MSET", *[v for k in stable for v in (k, b"1")])
    x("MSET", *[v for i in range(500) for v in (b"t:%d" % i, b"1")])
    cur, seen, step = b"0", set(), 0
    while True:
        cur, part = x("SCAN", cur, "COUNT", "20")
        seen.update(part)
        step += 1
        x("MSET", *[v for i in range(30) for v in (b"n:%d:%d" % (step, i), b"1")])  # grow
        x("DEL", *[b"t:%d" % i for i in range(step * 10, step * 10 + 10)])  # shrink
        if cur in (b"0", 0):
            break
    assert set(stable) <= seen


def test_randomkey(rr):
    x = rr.execute_command
    assert x("RANDOMKEY") is None
    x("MSET", "a", "1", "b", "2", "c", "3")
    assert {x("RANDOMKEY") for _ in range(30)} <= {b"a", b"b", b"c"}
    x("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        x("FLUSHALL")
        x("MSET", *[v for i in range(200) for v in (b"d%d" % i, b"1")])
        for i in range(200):
            x("PEXPIREAT", b"d%d" % i, "1")
        x("SET", "alive", "1")
        assert x("RANDOMKEY") == b"alive"
        x("DEL", "alive")
        assert x("RANDOMKEY") is None
    finally:
        x("DEBUG", "SET-ACTIVE-EXPIRE", "1")


OBJECT_HELP = [
    b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"ENCODING <key>",
    b"    Return the kind of internal representation used in order to store the value",
    b"    associated with a <key>.",
    b"FREQ <key>",
    b"    Return the access frequency index of the <key>. The returned integer is",
    b"    proportional to the logarithm of the recent access frequency of the key.",
    b"IDLETIME <key>",
    b"    Return the idle time of the <key>, that is the approximated number of",
    b"    seconds elapsed since the last access to the key.",
    b"REFCOUNT <key>",
    b"    Return the number of references of the value associated with the specified",
    b"    <key>.",
    b"HELP",
    b"    Prints this help.",
]


def test_object(rr, config_restore):
    x = rr.execute_command
    assert x("OBJECT", "HELP") == OBJECT_HELP
    for sub in ("ENCODING", "REFCOUNT", "IDLETIME", "FREQ"):
        assert x("OBJECT", sub, "nokey") is None
    x("SET", "k", "v")
    assert x("OBJECT", "REFCOUNT", "k") == 1
    assert isinstance(x("OBJECT", "IDLETIME", "k"), int)
    assert err(rr, "OBJECT", "FREQ", "k").startswith("An LFU maxmemory policy is not selected")
    assert err(rr, "OBJECT", "FOO", "k") == "unknown subcommand 'FOO'. Try OBJECT HELP."
    assert err(rr, "OBJECT", "ENCODING") == "wrong number of arguments for 'object|encoding' command"
    config_restore("maxmemory-policy", "allkeys-lfu")
    assert isinstance(x("OBJECT", "FREQ", "k"), int)
    assert err(rr, "OBJECT", "IDLETIME", "k").startswith("An LFU maxmemory policy is selected")


def test_object_counts_stats_without_keymiss(rr):
    x = rr.execute_command
    x("SET", "k", "v")
    x("CONFIG", "RESETSTAT")
    x("OBJECT", "ENCODING", "k")
    x("OBJECT", "ENCODING", "nokey")
    assert (info(rr, "keyspace_hits"), info(rr, "keyspace_misses")) == (1, 1)


def test_generic_read_stats(rr):
    x = rr.execute_command
    x("MSET", "a", "1", "b", "2")
    x("RPUSH", "l", "2", "1")
    x("CONFIG", "RESETSTAT")
    x("COPY", "a", "c")  # reads its source
    x("COPY", "nokey", "c")
    x("SORT", "l")  # read
    x("SORT", "l", "BY", "w_*", "GET", "#", "GET", "a")  # plus each BY lookup ("a" has no '*')
    x("SORT", "l", "STORE", "dst")
    x("SCAN", "0", "TYPE", "string")  # the TYPE filter reads every candidate
    hits, misses = info(rr, "keyspace_hits"), info(rr, "keyspace_misses")
    x("RENAME", "a", "a2")
    x("MOVE", "b", "1")
    x("DEL", "c")
    x("EXPIRE", "a2", "100")
    x("RANDOMKEY")
    x("KEYS", "*")
    assert (hits, misses) == (info(rr, "keyspace_hits"), info(rr, "keyspace_misses"))
    assert (hits, misses) == (1 + 1 + 1 + 1 + 5, 1 + 2)
    x("SELECT", "1")
    x("FLUSHDB")
    x("SELECT", "0")


def test_sort_lists(rr):
    x = rr.execute_command
    x("RPUSH", "l", "3", "1", "2", "10", " 5", "0x1A", "", "2.5e-308")
    assert x("SORT", "l") == [b"", b"2.5e-308", b"1", b"2", b"3", b" 5", b"10", b"0x1A"]
    assert x("SORT", "l", "DESC") == [b"0x1A", b"10", b" 5", b"3", b"2", b"1", b"2.5e-308", b""]
    assert x("SORT", "l", "ALPHA") == [b"", b" 5", b"0x1A", b"1", b"10", b"2", b"2.5e-308", b"3"]
    assert x("SORT", "l", "ALPHA", "DESC", "LIMIT", "0", "3") == [b"3", b"2.5e-308", b"2"]
    assert x("SORT", "l", "LIMIT", "1", "3") == [b"2.5e-308", b"1", b"2"]
    assert x("SORT", "l", "LIMIT", "-1", "2") == [b"", b"2.5e-308"]
    assert x("SORT", "l", "LIMIT", "6", "-1") == [b"10", b"0x1A"]
    assert x("SORT", "l", "LIMIT", "100", "2") == []
    assert x("SORT", "l", "LIMIT", "0", "0") == []
    assert x("SORT", "l", "BY", "nosort") == [b"3", b"1", b"2", b"10", b" 5", b"0x1A", b"", b"2.5e-308"]
    assert x("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2") == [b"", b"0x1A"]
    assert x("SORT", "nokey") == []
    assert x("SORT_RO", "l", "LIMIT", "0", "2") == [b"", b"2.5e-308"]


def test_sort_by_and_get(rr):
    x = rr.execute_command
    x("RPUSH", "l", "1", "2", "3", "4")
    x("MSET", "w_1", "40", "w_2", "30", "w_3", "30", "o_1", "one", "o_3", "three")
    x("HSET", "h_1", "f", "9")
    x("HSET", "h_2", "f", "7")
    x("HSET", "h_4", "g", "1")
    assert x("SORT", "l", "BY", "w_*") == [b"4", b"2", b"3", b"1"]  # missing weight = 0
    assert x("SORT", "l", "BY", "w_*", "DESC") == [b"1", b"3", b"2", b"4"]
    assert x("SORT", "l", "BY", "w_*", "GET", "o_*", "GET", "#") == \
        [None, b"4", None, b"2", b"three", b"3", b"one", b"1"]
    assert x("SORT", "l", "BY", "h_*->f", "GET", "h_*->f") == [None, None, b"7", b"9"]
    assert x("SORT", "l", "BY", "w_*", "ALPHA") == [b"4", b"2", b"3", b"1"]
    assert x("SORT", "l", "BY", "o_*", "ALPHA") == [b"2", b"4", b"1", b"3"]
    assert x("SORT", "l", "GET", "nopattern") == [None] * 4
    assert x("SORT", "l", "GET", "w_*->") == [None] * 4
    assert x("SORT", "l", "BY", "w_*", "LIMIT", "1", "2", "GET", "#") == [b"2", b"3"]


def test_sort_store(rr):
    x = rr.execute_command
    x("RPUSH", "l", "3", "1", "2")
    x("SET", "dst", "old", "EX", "100")
    assert x("SORT", "l", "STORE", "dst") == 3
    assert x("TYPE", "dst") == b"list"
    assert x("LRANGE", "dst", "0", "-1") == [b"1", b"2", b"3"]
    assert x("TTL", "dst") == -1
    assert x("SORT", "l", "GET", "#", "GET", "nokey_*", "STORE", "dst") == 6
    assert x("LRANGE", "dst", "0", "-1") == [b"1", b"", b"2", b"", b"3", b""]
    assert x("SORT", "nokey", "STORE", "dst") == 0
    assert x("EXISTS", "dst") == 0
    x("SADD", "s", "b", "c", "a")
    assert x("SORT", "s", "BY", "nosort", "STORE", "dst") == 3  # a set is sorted when stored
    assert x("LRANGE", "dst", "0", "-1") == [b"a", b"b", b"c"]


def test_sort_sets_and_zsets(rr):
    x = rr.execute_command
    x("SADD", "s", "5", "3", "1", "10")
    assert x("SORT", "s") == [b"1", b"3", b"5", b"10"]
    assert x("SORT", "s", "DESC", "ALPHA") == [b"5", b"3", b"10", b"1"]
    assert x("SORT", "s", "BY", "nosort") == [b"1", b"3", b"5", b"10"]  # intset order
    x("ZADD", "z", "3", "c", "1", "a", "2", "b")
    assert x("SORT", "z", "BY", "nosort") == [b"a", b"b", b"c"]
    assert x("SORT", "z", "BY", "nosort", "DESC") == [b"c", b"b", b"a"]
    assert x("SORT", "z", "BY", "nosort", "LIMIT", "1", "1") == [b"b"]
    assert x("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5") == [b"b", b"a"]
    assert x("SORT", "z", "ALPHA", "DESC") == [b"c", b"b", b"a"]
    assert err(rr, "SORT", "z") == "One or more scores can't be converted into double"


@pytest.mark.parametrize("args, msg", [
    (("LIMIT", "a", "1"), NOT_INT), (("LIMIT", "1"), "syntax error"), (("FOO",), "syntax error"),
    (("GET",), "syntax error"), (("BY",), "syntax error"), (("STORE",), "syntax error"),
])
def test_sort_errors(rr, args, msg):
    x = rr.execute_command
    x("RPUSH", "l", "1")
    assert err(rr, "SORT", "l", *args) == msg


def test_sort_errors_on_values(rr, server):
    x = rr.execute_command
    x("SET", "str", "1")
    assert err(rr, "SORT", "str") == WRONGTYPE
    assert err(rr, "SORT", "str", "FOO") == "syntax error"  # options come first
    for ok in ("inf", "-infinity", "0x1p-1074", "  7", "\t7", ""):
        x("DEL", "ok")
        x("RPUSH", "ok", "1", ok)
        assert len(x("SORT", "ok")) == 2, ok
    for bad in ("x", "1e400", "1e-400", "1e-310", "nan", "5 ", " "):
        x("DEL", "bad")
        x("RPUSH", "bad", "1", bad)
        assert err(rr, "SORT", "bad") == "One or more scores can't be converted into double", bad
        assert err(rr, "SORT", "bad", "STORE", "dst") == "One or more scores can't be converted into double"
    assert x("EXISTS", "dst") == 0
    assert x("SORT", "bad", "ALPHA") == [b" ", b"1"]
    assert err(rr, "SORT_RO", "bad", "STORE", "dst") == "syntax error"
    # Redis never clears errno before its strtod, so after an ERANGE every
    # numeric SORT fails until some call overwrites errno; a new connection
    # does (accept ends on EAGAIN).  Leave the server clean for later tests.
    server.client().ping()


def test_wait(rr):
    x = rr.execute_command
    assert x("WAIT", "0", "0") == 0
    assert x("WAIT", "-1", "0") == 0
    t0 = time.monotonic()
    assert x("WAIT", "1", "50") == 0  # no replica ever acknowledges: waits the timeout out
    assert time.monotonic() - t0 >= 0.04
    assert err(rr, "WAIT", "x", "0") == NOT_INT
    assert err(rr, "WAIT", "0", "x") == "timeout is not an integer or out of range"
    assert err(rr, "WAIT", "0", "-1") == "timeout is negative"
    p = rr.pipeline(transaction=True)
    p.execute_command("WAIT", "5", "0")
    assert p.execute() == [0]  # never blocks inside MULTI


def test_keyspace_events(server, config_restore):
    config_restore("notify-keyspace-events", "KEAm")
    r = server.client(protocol=2)
    r.flushall()
    p = r.pubsub()
    p.psubscribe("__keyevent@*__:*")
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    cmds = [
        ("SET", "a", "1"), ("SET", "a", "2", "EX", "100"), ("APPEND", "a", "x"), ("SETRANGE", "a", "0", "y"),
        ("INCR", "n"), ("INCRBYFLOAT", "n", "1.5"), ("GET", "nokey"), ("SETBIT", "b", "1", "1"),
        ("BITFIELD", "b", "SET", "u8", "0", "255"), ("BITOP", "NOT", "c", "b"), ("BITOP", "AND", "c", "nokey"),
        ("RENAME", "a", "a2"), ("COPY", "a2", "a3"), ("MOVE", "a3", "1"), ("EXPIRE", "a2", "100"),
        ("PERSIST", "a2"), ("EXPIRE", "a2", "-1"), ("SET", "g", "v"), ("GETEX", "g", "EX", "10"),
        ("GETEX", "g", "PERSIST"), ("GETDEL", "g"), ("MSET", "m1", "1", "m2", "2"), ("DEL", "m1", "m2", "nokey"),
        ("RPUSH", "l", "3", "1"), ("SORT", "l", "STORE", "ls"), ("SORT", "nokey", "STORE", "ls"),
        ("SETEX", "se", "10", "v"), ("GETSET", "se", "w"), ("SET", "px", "v", "PXAT", "1"), ("GET", "px"),
        ("EXISTS", "nokey"), ("TYPE", "nokey"), ("TTL", "nokey"), ("OBJECT", "ENCODING", "nokey"),
        ("LCS", "nokey", "nokey2"), ("SETNX", "sn", "1"), ("MSETNX", "q1", "1"), ("DECRBY", "n2", "5"),
        ("UNLINK", "q1"), ("SETBIT", "b", "1", "1"),
    ]
    for c in cmds:
        r.execute_command(*c)
    r.execute_command("SET", "end", "1")
    events = []
    while True:
        m = p.get_message(timeout=2)
        assert m is not None
        if m["type"] != "pmessage":
            continue
        events.append((m["channel"].split(b":", 1)[1], m["data"]))
        if m["data"] == b"end":
            break
    p.close()
    r.execute_command("SELECT", "1")
    r.execute_command("FLUSHDB")
    assert events == [
        (b"set", b"a"), (b"set", b"a"), (b"expire", b"a"), (b"append", b"a"), (b"setrange", b"a"),
        (b"incrby", b"n"), (b"incrbyfloat", b"n"), (b"keymiss", b"nokey"), (b"setbit", b"b"),
        (b"setbit", b"b"), (b"set", b"c"), (b"keymiss", b"nokey"), (b"del", b"c"),
        (b"rename_from", b"a"), (b"rename_to", b"a2"), (b"copy_to", b"a3"), (b"move_from", b"a3"),
        (b"move_to", b"a3"), (b"expire", b"a2"), (b"persist", b"a2"), (b"del", b"a2"), (b"set", b"g"),
        (b"expire", b"g"), (b"persist", b"g"), (b"del", b"g"), (b"set", b"m1"), (b"set", b"m2"),
        (b"del", b"m1"), (b"del", b"m2"), (b"rpush", b"l"), (b"sortstore", b"ls"), (b"keymiss", b"nokey"),
        (b"del", b"ls"), (b"set", b"se"), (b"expire", b"se"), (b"set", b"se"), (b"set", b"px"),
        (b"expire", b"px"), (b"expired", b"px"), (b"keymiss", b"px"),
        # EXISTS, TYPE, TTL and LCS miss; OBJECT does not announce its misses
        (b"keymiss", b"nokey"), (b"keymiss", b"nokey"), (b"keymiss", b"nokey"), (b"keymiss", b"nokey"),
        (b"keymiss", b"nokey2"), (b"set", b"sn"), (b"set", b"q1"), (b"incrby", b"n2"), (b"del", b"q1"),
        # the last SETBIT changes nothing: no event
        (b"set", b"end"),
    ]
