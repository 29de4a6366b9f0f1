"""Pure helpers of the string, bitmap and generic families (no server needed)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from crabcache.commands.bitmaps import _check_signed, _check_unsigned, get_field, set_field
from crabcache.commands.keys import parse_cursor, sort_score, string_encoding
from crabcache.commands.strings import lcs_rows
from crabcache.errors import CommandError


def naive_lcs_table(a: bytes, b: bytes) -> list[list[int]]:
    t = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            t[i][j] = t[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1] else max(t[i - 1][j], t[i][j - 1])
    return t


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=12), st.binary(max_size=12))
def test_bit_parallel_lcs_table_is_the_dp_table(a: bytes, b: bytes) -> None:
    rows = lcs_rows(a, b)
    table = naive_lcs_table(a, b)
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            assert j - (rows[i] & ((1 << j) - 1)).bit_count() == table[i][j]


def test_lcs_of_long_strings_is_fast() -> None:
    a = bytes(range(256)) * 20
    b = bytes(reversed(range(256))) * 20
    rows = lcs_rows(a, b)
    assert len(b) - rows[-1].bit_count() > 0


@pytest.mark.parametrize("text, want", [
    (b"1", 1.0), (b" 5", 5.0), (b"\t7", 7.0), (b"0x1A", 26.0), (b"", 0.0), (b"inf", float("inf")),
    (b"-Infinity", float("-inf")), (b"0x1p-1074", 5e-324), (b"2.2250738585072014e-308", 2.2250738585072014e-308),
    (b"5\x00x", 5.0), (b"\x00z", 0.0), (b"1e-310", None), (b"4.9e-324", None), (b"1e400", None),
    (b"1e-400", None), (b"nan", None), (b"5 ", None), (b" ", None), (b"1_0", None), (b"0x", None),
])
def test_sort_score_follows_strtod(text: bytes, want: float | None) -> None:
    assert sort_score(text) == want


@pytest.mark.parametrize("text, want", [
    (b"0", 0), (b"", 0), (b"+5", 5), (b"-1", 2**64 - 1), (b"18446744073709551615", 2**64 - 1),
    (b"007", 7), (b"5\x00junk", 5),
])
def test_parse_cursor(text: bytes, want: int) -> None:
    assert parse_cursor(text) == want


@pytest.mark.parametrize("text", [b"abc", b" 1", b"1 ", b"18446744073709551616", b"-", b"+", b"0x10"])
def test_parse_cursor_rejects(text: bytes) -> None:
    with pytest.raises(CommandError, match="invalid cursor"):
        parse_cursor(text)


def test_string_encoding() -> None:
    assert string_encoding(b"123") == b"int"
    assert string_encoding(b"-9223372036854775808") == b"int"
    assert string_encoding(b"9223372036854775808") == b"embstr"
    assert string_encoding(b"0123") == b"embstr"
    assert string_encoding(b"x" * 44) == b"embstr"
    assert string_encoding(b"x" * 45) == b"raw"
    assert string_encoding(bytearray(b"1")) == b"raw"


def test_bitfield_get_set_round_trip() -> None:
    buf = bytearray(8)
    set_field(buf, 3, 13, 0x1ABC)
    assert get_field(buf, 3, 13) == 0x1ABC
    assert get_field(buf, 0, 3) == 0 and get_field(buf, 16, 8) == 0
    assert get_field(None, 100, 64) == 0
    assert get_field(b"\xff", 4, 8) == 0xF0  # zero padded past the end


def test_bitfield_overflow_rules() -> None:
    wrap, sat, fail = 0, 1, 2
    assert _check_unsigned(250, 10, 8, wrap) == (True, 4)
    assert _check_unsigned(250, 10, 8, sat) == (True, 255)
    assert _check_unsigned(5, -10, 8, sat) == (True, 0)
    assert _check_unsigned(5, -5, 8, fail) == (False, 0)
    assert _check_signed(120, 10, 8, wrap) == (True, -126)
    assert _check_signed(-120, -10, 8, sat) == (True, -128)
    assert _check_signed(2**63 - 1, 1, 64, wrap) == (True, -2**63)
    # Redis's int64 arithmetic: a SET far below the range saturates *high*.
    assert _check_signed(-2**63, 0, 8, sat) == (True, 127)
