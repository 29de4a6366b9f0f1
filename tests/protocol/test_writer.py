"""Writer: exact RESP2 and RESP3 bytes for every reply type."""

import math

from crabcache.errors import CommandError
from crabcache.protocol.writer import (
    NULL_ARRAY, OK, BigNumber, Map, Push, Set, Verbatim, encode, format_double,
)


def test_scalars():
    assert encode(b"ab") == b"$2\r\nab\r\n"
    assert encode(5) == b":5\r\n"
    assert encode(-5, True) == b":-5\r\n"
    assert encode(OK) == b"+OK\r\n"
    assert encode(CommandError("ERR bad\r\nthing")) == b"-ERR bad  thing\r\n"


def test_nulls():
    assert encode(None) == b"$-1\r\n"
    assert encode(None, True) == b"_\r\n"
    assert encode(NULL_ARRAY) == b"*-1\r\n"
    assert encode(NULL_ARRAY, True) == b"_\r\n"


def test_aggregates():
    assert encode([b"a", 1, None]) == b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n"
    assert encode({b"k": 1}) == b"*2\r\n$1\r\nk\r\n:1\r\n"
    assert encode({b"k": 1}, True) == b"%1\r\n$1\r\nk\r\n:1\r\n"
    assert encode(Map([b"k", b"v"]), True) == b"%1\r\n$1\r\nk\r\n$1\r\nv\r\n"
    assert encode(Set([b"a"]), True) == b"~1\r\n$1\r\na\r\n"
    assert encode(Set([b"a"])) == b"*1\r\n$1\r\na\r\n"
    assert encode(Push([b"message", b"c", b"m"]), True).startswith(b">3\r\n")
    assert encode(Push([b"x"])) == b"*1\r\n$1\r\nx\r\n"


def test_doubles_match_redis_70():
    assert format_double(1.1) == b"1.1000000000000001"
    assert format_double(3.0) == b"3"
    assert format_double(math.inf) == b"inf"
    assert format_double(-math.inf) == b"-inf"
    assert encode(1.5) == b"$3\r\n1.5\r\n"
    assert encode(1.5, True) == b",1.5\r\n"
    assert encode(math.inf, True) == b",inf\r\n"


def test_bool_verbatim_bignum():
    assert encode(True) == b":1\r\n"
    assert encode(False, True) == b"#f\r\n"
    assert encode(Verbatim(b"hi")) == b"$2\r\nhi\r\n"
    assert encode(Verbatim(b"hi"), True) == b"=6\r\ntxt:hi\r\n"
    assert encode(BigNumber(b"12345678901234567890"), True) == b"(12345678901234567890\r\n"
