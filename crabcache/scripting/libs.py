"""The Python halves of the Lua libraries Redis ships: bit, struct, cjson, cmsgpack.

lupa's Lua 5.1 has none of them.  Each is split where it is cheapest: what
walks Lua tables (cjson.encode, cmsgpack.pack's table walk) lives in
``boot.py``; what crunches bytes and numbers lives here.

Rules: these are called from Lua as (C-like) Python callables.  Errors are
raised as ``ScriptError``: kind 2 is a ``luaL_error`` message, which the Lua
side prefixes with the caller's position, as C would.  Messages match LuaBitOp 1.0.2, lua-struct (Redis's copy),
lua-cjson 2.1.0 and lua-cmsgpack as Redis 7.0 bundles them.  Decoded data goes
back to Lua as a flat tag array (tags in ``boot.unpack_value``).
"""

from __future__ import annotations

import math
import re
import struct as _st
from typing import Any

from lupa import lua51

_M32 = 0xFFFFFFFF

TABLE, WHERE, PLAIN = 1, 2, 3


class ScriptError(Exception):
    """An error a Python helper raises into Lua (see boot.py's convert_error).

    kind TABLE: an error table ``{err=msg}`` (``ignore`` adds
    ignore_error_stats_update); WHERE: a luaL_error message; PLAIN: a message as is.
    """

    def __init__(self, kind: int, msg: bytes, ignore: bool = False) -> None:
        super().__init__(msg)
        self.kind = kind
        self.msg = msg
        self.ignore = ignore

    def info(self) -> tuple[int, bytes, bool]:
        return self.kind, self.msg, self.ignore


# --- type helpers ---------------------------------------------------------------

def lua_typename(v: Any, present: bool = True) -> str:
    if not present:
        return "no value"
    t = type(v)
    if t is bytes:
        return "string"
    if t is int or t is float:
        return "number"
    if t is bool:
        return "boolean"
    if v is None:
        return "nil"
    return lua51.lua_type(v) or "userdata"


_NUM_RE = re.compile(
    rb"\s*([+-]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))\s*\Z"
)


def lua_tonumber(v: Any) -> float | int | None:
    """Lua 5.1's lua_tonumber: numbers, and strings that read as one (hex too)."""
    t = type(v)
    if t is int or t is float:
        return v
    if t is bytes:
        m = _NUM_RE.match(v)
        if m is None:
            return None
        s = m.group(1)
        if b"x" in s or b"X" in s:
            neg = s.startswith(b"-")
            n = int(s.lstrip(b"+-"), 16)
            return float(-n if neg else n)
        return float(s)
    return None


def lua_tostring(v: Any) -> bytes | None:
    """lua_tolstring: strings, and numbers formatted ``%.14g``."""
    t = type(v)
    if t is bytes:
        return v
    if t is int or t is float:
        return fmt_number(v)
    return None


def fmt_number(n: float | int) -> bytes:
    f = float(n)
    if f != f:
        return b"-nan" if math.copysign(1.0, f) < 0 else b"nan"
    if math.isinf(f):
        return b"inf" if f > 0 else b"-inf"
    return b"%.14g" % f


def _lua_num(x: int) -> int | float:
    # Lua numbers are doubles; lupa refuses Python ints outside int64.
    return x if -(1 << 53) <= x <= (1 << 53) else float(x)


# --- bit (LuaBitOp) ---------------------------------------------------------------

def _barg(n: float | int) -> int:
    # LuaBitOp: add 2^52+2^51 and take the low 32 bits of the double.
    d = float(n) + 6755399441055744.0
    return _st.unpack("<Q", _st.pack("<d", d))[0] & _M32


def _sb(b: int) -> int:
    b &= _M32
    return b - 0x100000000 if b & 0x80000000 else b


_BIT_ARGS = {"tobit": 1, "bnot": 1, "bswap": 1, "band": -1, "bor": -1, "bxor": -1, "lshift": 2,
             "rshift": 2, "arshift": 2, "rol": 2, "ror": 2, "tohex": 0}


def bit_function(name: str) -> Any:
    """bit.<name> as Lua sees it: LuaBitOp's argument checks, then the operation."""
    want = _BIT_ARGS[name]
    bname = name.encode()

    def fn(*args: Any) -> Any:
        n = len(args)
        count = (n or 1) if want < 0 else (want if want else (2 if n >= 2 else 1))
        nums = []
        for k in range(count):
            v = lua_tonumber(args[k]) if k < n else None
            if v is None:
                raise ScriptError(WHERE, ("bad argument #%d to '%s' (number expected, got %s)"
                                          % (k + 1, name, lua_typename(args[k] if k < n else None, k < n))).encode())
            nums.append(v)
        return bitop(bname, *nums)

    return fn


def bitop(name: bytes, *args: Any) -> Any:
    b = _barg(args[0])
    if name == b"tobit":
        return _sb(b)
    if name == b"bnot":
        return _sb(~b)
    if name == b"band":
        for a in args[1:]:
            b &= _barg(a)
        return _sb(b)
    if name == b"bor":
        for a in args[1:]:
            b |= _barg(a)
        return _sb(b)
    if name == b"bxor":
        for a in args[1:]:
            b ^= _barg(a)
        return _sb(b)
    if name == b"bswap":
        return _sb(int.from_bytes(b.to_bytes(4, "little"), "big"))
    if name == b"tohex":
        n = 8 if len(args) < 2 else _sb(_barg(args[1]))
        digits = "0123456789abcdef"
        if n < 0:
            n = -n
            digits = digits.upper()
        n = min(n, 8)
        out = []
        for _ in range(n):
            out.append(digits[b & 15])
            b >>= 4
        return "".join(reversed(out)).encode()
    n = _barg(args[1]) & 31
    if name == b"lshift":
        return _sb(b << n)
    if name == b"rshift":
        return _sb(b >> n)
    if name == b"arshift":
        return _sb(_sb(b) >> n)
    if name == b"rol":
        return _sb((b << n) | (b >> (32 - n)))
    if name == b"ror":
        return _sb((b >> n) | (b << (32 - n)))
    raise ValueError(name)


# --- struct (Roberto Ierusalimschy's lstruct, x86-64 sizes) ---------------------------

_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8, "f": 4, "d": 8, "x": 1}
_MAXINTSIZE = 32
_MAXALIGN = 8


def _StructError(msg: str) -> ScriptError:
    return ScriptError(WHERE, msg.encode())


def _argerr(n: int, fname: str, msg: str) -> ScriptError:
    return _StructError("bad argument #%d to '%s' (%s)" % (n, fname, msg))


def _getnum(fmt: bytes, i: int, df: int) -> tuple[int, int]:
    if i >= len(fmt) or not 48 <= fmt[i] <= 57:
        return df, i
    a = 0
    while i < len(fmt) and 48 <= fmt[i] <= 57:
        d = fmt[i] - 48
        if a > 2147483647 // 10 or a * 10 > 2147483647 - d:
            raise _StructError("integral size overflow")
        a = a * 10 + d
        i += 1
    return a, i


def _optsize(opt: str, fmt: bytes, i: int) -> tuple[int, int]:
    if opt in _SIZES:
        return _SIZES[opt], i
    if opt == "c":
        return _getnum(fmt, i, 1)
    if opt in "iI":
        sz, i = _getnum(fmt, i, 4)
        if sz > _MAXINTSIZE:
            raise _StructError("integral size %d is larger than limit of %d" % (sz, _MAXINTSIZE))
        return sz, i
    return 0, i


def _toalign(pos: int, align: int, opt: str, size: int) -> int:
    if size == 0 or opt == "c":
        return 0
    if size > align:
        size = align
    return (size - (pos & (size - 1))) & (size - 1)


def _control(opt: str, fmt: bytes, i: int, h: list[Any], fname: str) -> int:
    if opt == " ":
        return i
    if opt == ">":
        h[0] = "big"
        return i
    if opt == "<":
        h[0] = "little"
        return i
    if opt == "!":
        a, i = _getnum(fmt, i, _MAXALIGN)
        if a <= 0 or a & (a - 1):
            raise _StructError("alignment %d is not a power of 2" % a)
        h[1] = a
        return i
    raise _argerr(1, fname, "invalid format option '%s'" % opt)


def _checkfmt(args: tuple, fname: str) -> bytes:
    f = lua_tostring(args[0]) if args else None
    if f is None:
        raise _argerr(1, fname, "string expected, got %s" % lua_typename(args[0] if args else None, bool(args)))
    return f.split(b"\0", 1)[0]


def _checknum(args: tuple, k: int, fname: str) -> float:
    v = lua_tonumber(args[k - 1]) if k <= len(args) else None
    if v is None:
        raise _argerr(k, fname, "number expected, got %s" % lua_typename(
            args[k - 1] if k <= len(args) else None, k <= len(args)))
    return float(v)


def struct_pack(*args: Any) -> bytes:
    if True:
        fmt = _checkfmt(args, "pack")
        h: list[Any] = ["little", 1]
        out = bytearray()
        arg = 2
        i = 0
        while i < len(fmt):
            opt = chr(fmt[i])
            i += 1
            size, i = _optsize(opt, fmt, i)
            pad = _toalign(len(out), h[1], opt, size)
            out += b"\0" * pad
            if opt in "bBhHlLTiI":
                n = _checknum(args, arg, "pack")
                arg += 1
                v = int(n) if math.isfinite(n) else 0
                raw = ((v & ((1 << 64) - 1)).to_bytes(8, "little") + bytes(max(0, size - 8)))[:size]
                out += raw[::-1] if h[0] == "big" else raw
            elif opt == "x":
                out += b"\0"
            elif opt == "f":
                n = _checknum(args, arg, "pack")
                arg += 1
                out += _st.pack(">f" if h[0] == "big" else "<f", _to_float32(n))
            elif opt == "d":
                n = _checknum(args, arg, "pack")
                arg += 1
                out += _st.pack(">d" if h[0] == "big" else "<d", n)
            elif opt in "cs":
                s = lua_tostring(args[arg - 1]) if arg <= len(args) else None
                if s is None:
                    raise _argerr(arg, "pack", "string expected, got %s" % lua_typename(
                        args[arg - 1] if arg <= len(args) else None, arg <= len(args)))
                arg += 1
                if size == 0:
                    size = len(s)
                if len(s) < size:
                    raise _argerr(arg, "pack", "string too short")
                out += s[:size]
                if opt == "s":
                    out += b"\0"
            else:
                i = _control(opt, fmt, i, h, "pack")
        return bytes(out)


def _to_float32(n: float) -> float:
    try:
        _st.pack("<f", n)
        return n
    except OverflowError:
        return math.copysign(math.inf, n)


def struct_unpack(*args: Any) -> tuple:
    if True:
        fmt = _checkfmt(args, "unpack")
        data = lua_tostring(args[1]) if len(args) > 1 else None
        if data is None:
            raise _argerr(2, "unpack", "string expected, got %s" % lua_typename(
                args[1] if len(args) > 1 else None, len(args) > 1))
        pos = 1
        if len(args) > 2 and args[2] is not None:
            p = lua_tonumber(args[2])
            if p is None:
                raise _argerr(3, "unpack", "number expected, got %s" % lua_typename(args[2]))
            pos = int(p)
        if pos <= 0:
            raise _argerr(3, "unpack", "offset must be 1 or greater")
        pos -= 1
        ld = len(data)
        h: list[Any] = ["little", 1]
        res: list[Any] = []
        i = 0
        while i < len(fmt):
            opt = chr(fmt[i])
            i += 1
            size, i = _optsize(opt, fmt, i)
            pos += _toalign(pos, h[1], opt, size)
            if not (size <= ld and pos <= ld - size):
                raise _argerr(2, "unpack", "data string too short")
            if opt in "bBhHlLTiI":
                raw = data[pos:pos + size]
                v = int.from_bytes(raw, h[0])
                v &= (1 << 64) - 1
                if opt.islower():
                    bits = min(size * 8, 64)
                    if v & (1 << (bits - 1)):
                        v -= 1 << bits
                res.append(_lua_num(v))
            elif opt == "x":
                pass
            elif opt == "f":
                res.append(_st.unpack(">f" if h[0] == "big" else "<f", data[pos:pos + 4])[0])
            elif opt == "d":
                res.append(_st.unpack(">d" if h[0] == "big" else "<d", data[pos:pos + 8])[0])
            elif opt == "c":
                if size == 0:
                    if not res or type(res[-1]) not in (int, float):
                        raise _StructError("format 'c0' needs a previous size")
                    size = int(res.pop())
                    if not (size <= ld and pos <= ld - size):
                        raise _argerr(2, "unpack", "data string too short")
                res.append(data[pos:pos + size])
            elif opt == "s":
                e = data.find(b"\0", pos)
                if e < 0:
                    raise _StructError("unfinished string in data")
                size = e - pos + 1
                res.append(data[pos:e])
            else:
                i = _control(opt, fmt, i, h, "unpack")
            pos += size
        res.append(pos + 1)
        return tuple(res)


def struct_size(*args: Any) -> int:
    if True:
        fmt = _checkfmt(args, "size")
        h: list[Any] = ["little", 1]
        pos = 0
        i = 0
        while i < len(fmt):
            opt = chr(fmt[i])
            i += 1
            size, i = _optsize(opt, fmt, i)
            pos += _toalign(pos, h[1], opt, size)
            if opt == "s":
                raise _argerr(1, "size", "options 's' and 'c0' cannot be used with size")
            if opt == "c" and size == 0:
                raise _argerr(1, "size", "options 's' and 'c0' cannot be used with size")
            if opt not in _SIZES and opt not in "ciI":
                i = _control(opt, fmt, i, h, "size")
            pos += size
        return pos


# --- cjson.decode (lua-cjson 2.1.0's parser) --------------------------------------

class _JSONError(Exception):
    pass


_WS = b" \t\n\r"
_ESC = {ord('"'): b'"', ord("\\"): b"\\", ord("/"): b"/", ord("b"): b"\b", ord("t"): b"\t",
        ord("n"): b"\n", ord("f"): b"\f", ord("r"): b"\r"}
_SINGLE = {ord("{"): "T_OBJ_BEGIN", ord("}"): "T_OBJ_END", ord("["): "T_ARR_BEGIN",
           ord("]"): "T_ARR_END", ord(","): "T_COMMA", ord(":"): "T_COLON"}
_UNKNOWN = set(b'fiInNt"+-0123456789')
_STRTOD = re.compile(
    rb"[+-]?(?:0[xX](?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?"
    rb"|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
    rb"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN](?:\([0-9A-Za-z_]*\))?)"
)


def _strtod(s: bytes) -> float:
    t = s.lower().lstrip(b"+")
    neg = t.startswith(b"-")
    body = t.lstrip(b"-")
    if body.startswith(b"0x"):
        v = float.fromhex(body.decode())
    elif body.startswith(b"inf"):
        v = math.inf
    elif body.startswith(b"nan"):
        v = math.nan
    else:
        v = float(body)
    return -v if neg else v


class _JSON:
    __slots__ = ("data", "pos", "depth", "max_depth", "invalid_ok")

    def __init__(self, data: bytes, max_depth: int, invalid_ok: bool) -> None:
        # The C parser stops at the first NUL byte: it reads a C string.
        self.data = data.split(b"\0", 1)[0]
        self.pos = 0
        self.depth = 0
        self.max_depth = max_depth
        self.invalid_ok = invalid_ok

    def token(self) -> tuple[str, Any, int]:
        d, p = self.data, self.pos
        n = len(d)
        while p < n and d[p] in _WS:
            p += 1
        self.pos = p
        if p >= n:
            return "T_END", None, p
        ch = d[p]
        if ch in _SINGLE:
            self.pos = p + 1
            return _SINGLE[ch], None, p
        if ch not in _UNKNOWN:
            return "T_ERROR", "invalid token", p
        if ch == 34:  # '"'
            return self._string(p)
        if ch == 45 or 48 <= ch <= 57:
            if not self.invalid_ok and self._invalid_number(p):
                return "T_ERROR", "invalid number", p
            return self._number(p)
        if d.startswith(b"true", p):
            self.pos = p + 4
            return "T_BOOLEAN", True, p
        if d.startswith(b"false", p):
            self.pos = p + 5
            return "T_BOOLEAN", False, p
        if d.startswith(b"null", p):
            self.pos = p + 4
            return "T_NULL", None, p
        if self.invalid_ok and self._invalid_number(p):
            return self._number(p)
        return "T_ERROR", "invalid token", p

    def _invalid_number(self, p: int) -> bool:
        d = self.data
        if d[p:p + 1] == b"+":
            return True
        if d[p:p + 1] == b"-":
            p += 1
        c = d[p:p + 1]
        if c == b"0":
            c2 = d[p + 1:p + 2]
            return c2 in (b"x", b"X") or (c2 != b"" and c2.isdigit())
        if c and c <= b"9":
            return False
        low = d[p:p + 3].lower()
        return low in (b"inf", b"nan")

    def _number(self, p: int) -> tuple[str, Any, int]:
        m = _STRTOD.match(self.data, p)
        if m is None:
            return "T_ERROR", "invalid number", p
        self.pos = m.end()
        return "T_NUMBER", _strtod(m.group()), p

    def _string(self, start: int) -> tuple[str, Any, int]:
        d = self.data
        p = start + 1
        out = bytearray()
        n = len(d)
        while True:
            if p >= n:
                self.pos = p
                return "T_ERROR", "unexpected end of string", p
            ch = d[p]
            if ch == 34:
                break
            if ch == 92:  # backslash
                esc = d[p + 1] if p + 1 < n else 0
                if esc == 117:  # 'u'
                    r = self._unicode(p)
                    if r is None:
                        self.pos = p
                        return "T_ERROR", "invalid unicode escape code", p
                    out += r[0]
                    p = r[1]
                    continue
                t = _ESC.get(esc)
                if t is None:
                    self.pos = p
                    return "T_ERROR", "invalid escape code", p
                out += t
                p += 2
                continue
            out.append(ch)
            p += 1
        self.pos = p + 1
        return "T_STRING", bytes(out), start

    def _unicode(self, p: int) -> tuple[bytes, int] | None:
        d = self.data

        def hex4(i: int) -> int:
            h = d[i:i + 4]
            if len(h) < 4 or any(c not in b"0123456789abcdefABCDEF" for c in h):
                return -1
            return int(h, 16)

        cp = hex4(p + 2)
        if cp < 0:
            return None
        length = 6
        if cp & 0xF800 == 0xD800:
            if cp & 0x400:
                return None
            if d[p + 6:p + 8] != b"\\u":
                return None
            low = hex4(p + 8)
            if low < 0 or low & 0xFC00 != 0xDC00:
                return None
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
            length = 12
        return chr(cp).encode("utf-8", "surrogatepass"), p + length

    def fail(self, expected: str, tok: tuple[str, Any, int]) -> _JSONError:
        found = tok[1] if tok[0] == "T_ERROR" else tok[0]
        return _JSONError("Expected %s but found %s at character %d" % (expected, found, tok[2] + 1))

    def descend(self) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise _JSONError("Found too many nested data structures (%d) at character %d"
                             % (self.depth, self.pos))

    def value(self, tok: tuple[str, Any, int], out: list[Any]) -> None:
        kind = tok[0]
        if kind in ("T_STRING", "T_NUMBER", "T_BOOLEAN"):
            out += (1, tok[1])
        elif kind == "T_NULL":
            out.append(21)
        elif kind == "T_OBJ_BEGIN":
            self.descend()
            out += (20, 0)
            at = len(out) - 1
            count = 0
            tok = self.token()
            if tok[0] != "T_OBJ_END":
                while True:
                    if tok[0] != "T_STRING":
                        raise self.fail("object key string", tok)
                    key = tok[1]
                    tok = self.token()
                    if tok[0] != "T_COLON":
                        raise self.fail("colon", tok)
                    out += (1, key)
                    self.value(self.token(), out)
                    count += 1
                    tok = self.token()
                    if tok[0] == "T_OBJ_END":
                        break
                    if tok[0] != "T_COMMA":
                        raise self.fail("comma or object end", tok)
                    tok = self.token()
            out[at] = count
            self.depth -= 1
        elif kind == "T_ARR_BEGIN":
            self.descend()
            out += (3, 0)
            at = len(out) - 1
            count = 0
            tok = self.token()
            if tok[0] != "T_ARR_END":
                while True:
                    self.value(tok, out)
                    count += 1
                    tok = self.token()
                    if tok[0] == "T_ARR_END":
                        break
                    if tok[0] != "T_COMMA":
                        raise self.fail("comma or array end", tok)
                    tok = self.token()
            out[at] = count
            self.depth -= 1
        else:
            raise self.fail("value", tok)


def json_decode(data: bytes, max_depth: int, invalid_ok: bool) -> list[Any]:
    """The flat tags of the decoded value; ``data`` is the Lua string."""
    if len(data) >= 2 and (data[0] == 0 or data[1] == 0):
        raise ScriptError(WHERE, b"JSON parser does not support UTF-16 or UTF-32")
    p = _JSON(data, int(max_depth), bool(invalid_ok))
    out: list[Any] = []
    try:
        p.value(p.token(), out)
        tok = p.token()
        if tok[0] != "T_END":
            raise p.fail("the end", tok)
    except _JSONError as e:
        raise ScriptError(WHERE, str(e).encode()) from None
    except RecursionError:
        raise ScriptError(WHERE, b"Found too many nested data structures") from None
    return out


# --- cmsgpack ---------------------------------------------------------------------

def mp_pack(flat: Any) -> bytes:
    """Encode one value flattened by boot.lua's mp_flat (tags 1 str, 2 bool, 3 number, 5 nil,
    6 array n, 7 map n)."""
    items = list(flat.values()) if not isinstance(flat, list) else flat
    out = bytearray()
    i = 0
    n = len(items)
    while i < n:
        tag = items[i]
        if tag == 1:
            _mp_bytes(out, items[i + 1])
            i += 2
        elif tag == 2:
            out.append(0xC3 if items[i + 1] else 0xC2)
            i += 2
        elif tag == 3:
            _mp_number(out, items[i + 1])
            i += 2
        elif tag == 5:
            out.append(0xC0)
            i += 1
        elif tag == 6:
            c = int(items[i + 1])
            if c <= 15:
                out.append(0x90 | c)
            elif c <= 0xFFFF:
                out += b"\xdc" + c.to_bytes(2, "big")
            else:
                out += b"\xdd" + c.to_bytes(4, "big")
            i += 2
        elif tag == 7:
            c = int(items[i + 1])
            if c <= 15:
                out.append(0x80 | c)
            elif c <= 0xFFFF:
                out += b"\xde" + c.to_bytes(2, "big")
            else:
                out += b"\xdf" + c.to_bytes(4, "big")
            i += 2
        else:
            raise ValueError(tag)
    return bytes(out)


def _mp_bytes(out: bytearray, s: bytes) -> None:
    n = len(s)
    if n < 32:
        out.append(0xA0 | n)
    elif n <= 0xFF:
        out += bytes((0xD9, n))
    elif n <= 0xFFFF:
        out += b"\xda" + n.to_bytes(2, "big")
    else:
        out += b"\xdb" + n.to_bytes(4, "big")
    out += s


def _mp_number(out: bytearray, v: float | int) -> None:
    f = float(v)
    if not math.isinf(f) and f == f and -9.223372036854776e18 <= f < 9.223372036854776e18 and f == int(f):
        n = int(f)
        if n >= 0:
            if n <= 127:
                out.append(n)
            elif n <= 0xFF:
                out += bytes((0xCC, n))
            elif n <= 0xFFFF:
                out += b"\xcd" + n.to_bytes(2, "big")
            elif n <= 0xFFFFFFFF:
                out += b"\xce" + n.to_bytes(4, "big")
            else:
                out += b"\xcf" + n.to_bytes(8, "big")
        else:
            if n >= -32:
                out.append(n & 0xFF)
            elif n >= -128:
                out += b"\xd0" + n.to_bytes(1, "big", signed=True)
            elif n >= -32768:
                out += b"\xd1" + n.to_bytes(2, "big", signed=True)
            elif n >= -2147483648:
                out += b"\xd2" + n.to_bytes(4, "big", signed=True)
            else:
                out += b"\xd3" + n.to_bytes(8, "big", signed=True)
        return
    try:
        f32 = _st.unpack("<f", _st.pack("<f", f))[0]
    except OverflowError:
        f32 = None
    if f32 is not None and (f32 == f or (f != f)):
        out += b"\xca" + _st.pack(">f", f)
    else:
        out += b"\xcb" + _st.pack(">d", f)


class _MPError(Exception):
    pass


_EOF = "Missing bytes in input."
_BAD = "Bad data format in input."


def _mp_need(d: bytes, p: int, n: int) -> None:
    if p + n > len(d):
        raise _MPError(_EOF)


def _mp_decode(d: bytes, p: int, out: list[Any]) -> int:
    _mp_need(d, p, 1)
    b = d[p]
    if b < 0x80:
        out += (1, b)
        return p + 1
    if b >= 0xE0:
        out += (1, b - 0x100)
        return p + 1
    if 0xA0 <= b <= 0xBF:
        n = b & 0x1F
        _mp_need(d, p, 1 + n)
        out += (1, d[p + 1:p + 1 + n])
        return p + 1 + n
    if 0x90 <= b <= 0x9F:
        return _mp_array(d, p + 1, b & 0x0F, out)
    if 0x80 <= b <= 0x8F:
        return _mp_map(d, p + 1, b & 0x0F, out)
    if b == 0xC0:
        out.append(2)
        return p + 1
    if b in (0xC2, 0xC3):
        out += (1, b == 0xC3)
        return p + 1
    fixed = {0xCC: (1, False), 0xCD: (2, False), 0xCE: (4, False), 0xCF: (8, False),
             0xD0: (1, True), 0xD1: (2, True), 0xD2: (4, True), 0xD3: (8, True)}
    if b in fixed:
        size, signed = fixed[b]
        _mp_need(d, p, 1 + size)
        out += (1, _lua_num(int.from_bytes(d[p + 1:p + 1 + size], "big", signed=signed)))
        return p + 1 + size
    if b == 0xCA:
        _mp_need(d, p, 5)
        out += (1, _st.unpack(">f", d[p + 1:p + 5])[0])
        return p + 5
    if b == 0xCB:
        _mp_need(d, p, 9)
        out += (1, _st.unpack(">d", d[p + 1:p + 9])[0])
        return p + 9
    if b in (0xD9, 0xDA, 0xDB):
        size = {0xD9: 1, 0xDA: 2, 0xDB: 4}[b]
        _mp_need(d, p, 1 + size)
        n = int.from_bytes(d[p + 1:p + 1 + size], "big")
        _mp_need(d, p, 1 + size + n)
        out += (1, d[p + 1 + size:p + 1 + size + n])
        return p + 1 + size + n
    if b in (0xDC, 0xDD):
        size = 2 if b == 0xDC else 4
        _mp_need(d, p, 1 + size)
        return _mp_array(d, p + 1 + size, int.from_bytes(d[p + 1:p + 1 + size], "big"), out)
    if b in (0xDE, 0xDF):
        size = 2 if b == 0xDE else 4
        _mp_need(d, p, 1 + size)
        return _mp_map(d, p + 1 + size, int.from_bytes(d[p + 1:p + 1 + size], "big"), out)
    raise _MPError(_BAD)


def _mp_array(d: bytes, p: int, n: int, out: list[Any]) -> int:
    out += (3, n)
    for _ in range(n):
        p = _mp_decode(d, p, out)
    return p


def _mp_map(d: bytes, p: int, n: int, out: list[Any]) -> int:
    out += (20, n)
    for _ in range(2 * n):
        p = _mp_decode(d, p, out)
    return p


def mp_unpack(name: str, args: tuple) -> tuple[list[list[Any]], Any, int]:
    """cmsgpack.unpack / unpack_one / unpack_limit: (flat tags of each value, first result or None, count)."""
    def bad(k: int) -> ScriptError:
        return ScriptError(WHERE, ("bad argument #%d to '%s' (number expected, got %s)"
                                   % (k, name, lua_typename(args[k - 1] if len(args) >= k else None,
                                                            len(args) >= k))).encode())

    s = lua_tostring(args[0]) if args else None
    if s is None:
        raise ScriptError(WHERE, ("bad argument #1 to '%s' (string expected, got %s)"
                                  % (name, lua_typename(args[0] if args else None, bool(args)))).encode())
    limit = off = 0
    if name == "unpack_limit":
        v = lua_tonumber(args[1]) if len(args) > 1 else None
        if v is None:
            raise bad(2)
        limit = int(v)
        if len(args) > 2 and args[2] is not None:
            v = lua_tonumber(args[2])
            if v is None:
                raise bad(3)
            off = int(v)
    elif name == "unpack_one":
        limit = 1
        if len(args) > 1 and args[1] is not None:
            v = lua_tonumber(args[1])
            if v is None:
                raise bad(2)
            off = int(v)
    decode_all = not limit and not off
    if off < 0 or limit < 0:
        raise ScriptError(WHERE, ("Invalid request to unpack with offset of %d and limit of %d."
                                  % (off, len(s))).encode())
    if off > len(s):
        raise ScriptError(WHERE, ("Start offset %d greater than input length %d." % (off, len(s))).encode())
    if decode_all:
        limit = 2147483647
    values: list[list[Any]] = []
    p = off
    try:
        while p < len(s) and len(values) < limit:
            out: list[Any] = []
            p = _mp_decode(s, p, out)
            values.append(out)
    except _MPError as e:
        raise ScriptError(WHERE, str(e).encode()) from None
    first = None if decode_all else (-1 if p >= len(s) else p)
    return values, first, len(values)
