"""HyperLogLog commands against CrabCache and real Redis 7.0 (RESP2 and RESP3).

An HLL is a string, so the tests compare the values byte for byte (GET, or a
SHA-256 prefix of GET for dense values): the same commands must leave the
same string on both servers.  The expected bytes and counts were read from
Redis 7.0.15; the run against real Redis keeps them honest.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import redis
from wire import Wire

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
INVALID = "INVALIDOBJ Corrupted HLL object detected"
HDR_SPARSE = b"HYLL\x01\x00\x00\x00"
ABC_BODY = b"`\xf3\x80P\xb1\x84K\xfb\x80BZ"  # a, b, c: Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603
# Elements whose run of zeros is longer than a sparse VAL holds (33, 34), found by brute force.
BIG33 = b"big6209776902"


def err(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def digest(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()[:16]


def enc(r: redis.Redis, key: str) -> bytes:
    return r.execute_command("PFDEBUG", "ENCODING", key)


def dirty(r: redis.Redis) -> int:
    return int(r.info("persistence")["rdb_changes_since_last_save"])


def test_pfadd_pfcount_basics(r):
    assert r.pfcount("h") == 0
    assert r.pfadd("h", "a", "b", "c") == 1
    assert r.pfadd("h", "a", "b") == 0
    assert r.pfadd("h", "c", "d") == 1
    assert r.pfcount("h") == 4
    assert r.execute_command("PFADD", "empty") == 1  # creates the key
    assert r.execute_command("PFADD", "empty") == 0
    assert r.pfcount("empty") == 0
    assert r.get("empty") == HDR_SPARSE + bytes(8) + b"\x7f\xff"
    assert r.type("h") == b"string" and r.object("encoding", "h") == b"raw"


def test_exact_bytes_and_cached_cardinality(r):
    r.pfadd("h", "a", "b", "c")
    # fresh, with the cache invalidated (MSB of the last cardinality byte)
    assert r.get("h") == HDR_SPARSE + bytes(7) + b"\x80" + ABC_BODY
    assert r.execute_command("PFDEBUG", "DECODE", "h") == b"Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"
    assert r.pfcount("h") == 3
    assert r.get("h") == HDR_SPARSE + b"\x03" + bytes(7) + ABC_BODY  # the count is cached in place
    r.pfadd("h", "a")  # nothing changes
    assert r.get("h") == HDR_SPARSE + b"\x03" + bytes(7) + ABC_BODY
    r.pfadd("h", "d")  # stale again: old bytes kept, MSB set
    assert r.get("h") == HDR_SPARSE + b"\x03" + bytes(6) + b"\x80\\{\x80Dv\x80P\xb1\x84K\xfb\x80BZ"
    assert r.pfcount("h") == 4
    # PFCOUNT of several keys works on a copy: no cache written
    r.pfadd("g", "z")
    before = (r.get("h"), r.get("g"))
    assert r.pfcount("h", "g", "missing") == 5
    assert (r.get("h"), r.get("g")) == before


def test_sparse_and_dense_values_match_redis(r):
    r.pfadd("s", *[b"%d" % i for i in range(1000)])
    s = r.get("s")
    assert enc(r, "s") == b"sparse" and len(s) == 1923
    assert hashlib.sha256(s).hexdigest() == "69f56acb25eb29c671c402490a3f48ced31626444549899df85500aa1545d08f"
    assert r.pfcount("s") == 1001
    for i in range(0, 5000, 1000):
        r.pfadd("d", *[b"%d" % j for j in range(i, i + 1000)])
    d = r.get("d")
    assert enc(r, "d") == b"dense" and len(d) == 12304
    assert hashlib.sha256(d).hexdigest() == "8082b2e9e81ef22fd929870153cde504a08eade7545b5c16c036daf87e195890"
    assert r.pfcount("d") == 4985
    assert r.pfcount("d", "s") == 4985  # s's elements are all in d


def test_cardinality_estimates(r):
    for i in range(0, 100000, 10000):
        r.pfadd("n", *[b"el:%d" % j for j in range(i, i + 10000)])
        if i == 0:
            assert r.pfcount("n") == 10019
    assert r.pfcount("n") == 98893


def test_promotion_by_size(r, config_restore):
    config_restore("hll-sparse-max-bytes", "60")
    lens = []
    for i in range(100):
        r.pfadd("p", "p%d" % i)
        lens.append(len(r.get("p")))
        if enc(r, "p") == b"dense":
            break
    assert i == 15 and lens[-6:-1] == [49, 52, 55, 58, 60] and lens[-1] == 12304
    assert digest(r.get("p")) == "104d6dc288c28574"
    assert r.pfcount("p") == 16


def test_promotion_by_register_value(r):
    r.pfadd("h", "a")
    assert enc(r, "h") == b"sparse"
    assert r.pfadd("h", BIG33) == 1  # 33 does not fit a sparse VAL
    assert enc(r, "h") == b"dense"
    regs = r.execute_command("PFDEBUG", "GETREG", "h")
    assert len(regs) == 16384 and regs[2711] == 33 and regs[12711] == 2 and sum(regs) == 35
    assert r.pfcount("h") == 2


def test_pfmerge(r, config_restore):
    r.pfadd("a", *["a%d" % i for i in range(300)])
    r.pfadd("b", *["b%d" % i for i in range(300)])
    r.pfadd("d", *["d%d" % i for i in range(3000)])
    assert r.pfcount("a", "b") == 603 and r.pfcount("a", "b", "d") == 3629
    assert r.pfmerge("m1", "a", "b") is True
    assert enc(r, "m1") == b"sparse" and len(r.get("m1")) == 1218
    assert digest(r.get("m1")) == "89ead36a82b83bc8"
    assert r.pfcount("m1") == 603
    assert r.pfmerge("a", "b") is True  # the destination is a source too
    assert digest(r.get("a")) == "89ead36a82b83bc8"
    assert r.pfmerge("m2", "b", "d") is True  # a dense source: dense destination
    assert enc(r, "m2") == b"dense" and digest(r.get("m2")) == "ded1ed0004dbd5f4"
    assert r.pfcount("m2") == 3333
    config_restore("hll-sparse-max-bytes", "500")
    r.pfmerge("m3", "b", "a")  # promoted on the way, register by register
    assert enc(r, "m3") == b"dense" and digest(r.get("m3")) == "57c0460df0bbcdab"
    assert r.pfmerge("e") is True  # nothing to merge: an empty HLL, cache marked stale
    assert r.get("e") == HDR_SPARSE + bytes(7) + b"\x80\x7f\xff"
    assert r.pfmerge("e", "nope", "nada") is True and r.pfcount("e") == 0


def test_wrong_types_and_invalid_strings(r):
    r.rpush("l", "x")
    for cmd in (("PFADD", "l", "x"), ("PFCOUNT", "l"), ("PFCOUNT", "nokey", "l"), ("PFMERGE", "l"),
                ("PFMERGE", "d", "l"), ("PFDEBUG", "GETREG", "l")):
        assert err(r, *cmd) == WRONGTYPE
    bad = {
        "short": b"HYLL\x01",
        "int": b"12345",
        "magic": b"HYLX\x01" + bytes(11) + b"\x7f\xff",
        "encoding": b"HYLL\x02" + bytes(11) + b"\x7f\xff",
        "densesize": b"HYLL\x00" + bytes(11) + bytes(100),
    }
    for k, v in bad.items():
        r.set(k, v)
        for cmd in (("PFADD", k, "x"), ("PFCOUNT", k), ("PFCOUNT", k, "l"), ("PFMERGE", "dst", k),
                    ("PFDEBUG", "ENCODING", k)):
            assert err(r, *cmd) == NOT_HLL
        assert r.get(k) == v
    assert not r.exists("dst")
    # keys are checked in order: the first bad one decides
    assert err(r, "PFCOUNT", "short", "l") == NOT_HLL
    assert err(r, "PFCOUNT", "l", "short") == WRONGTYPE


def test_corrupted_values(r):
    stale = HDR_SPARSE + bytes(7) + b"\x80"  # header with the cached cardinality marked stale
    r.set("cached", HDR_SPARSE + bytes(8) + b"\x7f\xfe")
    assert r.pfcount("cached") == 0  # a valid cache is believed without reading the registers
    short = stale + b"\x7f\xfe"  # covers 16383 registers
    r.set("c", short)
    assert err(r, "PFCOUNT", "c") == INVALID
    assert err(r, "PFCOUNT", "c", "nokey") == INVALID
    assert err(r, "PFMERGE", "dst", "c") == INVALID
    assert err(r, "PFDEBUG", "GETREG", "c") == INVALID
    assert err(r, "PFDEBUG", "TODENSE", "c") == INVALID
    assert r.execute_command("PFDEBUG", "DECODE", "c") == b"Z:16383"
    assert r.get("c") == short and not r.exists("dst")
    # registers 0..9999 only: c (8436) goes in, a (12711) can't; the first change stays
    r.set("p", HDR_SPARSE + bytes(8) + b"\x67\x0f")
    assert err(r, "PFADD", "p", "c", "a") == INVALID
    assert r.get("p") == HDR_SPARSE + bytes(7) + b"\x80`\xf3\x80F\x1a"
    # anything past the 16384 registers: nothing can read the registers, but an
    # add before that point still goes in (Redis's walk stops at the register)
    for extra in (b"\x80", b"\x00", b"\x40\x00"):
        r.set("t", stale + b"\x7f\xff" + extra)
        for cmd in (("PFCOUNT", "t"), ("PFCOUNT", "t", "nokey"), ("PFMERGE", "t"), ("PFDEBUG", "TODENSE", "t"),
                    ("PFADD", "t", BIG33)):
            assert err(r, *cmd) == INVALID
        assert r.get("t") == stale + b"\x7f\xff" + extra
        assert r.pfadd("t", "c") == 1
        assert r.execute_command("PFDEBUG", "DECODE", "t").startswith(b"Z:8436 v:1,1 Z:7947 ")
    # a truncated XZERO reads the terminating NUL
    r.set("z", HDR_SPARSE + bytes(8) + b"\x7f")
    assert r.execute_command("PFDEBUG", "DECODE", "z") == b"Z:16129"


def test_pfdebug(r):
    assert err(r, "PFDEBUG", "GETREG", "nokey") == "The specified key does not exist"
    assert err(r, "PFDEBUG", "NOSUCH", "nokey") == "The specified key does not exist"
    assert err(r, "PFDEBUG", "GETREG") == "wrong number of arguments for 'pfdebug' command"
    r.pfadd("h", "a", "b", "c")
    assert err(r, "PFDEBUG", "NOSUCH", "h") == "Unknown PFDEBUG subcommand 'NOSUCH'"
    assert r.execute_command("PFDEBUG", "encoding", "h") == b"sparse"
    start = dirty(r)
    assert r.execute_command("PFDEBUG", "TODENSE", "h") == 1
    assert dirty(r) == start + 1
    assert r.execute_command("PFDEBUG", "TODENSE", "h") == 0
    assert dirty(r) == start + 1
    assert enc(r, "h") == b"dense"
    assert err(r, "PFDEBUG", "DECODE", "h") == "HLL encoding is not sparse"
    regs = r.execute_command("PFDEBUG", "GETREG", "h")
    assert [(i, v) for i, v in enumerate(regs) if v] == [(8436, 1), (12711, 2), (15780, 1)]
    assert r.pfcount("h") == 3
    r.pfadd("g", "a")
    assert r.execute_command("PFDEBUG", "GETREG", "g")[12711] == 2  # converts, as Redis does
    assert enc(r, "g") == b"dense"


def test_set_value_then_add_and_count(r):
    r.set("h", HDR_SPARSE + bytes(7) + b"\x80" + ABC_BODY)  # an HLL made elsewhere
    assert r.object("encoding", "h") == b"embstr"
    assert r.pfcount("h") == 3
    assert r.object("encoding", "h") == b"raw"  # PFCOUNT unshares it, as Redis
    r.setrange("h", 8, b"\x07")  # a "valid" cached cardinality is believed
    assert r.pfcount("h") == 7
    r.append("h", b"\x80")  # a trailing VAL past the 16384 registers
    assert r.pfcount("h") == 7  # still cached
    assert r.pfadd("h", "b") == 0 and r.pfadd("h", "e") == 1
    assert err(r, "PFCOUNT", "h") == INVALID


def test_values_move_between_servers(pair):
    ours, theirs = pair
    for i, (src, dst) in enumerate(((ours, theirs), (theirs, ours))):
        src.pfadd("s", *["s%d-%d" % (i, j) for j in range(400)])
        src.pfadd("d", *["d%d-%d" % (i, j) for j in range(4000)])
        for key in ("s", "d"):
            dst.set(key, src.get(key))
            assert dst.pfcount(key) == src.pfcount(key)
            more = ["m%d-%d" % (i, j) for j in range(300)]
            assert dst.pfadd(key, *more) == src.pfadd(key, *more)
            assert dst.get(key) == src.get(key)
            dst.restore("r" + key, 0, src.dump(key), replace=True)
            assert dst.get("r" + key) == src.get(key)
        dst.pfmerge("m", "s", "d")
        src.pfmerge("m", "s", "d")
        assert dst.get("m") == src.get("m")


def test_events_and_dirty(server, config_restore):
    config_restore("notify-keyspace-events", "KEAnm")
    with Wire(server.port) as sub, Wire(server.port) as w:
        w.call("FLUSHALL")
        sub.call("PSUBSCRIBE", "__keyevent@*__:*")
        w.call("CONFIG", "RESETSTAT")
        assert w.call("PFADD", "h", "a", "b", "c") == b":1\r\n"
        assert w.call("PFADD", "h", "a") == b":0\r\n"
        assert w.call("PFCOUNT", "h", "nokey") == b":3\r\n"
        assert w.call("PFMERGE", "m", "h") == b"+OK\r\n"
        w.call("PUBLISH", "__keyevent@99__:end", "marker")
        got = []
        while True:
            parts = sub.frame().split(b"\r\n")
            if parts[6] == b"__keyevent@99__:end":
                break
            got.append((parts[6].split(b":", 1)[1], parts[8]))
        # PFMERGE reads its destination as a source first (a keymiss), and says "pfadd"
        assert got == [(b"new", b"h"), (b"pfadd", b"h"), (b"keymiss", b"nokey"),
                       (b"keymiss", b"m"), (b"new", b"m"), (b"pfadd", b"m")]
    c = server.client()
    c.flushall()
    base = dirty(c)
    c.pfadd("h", "a", "b", "c")  # one per raised register, one for the new key
    assert dirty(c) == base + 4
    c.pfadd("h", "a")
    assert dirty(c) == base + 4
    c.pfcount("h")  # refreshes the cache: a change
    assert dirty(c) == base + 5
    c.pfcount("h")  # cached
    c.pfcount("h", "x")
    assert dirty(c) == base + 5
    c.pfmerge("h", "x")
    assert dirty(c) == base + 6
    c.close()


def test_watch_sees_cache_refresh(server):
    with Wire(server.port) as w, Wire(server.port) as other:
        w.call("FLUSHALL")
        w.call("PFADD", "h", "a")
        w.call("WATCH", "h")
        other.call("PFCOUNT", "h")  # rewrites the cached cardinality
        w.call("MULTI")
        w.call("PING")
        assert w.call("EXEC") in (b"*-1\r\n", b"_\r\n")
        w.call("WATCH", "h")
        other.call("PFCOUNT", "h")  # cache valid: nothing written
        w.call("MULTI")
        w.call("PING")
        assert w.call("EXEC") == b"*1\r\n+PONG\r\n"


def test_command_metadata(rr):
    info = {e[0]: e for e in rr.execute_command("COMMAND", "INFO", "pfadd", "pfcount", "pfmerge",
                                                  "pfdebug", "pfselftest")}
    def flat(e):
        return (e[1], sorted(e[2]), e[3], e[4], e[5], sorted(e[6]))
    assert flat(info[b"pfadd"]) == (-2, [b"denyoom", b"fast", b"write"], 1, 1, 1,
                                    [b"@fast", b"@hyperloglog", b"@write"])
    assert flat(info[b"pfcount"]) == (-2, [b"readonly"], 1, -1, 1, [b"@hyperloglog", b"@read", b"@slow"])
    assert flat(info[b"pfmerge"]) == (-2, [b"denyoom", b"write"], 1, -1, 1,
                                      [b"@hyperloglog", b"@slow", b"@write"])
    assert flat(info[b"pfdebug"]) == (3, [b"admin", b"denyoom", b"write"], 2, 2, 1,
                                      [b"@admin", b"@dangerous", b"@hyperloglog", b"@slow", b"@write"])
    assert flat(info[b"pfselftest"]) == (1, [b"admin"], 0, 0, 0,
                                         [b"@admin", b"@dangerous", b"@hyperloglog", b"@slow"])
    docs = rr.execute_command("COMMAND", "DOCS", "pfadd", "pfcount")
    docs = dict(zip(docs[::2], docs[1::2])) if isinstance(docs, list) else docs
    for name, since, summary in ((b"pfadd", b"2.8.9", b"Adds the specified elements to the specified HyperLogLog."),
                                 (b"pfcount", b"2.8.9", b"Return the approximated cardinality of the set(s) "
                                                         b"observed by the HyperLogLog at key(s).")):
        d = docs[name]
        d = dict(zip(d[::2], d[1::2])) if isinstance(d, list) else d
        assert (d[b"since"], d[b"group"], d[b"summary"]) == (since, b"hyperloglog", summary)


def test_read_only_script_may_not_pfcount(r):
    r.pfadd("h", "a")
    assert "Write commands are not allowed from read-only scripts" in err(
        r, "EVAL_RO", "return redis.call('pfcount', KEYS[1])", 1, "h")
    assert r.eval("return redis.call('pfcount', KEYS[1])", 1, "h") == 1


def test_pfselftest(r):
    assert r.execute_command("PFSELFTEST") in (b"OK", "OK", True)
