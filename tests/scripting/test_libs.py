"""The Python halves of bit, struct, cjson and cmsgpack (crabcache.scripting.libs)."""

import math

import pytest

from crabcache.scripting import libs


def test_bit_wraps_like_luabitop():
    assert libs.bitop(b"tobit", 2 ** 32 + 5) == 5
    assert libs.bitop(b"tobit", 0.5) == 0 and libs.bitop(b"tobit", 1.5) == 2  # round half to even
    assert libs.bitop(b"bnot", 0) == -1
    assert libs.bitop(b"lshift", 1, 31) == -2147483648
    assert libs.bitop(b"rshift", -1, 28) == 15
    assert libs.bitop(b"arshift", -256, 4) == -16
    assert libs.bitop(b"tohex", -1, -4) == b"FFFF"
    with pytest.raises(libs.ScriptError) as e:
        libs.bit_function("band")(b"x")
    assert e.value.info() == (libs.WHERE, b"bad argument #1 to 'band' (number expected, got string)", False)
    assert libs.bit_function("band")(b"3", 1) == 1


def test_struct_round_trips():
    data = libs.struct_pack(b">i2 d s c3", -2, 1.5, b"ab", b"xyz")
    assert data == b"\xff\xfe" + bytes.fromhex("3ff8000000000000") + b"ab\x00xyz"
    assert libs.struct_unpack(b">i2 d s c3", data) == (-2, 1.5, b"ab", b"xyz", len(data) + 1)
    assert libs.struct_size(b"!8 b d") == 16
    with pytest.raises(libs.ScriptError, match="data string too short"):
        libs.struct_unpack(b"i4", b"ab")


def test_json_decode_tokens_and_errors():
    assert libs.json_decode(b'[1,"a",null,{"k":true}]', 1000, True) == [
        3, 4, 1, 1.0, 1, b"a", 21, 20, 1, 1, b"k", 1, True]
    assert libs.json_decode(b'"\\ud83d\\ude00"', 1000, True) == [1, "😀".encode()]
    v = libs.json_decode(b"-0", 1000, True)[1]
    assert v == 0 and math.copysign(1, v) < 0
    with pytest.raises(libs.ScriptError, match="Expected comma or object end but found T_NUMBER at character 8"):
        libs.json_decode(b'{"a":1 2}', 1000, True)
    with pytest.raises(libs.ScriptError, match="Found too many nested data structures \\(3\\) at character 3"):
        libs.json_decode(b"[[[1]]]", 2, True)
    with pytest.raises(libs.ScriptError, match="invalid number"):
        libs.json_decode(b"0x10", 1000, False)


def test_msgpack_encoding_choices():
    assert libs.mp_pack([3, 1]) == b"\x01"
    assert libs.mp_pack([3, -33]) == b"\xd0\xdf"
    assert libs.mp_pack([3, 2 ** 32]) == b"\xcf" + (2 ** 32).to_bytes(8, "big")
    assert libs.mp_pack([3, 1.5]) == b"\xca\x3f\xc0\x00\x00"
    assert libs.mp_pack([1, b"x" * 40]) == b"\xd9\x28" + b"x" * 40
    assert libs.mp_pack([6, 2, 3, 1, 5]) == b"\x92\x01\xc0"
    flats, first, n = libs.mp_unpack("unpack_one", (b"\x01\x02",))
    assert (flats, first, n) == ([[1, 1]], 1, 1)
    with pytest.raises(libs.ScriptError, match="Bad data format in input."):
        libs.mp_unpack("unpack", (b"\xc1",))
