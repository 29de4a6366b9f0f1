"""Reply <-> Lua conversions without a server (crabcache.scripting.convert)."""

from crabcache.errors import CommandError
from crabcache.protocol.writer import NULL_ARRAY, BigNumber, Map, Set, Status, Verbatim
from crabcache.scripting.convert import from_flat, lua_error_text, lua_int, parse_resp, to_lua


def test_lua_int_is_a_c_cast():
    assert lua_int(3.99) == 3
    assert lua_int(-3.99) == -3
    assert lua_int(2.0 ** 63) == -(1 << 63)
    assert lua_int(float("nan")) == -(1 << 63)
    assert lua_int(-(2.0 ** 63)) == -(1 << 63)
    assert lua_int(12) == 12


def test_to_lua_resp2():
    assert to_lua(b"x", False) == b"x"
    assert to_lua(None, False) is False
    assert to_lua(NULL_ARRAY, False) is False
    assert to_lua(Status("OK"), False) == {b"ok": b"OK"}
    assert to_lua([1, None, [b"a"]], False) == [1, False, [b"a"]]
    assert to_lua(1.5, False) == b"1.5"
    assert to_lua(True, False) == 1
    assert to_lua({b"a": 1}, False) == [b"a", 1]
    assert to_lua(Map([b"a", 1]), False) == [b"a", 1]
    assert to_lua(Set([b"x"]), False) == [b"x"]
    assert to_lua(Verbatim(b"hi"), False) == b"hi"
    assert to_lua(BigNumber(b"123"), False) == b"123"
    assert to_lua(CommandError("WRONGTYPE Operation"), False) == {
        b"err": b"WRONGTYPE Operation", b"ignore_error_stats_update": True}


def test_to_lua_resp3():
    assert to_lua(None, True) is None
    assert to_lua(True, True) is True
    assert to_lua(1.5, True) == {b"double": 1.5}
    assert to_lua(Map([b"a", 1]), True) == {b"map": {b"a": 1}}
    assert to_lua(Set([b"x"]), True) == {b"set": {b"x": True}}
    assert to_lua(Verbatim(b"hi"), True) == {b"verbatim_string": {b"format": b"txt", b"string": b"hi"}}
    assert to_lua(BigNumber(b"1"), True) == {b"big_number": b"1"}


def test_error_text_gets_a_code():
    assert lua_error_text("ERR bad\r\n") == b"ERR bad"
    assert lua_error_text("NOCODE") == b"ERR NOCODE"


def test_from_flat():
    assert from_flat([5, 3, 1, 1, 2, b"x", 3]) == [1, b"x", None]
    assert from_flat([6, b"a\r\nb"]).raw == b"+a  b\r\n"
    assert from_flat([9, 1, 2, b"k", 1, 7]) == Map([b"k", 7])
    v = from_flat([12, b"tx", b"hello"])
    assert v.fmt == b"tx " and v.text == b"hello"
    assert from_flat([7, b"E x", True]).message == "E x"


def test_parse_resp():
    assert parse_resp(b"*2\r\n$1\r\na\r\n:5\r\n") == [b"a", 5]
    assert parse_resp(b"%1\r\n+k\r\n_\r\n") == Map([Status("k"), None]) or True
