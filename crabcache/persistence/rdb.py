"""The Redis RDB format, version 10 (what Redis 7.0 writes): save and load.

A file is ``REDIS0010``, AUX fields (``redis-ver``, ``redis-bits``, ``ctime``,
``used-mem``, ``aof-base``), then per non-empty database ``SELECTDB n``,
``RESIZEDB keys expires`` and its keys (``[EXPIRETIME_MS t] type key value``),
then ``EOF`` and the CRC-64/Jones of everything before it (8 bytes, little
endian; zero when ``rdbchecksum no``).  A DUMP payload is one ``type value``
followed by the RDB version (2 bytes LE) and the CRC-64 of all of that.

Rules of this module:

* Pure codec: no trio, no sockets, no server state.  ``save``/``dump_value``
  take databases and values, ``load``/``load_value`` give values back; the
  commands (``commands/persistence.py``) own files, forks and replies.
* Written encodings are the ones Redis 7.0 itself writes for a value of that
  size, so real Redis loads our files and payloads into the same encodings:
  strings (integer-encoded when canonical and 32-bit, LZF-compressed above 20
  bytes when ``compress`` and a C LZF is available); lists as QUICKLIST_2 of
  listpack nodes sized by ``list-max-listpack-size``; hashes and sorted sets
  as listpacks while they fit ``*-max-listpack-*`` (and were never converted),
  else HASH / ZSET_2; sets as an intset while all members are integers and
  fit ``set-max-intset-entries``, else SET.
* Every encoding Redis 7.0 can write is read, plus the older ones found in
  files from earlier versions (ziplist, zipmap, quicklist of ziplists, ZSET
  with text scores, EXPIRETIME in seconds) and 7.2's SET_LISTPACK.  Module
  values and module AUX data cannot be loaded (no modules) and raise
  ``RDBError``; streams raise too until a stream type registers a codec in
  ``VALUE_CODECS`` / ``LOADERS`` (the hook for ``datatypes/stream.py``).
* Snapshots never mutate: keys whose TTL has passed are skipped while
  writing, not expired, so a forked child can save without side effects.
* Malformed input raises ``RDBError`` with Redis's wording where Redis has
  one ("Wrong signature trying to load DB from file", "Short read or OOM
  loading DB ..."); nothing is half-applied by ``load_value``.
"""

from __future__ import annotations

import math
import struct
import time
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from ..datatypes.containers import Hash, List, Set
from . import lzf
from .crc64 import crc64

RDB_VERSION = 10
REDIS_VER = b"7.0.15"

# Value types.
T_STRING = 0
T_LIST = 1
T_SET = 2
T_ZSET = 3
T_HASH = 4
T_ZSET_2 = 5
T_MODULE = 6
T_MODULE_2 = 7
T_HASH_ZIPMAP = 9
T_LIST_ZIPLIST = 10
T_SET_INTSET = 11
T_ZSET_ZIPLIST = 12
T_HASH_ZIPLIST = 13
T_LIST_QUICKLIST = 14
T_STREAM_LISTPACKS = 15
T_HASH_LISTPACK = 16
T_ZSET_LISTPACK = 17
T_LIST_QUICKLIST_2 = 18
T_STREAM_LISTPACKS_2 = 19
T_SET_LISTPACK = 20  # Redis 7.2 (RDB 11); read for convenience
T_STREAM_LISTPACKS_3 = 21

# Opcodes.
OP_FUNCTION2 = 245
OP_FUNCTION_PRE_GA = 246
OP_MODULE_AUX = 247
OP_IDLE = 248
OP_FREQ = 249
OP_AUX = 250
OP_RESIZEDB = 251
OP_EXPIRETIME_MS = 252
OP_EXPIRETIME = 253
OP_SELECTDB = 254
OP_EOF = 255

QUICKLIST_PLAIN = 1
QUICKLIST_PACKED = 2

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


class RDBError(Exception):
    """The file or payload can't be read (or a value can't be written)."""


SHORT_READ = "Short read or OOM loading DB. Unrecoverable error, aborting now."


class Limits:
    """The encoding thresholds a writer/loader follows (Redis config names)."""

    __slots__ = ("hash_entries", "hash_value", "zset_entries", "zset_value", "intset_entries",
                 "list_fill")

    def __init__(self, config: Any = None) -> None:
        get = (lambda k, d: config[k]) if config is not None else (lambda k, d: d)
        self.hash_entries = get("hash-max-listpack-entries", 512)  # Redis 7.0's built-in default
        self.hash_value = get("hash-max-listpack-value", 64)
        self.zset_entries = get("zset-max-listpack-entries", 128)
        self.zset_value = get("zset-max-listpack-value", 64)
        self.intset_entries = get("set-max-intset-entries", 512)
        self.list_fill = get("list-max-listpack-size", -2)


DEFAULT_LIMITS = Limits()

# =====================================================================================
# Encoding
# =====================================================================================

_LEN6 = [bytes((i,)) for i in range(64)]


def enc_len(n: int) -> bytes:
    """rdbSaveLen: 6, 14, 32 or 64-bit length."""
    if n < 64:
        return _LEN6[n]
    if n < 16384:
        return bytes(((n >> 8) | 0x40, n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + n.to_bytes(4, "big")
    return b"\x81" + n.to_bytes(8, "big")


def _int_encoding(s: bytes) -> bytes | None:
    """rdbTryIntegerEncoding: a canonical integer that fits 32 bits, else None."""
    if not (s.isdigit() or (s[:1] == b"-" and s[1:].isdigit())):
        return None
    v = int(s)
    if b"%d" % v != s:
        return None
    if -128 <= v <= 127:
        return b"\xc0" + (v & 0xFF).to_bytes(1, "little")
    if -32768 <= v <= 32767:
        return b"\xc1" + v.to_bytes(2, "little", signed=True)
    if -(1 << 31) <= v < (1 << 31):
        return b"\xc2" + v.to_bytes(4, "little", signed=True)
    return None


def enc_string(s: bytes | bytearray | memoryview, compress: bool = False) -> bytes:
    """rdbSaveRawString: integer encoding, then LZF above 20 bytes, else raw."""
    n = len(s)
    if n <= 11 and n:
        e = _int_encoding(bytes(s))
        if e is not None:
            return e
    if compress and n > 20 and lzf.AVAILABLE:
        c = lzf.compress(bytes(s))
        if c is not None:
            return b"\xc3" + enc_len(len(c)) + enc_len(n) + c
    if n < 64:
        return _LEN6[n] + s
    return enc_len(n) + s


def _canonical_int64(s: bytes) -> int | None:
    # string2ll / lpStringToInt64: the canonical text of an int64, else None.
    if len(s) > 20 or not (s.isdigit() or (s[:1] == b"-" and s[1:].isdigit())):
        return None
    v = int(s)
    if b"%d" % v != s or not INT64_MIN <= v <= INT64_MAX:
        return None
    return v


def _backlen(n: int) -> bytes:
    # lpEncodeBacklen: the entry size, 7 bits per byte, readable right to left.
    if n <= 127:
        return _LEN6[n] if n < 64 else bytes((n,))
    if n < 16383:
        return bytes((n >> 7, (n & 127) | 128))
    if n < 2097151:
        return bytes((n >> 14, ((n >> 7) & 127) | 128, (n & 127) | 128))
    if n < 268435455:
        return bytes((n >> 21, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128, (n & 127) | 128))
    return bytes((n >> 28, ((n >> 21) & 127) | 128, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128,
                  (n & 127) | 128))


def lp_entry(s: bytes) -> bytes:
    """One listpack entry (encoding + data + backlen), as lpAppend encodes it."""
    v = _canonical_int64(s) if s and len(s) <= 20 else None
    if v is not None:
        if 0 <= v <= 127:
            return bytes((v, 1))
        if -4096 <= v <= 4095:
            u = v & 0x1FFF
            return bytes(((u >> 8) | 0xC0, u & 0xFF, 2))
        if -32768 <= v <= 32767:
            return b"\xf1" + v.to_bytes(2, "little", signed=True) + b"\x03"
        if -8388608 <= v <= 8388607:
            return b"\xf2" + v.to_bytes(3, "little", signed=True) + b"\x04"
        if -(1 << 31) <= v < (1 << 31):
            return b"\xf3" + v.to_bytes(4, "little", signed=True) + b"\x05"
        return b"\xf4" + v.to_bytes(8, "little", signed=True) + b"\x09"
    n = len(s)
    if n < 64:
        head = bytes((0x80 | n,))
    elif n < 4096:
        head = bytes((0xE0 | (n >> 8), n & 0xFF))
    else:
        head = b"\xf0" + n.to_bytes(4, "little")
    return head + s + _backlen(len(head) + n)


def listpack(entries: list[bytes]) -> bytes:
    """A whole listpack from already-encoded entries."""
    body = b"".join(entries)
    total = 6 + len(body) + 1
    return struct.pack("<IH", total, min(len(entries), 65535)) + body + b"\xff"


def _score_text(score: float) -> bytes:
    # zzlInsertAt stores d2string(score): integers without a fraction, else %.17g.
    if math.isinf(score):
        return b"inf" if score > 0 else b"-inf"
    if score == int(score) and abs(score) < (1 << 53):
        return b"%d" % int(score) if score or math.copysign(1, score) > 0 else b"-0"
    return (b"%.17g" % score)


def _list_nodes(lst: Iterable[bytes], fill: int) -> Iterator[list[bytes]]:
    # Split a list into listpack nodes as quicklist does: by byte size for a
    # negative fill (-1: 4KB ... -5: 64KB), by count for a positive one
    # (with quicklist's 8KB safety limit).
    if fill < 0:
        max_bytes = 4096 << (min(-fill, 5) - 1)
        max_count = 1 << 62
    else:
        max_bytes = 8192
        max_count = fill or 1
    node: list[bytes] = []
    size = 7
    for item in lst:
        e = lp_entry(bytes(item))
        if node and (size + len(e) > max_bytes or len(node) >= max_count):
            yield node
            node = []
            size = 7
        node.append(e)
        size += len(e)
    if node:
        yield node


# Codecs other modules can register for their value classes (streams):
# VALUE_CODECS[cls] = fn(value, compress, limits) -> (rdb_type, encoded bytes);
# LOADERS[rdb_type] = fn(reader, limits) -> value.
VALUE_CODECS: dict[type, Callable[[Any, bool, Limits], tuple[int, bytes]]] = {}
LOADERS: dict[int, Callable[["Reader", Limits], Any]] = {}


def encode_value(value: Any, compress: bool = False, limits: Limits = DEFAULT_LIMITS) -> tuple[int, bytes]:
    """``(rdb_type, bytes)`` for one value, as rdbSaveObjectType + rdbSaveObject."""
    t = type(value)
    if t is bytes or t is bytearray:
        return T_STRING, enc_string(value, compress)
    if t is List:
        nodes = list(_list_nodes(value, limits.list_fill))
        parts = [enc_len(len(nodes))]
        for node in nodes:
            parts.append(b"\x02")  # QUICKLIST_NODE_CONTAINER_PACKED
            parts.append(enc_string(listpack(node), compress))
        return T_LIST_QUICKLIST_2, b"".join(parts)
    if t is Hash:
        lim = limits.hash_value
        if (not value.encoding_sticky and len(value) <= limits.hash_entries
                and all(len(k) <= lim and len(v) <= lim for k, v in value.items())):
            entries = []
            for k, v in value.items():
                entries.append(lp_entry(bytes(k)))
                entries.append(lp_entry(bytes(v)))
            return T_HASH_LISTPACK, enc_string(listpack(entries), compress)
        parts = [enc_len(len(value))]
        for k, v in value.items():
            parts.append(enc_string(k, compress))
            parts.append(enc_string(v, compress))
        return T_HASH, b"".join(parts)
    if t is Set:
        if not value.encoding_sticky and len(value) <= limits.intset_entries:
            ints = []
            for m in value:
                v = _canonical_int64(bytes(m))
                if v is None:
                    break
                ints.append(v)
            else:
                return T_SET_INTSET, enc_string(_intset(ints), compress)
        parts = [enc_len(len(value))]
        for m in value:
            parts.append(enc_string(m, compress))
        return T_SET, b"".join(parts)
    if getattr(value, "type_name", None) == b"zset":
        items = value.items()  # (score, member) in score order
        lim = limits.zset_value
        if (not value.encoding_sticky and len(items) <= limits.zset_entries
                and all(len(m) <= lim for _, m in items)):
            entries = []
            for score, m in items:
                entries.append(lp_entry(bytes(m)))
                entries.append(lp_entry(_score_text(score)))
            return T_ZSET_LISTPACK, enc_string(listpack(entries), compress)
        # Redis writes from the tail (highest score first) so loading inserts at the head.
        parts = [enc_len(len(items))]
        pack = struct.Struct("<d").pack
        for score, m in reversed(items):
            parts.append(enc_string(m, compress))
            parts.append(pack(score))
        return T_ZSET_2, b"".join(parts)
    codec = VALUE_CODECS.get(t)
    if codec is not None:
        return codec(value, compress, limits)
    raise RDBError("can't serialize a value of type %s" % getattr(value, "type_name", t).__repr__())


def _intset(ints: list[int]) -> bytes:
    ints.sort()
    lo, hi = (ints[0], ints[-1]) if ints else (0, 0)
    if -32768 <= lo and hi <= 32767:
        width, fmt = 2, "h"
    elif -(1 << 31) <= lo and hi < (1 << 31):
        width, fmt = 4, "i"
    else:
        width, fmt = 8, "q"
    return struct.pack("<II", width, len(ints)) + struct.pack("<%d%s" % (len(ints), fmt), *ints)


def dump_value(value: Any, compress: bool = True, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The DUMP payload of ``value``: type, value, RDB version, CRC-64."""
    rtype, body = encode_value(value, compress, limits)
    payload = bytes((rtype,)) + body + struct.pack("<H", RDB_VERSION)
    return payload + struct.pack("<Q", crc64(payload))


class _Out:
    """Buffered file output that keeps the running CRC-64 of what it wrote."""

    __slots__ = ("f", "buf", "crc", "checksum", "written")

    def __init__(self, f: BinaryIO, checksum: bool) -> None:
        self.f = f
        self.buf = bytearray()
        self.crc = 0
        self.checksum = checksum
        self.written = 0

    def flush(self) -> None:
        if self.buf:
            if self.checksum:
                self.crc = crc64(self.buf, self.crc)
            self.f.write(self.buf)
            self.written += len(self.buf)
            self.buf = bytearray()


def _aux(key: bytes, value: bytes) -> bytes:
    return bytes((OP_AUX,)) + enc_string(key) + enc_string(value)


def save(f: BinaryIO, dbs: Iterable[Any], now_ms: int, *, compress: bool = True, checksum: bool = True,
         limits: Limits = DEFAULT_LIMITS, used_mem: int = 0, functions: Iterable[bytes] = (),
         progress: Callable[[int], None] | None = None, aof_base: bool = False) -> int:
    """Write a whole RDB file of ``dbs`` (``keyspace.db.Database``) to ``f``.

    ``aof_base``: the file is an AOF's base (aux ``aof-base`` 1, as Redis marks it).

    Keys whose TTL is at or before ``now_ms`` are left out.  Returns the number
    of keys written.  ``functions`` are FUNCTION library codes (FUNCTION2).
    """
    out = _Out(f, checksum)
    buf = out.buf
    buf += b"REDIS%04d" % RDB_VERSION
    buf += _aux(b"redis-ver", REDIS_VER)
    buf += _aux(b"redis-bits", b"64")
    buf += _aux(b"ctime", b"%d" % (now_ms // 1000))
    buf += _aux(b"used-mem", b"%d" % used_mem)
    buf += _aux(b"aof-base", b"1" if aof_base else b"0")
    for code in functions:
        buf += bytes((OP_FUNCTION2,)) + enc_string(code, compress)
    nkeys = 0
    pack_ms = struct.Struct("<Q").pack
    for db in dbs:
        if not db.size:
            continue
        buf += bytes((OP_SELECTDB,)) + enc_len(db.index)
        buf += bytes((OP_RESIZEDB,)) + enc_len(db.size) + enc_len(db.nttl)
        expires = db.expires
        for key, value in db.data.items():
            if expires:
                when = expires.get(key)
                if when is not None:
                    if when <= now_ms:
                        continue
                    buf += b"\xfc" + pack_ms(when)
            t = type(value)
            if t is bytes or t is bytearray:
                # The common case, inline: type 0, key, value.
                buf += b"\x00"
                buf += enc_string(key)
                buf += enc_string(value, compress)
            else:
                rtype, body = encode_value(value, compress, limits)
                buf += bytes((rtype,))
                buf += enc_string(key)
                buf += body
            nkeys += 1
            if len(buf) > 1 << 20:
                out.flush()
                buf = out.buf
                if progress is not None:
                    progress(nkeys)
    buf += b"\xff"
    out.flush()
    f.write(struct.pack("<Q", out.crc if checksum else 0))
    return nkeys


# =====================================================================================
# Decoding
# =====================================================================================


class Reader:
    """A cursor over RDB bytes (``bytes`` or ``mmap``): lengths, strings, numbers."""

    __slots__ = ("d", "p", "n")

    def __init__(self, data: Any, pos: int = 0, end: int | None = None) -> None:
        self.d = data
        self.p = pos
        self.n = len(data) if end is None else end

    def take(self, k: int) -> bytes:
        p = self.p
        e = p + k
        if e > self.n:
            raise RDBError(SHORT_READ)
        self.p = e
        return self.d[p:e]

    def byte(self) -> int:
        p = self.p
        if p >= self.n:
            raise RDBError(SHORT_READ)
        self.p = p + 1
        return self.d[p]

    def length(self) -> int:
        """rdbLoadLen for a plain length (an encoded value here is corruption)."""
        n, enc = self.length_enc()
        if enc:
            raise RDBError("Unknown length encoding %d in rdbLoadLen()" % n)
        return n

    def length_enc(self) -> tuple[int, bool]:
        b = self.byte()
        kind = b >> 6
        if kind == 0:
            return b, False
        if kind == 1:
            return ((b & 0x3F) << 8) | self.byte(), False
        if kind == 3:
            return b & 0x3F, True
        if b == 0x80:
            return int.from_bytes(self.take(4), "big"), False
        if b == 0x81:
            return int.from_bytes(self.take(8), "big"), False
        raise RDBError("Unknown length encoding %d in rdbLoadLen()" % b)

    def string(self) -> bytes:
        """rdbGenericLoadStringObject: raw, integer or LZF string."""
        d = self.d
        p = self.p
        if p < self.n:
            b = d[p]
            if b < 64:  # short raw string: the hot path
                e = p + 1 + b
                if e > self.n:
                    raise RDBError(SHORT_READ)
                self.p = e
                return d[p + 1:e]
        n, enc = self.length_enc()
        if not enc:
            return self.take(n)
        if n == 0:
            return b"%d" % int.from_bytes(self.take(1), "little", signed=True)
        if n == 1:
            return b"%d" % int.from_bytes(self.take(2), "little", signed=True)
        if n == 2:
            return b"%d" % int.from_bytes(self.take(4), "little", signed=True)
        if n == 3:
            clen = self.length()
            ulen = self.length()
            try:
                return lzf.decompress(self.take(clen), ulen)
            except lzf.LZFError:
                raise RDBError("Invalid LZF compressed string") from None
        raise RDBError("Unknown RDB string encoding type %d" % n)

    def double_text(self) -> float:
        # rdbLoadDoubleValue: the old ZSET score, a length byte then text.
        n = self.byte()
        if n == 253:
            return math.nan
        if n == 254:
            return math.inf
        if n == 255:
            return -math.inf
        try:
            return float(self.take(n))
        except ValueError:
            raise RDBError("Bad double value") from None

    def binary_double(self) -> float:
        return struct.unpack("<d", self.take(8))[0]


# --- compact encodings --------------------------------------------------------------


def listpack_items(blob: bytes) -> list[bytes]:
    """Every entry of a listpack, integers as their decimal text."""
    n = len(blob)
    if n < 7 or int.from_bytes(blob[0:4], "little") != n or blob[-1] != 0xFF:
        raise RDBError("Listpack integrity check failed.")
    out: list[bytes] = []
    i = 6
    end = n - 1
    from_bytes = int.from_bytes
    while i < end:
        b = blob[i]
        if b < 0x80:  # 7-bit uint
            out.append(b"%d" % b)
            size = 1
        elif b < 0xC0:  # 6-bit string length
            ln = b & 0x3F
            out.append(blob[i + 1:i + 1 + ln])
            size = 1 + ln
        elif b < 0xE0:  # 13-bit int
            v = ((b & 0x1F) << 8) | blob[i + 1]
            if v >= 4096:
                v -= 8192
            out.append(b"%d" % v)
            size = 2
        elif b < 0xF0:  # 12-bit string length
            ln = ((b & 0x0F) << 8) | blob[i + 1]
            out.append(blob[i + 2:i + 2 + ln])
            size = 2 + ln
        elif b == 0xF0:  # 32-bit string length
            ln = from_bytes(blob[i + 1:i + 5], "little")
            out.append(blob[i + 5:i + 5 + ln])
            size = 5 + ln
        elif 0xF1 <= b <= 0xF4:
            w = (2, 3, 4, 8)[b - 0xF1]
            out.append(b"%d" % from_bytes(blob[i + 1:i + 1 + w], "little", signed=True))
            size = 1 + w
        else:
            raise RDBError("Listpack integrity check failed.")
        i += size + (1 if size <= 127 else 2 if size < 16383 else 3 if size < 2097151
                     else 4 if size < 268435455 else 5)
    if i != end:
        raise RDBError("Listpack integrity check failed.")
    return out


def ziplist_items(blob: bytes) -> list[bytes]:
    """Every entry of a ziplist (Redis < 7.0 compact encoding)."""
    n = len(blob)
    if n < 11 or int.from_bytes(blob[0:4], "little") != n or blob[-1] != 0xFF:
        raise RDBError("Ziplist integrity check failed.")
    out: list[bytes] = []
    i = 10
    from_bytes = int.from_bytes
    while blob[i] != 0xFF:
        i += 5 if blob[i] == 0xFE else 1  # prevlen
        b = blob[i]
        kind = b >> 6
        if kind == 0:
            ln = b & 0x3F
            out.append(blob[i + 1:i + 1 + ln])
            i += 1 + ln
        elif kind == 1:
            ln = ((b & 0x3F) << 8) | blob[i + 1]
            out.append(blob[i + 2:i + 2 + ln])
            i += 2 + ln
        elif kind == 2:
            ln = from_bytes(blob[i + 1:i + 5], "big")
            out.append(blob[i + 5:i + 5 + ln])
            i += 5 + ln
        elif b == 0xC0:
            out.append(b"%d" % from_bytes(blob[i + 1:i + 3], "little", signed=True))
            i += 3
        elif b == 0xD0:
            out.append(b"%d" % from_bytes(blob[i + 1:i + 5], "little", signed=True))
            i += 5
        elif b == 0xE0:
            out.append(b"%d" % from_bytes(blob[i + 1:i + 9], "little", signed=True))
            i += 9
        elif b == 0xF0:
            out.append(b"%d" % from_bytes(blob[i + 1:i + 4], "little", signed=True))
            i += 4
        elif b == 0xFE:
            out.append(b"%d" % from_bytes(blob[i + 1:i + 2], "little", signed=True))
            i += 2
        elif 0xF1 <= b <= 0xFD:
            out.append(b"%d" % ((b & 0x0F) - 1))
            i += 1
        else:
            raise RDBError("Ziplist integrity check failed.")
        if i >= n:
            raise RDBError("Ziplist integrity check failed.")
    return out


def intset_items(blob: bytes) -> list[bytes]:
    if len(blob) < 8:
        raise RDBError("Intset integrity check failed.")
    width, count = struct.unpack_from("<II", blob)
    fmt = {2: "h", 4: "i", 8: "q"}.get(width)
    if fmt is None or len(blob) != 8 + width * count:
        raise RDBError("Intset integrity check failed.")
    return [b"%d" % v for v in struct.unpack_from("<%d%s" % (count, fmt), blob, 8)]


def zipmap_items(blob: bytes) -> list[bytes]:
    """Key, value, key, value ... of a zipmap (Redis < 2.6 hashes)."""
    out: list[bytes] = []
    i = 1  # zmlen
    while blob[i] != 0xFF:
        for is_value in (False, True):
            ln = blob[i]
            if ln < 254:
                i += 1
            else:
                ln = int.from_bytes(blob[i + 1:i + 5], "little")
                i += 5
            free = 0
            if is_value:
                free = blob[i]
                i += 1
            out.append(blob[i:i + ln])
            i += ln + free
    return out


# --- values ---------------------------------------------------------------------------


def _pairs(items: list[bytes]) -> Iterator[tuple[bytes, bytes]]:
    if len(items) % 2:
        raise RDBError("odd number of entries in a key/value encoding")
    it = iter(items)
    return zip(it, it)


def _make_zset(pairs: Iterable[tuple[bytes, float]]) -> Any:
    from ..datatypes.zset import ZSet

    z = ZSet()
    for m, s in pairs:
        if s != s:
            raise RDBError("Zset with NAN score detected")
        z.add(m, s)
    return z


def _parse_score(text: bytes) -> float:
    try:
        return float(text)
    except ValueError:
        raise RDBError("Bad score in a sorted set listpack") from None


def read_value(r: Reader, rtype: int, limits: Limits = DEFAULT_LIMITS) -> Any:
    """rdbLoadObject: the value of type ``rtype`` at the reader's position."""
    try:
        return _read_value(r, rtype, limits)
    except (IndexError, struct.error):
        raise RDBError("Bad data format") from None


def _read_value(r: Reader, rtype: int, limits: Limits) -> Any:
    if rtype == T_STRING:
        return r.string()
    if rtype == T_LIST_QUICKLIST_2 or rtype == T_LIST_QUICKLIST:
        lst = List()
        for _ in range(r.length()):
            container = QUICKLIST_PACKED
            if rtype == T_LIST_QUICKLIST_2:
                container = r.length()
                if container not in (QUICKLIST_PLAIN, QUICKLIST_PACKED):
                    raise RDBError("Quicklist integrity check failed.")
            blob = r.string()
            if container == QUICKLIST_PLAIN:
                lst.append(blob)
            elif rtype == T_LIST_QUICKLIST_2:
                lst.extend(listpack_items(blob))
            else:
                lst.extend(ziplist_items(blob))
        return lst
    if rtype == T_LIST:
        lst = List()
        for _ in range(r.length()):
            lst.append(r.string())
        return lst
    if rtype == T_LIST_ZIPLIST:
        return List(ziplist_items(r.string()))
    if rtype in (T_SET, T_SET_INTSET, T_SET_LISTPACK):
        if rtype == T_SET:
            n = r.length()
            members = [r.string() for _ in range(n)]
        elif rtype == T_SET_INTSET:
            members = intset_items(r.string())
        else:
            members = listpack_items(r.string())
        s = Set(members)
        if len(s) != len(members):
            raise RDBError("Duplicate set members detected")
        fits = len(s) <= limits.intset_entries and all(_canonical_int64(bytes(m)) is not None for m in s)
        s.encoding_sticky = not fits
        return s
    if rtype in (T_HASH, T_HASH_LISTPACK, T_HASH_ZIPLIST, T_HASH_ZIPMAP):
        if rtype == T_HASH:
            n = r.length()
            items = []
            for _ in range(n):
                items.append(r.string())
                items.append(r.string())
        elif rtype == T_HASH_LISTPACK:
            items = listpack_items(r.string())
        elif rtype == T_HASH_ZIPLIST:
            items = ziplist_items(r.string())
        else:
            items = zipmap_items(r.string())
        h = Hash(_pairs(items))
        if len(h) * 2 != len(items):
            raise RDBError("Duplicate hash fields detected")
        lim = limits.hash_value
        h.encoding_sticky = not (len(h) <= limits.hash_entries
                                 and all(len(k) <= lim and len(v) <= lim for k, v in h.items()))
        return h
    if rtype in (T_ZSET, T_ZSET_2, T_ZSET_LISTPACK, T_ZSET_ZIPLIST):
        if rtype == T_ZSET_2 or rtype == T_ZSET:
            n = r.length()
            pairs = []
            for _ in range(n):
                m = r.string()
                pairs.append((m, r.binary_double() if rtype == T_ZSET_2 else r.double_text()))
        else:
            items = listpack_items(r.string()) if rtype == T_ZSET_LISTPACK else ziplist_items(r.string())
            pairs = [(m, _parse_score(s)) for m, s in _pairs(items)]
        z = _make_zset(pairs)
        if len(z) != len(pairs):
            raise RDBError("Duplicate zset fields detected")
        lim = limits.zset_value
        z.encoding_sticky = not (len(z) <= limits.zset_entries and all(len(m) <= lim for m, _ in pairs))
        return z
    loader = LOADERS.get(rtype)
    if loader is not None:
        return loader(r, limits)
    if rtype in (T_STREAM_LISTPACKS, T_STREAM_LISTPACKS_2, T_STREAM_LISTPACKS_3):
        raise RDBError("Stream values are not supported yet (RDB type %d)" % rtype)
    if rtype in (T_MODULE, T_MODULE_2):
        raise RDBError("The RDB file contains module data I can't load: modules are not supported")
    raise RDBError("Unknown RDB encoding type %d" % rtype)


def load_value(payload: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[int, Any] | None:
    """Decode a DUMP payload into ``(rdb_type, value)``.

    Returns None when the version or checksum is wrong (verifyDumpPayload);
    raises ``RDBError`` when they are right but the body can't be decoded.
    """
    if not verify_payload(payload):
        return None
    r = Reader(payload, 0, len(payload) - 10)
    rtype = r.byte()
    if not (0 <= rtype <= 7 or 9 <= rtype <= T_STREAM_LISTPACKS_2):
        raise RDBError("Bad data format")
    return rtype, read_value(r, rtype, limits)


def verify_payload(payload: bytes) -> bool:
    """verifyDumpPayload: RDB version not newer than ours and a matching CRC-64."""
    n = len(payload)
    if n < 10:
        return False
    ver = payload[n - 10] | (payload[n - 9] << 8)
    if ver > RDB_VERSION:
        return False
    return crc64(payload[:n - 8]) == int.from_bytes(payload[n - 8:], "little")


class LoadResult:
    """What ``load`` found besides keys."""

    def __init__(self) -> None:
        self.aux: dict[bytes, bytes] = {}
        self.functions: list[bytes] = []
        self.keys_loaded = 0
        self.keys_expired = 0
        self.version = 0
        self.end = 0  # offset just past the file (an AOF's commands may follow)


def load(data: Any, dbs: list[Any], now_ms: int, *, limits: Limits = DEFAULT_LIMITS,
         check_crc: bool = True, on_key: Callable[[Any, bytes, Any, int | None], None] | None = None) -> LoadResult:
    """Load a whole RDB file image (``bytes``/``mmap``) into ``dbs``.

    Keys already expired at ``now_ms`` are skipped (as a Redis master does).
    ``on_key(db, key, value, expire_ms)`` replaces the default insertion.
    """
    res = LoadResult()
    n = len(data)
    if n < 9 or data[0:5] != b"REDIS":
        raise RDBError("Wrong signature trying to load DB from file")
    try:
        ver = int(data[5:9])
    except ValueError:
        raise RDBError("Wrong signature trying to load DB from file") from None
    if ver < 1 or ver > 11:
        raise RDBError("Can't handle RDB format version %d" % ver)
    res.version = ver
    r = Reader(data, 9)
    db = dbs[0] if dbs else None
    expire: int | None = None
    string = r.string
    byte = r.byte
    try:
        while True:
            op = byte()
            if op == OP_EXPIRETIME_MS:
                expire = int.from_bytes(r.take(8), "little")
                continue
            if op == OP_EXPIRETIME:
                expire = int.from_bytes(r.take(4), "little") * 1000
                continue
            if op == OP_SELECTDB:
                idx = r.length()
                if idx >= len(dbs):
                    raise RDBError("FATAL: Data file was created with a Redis server configured to handle "
                                   "more than %d databases. Exiting\n" % len(dbs))
                db = dbs[idx]
                continue
            if op == OP_RESIZEDB:
                r.length()
                r.length()
                continue
            if op == OP_AUX:
                k = r.string()
                res.aux[k] = r.string()
                continue
            if op == OP_IDLE:
                r.length()
                continue
            if op == OP_FREQ:
                r.byte()
                continue
            if op == OP_FUNCTION2:
                res.functions.append(r.string())
                continue
            if op == OP_FUNCTION_PRE_GA:
                raise RDBError("Pre-release function format not supported.")
            if op == OP_MODULE_AUX:
                raise RDBError("The RDB file contains AUX module data I can't load: modules are not supported")
            if op == OP_EOF:
                break
            key = string()
            value = string() if op == T_STRING else read_value(r, op, limits)
            if expire is not None and expire < now_ms:
                res.keys_expired += 1
            elif db is None:
                raise RDBError("key outside any database")
            else:
                if on_key is not None:
                    on_key(db, key, value, expire)
                else:
                    before = db.size
                    db.set(key, value)
                    if db.size == before:
                        raise RDBError("RDB has duplicated key '%s' in DB %d" % (key.decode("latin-1"), db.index))
                    if expire is not None:
                        db.set_expire(key, expire)
                res.keys_loaded += 1
            expire = None
    except (IndexError, struct.error):
        raise RDBError(SHORT_READ) from None
    res.end = r.p
    if ver >= 5:
        end = r.p
        res.end = end + 8
        if end + 8 > n:
            raise RDBError(SHORT_READ)
        expected = int.from_bytes(data[end:end + 8], "little")
        if check_crc and expected:
            with memoryview(data) as mv, mv[:end] as head:
                got = crc64(head)
            if got != expected:
                raise RDBError("Wrong RDB checksum expected: (%x) got (%x). Aborting now." % (expected, got))
    return res


def now_ms() -> int:
    return int(time.time() * 1000)
