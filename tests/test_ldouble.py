"""crabcache.ldouble: x87 long double parsing, rounding and %.17Lf formatting.

numpy's longdouble is the 80-bit x87 type on x86-64 Linux, so when it is there
it serves as an independent oracle for parsing and addition."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from crabcache.errors import CommandError
from crabcache.ldouble import format_human, incrbyfloat, round_x87, string2ld


@pytest.mark.parametrize("text, ok", [
    (b"1", True), (b"-1.5", True), (b".5", True), (b"5.", True), (b"+7", True), (b"1e10", True),
    (b"0x10", True), (b"0x1p-3", True), (b"inf", True), (b"-Infinity", True), (b"1e-4950", True),
    (b"", False), (b" 1", False), (b"1 ", False), (b"nan", False), (b"1e5000", False), (b"1e-5000", False),
    (b"abc", False), (b"1e", False), (b"0x", False), (b"1\x00", False), (b"\x00", False), (b"infx", False),
    (b"1" * 5120, False), (b"1_0", False),
])
def test_string2ld_accepts_what_redis_accepts(text: bytes, ok: bool) -> None:
    assert (string2ld(text) is not None) is ok


@pytest.mark.parametrize("old, incr, want", [
    (None, b"10.5", b"10.5"), (b"0.1", b"0.2", b"0.3"), (b"3", b"-3", b"0"), (None, b"-1e-20", b"0"),
    (None, b"1e-17", b"0.00000000000000001"), (None, b"5e-18", b"0"), (None, b"0x10", b"16"),
    (b"9223372036854775807", b"1", b"9223372036854775808"), (None, b"-0.1", b"-0.1"),
    (None, b"1.23456789012345678901234", b"1.23456789012345679"),
])
def test_incrbyfloat(old: bytes | None, incr: bytes, want: bytes) -> None:
    assert incrbyfloat(old, incr) == want


def test_incrbyfloat_errors() -> None:
    with pytest.raises(CommandError, match="not a valid float"):
        incrbyfloat(b"abc", b"1")
    with pytest.raises(CommandError, match="NaN or Infinity"):
        incrbyfloat(None, b"inf")
    with pytest.raises(CommandError, match="NaN or Infinity"):
        incrbyfloat(b"1e4932", b"1e4932")


def test_rounding_is_half_to_even_at_64_bits() -> None:
    one = Fraction(1)
    ulp = Fraction(1, 2**63)
    assert round_x87(one + ulp / 2) == one  # tie goes to even
    assert round_x87(one + ulp + ulp / 2) == one + 2 * ulp
    assert round_x87(Fraction(1, 2**16446)) == 0  # half the smallest subnormal: to even (0)
    assert round_x87(Fraction(3, 2**16447)) == Fraction(1, 2**16445)


def test_format_human_ties_and_signs() -> None:
    assert format_human(Fraction(1, 2**18)) == b"0.00000381469726562"  # exact tie, to even
    assert format_human(Fraction(-1, 10**30)) == b"0"
    assert format_human(Fraction(-5, 2)) == b"-2.5"
    assert format_human(Fraction(10**25)) == b"10000000000000000000000000"


np = pytest.importorskip("numpy")


def test_matches_numpy_longdouble() -> None:
    if np.finfo(np.longdouble).nmant != 63:
        pytest.skip("longdouble is not the x87 type here")
    rng = random.Random(3)
    for _ in range(3000):
        a = "%s%d.%de%d" % (rng.choice("-+"), rng.randrange(10**rng.randrange(1, 22)),
                            rng.randrange(10**rng.randrange(1, 20)), rng.randrange(-40, 40))
        b = "%d.%d" % (rng.randrange(-10**6, 10**6), rng.randrange(10**rng.randrange(1, 20)))
        x, y = np.longdouble(a), np.longdouble(b)
        assert string2ld(a.encode()) == Fraction(*x.as_integer_ratio())
        assert round_x87(string2ld(a.encode()) + string2ld(b.encode())) == Fraction(*(x + y).as_integer_ratio())
