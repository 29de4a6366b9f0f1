"""HINCRBYFLOAT's long double arithmetic and formatting, without a server."""

from __future__ import annotations

from fractions import Fraction

import pytest

from crabcache.commands.hashes import format_long_double, round_long_double, strtold


def incr(a: bytes, b: bytes) -> bytes | None:
    x, y = strtold(a), strtold(b)
    r = round_long_double(x + y)
    return None if r is None else format_long_double(r)


@pytest.mark.parametrize("a, b, out", [
    (b"1", b"0.1", b"1.1"),  # long double keeps 1.1 "non surprising" at 17 digits
    (b"1.1", b"-1.1", b"0"),
    (b"-0", b"0", b"0"),
    (b"0", b"-1e-30", b"0"),  # "-0.000..." prints as 0
    (b"0", b"1.5e-17", b"0.00000000000000002"),
    (b"0", b"5e-18", b"0"),
    (b"0x1p3", b"1", b"9"),
    (b"0", b"1e70", b"10000000000000000000222479489586148259025995410601157579323600873193472"),
])
def test_incr(a, b, out):
    assert incr(a, b) == out


def test_huge_values_print_every_digit():
    out = incr(b"0", b"1e4932")
    assert len(out) == 4933 and out.startswith(b"10000000000000000000060189")
    assert incr(b"1.18e4932", b"1.18e4932") is None  # overflow


@pytest.mark.parametrize("text", [b"", b" 1", b"abc", b"nan", b"1e5000", b"1e-5000", b"1x"])
def test_strtold_rejects(text):
    assert strtold(text) is None


def test_strtold_values():
    assert strtold(b"inf") == float("inf") and strtold(b"-infinity") == float("-inf")
    assert strtold(b"0.5") == Fraction(1, 2)
    assert strtold(b"1e-4940") > 0  # a long double denormal is fine
