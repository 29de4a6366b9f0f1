"""Container helpers: random picks, SCAN cursors, cursor parsing, encodings."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from crabcache.config import Config
from crabcache.datatypes.containers import (
    Hash,
    Set,
    is_int64,
    new_set,
    parse_cursor,
    parse_scan_options,
    random_distinct,
    random_member,
    scan_step,
)
from crabcache.errors import CommandError


def test_random_member_is_uniform_and_survives_removals():
    random.seed(1)
    s = Set(b"m%d" % i for i in range(100))
    for i in range(50):
        s.remove(b"m%d" % i)  # stale entries in the pool are pruned as they are drawn
    random_member(s)
    counts = Counter(random_member(s) for _ in range(20000))
    assert set(counts) == {b"m%d" % i for i in range(50, 100)}
    assert min(counts.values()) > 250 and max(counts.values()) < 600  # ~400 each
    assert len(s.pool) <= 2 * len(s) + 16


def test_added_members_must_join_the_pool():
    s = Set(b"m%d" % i for i in range(40))
    random_member(s)
    s.add(b"new")
    s.pool.append(b"new")  # what SADD does
    assert b"new" in {random_member(s) for _ in range(2000)}


def test_random_distinct():
    h = Hash({b"f%d" % i: b"v" for i in range(30)})
    for k in (1, 5, 20, 29):
        got = random_distinct(h, k)
        assert len(got) == k == len(set(got)) and set(got) <= set(h)


def test_scan_returns_everything_present_throughout():
    random.seed(2)
    s = Set(b"m%d" % i for i in range(500))
    stable = {b"m%d" % i for i in range(250)}
    seen: set = set()
    cursor, step = 0, 0
    while True:
        cursor, got = scan_step(s, cursor, 17)
        seen.update(got)
        step += 1
        s.discard(b"m%d" % (250 + step))  # removals
        s.add(b"x%d" % step)  # additions (may or may not be seen)
        if cursor == 0:
            break
    assert stable <= seen
    assert s.snap is None  # the finished scan drops its snapshot


@pytest.mark.parametrize("text, value", [
    (b"0", 0), (b"", 0), (b"+5", 5), (b"-1", 2**64 - 1), (b"18446744073709551615", 2**64 - 1),
])
def test_parse_cursor(text, value):
    assert parse_cursor(text) == value


@pytest.mark.parametrize("text", [b"x", b" 1", b"1 ", b"-", b"18446744073709551616", b"1.0"])
def test_parse_cursor_rejects(text):
    with pytest.raises(CommandError) as e:
        parse_cursor(text)
    assert e.value.message == "ERR invalid cursor"


def test_parse_scan_options():
    assert parse_scan_options([b"SSCAN", b"k", b"0"]) == (10, None)
    count, match = parse_scan_options([b"SSCAN", b"k", b"0", b"MATCH", b"a*", b"COUNT", b"3"])
    assert count == 3 and match(b"abc") and not match(b"bc")
    for bad in ([b"COUNT", b"0"], [b"COUNT"], [b"TYPE", b"x"], [b"MATCH"]):
        with pytest.raises(CommandError):
            parse_scan_options([b"SSCAN", b"k", b"0", *bad])


def test_intset_rules():
    cfg = Config()
    assert is_int64(b"-9223372036854775808") and not is_int64(b"9223372036854775808")
    assert not is_int64(b"-0") and not is_int64(b"01") and not is_int64(b"+1")
    s = new_set(cfg, [b"3", b"-1", b"20"])
    assert s.encoding(cfg) == b"intset" and s.ordered() == [b"-1", b"3", b"20"]
    s.add(b"a")
    s.note_added(cfg, [b"a"])
    s.discard(b"a")
    assert s.encoding(cfg) == b"hashtable"  # never back
