"""Bitmap commands against CrabCache and real Redis 7.0 (RESP2 and RESP3).

The range arithmetic of BITCOUNT/BITPOS and BITFIELD's overflow handling
have many corners; besides the hand-written cases, ``test_*_random_agree``
replay a few hundred seeded random calls on both servers and compare replies.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import redis

NOT_INT = "value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
BIT_OFFSET = "bit offset is not an integer or out of range"
BF_TYPE = "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."


def err(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def dirty(r: redis.Redis) -> int:
    text = r.execute_command("INFO", "persistence")
    text = text.decode() if isinstance(text, bytes) else text
    return int(text.split("rdb_changes_since_last_save:")[1].split()[0])


def test_setbit_getbit(rr):
    x = rr.execute_command
    assert x("SETBIT", "b", "7", "1") == 0
    assert x("GET", "b") == b"\x01"
    assert x("SETBIT", "b", "7", "1") == 1
    assert x("SETBIT", "b", "0", "1") == 0
    assert x("GET", "b") == b"\x81"
    assert x("SETBIT", "b", "20", "1") == 0
    assert x("GET", "b") == b"\x81\x00\x08"
    assert x("SETBIT", "b", "20", "0") == 1
    assert x("GET", "b") == b"\x81\x00\x00"
    assert x("GETBIT", "b", "0") == 1
    assert x("GETBIT", "b", "1") == 0
    assert x("GETBIT", "b", "10000") == 0
    assert x("GETBIT", "nokey", "5") == 0
    x("SET", "s", "1")  # '1' is 0x31
    assert [x("GETBIT", "s", i) for i in range(8)] == [0, 0, 1, 1, 0, 0, 0, 1]
    assert x("SETBIT", "s", "7", "0") == 1
    assert x("GET", "s") == b"0"
    assert x("OBJECT", "ENCODING", "s") == b"raw"


@pytest.mark.parametrize("args, msg", [
    (("SETBIT", "b", "-1", "1"), BIT_OFFSET),
    (("SETBIT", "b", "x", "1"), BIT_OFFSET),
    (("SETBIT", "b", "4294967296", "1"), BIT_OFFSET),
    (("SETBIT", "b", "#1", "1"), BIT_OFFSET),
    (("SETBIT", "b", "0", "2"), "bit is not an integer or out of range"),
    (("SETBIT", "b", "0", "-1"), "bit is not an integer or out of range"),
    (("SETBIT", "b", "0", "x"), "bit is not an integer or out of range"),
    (("GETBIT", "b", "-1"), BIT_OFFSET),
    (("GETBIT", "b", "4294967296"), BIT_OFFSET),
])
def test_bit_argument_errors(rr, args, msg):
    assert err(rr, *args) == msg


def test_setbit_limits_and_types(rr, config_restore):
    x = rr.execute_command
    config_restore("proto-max-bulk-len", "1mb")  # the limit follows the setting
    assert x("SETBIT", "b", str(8 * 1024 * 1024 - 1), "1") == 0  # the last bit of a 1MB string
    assert x("STRLEN", "b") == 1024 * 1024
    assert err(rr, "SETBIT", "b", str(8 * 1024 * 1024), "1") == BIT_OFFSET
    assert err(rr, "BITFIELD", "b", "GET", "u8", str(8 * 1024 * 1024)) == BIT_OFFSET
    x("DEL", "b")
    x("RPUSH", "l", "a")
    assert err(rr, "SETBIT", "l", "0", "1") == WRONGTYPE
    assert err(rr, "GETBIT", "l", "0") == WRONGTYPE


def test_setbit_no_change_is_not_a_write(rr):
    x = rr.execute_command
    d0 = dirty(rr)
    x("SETBIT", "b", "3", "1")
    x("SETBIT", "b", "3", "1")  # same bit: nothing changes
    x("SETBIT", "b", "5", "0")  # already 0, no growth
    x("SETBIT", "b", "30", "0")  # grows the string: a change
    assert dirty(rr) - d0 == 2


def test_bitcount(rr):
    x = rr.execute_command
    x("SET", "s", "foobar")
    assert x("BITCOUNT", "s") == 26
    assert x("BITCOUNT", "s", "0", "0") == 4
    assert x("BITCOUNT", "s", "1", "1") == 6
    assert x("BITCOUNT", "s", "1", "1", "BYTE") == 6
    assert x("BITCOUNT", "s", "5", "30", "BIT") == 17
    assert x("BITCOUNT", "s", "-5", "-1", "bit") == 2
    assert x("BITCOUNT", "s", "-2", "-1") == 7
    assert x("BITCOUNT", "s", "-1", "-2") == 0
    assert x("BITCOUNT", "s", "3", "1") == 0
    assert x("BITCOUNT", "s", "-100", "100") == 26
    assert x("BITCOUNT", "nokey") == 0
    # the key is looked at before the arguments
    assert x("BITCOUNT", "nokey", "a", "b") == 0
    assert x("BITCOUNT", "nokey", "1") == 0
    assert err(rr, "BITCOUNT", "s", "1") == "syntax error"
    assert err(rr, "BITCOUNT", "s", "a", "b") == NOT_INT
    assert err(rr, "BITCOUNT", "s", "0", "1", "FOO") == "syntax error"
    assert err(rr, "BITCOUNT", "s", "0", "1", "BIT", "x") == "syntax error"
    x("SET", "e", "")
    assert x("BITCOUNT", "e") == 0
    assert x("BITCOUNT", "e", "0", "-1", "BIT") == 0
    x("RPUSH", "l", "a")
    assert err(rr, "BITCOUNT", "l") == WRONGTYPE


def test_bitpos(rr):
    x = rr.execute_command
    x("SET", "s", b"\xff\xf0\x00")
    assert x("BITPOS", "s", "0") == 12
    assert x("BITPOS", "s", "1", "2") == -1
    assert x("BITPOS", "s", "1", "1") == 8
    assert x("BITPOS", "s", "0", "0", "0") == -1
    assert x("BITPOS", "s", "1", "7", "15", "BIT") == 7
    assert x("BITPOS", "s", "0", "7", "15", "BIT") == 12
    assert x("BITPOS", "s", "0", "8", "11", "BIT") == -1
    assert x("BITPOS", "s", "1", "-8", "-1", "BIT") == -1
    x("SET", "ff", b"\xff\xff")
    assert x("BITPOS", "ff", "0") == 16  # past the end: the string is zero-padded
    assert x("BITPOS", "ff", "0", "0") == 16
    assert x("BITPOS", "ff", "0", "0", "-1") == -1  # an explicit end is not padded
    assert x("BITPOS", "nokey", "0") == 0
    assert x("BITPOS", "nokey", "1") == -1
    assert x("BITPOS", "nokey", "1", "x") == -1
    x("SET", "e", "")
    assert x("BITPOS", "e", "0") == -1
    assert x("BITPOS", "e", "1") == -1
    assert err(rr, "BITPOS", "s", "2") == "The bit argument must be 1 or 0."
    assert err(rr, "BITPOS", "nokey", "x") == NOT_INT
    assert err(rr, "BITPOS", "s", "1", "x") == NOT_INT
    assert err(rr, "BITPOS", "s", "1", "0", "x") == NOT_INT
    assert err(rr, "BITPOS", "s", "1", "0", "x", "FOO") == "syntax error"
    assert err(rr, "BITPOS", "s", "1", "0", "1", "BIT", "x") == "syntax error"
    x("RPUSH", "l", "a")
    assert err(rr, "BITPOS", "l", "1") == WRONGTYPE


def test_bitop(rr):
    x = rr.execute_command
    x("MSET", "a", b"\xff\x0f", "b", b"\x0f\xff\xaa")
    assert x("BITOP", "AND", "d", "a", "b") == 3
    assert x("GET", "d") == b"\x0f\x0f\x00"
    assert x("BITOP", "or", "d", "a", "b") == 3
    assert x("GET", "d") == b"\xff\xff\xaa"
    assert x("BITOP", "XOR", "d", "a", "b", "nokey") == 3
    assert x("GET", "d") == b"\xf0\xf0\xaa"
    assert x("BITOP", "NOT", "d", "a") == 2
    assert x("GET", "d") == b"\x00\xf0"
    assert x("OBJECT", "ENCODING", "d") == b"raw"
    assert x("BITOP", "AND", "d", "a") == 2
    assert x("GET", "d") == b"\xff\x0f"
    x("EXPIRE", "d", "100")
    assert x("BITOP", "OR", "d", "a") == 2
    assert x("TTL", "d") == -1  # the result replaces the key
    assert x("BITOP", "AND", "d", "nokey", "nokey2") == 0
    assert x("EXISTS", "d") == 0
    assert err(rr, "BITOP", "NOT", "d", "a", "b") == "BITOP NOT must be called with a single source key."
    assert err(rr, "BITOP", "NAND", "d", "a") == "syntax error"
    x("RPUSH", "l", "a")
    assert err(rr, "BITOP", "AND", "d", "a", "l") == WRONGTYPE
    assert x("BITOP", "AND", "l", "a") == 2  # the target may hold any type
    assert x("TYPE", "l") == b"string"


def test_bitfield(rr):
    x = rr.execute_command
    assert x("BITFIELD", "bf", "SET", "i8", "0", "-100", "GET", "i8", "0", "GET", "u8", "0") == [0, -100, 156]
    assert x("BITFIELD", "bf", "INCRBY", "i8", "0", "-100") == [56]
    assert x("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-300",
             "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1",
             "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "-1") == [-128, None, 127]
    assert x("BITFIELD", "bf", "SET", "u4", "#1", "15", "GET", "u4", "#1", "GET", "u4", "4") == [15, 15, 15]
    assert x("BITFIELD", "bf", "SET", "i64", "64", "-1", "GET", "u63", "64", "GET", "i64", "64") == [0, 2**63 - 1, -1]
    assert x("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "64", str(-2**63)) == [-2**63]
    assert x("BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "i64", "64", "-1") == [2**63 - 1]
    assert x("BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "GET", "u8", "0") == [127, 255]
    assert x("BITFIELD", "bf", "OVERFLOW", "WRAP", "SET", "i5", "0", "100", "GET", "i5", "0") == [-1, 4]
    # Redis's own int64 arithmetic: SAT of an absurdly negative SET saturates high
    assert x("BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "i8", "0", str(-2**63), "GET", "i8", "0") == [39, 127]
    assert x("BITFIELD", "bf") == []
    assert x("BITFIELD", "nokey", "GET", "u8", "100") == [0]
    assert x("EXISTS", "nokey") == 0
    assert x("BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "100") == [None]
    assert x("GET", "new") == b"\x00"  # the key was made room for anyway
    assert x("BITFIELD_RO", "bf", "GET", "i8", "0", "GET", "u4", "#3") == [127, 0]
    assert x("BITFIELD_RO", "nokey", "GET", "i8", "0") == [0]


@pytest.mark.parametrize("args, msg", [
    (("GET", "u64", "0"), BF_TYPE),
    (("GET", "i65", "0"), BF_TYPE),
    (("GET", "i0", "0"), BF_TYPE),
    (("GET", "I8", "0"), BF_TYPE),
    (("GET", "x8", "0"), BF_TYPE),
    (("GET", "i", "0"), BF_TYPE),
    (("GET", "i8", "-1"), BIT_OFFSET),
    (("GET", "i8", "#-1"), BIT_OFFSET),
    (("GET", "i8", "#"), BIT_OFFSET),
    (("GET", "i8", "#4294967296"), BIT_OFFSET),
    (("GET", "i8", "#9223372036854775807"), BIT_OFFSET),
    (("GET", "i8", "4294967296"), BIT_OFFSET),
    (("SET", "i8", "0", "x"), NOT_INT),
    (("INCRBY", "i8", "0", "1.5"), NOT_INT),
    (("OVERFLOW", "FOO"), "Invalid OVERFLOW type specified"),
    (("GET", "i8"), "syntax error"),
    (("SET", "i8", "0"), "syntax error"),
    (("FOO",), "syntax error"),
    (("OVERFLOW",), "syntax error"),
])
def test_bitfield_errors(rr, args, msg):
    assert err(rr, "BITFIELD", "bf", *args) == msg


def test_bitfield_ro_and_types(rr):
    x = rr.execute_command
    assert err(rr, "BITFIELD_RO", "bf", "SET", "i8", "0", "1") == "BITFIELD_RO only supports the GET subcommand"
    assert err(rr, "BITFIELD_RO", "bf", "SET", "i8", "0", "x") == NOT_INT
    assert x("EXISTS", "bf") == 0
    x("RPUSH", "l", "a")
    assert err(rr, "BITFIELD", "l", "GET", "i8", "0") == WRONGTYPE
    assert err(rr, "BITFIELD", "l", "SET", "i8", "0", "1") == WRONGTYPE


def test_bitfield_dirty_counts_real_changes(rr):
    x = rr.execute_command
    d0 = dirty(rr)
    x("BITFIELD", "b", "SET", "u2", "0", "0")  # creates the key: a change
    x("BITFIELD", "b", "SET", "u2", "0", "0")  # same value: none
    x("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9")  # refused: none
    x("BITFIELD", "b", "SET", "u2", "0", "1", "SET", "u2", "2", "1")  # two
    assert dirty(rr) - d0 == 3


def _random_bits(rng: random.Random) -> bytes:
    return bytes(rng.choice([0, 0xFF, rng.randrange(256)]) for _ in range(rng.randrange(0, 6)))


def test_bitcount_bitpos_random_agree(pair):
    a, b = pair
    rng = random.Random(1234)
    for n in range(400):
        value = _random_bits(rng)
        args: list[Any] = []
        cmd = rng.choice(["BITPOS", "BITCOUNT"])
        if cmd == "BITPOS":
            args.append(rng.choice([0, 1]))
        for _ in range(rng.choice([0, 1, 2, 2, 3] if cmd == "BITPOS" else [0, 2, 2, 3])):
            args.append(rng.randrange(-50, 50))
        if len(args) == (4 if cmd == "BITPOS" else 3):
            args[-1] = rng.choice(["BIT", "BYTE", "bit"])
        replies = []
        for c in (a, b):
            c.set("k", value)
            try:
                replies.append(c.execute_command(cmd, "k", *args))
            except redis.ResponseError as e:
                replies.append(str(e))
        assert replies[0] == replies[1], (cmd, value, args)


def test_bitfield_random_agree(pair):
    a, b = pair
    rng = random.Random(99)
    for n in range(300):
        ops: list[Any] = []
        for _ in range(rng.randrange(1, 4)):
            kind = rng.choice(["GET", "SET", "INCRBY", "OVERFLOW"])
            if kind == "OVERFLOW":
                ops += ["OVERFLOW", rng.choice(["WRAP", "SAT", "FAIL"])]
                continue
            signed = rng.random() < 0.5
            bits = rng.choice([1, 2, 3, 7, 8, 9, 15, 16, 31, 32, 33, 62, 63] + ([64] if signed else []))
            off = rng.choice([str(rng.randrange(0, 40)), "#%d" % rng.randrange(0, 4)])
            ops += [kind, ("i" if signed else "u") + str(bits), off]
            if kind != "GET":
                ops.append(rng.choice([0, 1, -1, rng.randrange(-300, 300), 2**63 - 1, -2**63,
                                       rng.randrange(-2**63, 2**63)]))
        replies = []
        for c in (a, b):
            if n % 10 == 0:
                c.delete("bf")
            try:
                replies.append((c.execute_command("BITFIELD", "bf", *ops), c.get("bf")))
            except redis.ResponseError as e:
                replies.append(str(e))
        assert replies[0] == replies[1], ops
