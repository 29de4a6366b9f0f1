"""Differential fuzzing of lists, hashes, sets and sorted sets: random command
sequences run against CrabCache and real Redis (``pair``), replies must agree.

Keys are few and shared between the families, so WRONGTYPE paths, key
deletion when a container empties, and creation on first write all come up.
Replies whose order Redis leaves unspecified (hashtable sets) are compared
as sets; random commands (SPOP, SRANDMEMBER ...) are left to the other
tests.  Example counts are modest to keep the suite fast.
"""

from __future__ import annotations

from typing import Any

import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = st.sampled_from([b"k1", b"k2", b"k3"])
MEMBERS = st.sampled_from([b"a", b"b", b"c", b"d", b"1", b"2", b"-3", b"10", b""])
INTS = st.sampled_from([b"-3", b"-1", b"0", b"1", b"2", b"5", b"x"])
SCORES = st.sampled_from([b"0", b"1", b"-1.5", b"2.5", b"inf", b"-inf", b"0.1", b"1e3", b"-0", b"x"])
RANGES = st.sampled_from([b"-inf", b"+inf", b"0", b"(0", b"1", b"(2.5", b"-1.5", b"x"])
LEX = st.sampled_from([b"-", b"+", b"[a", b"(b", b"[c", b"(1", b"x"])
SIDE = st.sampled_from([b"LEFT", b"RIGHT"])


NAMES: set[bytes] = set()  # every command the vocabulary uses


def cmd(*parts: Any) -> Any:
    NAMES.add(parts[0])
    return st.tuples(*[p if isinstance(p, st.SearchStrategy) else st.just(p) for p in parts])


def many(s: Any, n: int = 3) -> Any:
    return st.lists(s, min_size=1, max_size=n)


def flat(name: bytes, *parts: Any) -> Any:
    """A command whose last part is a list of arguments."""
    return cmd(name, *parts).map(lambda t: t[:-1] + tuple(t[-1]))


LIST_CMDS = [
    flat(b"LPUSH", KEYS, many(MEMBERS)), flat(b"RPUSH", KEYS, many(MEMBERS)), flat(b"RPUSHX", KEYS, many(MEMBERS)),
    cmd(b"LPOP", KEYS), cmd(b"RPOP", KEYS, INTS), cmd(b"LLEN", KEYS), cmd(b"LRANGE", KEYS, INTS, INTS),
    cmd(b"LINDEX", KEYS, INTS), cmd(b"LSET", KEYS, INTS, MEMBERS), cmd(b"LINSERT", KEYS, st.sampled_from(
        [b"BEFORE", b"AFTER"]), MEMBERS, MEMBERS), cmd(b"LREM", KEYS, INTS, MEMBERS), cmd(b"LTRIM", KEYS, INTS, INTS),
    cmd(b"LPOS", KEYS, MEMBERS), cmd(b"LPOS", KEYS, MEMBERS, b"RANK", INTS, b"COUNT", INTS),
    cmd(b"LMOVE", KEYS, KEYS, SIDE, SIDE), cmd(b"RPOPLPUSH", KEYS, KEYS),
    cmd(b"LMPOP", b"2", KEYS, KEYS, SIDE, b"COUNT", INTS),
]
HASH_CMDS = [
    flat(b"HSET", KEYS, many(st.tuples(MEMBERS, MEMBERS)).map(lambda ps: [a for p in ps for a in p])),
    cmd(b"HSETNX", KEYS, MEMBERS, MEMBERS), cmd(b"HGET", KEYS, MEMBERS), flat(b"HMGET", KEYS, many(MEMBERS)),
    flat(b"HDEL", KEYS, many(MEMBERS)), cmd(b"HLEN", KEYS), cmd(b"HSTRLEN", KEYS, MEMBERS),
    cmd(b"HEXISTS", KEYS, MEMBERS), cmd(b"HKEYS", KEYS), cmd(b"HVALS", KEYS), cmd(b"HGETALL", KEYS),
    cmd(b"HINCRBY", KEYS, MEMBERS, INTS), cmd(b"HINCRBYFLOAT", KEYS, MEMBERS, SCORES), cmd(b"HSCAN", KEYS, b"0"),
]
SET_CMDS = [
    flat(b"SADD", KEYS, many(MEMBERS)), flat(b"SREM", KEYS, many(MEMBERS)), cmd(b"SMEMBERS", KEYS),
    cmd(b"SISMEMBER", KEYS, MEMBERS), flat(b"SMISMEMBER", KEYS, many(MEMBERS)), cmd(b"SCARD", KEYS),
    cmd(b"SMOVE", KEYS, KEYS, MEMBERS), flat(b"SINTER", many(KEYS)), flat(b"SUNION", many(KEYS)),
    flat(b"SDIFF", many(KEYS)), flat(b"SINTERSTORE", KEYS, many(KEYS)), flat(b"SUNIONSTORE", KEYS, many(KEYS)),
    flat(b"SDIFFSTORE", KEYS, many(KEYS)), cmd(b"SINTERCARD", b"2", KEYS, KEYS, b"LIMIT", INTS),
    cmd(b"SSCAN", KEYS, b"0"),
]
ZSET_CMDS = [
    flat(b"ZADD", KEYS, many(st.tuples(SCORES, MEMBERS)).map(lambda ps: [a for p in ps for a in p])),
    cmd(b"ZADD", KEYS, st.sampled_from([b"NX", b"XX", b"GT", b"LT", b"CH"]), SCORES, MEMBERS),
    cmd(b"ZADD", KEYS, b"INCR", SCORES, MEMBERS), cmd(b"ZINCRBY", KEYS, SCORES, MEMBERS),
    flat(b"ZREM", KEYS, many(MEMBERS)), cmd(b"ZCARD", KEYS), cmd(b"ZSCORE", KEYS, MEMBERS),
    flat(b"ZMSCORE", KEYS, many(MEMBERS)), cmd(b"ZRANK", KEYS, MEMBERS), cmd(b"ZREVRANK", KEYS, MEMBERS),
    cmd(b"ZCOUNT", KEYS, RANGES, RANGES), cmd(b"ZLEXCOUNT", KEYS, LEX, LEX),
    cmd(b"ZRANGE", KEYS, INTS, INTS, b"WITHSCORES"), cmd(b"ZRANGE", KEYS, INTS, INTS, b"REV"),
    cmd(b"ZRANGEBYSCORE", KEYS, RANGES, RANGES, b"WITHSCORES"),
    cmd(b"ZREVRANGEBYSCORE", KEYS, RANGES, RANGES, b"LIMIT", INTS, INTS),
    cmd(b"ZRANGEBYLEX", KEYS, LEX, LEX), cmd(b"ZREVRANGEBYLEX", KEYS, LEX, LEX),
    cmd(b"ZRANGESTORE", KEYS, KEYS, RANGES, RANGES, b"BYSCORE"),
    cmd(b"ZREMRANGEBYRANK", KEYS, INTS, INTS), cmd(b"ZREMRANGEBYSCORE", KEYS, RANGES, RANGES),
    cmd(b"ZREMRANGEBYLEX", KEYS, LEX, LEX), cmd(b"ZPOPMIN", KEYS), cmd(b"ZPOPMAX", KEYS, INTS),
    cmd(b"ZMPOP", b"2", KEYS, KEYS, st.sampled_from([b"MIN", b"MAX"]), b"COUNT", INTS),
    cmd(b"ZUNION", b"2", KEYS, KEYS, b"WITHSCORES"), cmd(b"ZINTER", b"2", KEYS, KEYS, b"WEIGHTS", SCORES, SCORES),
    cmd(b"ZDIFF", b"2", KEYS, KEYS, b"WITHSCORES"),
    cmd(b"ZUNIONSTORE", KEYS, b"2", KEYS, KEYS, b"AGGREGATE", st.sampled_from([b"SUM", b"MIN", b"MAX"])),
    cmd(b"ZINTERSTORE", KEYS, b"2", KEYS, KEYS), cmd(b"ZDIFFSTORE", KEYS, b"2", KEYS, KEYS),
    cmd(b"ZINTERCARD", b"2", KEYS, KEYS), cmd(b"ZSCAN", KEYS, b"0"),
]
COMMON = [cmd(b"TYPE", KEYS), cmd(b"EXISTS", KEYS), cmd(b"OBJECT", b"ENCODING", KEYS)]

UNORDERED = {b"SINTER", b"SUNION", b"SDIFF", b"SMEMBERS"}


def run(c: redis.Redis, args: tuple) -> Any:
    try:
        reply = c.execute_command(*args)
    except redis.ResponseError as e:
        return ("error", str(e))
    name = args[0]
    if name in UNORDERED:
        return ("set", sorted(reply))
    if name == b"SSCAN":
        return (reply[0], sorted(reply[1]))  # small sets: one call, hashtable order unspecified
    return reply


def check(pair: tuple[redis.Redis, redis.Redis], commands: list[tuple]) -> None:
    crab, real = pair
    for c in (crab, real):
        c.response_callbacks.clear()
        c.flushall()
    for args in commands:
        assert run(crab, args) == run(real, args), args


FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.lists(st.one_of(LIST_CMDS + COMMON), min_size=1, max_size=30))
def test_lists_agree(pair, commands):
    check(pair, commands)


@FUZZ
@given(st.lists(st.one_of(HASH_CMDS + COMMON), min_size=1, max_size=30))
def test_hashes_agree(pair, commands):
    check(pair, commands)


@FUZZ
@given(st.lists(st.one_of(SET_CMDS + COMMON), min_size=1, max_size=30))
def test_sets_agree(pair, commands):
    check(pair, commands)


@FUZZ
@given(st.lists(st.one_of(ZSET_CMDS + COMMON), min_size=1, max_size=30))
def test_zsets_agree(pair, commands):
    check(pair, commands)


@FUZZ
@given(st.lists(st.one_of(LIST_CMDS + HASH_CMDS + SET_CMDS + ZSET_CMDS), min_size=1, max_size=40))
def test_mixed_types_agree(pair, commands):
    check(pair, commands)


def test_every_generated_command_is_known(pair):
    # Guard against typos in the vocabulary: an unknown command would "agree" trivially.
    for c in pair:
        info = c.execute_command("COMMAND", "INFO", *sorted(NAMES))
        assert None not in info, sorted(NAMES)
