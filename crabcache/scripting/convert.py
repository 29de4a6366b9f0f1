"""Conversions between command replies (plain Python values) and Lua values.

Rules (Redis 7.0's ``redisProtocolToLuaType`` and ``luaReplyToRedisReply``):

Reply -> Lua, as the script's own protocol (``redis.setresp``) would see it:

=====================  ===========================  ===========================
reply value            RESP2 script                 RESP3 script
=====================  ===========================  ===========================
bytes                  string                       string
int                    number                       number
None / NULL_ARRAY      false                        nil
Status                 {ok=text}                    {ok=text}
CommandError           {err=msg} (raised by call)   same
list                   array table                  array table
dict / Map             flat array table             {map={k=v}}
set / Set              array table                  {set={k=true}}
float                  string (``%.17g``)           {double=x}
bool                   1 / 0                        true / false
Verbatim               string                       {verbatim_string={format,string}}
BigNumber              string                       {big_number=digits}
=====================  ===========================  ===========================

Lua -> reply: strings are bulk, numbers are integers (truncated, C-cast
semantics), ``false``/nil are null (booleans are RESP3 booleans once the
script said ``redis.setresp(3)``), tables are read as err / ok / double /
big_number / verbatim_string / map / set, in that order, else as an array
that stops at the first nil.

A script's return value crosses to Python as one flat array of tags built
by ``boot.py`` (walking a Lua table from Python costs a call per element, a
flat array costs one); replies go to Lua as Python lists and dicts that
``table_from(recursive=True)`` turns into tables in one call.
"""

from __future__ import annotations

from typing import Any

from ..errors import CommandError
from ..protocol.writer import (
    NULL_ARRAY, BigNumber, Map, Push, Raw, Set, Status, Verbatim, _NullArray, format_double,
)

INT64_MIN = -(1 << 63)
_TWO63 = 9.223372036854776e18


def lua_int(v: Any) -> int:
    """A Lua number as Redis's ``(long long)`` cast gives it (x86: INT64_MIN when out of range)."""
    if type(v) is int:
        return v if INT64_MIN <= v < (1 << 63) else INT64_MIN
    if v != v or v >= _TWO63 or v < -_TWO63:
        return INT64_MIN
    return int(v)


def lua_error_text(message: str) -> bytes:
    """An error reply as a Lua error table's ``err`` (luaPushErrorBuff: code + message)."""
    code, sp, rest = message.partition(" ")
    if not sp:
        code, rest = "ERR", message
    return ("%s %s" % (code, rest.strip("\r\n"))).encode("latin-1", "replace")


# --- reply -> Lua ---------------------------------------------------------------

def to_lua(v: Any, resp3: bool) -> Any:
    """The Lua value for a reply, as Python data: lists and dicts become Lua
    tables (``table_from(..., recursive=True)``); None is nil, False false."""
    t = type(v)
    if t is bytes or t is int:
        return v
    if t is Status:
        return {b"ok": v.text}
    if t is list or t is tuple or t is Push:
        return [to_lua(x, resp3) for x in v]
    if v is None or t is _NullArray:
        return None if resp3 else False
    if t is bool:
        return v if resp3 else int(v)
    if t is float:
        return {b"double": v} if resp3 else format_double(v)
    if t is dict:
        if resp3:
            return {b"map": {to_lua(k, resp3): to_lua(x, resp3) for k, x in v.items()}}
        return [to_lua(y, resp3) for k, x in v.items() for y in (k, x)]
    if t is Map:
        if resp3:
            return {b"map": {to_lua(v[i], resp3): to_lua(v[i + 1], resp3) for i in range(0, len(v), 2)}}
        return [to_lua(x, resp3) for x in v]
    if t is Set or t is set or t is frozenset:
        if resp3:
            return {b"set": {to_lua(x, resp3): True for x in v}}
        return [to_lua(x, resp3) for x in v]
    if t is Verbatim:
        return {b"verbatim_string": {b"format": v.fmt, b"string": v.text}} if resp3 else v.text
    if t is BigNumber:
        return {b"big_number": v.digits} if resp3 else v.digits
    if isinstance(v, CommandError):
        return {b"err": lua_error_text(v.message), b"ignore_error_stats_update": True}
    if t is bytearray or t is memoryview:
        return bytes(v)
    if t is str:
        return v.encode()
    if t is Raw:
        return to_lua(parse_resp(v.raw), resp3)
    if isinstance(v, Status):
        return {b"ok": v.text}
    for base in (list, dict, set):
        if isinstance(v, base):
            return to_lua(base(v), resp3)
    raise TypeError("cannot hand %r to Lua" % (v,))


def parse_resp(raw: bytes) -> Any:
    """Decode one pre-encoded reply (``Raw``) back into a reply value."""
    value, _ = _parse(raw, 0)
    return value


def _parse(b: bytes, i: int) -> tuple[Any, int]:
    j = b.index(b"\r\n", i)
    kind, line = b[i:i + 1], b[i + 1:j]
    i = j + 2
    if kind == b"+":
        return Status(line), i
    if kind == b"-":
        return CommandError(line.decode("latin-1")), i
    if kind == b":":
        return int(line), i
    if kind == b"$":
        n = int(line)
        if n < 0:
            return None, i
        return b[i:i + n], i + n + 2
    if kind == b"_":
        return None, i
    if kind == b"#":
        return line == b"t", i
    if kind == b",":
        return float(line), i
    if kind in b"*~%>":
        n = int(line)
        if n < 0:
            return NULL_ARRAY, i
        items = []
        for _ in range(n * 2 if kind == b"%" else n):
            x, i = _parse(b, i)
            items.append(x)
        return (Map(items) if kind == b"%" else Set(items) if kind == b"~" else items), i
    raise ValueError("unparsable reply")


# --- Lua -> reply -----------------------------------------------------------------

def from_flat(flat: list[Any]) -> Any:
    """The reply value for a flattened Lua return value (tags from boot.py's ``flat``)."""
    value, _ = _read(flat, 0)
    return value


def _crlf(s: bytes) -> bytes:
    return s.replace(b"\r", b" ").replace(b"\n", b" ")


def _read(f: list[Any], i: int) -> tuple[Any, int]:
    tag = f[i]
    if tag == 1:
        return lua_int(f[i + 1]), i + 2
    if tag == 2:
        return f[i + 1], i + 2
    if tag == 5:
        n = f[i + 1]
        i += 2
        items = []
        for _ in range(n):
            x, i = _read(f, i)
            items.append(x)
        return items, i
    if tag == 3:
        return None, i + 1
    if tag == 4:
        return bool(f[i + 1]), i + 2
    if tag == 6:
        return Status(_crlf(f[i + 1])), i + 2
    if tag == 7:
        return CommandError(f[i + 1].decode("latin-1")), i + 3
    if tag == 8:
        return float(f[i + 1]), i + 2
    if tag == 9 or tag == 10:
        n = f[i + 1]
        i += 2
        items = []
        for _ in range(n * 2 if tag == 9 else n):
            x, i = _read(f, i)
            items.append(x)
        return (Map(items) if tag == 9 else Set(items)), i
    if tag == 11:
        return BigNumber(_crlf(f[i + 1])), i + 2
    if tag == 12:
        fmt = (f[i + 1] + b"   ")[:3]
        return Verbatim(f[i + 2], fmt), i + 3
    raise ValueError("bad tag %r" % (tag,))
