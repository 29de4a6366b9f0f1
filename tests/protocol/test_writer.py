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


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def test_long_arrays_take_the_join_path_and_fall_back_exactly():
    # >= 10 short bytes items are encoded by one join; every other shape
    # (an int, a nested reply, an item of 1024+ bytes, a bytearray) must
    # come out exactly as the element-by-element encoding.
    items = [b"x" * (i * 37 % 1000) for i in range(50)]
    want = b"*50\r\n" + b"".join(_bulk(i) for i in items)
    assert encode(items) == want and encode(tuple(items), True) == want
    assert encode(items[:9]) == b"*9\r\n" + b"".join(_bulk(i) for i in items[:9])
    assert encode(Set(items[:12]), True) == b"~12\r\n" + b"".join(_bulk(i) for i in items[:12])
    assert encode(Map(items[:20]), True) == b"%10\r\n" + b"".join(_bulk(i) for i in items[:20])
    assert encode(Map(items[:20])) == b"*20\r\n" + b"".join(_bulk(i) for i in items[:20])
    mixed = items[:11] + [7]
    assert encode(mixed) == b"*12\r\n" + b"".join(_bulk(i) for i in items[:11]) + b":7\r\n"
    nested = items[:11] + [[b"a", b"bc"]]
    assert encode(nested) == (b"*12\r\n" + b"".join(_bulk(i) for i in items[:11])
                              + b"*2\r\n$1\r\na\r\n$2\r\nbc\r\n")
    big = items[:11] + [b"y" * 5000]
    assert encode(big) == b"*12\r\n" + b"".join(_bulk(i) for i in big)
    withnull = items[:11] + [None]
    assert encode(withnull, True) == b"*12\r\n" + b"".join(_bulk(i) for i in items[:11]) + b"_\r\n"
    ba = items[:10] + [bytearray(b"mutable")]
    out = encode(ba)
    ba[-1][0:1] = b"M"  # the reply was copied when encoded
    assert out == b"*11\r\n" + b"".join(_bulk(i) for i in items[:10]) + _bulk(b"mutable")


def test_items_of_one_length_take_the_one_separator_join_and_fall_back_exactly():
    # All items of one length: the reply is the items joined by "\r\n$m\r\n".
    # Anything else of that length must still come out element by element.
    items = [b"%03d" % i for i in range(600)]
    want = b"*600\r\n" + b"".join(_bulk(i) for i in items)
    assert encode(items) == want and encode(items, True) == want
    assert encode(Map(items[:20]), True) == b"%10\r\n" + b"".join(_bulk(i) for i in items[:20])
    empty = [b""] * 12
    assert encode(empty) == b"*12\r\n" + b"$0\r\n\r\n" * 12
    # same length, but not all bytes: an int, a nested reply of 3 items, a str
    mixed = items[:11] + [123]
    assert encode(mixed) == b"*12\r\n" + b"".join(_bulk(i) for i in items[:11]) + b":123\r\n"
    nested = items[:11] + [[b"a", b"b", b"c"]]
    assert encode(nested) == (b"*12\r\n" + b"".join(_bulk(i) for i in items[:11])
                              + b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n")
    middle = items[:5] + [b"four"] + items[5:10]  # first and last agree, one in between doesn't
    assert encode(middle) == b"*11\r\n" + b"".join(_bulk(i) for i in middle)
    ba = items[:10] + [bytearray(b"abc")]
    out = encode(ba)
    ba[-1][0:1] = b"X"  # the reply was copied when encoded
    assert out == b"*11\r\n" + b"".join(_bulk(i) for i in items[:10]) + _bulk(b"abc")
    long = [b"z" * 2000] * 10  # past the header table: the general path
    assert encode(long) == b"*10\r\n" + b"".join(_bulk(i) for i in long)
