"""Sorted set commands against CrabCache and real Redis 7.0 (RESP2 and RESP3).

Replies are checked as the server sent them (``rr``: no redis-py callbacks):
a score is a ``%.17g`` bulk string in RESP2 and a double in RESP3, and
WITHSCORES replies are flat in RESP2 and pairs in RESP3.  The exact bytes of
score formatting are checked with ``raw``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import redis

NOT_INT = "value is not an integer or out of range"
NOT_FLOAT = "value is not a valid float"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def err(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def sc(protocol: int, v: float) -> Any:
    """A score as the client receives it."""
    if protocol == 3:
        return v
    if math.isinf(v):
        return b"inf" if v > 0 else b"-inf"
    return b"%.17g" % v


def ws(protocol: int, *pairs: tuple[bytes, float]) -> list:
    """A WITHSCORES reply."""
    if protocol == 3:
        return [[m, s] for m, s in pairs]
    out: list = []
    for m, s in pairs:
        out += [m, sc(2, s)]
    return out


def test_zadd_basics(rr, protocol):
    x = rr.execute_command
    assert x("ZADD", "z", 1, "a", 2, "b", 3, "c") == 3
    assert x("ZADD", "z", 1, "a") == 0
    assert x("ZADD", "z", "CH", 5, "a", 1, "b", 7, "d") == 3
    assert x("ZRANGE", "z", 0, -1, "WITHSCORES") == ws(protocol, (b"b", 1), (b"c", 3), (b"a", 5), (b"d", 7))
    assert x("ZADD", "z", "NX", 9, "a", 9, "e") == 1
    assert x("ZADD", "z", "XX", 9, "a", 9, "f") == 0
    assert x("ZSCORE", "z", "a") == sc(protocol, 9)
    assert x("ZSCORE", "z", "f") is None
    assert x("ZADD", "z", "GT", "CH", 1, "a", 10, "b") == 1  # only b goes up
    assert x("ZADD", "z", "LT", "CH", 1, "a", 100, "c") == 1  # only a goes down
    assert x("ZADD", "z", "GT", 1, "new") == 1  # GT/LT never stop additions
    assert x("ZADD", "z", "XX", "GT", 2, "new") == 0
    assert x("ZSCORE", "z", "new") == sc(protocol, 2)
    assert x("ZADD", "nokey", "XX", 1, "a") == 0
    assert x("EXISTS", "nokey") == 0


def test_zadd_incr_and_zincrby(rr, protocol):
    x = rr.execute_command
    assert x("ZADD", "z", "INCR", 1.5, "a") == sc(protocol, 1.5)
    assert x("ZADD", "z", "INCR", 1.1, "a") == sc(protocol, 2.6)
    assert x("ZINCRBY", "z", -0.6, "a") == sc(protocol, 2.0)
    assert x("ZADD", "z", "NX", "INCR", 1, "a") is None
    assert x("ZADD", "z", "XX", "INCR", 1, "zz") is None
    assert x("ZADD", "z", "GT", "INCR", -1, "a") is None
    assert x("ZADD", "z", "INCR", "inf", "i") == sc(protocol, math.inf)
    assert err(rr, "ZADD", "z", "INCR", "-inf", "i") == "resulting score is not a number (NaN)"
    assert err(rr, "ZINCRBY", "z", "-inf", "i") == "resulting score is not a number (NaN)"
    assert err(rr, "ZINCRBY", "z", "abc", "i") == NOT_FLOAT
    assert x("ZSCORE", "z", "i") == sc(protocol, math.inf)


def test_zadd_errors(rr):
    assert err(rr, "ZADD", "z", "NX", "XX", 1, "a") == "XX and NX options at the same time are not compatible"
    for opts in (("GT", "LT"), ("NX", "GT"), ("LT", "NX")):
        assert err(rr, "ZADD", "z", *opts, 1, "a") == "GT, LT, and/or NX options at the same time are not compatible"
    assert err(rr, "ZADD", "z", "INCR", 1, "a", 2, "b") == "INCR option supports a single increment-element pair"
    assert err(rr, "ZADD", "z", "NX", 1) == "syntax error"
    assert err(rr, "ZADD", "z", 1, "a", 2) == "syntax error"
    assert err(rr, "ZADD", "z", 1) == "wrong number of arguments for 'zadd' command"
    for bad in ("abc", "nan", "1e400", " 1", "", "1x", "0x"):
        assert err(rr, "ZADD", "z", bad, "a") == NOT_FLOAT, bad
    assert err(rr, "ZADD", "z", 1, "a", "bad", "b") == NOT_FLOAT
    assert rr.execute_command("EXISTS", "z") == 0  # every score is parsed before anything is added
    rr.execute_command("SET", "s", "x")
    assert err(rr, "ZADD", "s", 1, "a") == WRONGTYPE
    assert err(rr, "ZADD", "s", "bad", "a") == NOT_FLOAT  # scores before the type


def test_score_syntax_and_formatting(raw):
    out = raw(b"ZADD z 0x10 hex 1.1 d 2.2e-3 e -inf ni +inf i 1e20 b 123456789012345678 big\r\n"
              b"ZSCORE z hex\r\nZSCORE z d\r\nZSCORE z e\r\nZSCORE z ni\r\nZSCORE z i\r\nZSCORE z b\r\n"
              b"ZSCORE z big\r\nZINCRBY z 0.1 d\r\n")
    assert out == (b":7\r\n$2\r\n16\r\n$18\r\n1.1000000000000001\r\n$21\r\n0.0022000000000000001\r\n"
                   b"$4\r\n-inf\r\n$3\r\ninf\r\n$5\r\n1e+20\r\n$22\r\n1.2345678901234568e+17\r\n"
                   b"$18\r\n1.2000000000000002\r\n")
    assert raw(b"HELLO 3\r\nZSCORE z d\r\nZSCORE z i\r\nZMSCORE z d nope\r\n").endswith(
        b",1.2000000000000002\r\n,inf\r\n*2\r\n,1.2000000000000002\r\n_\r\n")


def test_negative_zero(rr, protocol, config_restore):
    x = rr.execute_command
    x("ZADD", "z", "-0", "a")
    assert x("ZSCORE", "z", "a") == sc(protocol, 0.0)  # a listpack stores -0 as "0"
    config_restore("zset-max-listpack-entries", "0")
    x("ZADD", "sk", "-0", "a")
    assert x("OBJECT", "ENCODING", "sk") == b"skiplist"
    assert x("ZSCORE", "sk", "a") == (b"-0" if protocol == 2 else -0.0)
    assert x("ZSCAN", "sk", 0) == [b"0", [b"a", b"-0"]]


def test_reads(rr, protocol):
    x = rr.execute_command
    x("ZADD", "z", 1, "a", 2, "b", 2, "c", 3, "d")
    assert x("ZCARD", "z") == 4
    assert x("ZCARD", "nokey") == 0
    assert x("ZRANK", "z", "c") == 2
    assert x("ZREVRANK", "z", "c") == 1
    assert x("ZRANK", "z", "zz") is None
    assert x("ZRANK", "nokey", "a") is None
    assert x("ZMSCORE", "z", "a", "zz", "d") == [sc(protocol, 1), None, sc(protocol, 3)]
    assert x("ZMSCORE", "nokey", "a") == [None]
    assert x("ZCOUNT", "z", "-inf", "+inf") == 4
    assert x("ZCOUNT", "z", "(1", "2") == 2
    assert x("ZCOUNT", "z", "(1", "(2") == 0
    assert x("ZCOUNT", "z", 3, 1) == 0
    assert x("ZCOUNT", "nokey", 0, 1) == 0
    assert err(rr, "ZCOUNT", "z", "abc", 1) == "min or max is not a float"
    assert err(rr, "ZCOUNT", "nokey", "(x", 1) == "min or max is not a float"


def test_zrange_by_rank(rr, protocol):
    x = rr.execute_command
    x("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d")
    assert x("ZRANGE", "z", 0, -1) == [b"a", b"b", b"c", b"d"]
    assert x("ZRANGE", "z", -2, -1, "WITHSCORES") == ws(protocol, (b"c", 3), (b"d", 4))
    assert x("ZRANGE", "z", 2, 1) == []
    assert x("ZRANGE", "z", -100, 100, "REV") == [b"d", b"c", b"b", b"a"]
    assert x("ZRANGE", "z", 0, 1, "REV", "WITHSCORES") == ws(protocol, (b"d", 4), (b"c", 3))
    assert x("ZREVRANGE", "z", 1, 2) == [b"c", b"b"]
    assert x("ZRANGE", "nokey", 0, -1) == []
    assert err(rr, "ZRANGE", "z", "a", 1) == NOT_INT
    assert err(rr, "ZRANGE", "z", 0, -1, "LIMIT", 0, 1) == (
        "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    assert err(rr, "ZREVRANGE", "z", 0, 1, "REV") == "syntax error"
    assert err(rr, "ZREVRANGE", "z", 0, 1, "BYSCORE") == "syntax error"
    assert err(rr, "ZRANGE", "z", 0, 1, "FOO") == "syntax error"


def test_zrange_by_score(rr, protocol):
    x = rr.execute_command
    x("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", "inf", "i", "-inf", "ni")
    assert x("ZRANGEBYSCORE", "z", "(1", 3) == [b"b", b"c"]
    assert x("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", 1, 2) == [b"a", b"b"]
    assert x("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", 4, -1) == [b"d", b"i"]
    assert x("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", -1, 2) == []
    assert x("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", 100, 2) == []
    assert x("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", 2, 0) == []
    assert x("ZRANGEBYSCORE", "z", "(", 2) == [b"a", b"b"]  # "(" alone is an exclusive 0
    assert x("ZRANGEBYSCORE", "z", "", "1") == [b"a"]  # and "" is 0 (strtod reads nothing)
    assert x("ZRANGEBYSCORE", "z", " 2", "1e400") == [b"b", b"c", b"d", b"i"]
    assert x("ZREVRANGEBYSCORE", "z", 3, "(1", "WITHSCORES") == ws(protocol, (b"c", 3), (b"b", 2))
    assert x("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", 1, 2) == [b"d", b"c"]
    assert x("ZRANGE", "z", 5, "(1", "BYSCORE", "REV", "LIMIT", 1, 3) == [b"c", b"b"]
    assert x("ZRANGE", "z", "(1", 5, "BYSCORE", "WITHSCORES") == ws(
        protocol, (b"b", 2), (b"c", 3), (b"d", 4))
    assert err(rr, "ZRANGEBYSCORE", "z", "abc", 1) == "min or max is not a float"
    assert err(rr, "ZRANGEBYSCORE", "z", 0, "nan") == "min or max is not a float"
    assert err(rr, "ZRANGEBYSCORE", "z", 0, 1, "LIMIT", 0) == "syntax error"
    assert err(rr, "ZRANGEBYSCORE", "z", 0, 1, "LIMIT", "x", 1) == NOT_INT
    assert err(rr, "ZRANGE", "z", 0, 1, "BYSCORE", "BYSCORE") == "syntax error"
    assert err(rr, "ZRANGE", "z", 0, 1, "BYSCORE", "BYLEX") == "syntax error"


def test_lex_ranges(rr):
    x = rr.execute_command
    x("ZADD", "l", 0, "a", 0, "b", 0, "c", 0, "d", 0, "e")
    assert x("ZRANGEBYLEX", "l", "-", "+") == [b"a", b"b", b"c", b"d", b"e"]
    assert x("ZRANGEBYLEX", "l", "[b", "[d") == [b"b", b"c", b"d"]
    assert x("ZRANGEBYLEX", "l", "(b", "(d") == [b"c"]
    assert x("ZRANGEBYLEX", "l", "+", "-") == []
    assert x("ZRANGEBYLEX", "l", "-", "+", "LIMIT", 1, 2) == [b"b", b"c"]
    assert x("ZREVRANGEBYLEX", "l", "+", "-") == [b"e", b"d", b"c", b"b", b"a"]
    assert x("ZREVRANGEBYLEX", "l", "[d", "(a", "LIMIT", 1, 10) == [b"c", b"b"]
    assert x("ZRANGE", "l", "[b", "(d", "BYLEX") == [b"b", b"c"]
    assert x("ZLEXCOUNT", "l", "-", "+") == 5
    assert x("ZLEXCOUNT", "l", "[b", "(e") == 3
    assert x("ZLEXCOUNT", "nokey", "-", "+") == 0
    assert err(rr, "ZRANGEBYLEX", "l", "a", "b") == "min or max not valid string range item"
    assert err(rr, "ZLEXCOUNT", "l", "[a", "b") == "min or max not valid string range item"
    assert err(rr, "ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES") == (
        "syntax error, WITHSCORES not supported in combination with BYLEX")


def test_lex_ranges_with_mixed_scores_follow_the_listpack_walk(rr):
    # Lex ranges assume equal scores; with mixed ones a small zset answers
    # with Redis's walk over (score, member) order, from the head (or the
    # tail when reversed), stopping at the first member out of range.
    x = rr.execute_command
    x("ZADD", "m", 0, "a", 1, "1")  # order: a, 1
    assert x("ZLEXCOUNT", "m", "[a", "+") == 0  # the last member, "1", is below "[a"
    assert x("ZLEXCOUNT", "m", "-", "+") == 2
    x("ZADD", "n", 0, "b", 0, "d", 1, "a", 2, "c")  # order: b, d, a, c
    assert x("ZLEXCOUNT", "n", "[b", "[c") == 1
    assert x("ZRANGEBYLEX", "n", "[b", "+") == [b"b", b"d", b"a", b"c"]
    assert x("ZRANGEBYLEX", "n", "(a", "[d") == [b"b", b"d", b"a", b"c"]
    assert x("ZREVRANGEBYLEX", "n", "[c", "-") == [b"c", b"a", b"d", b"b"]
    assert x("ZRANGE", "n", "[d", "[a", "BYLEX", "REV") == [b"c", b"a", b"d", b"b"]
    assert x("ZREMRANGEBYLEX", "n", "[c", "+") == 3
    assert x("ZRANGE", "n", 0, -1) == [b"b"]


def test_zrangestore(rr, protocol):
    x = rr.execute_command
    x("ZADD", "z", 1, "a", 2, "b", 3, "c")
    assert x("ZRANGESTORE", "dst", "z", 0, 1) == 2
    assert x("ZRANGE", "dst", 0, -1, "WITHSCORES") == ws(protocol, (b"a", 1), (b"b", 2))
    assert x("ZRANGESTORE", "dst", "z", "+inf", "(1", "BYSCORE", "REV", "LIMIT", 0, 1) == 1
    assert x("ZRANGE", "dst", 0, -1) == [b"c"]
    assert x("ZRANGESTORE", "dst", "z", 5, 6) == 0
    assert x("EXISTS", "dst") == 0
    x("ZADD", "dst", 1, "q")
    assert x("ZRANGESTORE", "dst", "nokey", 0, -1) == 0
    assert x("EXISTS", "dst") == 0
    assert err(rr, "ZRANGESTORE", "dst", "z", 0, -1, "WITHSCORES") == "syntax error"


def test_zrem_and_remrange(rr):
    x = rr.execute_command
    x("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e")
    assert x("ZREM", "z", "a", "zz") == 1
    assert x("ZREM", "nokey", "a") == 0
    assert x("ZREMRANGEBYRANK", "z", 0, 0) == 1
    assert x("ZREMRANGEBYSCORE", "z", "(3", 4) == 1
    assert x("ZRANGE", "z", 0, -1) == [b"c", b"e"]
    assert x("ZREMRANGEBYRANK", "z", 5, 10) == 0
    assert err(rr, "ZREMRANGEBYRANK", "z", "x", 1) == NOT_INT
    assert err(rr, "ZREMRANGEBYSCORE", "nokey", "x", 1) == "min or max is not a float"
    assert err(rr, "ZREMRANGEBYLEX", "nokey", "x", "y") == "min or max not valid string range item"
    assert x("ZREMRANGEBYSCORE", "z", "-inf", "+inf") == 2
    assert x("EXISTS", "z") == 0
    x("ZADD", "l", 0, "a", 0, "b", 0, "c")
    assert x("ZREMRANGEBYLEX", "l", "[b", "+") == 2
    assert x("ZRANGE", "l", 0, -1) == [b"a"]


def test_pops(rr, protocol):
    x = rr.execute_command
    x("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d")
    # Without COUNT the reply is flat in both protocols; with COUNT, pairs in RESP3.
    assert x("ZPOPMIN", "z") == [b"a", sc(protocol, 1)]
    assert x("ZPOPMAX", "z", 1) == ws(protocol, (b"d", 4))
    assert x("ZPOPMIN", "z", 0) == []
    assert x("ZPOPMIN", "z", 10) == ws(protocol, (b"b", 2), (b"c", 3))
    assert x("EXISTS", "z") == 0
    assert x("ZPOPMIN", "nokey") == []
    assert x("ZPOPMAX", "nokey", 2) == []
    assert err(rr, "ZPOPMIN", "z", -1) == "value is out of range, must be positive"
    assert err(rr, "ZPOPMIN", "z", "abc") == "value is out of range, must be positive"
    assert err(rr, "ZPOPMIN", "z", 1, 2) == "syntax error"
    x("SET", "s", "v")
    assert err(rr, "ZPOPMIN", "s", 0) == WRONGTYPE


def test_zmpop(rr, protocol):
    x = rr.execute_command
    x("ZADD", "z", 1, "a", 2, "b", 3, "c")
    # Nested pairs in both protocols.
    assert x("ZMPOP", 2, "nokey", "z", "MIN") == [b"z", [[b"a", sc(protocol, 1)]]]
    assert x("ZMPOP", 1, "z", "MAX", "COUNT", 10) == [b"z", [[b"c", sc(protocol, 3)], [b"b", sc(protocol, 2)]]]
    assert x("ZMPOP", 1, "z", "MIN") is None
    assert err(rr, "ZMPOP", 1, "z", "MIN", "COUNT", 0) == "count should be greater than 0"
    assert err(rr, "ZMPOP", 1, "z", "MID") == "syntax error"
    assert err(rr, "ZMPOP", 0, "z", "MIN") == "numkeys should be greater than 0"
    x("SET", "s", "v")
    assert err(rr, "ZMPOP", 2, "nokey", "s", "MIN") == WRONGTYPE


def test_set_operations(rr, protocol):
    x = rr.execute_command
    x("ZADD", "a", 1, "x", 2, "y", 3, "z")
    x("ZADD", "b", 10, "y", 20, "z", 30, "w")
    x("SADD", "s", "x", "w", "q")
    assert x("ZUNION", 2, "a", "b", "WITHSCORES") == ws(
        protocol, (b"x", 1), (b"y", 12), (b"z", 23), (b"w", 30))
    assert x("ZUNION", 2, "a", "b", "WEIGHTS", 2, -1, "WITHSCORES") == ws(
        protocol, (b"w", -30), (b"z", -14), (b"y", -6), (b"x", 2))
    assert x("ZUNION", 2, "a", "b", "AGGREGATE", "MIN") == [b"x", b"y", b"z", b"w"]
    assert x("ZUNION", 2, "a", "b", "AGGREGATE", "MAX", "WITHSCORES") == ws(
        protocol, (b"x", 1), (b"y", 10), (b"z", 20), (b"w", 30))
    assert x("ZINTER", 2, "a", "b", "WITHSCORES") == ws(protocol, (b"y", 12), (b"z", 23))
    assert x("ZINTER", 3, "a", "b", "s") == []
    assert x("ZUNION", 3, "a", "b", "s", "WITHSCORES") == ws(
        protocol, (b"q", 1), (b"x", 2), (b"y", 12), (b"z", 23), (b"w", 31))  # set members score 1
    assert x("ZDIFF", 2, "a", "b", "WITHSCORES") == ws(protocol, (b"x", 1))
    assert x("ZDIFF", 2, "b", "s") == [b"y", b"z"]
    assert x("ZINTERCARD", 2, "a", "b") == 2
    assert x("ZINTERCARD", 2, "a", "b", "LIMIT", 1) == 1
    assert x("ZINTERCARD", 2, "a", "nokey") == 0
    # inf * 0 is NaN, which Redis turns into 0; inf + -inf likewise
    x("ZADD", "inf", "inf", "x", "-inf", "y")
    assert x("ZINTER", 2, "inf", "a", "WEIGHTS", 0, 1, "WITHSCORES") == ws(protocol, (b"x", 1), (b"y", 2))
    assert x("ZUNION", 2, "inf", "inf", "WEIGHTS", 1, -1, "WITHSCORES") == ws(protocol, (b"x", 0), (b"y", 0))


def test_set_operation_errors(rr):
    rr.execute_command("ZADD", "a", 1, "x")
    rr.execute_command("SET", "str", "v")
    assert err(rr, "ZUNIONSTORE", "out", 0, "a") == "at least 1 input key is needed for 'zunionstore' command"
    assert err(rr, "ZINTER", 0, "a") == "at least 1 input key is needed for 'zinter' command"
    assert err(rr, "ZINTERCARD", 0, "a") == "at least 1 input key is needed for 'zintercard' command"
    assert err(rr, "ZUNION", "abc", "a") == NOT_INT
    assert err(rr, "ZUNIONSTORE", "out", 2, "a") == "syntax error"
    assert err(rr, "ZUNIONSTORE", "out", 1, "a", "WEIGHTS", 1, 2) == "syntax error"
    assert err(rr, "ZUNIONSTORE", "out", 1, "a", "WEIGHTS", "abc") == "weight value is not a float"
    assert err(rr, "ZUNIONSTORE", "out", 1, "a", "AGGREGATE", "avg") == "syntax error"
    assert err(rr, "ZUNIONSTORE", "out", 1, "a", "WITHSCORES") == "syntax error"
    assert err(rr, "ZDIFF", 1, "a", "WEIGHTS", 1) == "syntax error"
    assert err(rr, "ZINTERCARD", 1, "a", "LIMIT", -1) == "LIMIT can't be negative"
    assert err(rr, "ZINTERCARD", 1, "a", "WITHSCORES") == "syntax error"
    assert err(rr, "ZUNION", 2, "a", "str") == WRONGTYPE
    assert err(rr, "ZUNION", 2, "str", "a", "AGGREGATE", "avg") == WRONGTYPE  # keys before options


def test_store_operations(rr, protocol):
    x = rr.execute_command
    x("ZADD", "a", 1, "x", 2, "y")
    x("ZADD", "b", 3, "y")
    assert x("ZUNIONSTORE", "out", 2, "a", "b") == 2
    assert x("ZRANGE", "out", 0, -1, "WITHSCORES") == ws(protocol, (b"x", 1), (b"y", 5))
    assert x("ZINTERSTORE", "out", 2, "a", "b", "WEIGHTS", 2, 1) == 1
    assert x("ZRANGE", "out", 0, -1, "WITHSCORES") == ws(protocol, (b"y", 7))
    assert x("ZDIFFSTORE", "out", 2, "a", "b") == 1
    assert x("ZRANGE", "out", 0, -1) == [b"x"]
    assert x("ZINTERSTORE", "out", 2, "a", "nokey") == 0
    assert x("EXISTS", "out") == 0
    assert x("ZUNIONSTORE", "a", 2, "a", "b") == 2  # a source may be the destination
    assert x("ZRANGE", "a", 0, -1, "WITHSCORES") == ws(protocol, (b"x", 1), (b"y", 5))


def test_zrandmember(rr, protocol):
    x = rr.execute_command
    x("ZADD", "z", 1, "a", 2, "b", 3, "c")
    assert x("ZRANDMEMBER", "z") in (b"a", b"b", b"c")
    assert x("ZRANDMEMBER", "nokey") is None
    assert x("ZRANDMEMBER", "nokey", 2) == []
    assert x("ZRANDMEMBER", "z", 0) == []
    assert x("ZRANDMEMBER", "z", 5) == [b"c", b"b", b"a"]  # all of it, highest first
    assert x("ZRANDMEMBER", "z", 5, "WITHSCORES") == ws(protocol, (b"c", 3), (b"b", 2), (b"a", 1))
    two = x("ZRANDMEMBER", "z", 2)
    assert len(set(two)) == 2 and set(two) <= {b"a", b"b", b"c"}
    many = x("ZRANDMEMBER", "z", -10, "WITHSCORES")
    pairs = many if protocol == 3 else [many[i:i + 2] for i in range(0, len(many), 2)]
    scores = {b"a": 1, b"b": 2, b"c": 3}
    assert len(pairs) == 10 and all(s == sc(protocol, scores[m]) for m, s in pairs)
    assert err(rr, "ZRANDMEMBER", "z", -9223372036854775808) == (
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    assert err(rr, "ZRANDMEMBER", "z", 4611686018427387904, "WITHSCORES") == "value is out of range"
    assert err(rr, "ZRANDMEMBER", "z", 2, "WITHSCORES", "x") == "syntax error"


def test_zscan(rr, config_restore):
    x = rr.execute_command
    x("ZADD", "z", 1.5, "a", "1e20", "b", "1e-5", "c", "0.1", "d", "123456789012345678", "e")
    # A listpack: everything at once, scores as the listpack keeps them.
    assert x("ZSCAN", "z", 0) == [b"0", [b"c", b"1.0000000000000001e-05", b"d", b"0.10000000000000001",
                                         b"a", b"1.5", b"e", b"123456789012345680", b"b", b"1e+20"]]
    assert x("ZSCAN", "z", 0, "MATCH", "[ab]") == [b"0", [b"a", b"1.5", b"b", b"1e+20"]]
    assert x("ZSCAN", "nokey", 0) == [b"0", []]
    assert err(rr, "ZSCAN", "z", "-") == "invalid cursor"
    config_restore("zset-max-listpack-entries", "16")
    x("ZADD", "big", *[a for i in range(200) for a in (i, b"m%d" % i)])
    assert x("OBJECT", "ENCODING", "big") == b"skiplist"
    seen = {}
    cursor = b"0"
    while True:
        cursor, items = x("ZSCAN", "big", cursor)
        seen.update(zip(items[::2], items[1::2]))
        if cursor == b"0":
            break
    assert seen == {b"m%d" % i: b"%d" % i for i in range(200)}


def test_encodings(rr, config_restore):
    x = rr.execute_command
    x("ZADD", "z", 1, "a")
    assert x("OBJECT", "ENCODING", "z") == b"listpack"
    x("ZADD", "z", 2, "f" * 65)
    assert x("OBJECT", "ENCODING", "z") == b"skiplist"
    x("ZREM", "z", "f" * 65)
    assert x("OBJECT", "ENCODING", "z") == b"skiplist"  # never back ...
    x("ZRANGESTORE", "z2", "z", 0, -1)
    assert x("OBJECT", "ENCODING", "z2") == b"listpack"  # ... but a stored result is new
    config_restore("zset-max-listpack-entries", "2")
    x("ZADD", "z3", 1, "a", 2, "b", 2, "b")
    assert x("OBJECT", "ENCODING", "z3") == b"listpack"
    x("ZADD", "z3", 3, "c")
    assert x("OBJECT", "ENCODING", "z3") == b"skiplist"
    x("ZUNIONSTORE", "z4", 1, "z3")
    assert x("OBJECT", "ENCODING", "z4") == b"skiplist"


def test_wrongtype(rr):
    rr.execute_command("SET", "s", "x")
    for cmd in (("ZSCORE", "s", "a"), ("ZCARD", "s"), ("ZRANGE", "s", 0, 1), ("ZRANK", "s", "a"),
                ("ZCOUNT", "s", 0, 1), ("ZREM", "s", "a"), ("ZINCRBY", "s", 1, "a"), ("ZPOPMAX", "s"),
                ("ZRANDMEMBER", "s"), ("ZSCAN", "s", 0), ("ZMSCORE", "s", "a"), ("ZLEXCOUNT", "s", "-", "+")):
        assert err(rr, *cmd) == WRONGTYPE


def test_keyspace_events(r, config_restore):
    config_restore("notify-keyspace-events", "KEA")
    p = r.pubsub()
    p.psubscribe("__keyevent@0__:*")
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    x = r.execute_command
    x("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e")
    x("ZADD", "z", 1, "a")  # no change: no event
    x("ZINCRBY", "z", 1, "a")
    x("ZREM", "z", "a")
    x("ZREMRANGEBYRANK", "z", 0, 0)
    x("ZREMRANGEBYSCORE", "z", 3, 3)
    x("ZPOPMIN", "z")
    x("ZPOPMAX", "z")
    x("ZADD", "y", 0, "a")
    x("ZRANGESTORE", "d", "y", 0, -1)
    x("ZUNIONSTORE", "d", 1, "y")
    x("ZINTERSTORE", "d", 2, "y", "nokey")
    want = [(b"zadd", b"z"), (b"zincr", b"z"), (b"zrem", b"z"), (b"zremrangebyrank", b"z"),
            (b"zremrangebyscore", b"z"), (b"zpopmin", b"z"), (b"zpopmax", b"z"), (b"del", b"z"),
            (b"zadd", b"y"), (b"zrangestore", b"d"), (b"zunionstore", b"d"), (b"del", b"d")]
    got = []
    while len(got) < len(want):
        m = p.get_message(timeout=2)
        assert m is not None, got
        got.append((m["channel"].split(b":", 1)[1], m["data"]))
    p.close()
    assert got == want
