"""Reply encoding: plain Python values to RESP2 or RESP3 bytes.  Sans-I/O.

Handlers return plain values and never think about the protocol version;
this module decides, per connection, how each value looks on the wire:

=====================  ===========================  ==========================
value                  RESP2                        RESP3
=====================  ===========================  ==========================
bytes / bytearray      ``$len`` bulk                same
int                    ``:n``                       same
None                   ``$-1`` (null bulk)          ``_``
NULL_ARRAY             ``*-1`` (null array)         ``_``
list / tuple           ``*n`` array                 same
dict / Map             flat ``*2n`` array           ``%n`` map
set / frozenset / Set  ``*n`` array                 ``~n`` set
float                  bulk, ``%.17g``              ``,`` double
bool                   ``:1`` / ``:0``              ``#t`` / ``#f``
Status                 ``+text``                    same
CommandError           ``-text``                    same
Verbatim               bulk                         ``=len\\r\\ntxt:...``
BigNumber              bulk                         ``(digits``
Push                   ``*n`` array                 ``>n`` push
Raw                    pre-encoded bytes, as is     same
=====================  ===========================  ==========================

The float format is Redis 7.0's ``%.17g`` (7.2 changed it; we match 7.0.15).
"""

from __future__ import annotations

import math
from operator import countOf, itemgetter
from typing import Any, Callable

from ..errors import CommandError


class Status:
    """A simple string reply (``+OK``); instances are pre-encoded constants."""

    __slots__ = ("text", "raw")

    def __init__(self, text: str | bytes) -> None:
        self.text = text.encode() if isinstance(text, str) else text
        self.raw = b"+" + self.text + b"\r\n"

    def __repr__(self) -> str:
        return "Status(%r)" % self.text


class Raw:
    """Bytes that are already a complete RESP reply in every protocol version."""

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw


class Map(list):
    """An ordered map given as a flat [k1, v1, k2, v2, ...] list (RESP3 ``%``).

    Used instead of a dict when keys are not hashable or order/duplicates matter.
    """

    __slots__ = ()


class Set(list):
    """A RESP3 set given as a list (keeps the order a command produced)."""

    __slots__ = ()


class Push(list):
    """An out-of-band message: RESP3 ``>``, a plain array in RESP2."""

    __slots__ = ()


class Verbatim:
    __slots__ = ("text", "fmt")

    def __init__(self, text: bytes, fmt: bytes = b"txt") -> None:
        self.text = text
        self.fmt = fmt


class BigNumber:
    __slots__ = ("digits",)

    def __init__(self, digits: bytes) -> None:
        self.digits = digits


class _NullArray:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NULL_ARRAY"


NULL_ARRAY = _NullArray()
OK = Status("OK")
QUEUED = Status("QUEUED")
PONG = Status("PONG")


def format_double(d: float) -> bytes:
    """Redis 7.0 addReplyDouble text: ``%.17g``, with inf/-inf spelled out."""
    if d != d:
        return b"nan"
    if math.isinf(d):
        return b"inf" if d > 0 else b"-inf"
    return b"%.17g" % d


def _bulk(v: bytes, out: list[bytes], resp3: bool) -> None:
    out.append(b"$%d\r\n%s\r\n" % (len(v), v))


def _int(v: int, out: list[bytes], resp3: bool) -> None:
    out.append(b":%d\r\n" % v)


def _none(v: None, out: list[bytes], resp3: bool) -> None:
    out.append(b"_\r\n" if resp3 else b"$-1\r\n")


def _null_array(v: Any, out: list[bytes], resp3: bool) -> None:
    out.append(b"_\r\n" if resp3 else b"*-1\r\n")


# "$<n>\r\n" for the common small lengths: aggregate replies (LRANGE,
# HGETALL, SMEMBERS ...) append (header, item, CRLF) with no formatting and
# no copy of the item; b"".join copies once at the end.
BULK_HEADERS = _BULK_HEADERS = tuple(b"$%d\r\n" % i for i in range(1024))
_BULK_HEADS = tuple(b"$%d" % i for i in range(1024))  # the same without CRLF


def _items(v: Any, out: list[bytes], resp3: bool, head: bytes) -> None:
    """Append ``head`` (e.g. b"*3") and the elements of ``v``.

    Many elements that are all short bytes (LRANGE, SMEMBERS, HGETALL...)
    are encoded without a Python loop: the headers come from a table via
    one itemgetter, are interleaved with the items by slice assignment, and
    one CRLF join builds the reply (about twice as fast from ~10 elements).
    Anything else (an int, a nested reply, a long item) makes a step raise
    and the loop below does the work.
    """
    n = len(v)
    if n >= 10 and type(next(iter(v))) is bytes:
        try:
            if type(v) is list:
                m = len(v[0])
                if m < 1024 and len(v[-1]) == m and countOf(map(len, v), m) == n:
                    # Items all of one length (fixed-width ids, hashes, counters,
                    # timestamps): every header is the same, so the items joined
                    # with "\r\n$m\r\n" are the reply -- one C-level join, about
                    # 5x faster than the interleave below (plus ~12 ns per item to
                    # see that the lengths agree).
                    one = _BULK_HEADERS[m]
                    out += (head + b"\r\n" + one, (b"\r\n" + one).join(v), b"\r\n")
                    return
            parts = [head] * (2 * n + 2)
            parts[1:-1:2] = itemgetter(*map(len, v))(_BULK_HEADS)
            parts[2:-1:2] = v
            parts[-1] = b""
            out.append(b"\r\n".join(parts))  # a copy: later changes to a bytearray can't leak in
            return
        except (TypeError, IndexError):
            pass
    out.append(head + b"\r\n")
    hdr = _BULK_HEADERS
    for item in v:
        if type(item) is bytes:  # bytes only: a bytearray may change before the join
            m = len(item)
            out += (hdr[m] if m < 1024 else b"$%d\r\n" % m, item, b"\r\n")
        else:
            ENCODERS.get(type(item), encode_other)(item, out, resp3)


def _array(v: list | tuple, out: list[bytes], resp3: bool) -> None:
    _items(v, out, resp3, b"*%d" % len(v))


def _dict(v: dict, out: list[bytes], resp3: bool) -> None:
    out.append((b"%%%d\r\n" if resp3 else b"*%d\r\n") % (len(v) if resp3 else 2 * len(v)))
    for k, item in v.items():
        ENCODERS.get(type(k), encode_other)(k, out, resp3)
        ENCODERS.get(type(item), encode_other)(item, out, resp3)


def _map(v: Map, out: list[bytes], resp3: bool) -> None:
    _items(v, out, resp3, (b"%%%d" % (len(v) // 2)) if resp3 else (b"*%d" % len(v)))


def _set(v: Any, out: list[bytes], resp3: bool) -> None:
    _items(v, out, resp3, (b"~%d" if resp3 else b"*%d") % len(v))


def _push(v: Push, out: list[bytes], resp3: bool) -> None:
    _items(v, out, resp3, (b">%d" if resp3 else b"*%d") % len(v))


def _float(v: float, out: list[bytes], resp3: bool) -> None:
    s = format_double(v)
    out.append(b",%s\r\n" % s if resp3 else b"$%d\r\n%s\r\n" % (len(s), s))


def _bool(v: bool, out: list[bytes], resp3: bool) -> None:
    if resp3:
        out.append(b"#t\r\n" if v else b"#f\r\n")
    else:
        out.append(b":1\r\n" if v else b":0\r\n")


def _status(v: Status, out: list[bytes], resp3: bool) -> None:
    out.append(v.raw)


def _error(v: CommandError, out: list[bytes], resp3: bool) -> None:
    out.append(v.encode())


def _verbatim(v: Verbatim, out: list[bytes], resp3: bool) -> None:
    if resp3:
        out.append(b"=%d\r\n%s:%s\r\n" % (len(v.text) + 4, v.fmt, v.text))
    else:
        out.append(b"$%d\r\n%s\r\n" % (len(v.text), v.text))


def _bignum(v: BigNumber, out: list[bytes], resp3: bool) -> None:
    if resp3:
        out.append(b"(%s\r\n" % v.digits)
    else:
        out.append(b"$%d\r\n%s\r\n" % (len(v.digits), v.digits))


def _str(v: str, out: list[bytes], resp3: bool) -> None:
    _bulk(v.encode(), out, resp3)


def encode_other(v: Any, out: list[bytes], resp3: bool) -> None:
    """Encode a value whose exact type is not in ENCODERS (a subclass, an error)."""
    if isinstance(v, CommandError):
        out.append(v.encode())
        return
    for t, fn in ENCODERS.items():
        if isinstance(v, t):
            fn(v, out, resp3)
            return
    raise TypeError("cannot encode reply of type %s" % type(v).__name__)


ENCODERS: dict[type, Callable[[Any, list[bytes], bool], None]] = {
    bytes: _bulk,
    bytearray: _bulk,
    memoryview: lambda v, out, r3: _bulk(bytes(v), out, r3),
    int: _int,
    type(None): _none,
    _NullArray: _null_array,
    list: _array,
    tuple: _array,
    dict: _dict,
    Map: _map,
    set: _set,
    frozenset: _set,
    Set: _set,
    Push: _push,
    float: _float,
    bool: _bool,
    Status: _status,
    Raw: _status,
    CommandError: _error,
    Verbatim: _verbatim,
    BigNumber: _bignum,
    str: _str,
}


def encode_into(value: Any, out: list[bytes], resp3: bool) -> None:
    """Append the encoding of ``value`` to ``out`` (a list joined before sending)."""
    ENCODERS.get(type(value), encode_other)(value, out, resp3)


def encode(value: Any, resp3: bool = False) -> bytes:
    out: list[bytes] = []
    encode_into(value, out, resp3)
    return b"".join(out)
