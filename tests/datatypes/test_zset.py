"""ZSet and Redis's score parsing, without a server."""

from __future__ import annotations

import math
import random

import pytest

from crabcache.datatypes.zset import ZSet, parse_lex_bound, parse_range_score, parse_score, scan_number
from crabcache.errors import CommandError


def make(*pairs: tuple[float, bytes]) -> ZSet:
    z = ZSet()
    for s, m in pairs:
        z.add(m, s)
    return z


def test_order_is_score_then_member_bytes():
    z = make((2, b"b"), (1, b"z"), (2, b"a"), (2, b"ab"), (-math.inf, b"n"), (math.inf, b"p"))
    assert z.members() == [b"n", b"z", b"a", b"ab", b"b", b"p"]
    assert z.rank(b"ab") == 3 and z.rank(b"ab", reverse=True) == 2
    assert z.rank(b"nope") is None


def test_add_moves_and_remove():
    z = make((1, b"a"), (2, b"b"))
    z.add(b"a", 3)
    assert z.items() == [(2, b"b"), (3, b"a")] and z.get(b"a") == 3
    assert z.remove(b"b") and not z.remove(b"b")
    assert len(z) == 1 and b"a" in z and list(z) == [b"a"]


def test_score_ranges_inclusive_exclusive():
    z = make(*[(float(i), b"m%d" % i) for i in range(10)])
    assert z.score_range(2, False, 4, False) == (2, 5)
    assert z.score_range(2, True, 4, True) == (3, 4)
    assert z.score_range(-math.inf, False, math.inf, False) == (0, 10)
    assert z.score_range(5, False, 1, False) == (5, 5)  # empty, never negative
    assert z.score_range(math.inf, True, math.inf, False) == (10, 10)


def test_lex_ranges():
    z = make(*[(0.0, m) for m in (b"a", b"b", b"c", b"d")])
    lo, hi = z.lex_range(parse_lex_bound(b"[b"), parse_lex_bound(b"(d"))
    assert [m for _, m in z.slice(lo, hi)] == [b"b", b"c"]
    assert z.lex_range(parse_lex_bound(b"-"), parse_lex_bound(b"+")) == (0, 4)
    assert z.lex_range(parse_lex_bound(b"+"), parse_lex_bound(b"-")) == (0, 0)
    assert z.lex_range(parse_lex_bound(b"(a"), parse_lex_bound(b"[a")) == (1, 1)
    with pytest.raises(CommandError):
        parse_lex_bound(b"a")


def test_pop_and_delete_range():
    z = make(*[(float(i), b"m%d" % i) for i in range(6)])
    assert z.pop(2, from_max=False) == [(0, b"m0"), (1, b"m1")]
    assert z.pop(1, from_max=True) == [(5, b"m5")]
    assert z.delete_range(1, 2) == 1
    assert z.members() == [b"m2", b"m4"] and set(z.scores) == {b"m2", b"m4"}


def test_against_a_model():
    rnd = random.Random(7)
    z, model = ZSet(), {}
    for _ in range(2000):
        m = b"m%d" % rnd.randrange(50)
        if rnd.random() < 0.7:
            s = float(rnd.randrange(-5, 5))
            z.add(m, s)
            model[m] = s
        else:
            assert z.remove(m) == (model.pop(m, None) is not None)
    assert z.items() == sorted((s, m) for m, s in model.items())


def test_listpack_zero_and_scan_text():
    class Cfg:
        values = {"zset-max-listpack-entries": 2, "zset-max-listpack-value": 64}

    z = ZSet()
    z.add(b"a", -0.0)
    assert math.copysign(1, z.get(b"a")) == 1  # a listpack writes -0 as "0"
    z.note_insert(Cfg, b"b")
    z.add(b"b", 1.0)
    z.note_insert(Cfg, b"c")  # a third member: the listpack would outgrow its limit
    assert z.encoding(Cfg) == b"skiplist"
    z.add(b"c", -0.0)
    assert math.copysign(1, z.get(b"c")) == -1
    assert z.listpack_score(1e18) == b"1000000000000000000"
    assert z.listpack_score(123456789012345678.0) == b"123456789012345680"
    assert z.listpack_score(2.0**63) == b"9.2233720368547758e+18"
    assert z.listpack_score(0.5) == b"0.5"


@pytest.mark.parametrize("text, value", [
    (b"1", 1.0), (b"-1.5", -1.5), (b"+2", 2.0), (b".5", 0.5), (b"5.", 5.0), (b"1e3", 1000.0),
    (b"0x10", 16.0), (b"0x1p-2", 0.25), (b"inf", math.inf), (b"-Infinity", -math.inf), (b"1e-320", 1e-320),
])
def test_parse_score(text, value):
    assert parse_score(text) == value


@pytest.mark.parametrize("text", [b"", b" 1", b"1 ", b"abc", b"nan", b"1e400", b"1e-400", b"0x", b"1.2.3", b"infx"])
def test_parse_score_rejects(text):
    with pytest.raises(CommandError) as e:
        parse_score(text)
    assert e.value.message == "ERR value is not a valid float"


@pytest.mark.parametrize("text, value", [
    (b"1", (1.0, False)), (b"(1", (1.0, True)), (b"(", (0.0, True)), (b"", (0.0, False)),
    (b" 2", (2.0, False)), (b"1e400", (math.inf, False)), (b"-inf", (-math.inf, False)),
])
def test_parse_range_score(text, value):
    assert parse_range_score(text) == value


@pytest.mark.parametrize("text", [b"abc", b"(abc", b"nan", b"1x", b"((1"])
def test_parse_range_score_rejects(text):
    with pytest.raises(CommandError) as e:
        parse_range_score(text)
    assert e.value.message == "ERR min or max is not a float"


def test_scan_number_takes_the_longest_prefix():
    assert scan_number(b"0x1fz") == ("hex", b"0x1f", 4)
    assert scan_number(b"0xz") == ("dec", b"0", 1)
    assert scan_number(b"  -1.5e3x") == ("dec", b"-1.5e3", 8)
    assert scan_number(b"1e") == ("dec", b"1", 1)
    assert scan_number(b"infinit") == ("inf", b"inf", 3)
    assert scan_number(b"nan(abc)") == ("nan", b"nan(abc)", 8)
    assert scan_number(b"x") == ("", b"", 0)
