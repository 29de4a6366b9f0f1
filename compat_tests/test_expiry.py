"""TTLs against CrabCache and real Redis 7.0: the EXPIRE family and its flags,
TTL/PTTL/EXPIRETIME, PERSIST, lazy and active expiry, INFO keyspace.

Time is not slept through: keys are given absolute expire times in the past
(they are due at once), and the active cycle is observed by polling.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

NOT_INT = "value is not an integer or out of range"
LLONG_MAX = 2**63 - 1


def err(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def info_field(r: redis.Redis, section: str, field: str) -> str:
    text = r.execute_command("INFO", section)
    text = text.decode() if isinstance(text, bytes) else text
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    return ""


@pytest.fixture
def no_active_expire(rr):
    rr.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    yield
    rr.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_expire_family(rr):
    x = rr.execute_command
    assert x("EXPIRE", "nokey", "100") == 0
    x("SET", "k", "v")
    assert x("TTL", "k") == -1
    assert x("PTTL", "k") == -1
    assert x("EXPIRETIME", "k") == -1
    assert x("TTL", "nokey") == -2
    assert x("PEXPIRETIME", "nokey") == -2
    assert x("EXPIRE", "k", "100") == 1
    assert 99 <= x("TTL", "k") <= 100
    assert 99000 < x("PTTL", "k") <= 100000
    assert x("PEXPIRE", "k", "5500") == 1
    assert x("TTL", "k") in (5, 6)  # rounded to the nearest second
    at = int(time.time()) + 1000
    assert x("EXPIREAT", "k", at) == 1
    assert x("EXPIRETIME", "k") == at
    assert x("PEXPIRETIME", "k") == at * 1000
    assert x("PEXPIREAT", "k", at * 1000 + 499) == 1
    assert x("EXPIRETIME", "k") == at
    assert x("PEXPIREAT", "k", at * 1000 + 500) == 1
    assert x("EXPIRETIME", "k") == at + 1
    assert x("PERSIST", "k") == 1
    assert x("PERSIST", "k") == 0
    assert x("PERSIST", "nokey") == 0
    assert x("TTL", "k") == -1
    assert x("PEXPIREAT", "k", LLONG_MAX) == 1
    assert x("PEXPIRETIME", "k") == LLONG_MAX
    assert x("EXPIREAT", "k", LLONG_MAX // 1000) == 1


def test_expire_in_the_past_deletes(rr):
    x = rr.execute_command
    for cmd, arg in (("EXPIRE", "-1"), ("PEXPIRE", "0"), ("EXPIREAT", "1"), ("PEXPIREAT", "-5"),
                     ("EXPIRE", "-9223372036854775")):
        x("SET", "k", "v")
        assert x(cmd, "k", arg) == 1, cmd
        assert x("EXISTS", "k") == 0
    assert x("DBSIZE") == 0


def test_expire_flags(rr):
    x = rr.execute_command
    x("SET", "k", "v")
    assert x("EXPIRE", "k", "100", "XX") == 0
    assert x("EXPIRE", "k", "100", "GT") == 0  # no TTL counts as infinite
    assert x("EXPIRE", "k", "100", "LT") == 1
    assert x("EXPIRE", "k", "200", "NX") == 0
    assert x("EXPIRE", "k", "200", "LT") == 0
    assert x("EXPIRE", "k", "200", "GT") == 1
    assert 199 <= x("TTL", "k") <= 200
    assert x("EXPIRE", "k", "50", "xx", "lt") == 1
    assert x("PEXPIRE", "k", "10000", "Gt", "XX") == 0
    at = int(time.time()) + 500
    assert x("EXPIREAT", "k", at, "GT") == 1
    assert x("EXPIREAT", "k", at, "GT") == 0  # equal is not greater
    assert x("EXPIREAT", "k", at, "LT") == 0  # nor less
    assert x("PEXPIREAT", "k", at * 1000 - 1, "LT") == 1
    x("PERSIST", "k")
    assert x("EXPIRE", "k", "100", "NX") == 1
    assert x("EXPIRE", "nokey", "100", "NX") == 0
    assert x("EXPIRE", "k", "-1", "LT") == 1  # past: deleted
    assert x("EXISTS", "k") == 0


@pytest.mark.parametrize("args, msg", [
    (("EXPIRE", "k", "10", "FOO"), "Unsupported option FOO"),
    (("EXPIRE", "k", "abc", "FOO"), "Unsupported option FOO"),  # options are read first
    (("EXPIRE", "k", "10", "NX", "XX"), "NX and XX, GT or LT options at the same time are not compatible"),
    (("EXPIRE", "k", "10", "NX", "GT"), "NX and XX, GT or LT options at the same time are not compatible"),
    (("PEXPIRE", "k", "10", "LT", "NX"), "NX and XX, GT or LT options at the same time are not compatible"),
    (("EXPIRE", "k", "10", "GT", "LT"), "GT and LT options at the same time are not compatible"),
    (("EXPIRE", "k", "abc"), NOT_INT),
    (("EXPIRE", "k", "1.5"), NOT_INT),
    (("EXPIRE", "k", "9223372036854776"), "invalid expire time in 'expire' command"),
    (("EXPIRE", "k", "-9223372036854776"), "invalid expire time in 'expire' command"),
    (("EXPIRE", "k", "9223372036854775"), "invalid expire time in 'expire' command"),
    (("PEXPIRE", "k", "9223372036854775807"), "invalid expire time in 'pexpire' command"),
    (("EXPIREAT", "k", "9223372036854776"), "invalid expire time in 'expireat' command"),
    (("EXPIRE", "nokey", "9223372036854776"), "invalid expire time in 'expire' command"),
])
def test_expire_errors(rr, args, msg):
    rr.execute_command("SET", "k", "v")
    assert err(rr, *args) == msg


def test_which_writes_keep_the_ttl(rr):
    x = rr.execute_command
    keep = [("APPEND", "k", "x"), ("SETRANGE", "k", "0", "y"), ("SETBIT", "k", "100", "1"),
            ("BITFIELD", "k", "SET", "u8", "0", "1"), ("SET", "k", "z", "KEEPTTL"), ("GETEX", "k")]
    for cmd in keep:
        x("SET", "k", "v", "EX", "100")
        x(*cmd)
        assert x("TTL", "k") > 0, cmd
    for cmd in (("INCR", "n"), ("DECRBY", "n", "2"), ("INCRBYFLOAT", "n", "0.5")):
        x("SET", "n", "1", "EX", "100")
        x(*cmd)
        assert x("TTL", "n") > 0, cmd
    drop = [("SET", "k", "z"), ("GETSET", "k", "z"), ("MSET", "k", "z"), ("SETEX", "k", "0", "z")]
    for cmd in drop[:3]:
        x("SET", "k", "v", "EX", "100")
        x(*cmd)
        assert x("TTL", "k") == -1, cmd
    x("SET", "k", "v", "EX", "100")
    x("BITOP", "NOT", "k", "k")
    assert x("TTL", "k") == -1


def test_lazy_expiry(rr, no_active_expire):
    x = rr.execute_command
    x("CONFIG", "RESETSTAT")
    x("SET", "live", "1")
    x("SET", "gone", "1", "PXAT", "1")
    x("RPUSH", "gone2", "a")
    x("PEXPIREAT", "gone2", "1")  # deleted at once: the time is already past
    x("SET", "gone3", "1")
    x("SET", "gone3", "2", "PXAT", "2")
    assert x("DBSIZE") == 3  # DBSIZE counts keys not reclaimed yet, as Redis does
    assert x("INFO", "keyspace").count(b"expires=2") == 1
    assert x("EXISTS", "gone") == 0
    assert x("DBSIZE") == 2
    assert x("GET", "gone3") is None
    assert x("DBSIZE") == 1
    assert info_field(rr, "stats", "expired_keys") == "2"
    assert x("RANDOMKEY") == b"live"
    assert x("TTL", "gone") == -2


def test_active_expiry_reclaims_unread_keys(rr):
    x = rr.execute_command
    x("MSET", *[v for i in range(200) for v in (b"k%d" % i, b"v")])
    x("SET", "keep", "1", "EX", "1000")
    for i in range(200):
        x("PEXPIREAT", b"k%d" % i, str(int(time.time() * 1000) + 30))
    deadline = time.monotonic() + 10
    while x("DBSIZE") > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert x("DBSIZE") == 1
    assert info_field(rr, "stats", "expired_keys") != "0"


def test_info_keyspace(rr):
    x = rr.execute_command
    assert info_field(rr, "keyspace", "db0") == ""
    x("MSET", "a", "1", "b", "2", "c", "3")
    x("EXPIRE", "a", "1000")
    x("EXPIRE", "b", "2000")
    line = info_field(rr, "keyspace", "db0")
    assert line.startswith("keys=3,expires=2,avg_ttl=")
    deadline = time.monotonic() + 10
    while info_field(rr, "keyspace", "db0").endswith("avg_ttl=0") and time.monotonic() < deadline:
        time.sleep(0.05)  # the average is sampled by the active cycle
    avg = int(info_field(rr, "keyspace", "db0").split("avg_ttl=")[1])
    assert 0 < avg <= 2000 * 1000
    x("SELECT", "2")
    x("SET", "z", "1")
    assert info_field(rr, "keyspace", "db2") == "keys=1,expires=0,avg_ttl=0"
    x("FLUSHDB")
    x("SELECT", "0")
