"""HyperLogLog, byte for byte as Redis 7.0's hyperloglog.c.

Theory of operation:

* An HLL is a plain string (``bytes``, or a ``bytearray`` changed in place),
  so GET, SET, DUMP/RESTORE and RDB files carry it unchanged between Redis
  and CrabCache.  The layout is Redis's::

      "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes |
      8-byte little-endian cached cardinality (MSB of the last byte set = stale) |
      registers

  Dense: 16384 6-bit registers packed LSB first (register i is bits
  6i..6i+5 of a little-endian bit stream), 12288 bytes.  Sparse: opcodes
  ZERO ``00xxxxxx`` (1-64 zero registers), XZERO ``01xxxxxx yyyyyyyy``
  (1-16384 zero registers) and VAL ``1vvvvvxx`` (1-4 registers of value
  1-32).
* Every change follows Redis's algorithm step by step (where an opcode is
  split, which neighbours are merged, when the sparse form is promoted),
  because the bytes it leaves behind are visible to clients: the same
  commands must leave the same string on both servers.  Corrupted values are
  read the way Redis reads them too (a truncated XZERO reads the string's
  NUL terminator; a sparse body must cover exactly 16384 registers to be
  counted, merged or promoted), so they are accepted or refused exactly when
  Redis does.
* Speed without a per-register Python loop: dense registers are unpacked 4
  at a time (3 bytes) by slicing the register bytes into three columns,
  ``bytes.translate`` with shift/mask tables, and big-int OR to combine two
  columns lane by lane; histograms come from ``bytes.count``; the max of
  two register arrays is a borrow-free big-int subtraction (every lane
  ``(a | 0x80) - b`` keeps bit 7 iff a >= b).  Locating the sparse opcode
  that covers a register goes through a per-value chunk index
  (``_SparseIndex``) once the sparse body is large, so an add costs a few
  chunk scans instead of a walk over up to hll-sparse-max-bytes opcodes.
* Values are strings, so nothing can be attached to them: the chunk index
  and the register histogram PFCOUNT computed are kept in small caches keyed
  by ``id(value)`` and trusted only while the value's registers still equal
  the copy they were made from (a memcmp).  Changes made here keep them in
  step; any other writer (SETRANGE, APPEND, SET, RESTORE ...) just makes them
  be rebuilt.  Correctness never depends on them: the algorithms are
  Redis's, the caches only find the same opcodes and counts sooner.

Nothing here knows about the server; ``commands.hyperloglog`` holds the
command semantics (lookups, errors, events).
"""

from __future__ import annotations

import math
import re
import struct
from bisect import bisect_right
from collections import Counter
from itertools import accumulate
from typing import Any, Iterable

HDR = 16
P = 14
Q = 64 - P
REGISTERS = 1 << P
P_MASK = REGISTERS - 1
REGISTER_MAX = 63
DENSE_BYTES = REGISTERS * 6 // 8
DENSE_SIZE = HDR + DENSE_BYTES
DENSE = 0
SPARSE = 1
VAL_MAX_VALUE = 32
VAL_MAX_LEN = 4
ZERO_MAX_LEN = 64
XZERO_MAX_LEN = 16384
ALPHA_INF = 0.721347520444481703680  # 0.5 / ln(2)
SEED = 0xADC83B19
MAGIC = b"HYLL"


class Corrupted(Exception):
    """The value is a HyperLogLog whose registers can't be read (INVALIDOBJ)."""


# --- hashing -------------------------------------------------------------------------

_M = 0xC6A4A7935BD1E995
_M64 = (1 << 64) - 1
_WORDS = [struct.Struct("<%dQ" % n) for n in range(64)]


def murmurhash64a(data: bytes, seed: int = SEED) -> int:
    """MurmurHash64A as Redis uses it (little-endian 8-byte blocks)."""
    n = len(data)
    m = _M
    h = (seed ^ (n * m)) & _M64
    nb = n >> 3
    if nb:
        words = _WORDS[nb].unpack_from(data) if nb < 64 else struct.unpack_from("<%dQ" % nb, data)
        for k in words:
            k = (k * m) & _M64
            k ^= k >> 47
            h ^= (k * m) & _M64
            h = (h * m) & _M64
    if n & 7:
        h ^= int.from_bytes(data[nb << 3:], "little")
        h = (h * m) & _M64
    h ^= h >> 47
    h = (h * m) & _M64
    return h ^ (h >> 47)


def pat_len(element: bytes) -> tuple[int, int]:
    """hllPatLen: (register index, run of zeros + 1) for ``element``."""
    h = murmurhash64a(element)
    rest = (h >> P) | (1 << Q)
    return h & P_MASK, (rest & -rest).bit_length()


# --- creation and checks ---------------------------------------------------------------

_EMPTY = MAGIC + b"\x01" + bytes(11) + b"\x7f\xff"  # one XZERO covering all 16384


def new() -> bytearray:
    """createHLLObject: an empty sparse HLL (cached cardinality 0, valid)."""
    return bytearray(_EMPTY)


def is_hll(v: Any) -> bool:
    """isHLLObjectOrReply's checks on a string value."""
    n = len(v)
    if n < HDR or v[:4] != MAGIC:
        return False
    enc = v[4]
    return enc == SPARSE or (enc == DENSE and n == DENSE_SIZE)


def cached(v: Any) -> int | None:
    """The cached cardinality, or None when it is stale."""
    if v[15] & 0x80:
        return None
    return int.from_bytes(v[8:16], "little")


def set_cached(ba: bytearray, card: int) -> None:
    ba[8:16] = (card & _M64).to_bytes(8, "little")


def invalidate(ba: bytearray) -> None:
    ba[15] |= 0x80


# --- dense registers, 4 at a time ----------------------------------------------------

def _table(f: Any) -> bytes:
    return bytes(f(b) & 0xFF for b in range(256))


_LO6 = _table(lambda b: b & 63)
_HI2 = _table(lambda b: b >> 6)
_LO4_UP2 = _table(lambda b: (b & 15) << 2)
_HI4 = _table(lambda b: b >> 4)
_LO2_UP4 = _table(lambda b: (b & 3) << 4)
_HI6 = _table(lambda b: b >> 2)
_LO2_UP6 = _table(lambda b: (b & 3) << 6)
_HI4_DOWN2 = _table(lambda b: b >> 2)
_LO4_UP4 = _table(lambda b: (b & 15) << 4)
_UP2 = _table(lambda b: b << 2)
_COL = DENSE_BYTES // 3  # 4096 groups of 3 bytes = 4 registers


def _or(a: bytes, b: bytes) -> bytes:
    # Lane-wise OR of two equal-length byte strings (the lanes never overlap).
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(len(a), "little")


def _columns(v: Any) -> tuple[bytes, bytes, bytes, bytes]:
    """Registers 4k, 4k+1, 4k+2, 4k+3 of a dense HLL, one byte each, as four columns."""
    regs = bytes(v[HDR:DENSE_SIZE])
    b0, b1, b2 = regs[0::3], regs[1::3], regs[2::3]
    return (
        b0.translate(_LO6),
        _or(b0.translate(_HI2), b1.translate(_LO4_UP2)),
        _or(b1.translate(_HI4), b2.translate(_LO2_UP4)),
        b2.translate(_HI6),
    )


def dense_registers(v: Any) -> bytes:
    """All 16384 registers of a dense HLL, one byte each."""
    out = bytearray(REGISTERS)
    for i, col in enumerate(_columns(v)):
        out[i::4] = col
    return bytes(out)


def pack_dense(raw: bytes) -> bytearray:
    """The 12288-byte dense register block for 16384 one-byte registers (each <= 63)."""
    r0, r1, r2, r3 = raw[0::4], raw[1::4], raw[2::4], raw[3::4]
    out = bytearray(DENSE_BYTES)
    out[0::3] = _or(r0, r1.translate(_LO2_UP6))
    out[1::3] = _or(r1.translate(_HI4_DOWN2), r2.translate(_LO4_UP4))
    out[2::3] = _or(r2.translate(_HI4), r3.translate(_UP2))
    return out


def dense_get(v: Any, index: int) -> int:
    pos = HDR + (index * 6 >> 3)
    fb = index * 6 & 7
    if fb <= 2:
        return (v[pos] >> fb) & 63
    return ((v[pos] >> fb) | (v[pos + 1] << (8 - fb))) & 63


def dense_set(ba: bytearray, index: int, count: int) -> int:
    """hllDenseSet: raise register ``index`` to ``count``; 1 if it changed."""
    pos = HDR + (index * 6 >> 3)
    fb = index * 6 & 7
    if fb <= 2:
        b = ba[pos]
        if count > (b >> fb) & 63:
            ba[pos] = (b & ~(63 << fb) & 0xFF) | (count << fb)
            return 1
        return 0
    b = ba[pos]
    b1 = ba[pos + 1]
    if count > ((b >> fb) | (b1 << (8 - fb))) & 63:
        ba[pos] = (b & ~(63 << fb) & 0xFF) | ((count << fb) & 0xFF)
        ba[pos + 1] = (b1 & ~(63 >> (8 - fb)) & 0xFF) | (count >> (8 - fb))
        return 1
    return 0


# --- register arrays (PFCOUNT of several keys, PFMERGE) ---------------------------------

_LANE_HI = int.from_bytes(b"\x80" * REGISTERS, "little")
_ZERO_REGS = bytes(REGISTERS)


def max_registers(a: bytes, b: bytes) -> bytes:
    """Lane-wise max of two one-byte-per-register arrays (values <= 63)."""
    x = int.from_bytes(a, "little")
    y = int.from_bytes(b, "little")
    ge = (((x | _LANE_HI) - y) & _LANE_HI) >> 7  # 1 in lanes where a >= b
    return (y ^ ((x ^ y) & (ge * 255))).to_bytes(REGISTERS, "little")


def greater_lanes(a: bytes, b: bytes) -> list[int]:
    """Indexes where ``a[i] > b[i]`` (one-byte registers, values <= 63)."""
    x = int.from_bytes(a, "little")
    y = int.from_bytes(b, "little")
    gt = ((((y | _LANE_HI) - x) & _LANE_HI) ^ _LANE_HI).to_bytes(REGISTERS, "little")
    return [m.start() for m in _NONZERO.finditer(gt)]


_NONZERO = re.compile(rb"[^\x00]")


# --- sparse opcodes -----------------------------------------------------------------

_XZERO_RE = re.compile(rb"[\x40-\x7f]")  # an XZERO's first byte (its second is any byte)


def _val(value: int, run: int) -> int:
    return 0x80 | (value - 1) << 2 | (run - 1)


def _zero_op(n: int) -> bytes:
    # A zero run as the split in hllSparseSet writes it.
    if n > ZERO_MAX_LEN:
        n -= 1
        return bytes((0x40 | n >> 8, n & 0xFF))
    return bytes((n - 1,))


# Expansion of every one-byte opcode into its registers (XZERO first bytes unused).
_EXPAND = [
    bytes(b + 1) if b < 0x40 else b"" if b < 0x80 else bytes((((b >> 2) & 31) + 1,)) * ((b & 3) + 1)
    for b in range(256)
]


def _segments(body: Any) -> Iterable[tuple[int, int, int]]:
    """(start, end, xzero_run): runs of one-byte opcodes, each followed by one XZERO
    (xzero_run 0 for the last run).  A truncated XZERO reads a 0 second byte."""
    pos = 0
    n = len(body)
    search = _XZERO_RE.search
    while True:
        m = search(body, pos)
        if m is None:
            yield pos, n, 0
            return
        q = m.start()
        yield pos, q, ((body[q] & 63) << 8 | (body[q + 1] if q + 1 < n else 0)) + 1
        pos = q + 2


def sparse_registers(v: Any) -> bytes:
    """Registers of a sparse HLL, one byte each; Corrupted unless the opcodes
    cover exactly 16384 registers (hllMerge / hllSparseToDense, which stop at
    the first opcode that would overflow, in Debian's 7.0.15 for any opcode)."""
    body = bytes(v[HDR:])
    parts = []
    total = 0
    for start, stop, xz in _segments(body):
        if stop > start:
            part = b"".join(map(_EXPAND.__getitem__, body[start:stop]))
            parts.append(part)
            total += len(part)
        if xz:
            total += xz
            if total > REGISTERS:
                break
            parts.append(bytes(xz))
        if total > REGISTERS:
            break
    if total != REGISTERS:
        raise Corrupted
    return b"".join(parts)


def registers(v: Any) -> bytes:
    """Registers of any valid HLL, one byte each (Corrupted for a bad sparse body)."""
    return dense_registers(v) if v[4] == DENSE else sparse_registers(v)


# --- cardinality -------------------------------------------------------------------

def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        zp = z
        y *= 0.5
        z -= (1 - x) ** 2.0 * y
        if zp == z:
            return z / 3


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        zp = z
        z += x * y
        y += y
        if zp == z:
            return z


def estimate(histo: list[int]) -> int:
    """Ertl's improved estimator over the register histogram, as hllCount."""
    m = float(REGISTERS)
    z = m * _tau((m - histo[Q + 1]) / m)
    for j in range(Q, 0, -1):
        z += histo[j]
        z *= 0.5
    z += m * _sigma(histo[0] / m)
    e = ALPHA_INF * m * m / z
    f = math.floor(e)  # llroundl: half away from zero
    return int(f) + (1 if e - f >= 0.5 else 0)


_BELOW = [bytes(range(v)) for v in range(65)]


def histogram(raw: bytes) -> list[int]:
    """Register histogram of one-byte registers (64 slots, like Redis's reghisto).
    ``bytes.count`` value by value; the last few registers, the high tail, are
    picked out with one ``translate`` instead of a pass per value."""
    h = [0] * 64
    left = len(raw)
    v = 0
    count = raw.count
    while left > 64:
        c = count(v)
        h[v] = c
        left -= c
        v += 1
    if left:
        for r in raw.translate(None, _BELOW[v]):
            h[r] += 1
    return h


def _sparse_histogram(v: Any) -> list[int]:
    # hllSparseRegHisto: every opcode counts (no overflow stop); Corrupted
    # unless the total is exactly 16384.
    body = bytes(v[HDR:])
    h = [0] * 64
    zeros = 0
    if len(body) <= 96:  # small: walk it
        total = 0
        p = 0
        n = len(body)
        while p < n:
            b = body[p]
            if b < 0x40:
                zeros += b + 1
                p += 1
            elif b < 0x80:
                zeros += ((b & 63) << 8 | (body[p + 1] if p + 1 < n else 0)) + 1
                p += 2
            else:
                run = (b & 3) + 1
                h[((b >> 2) & 31) + 1] += run
                total += run
                p += 1
        if total + zeros != REGISTERS:
            raise Corrupted
        h[0] = zeros
        return h
    ops: Counter[int] = Counter()
    for start, stop, xz in _segments(body):
        ops.update(body[start:stop])
        zeros += xz
    total = zeros
    for b, c in ops.items():
        if b < 0x40:
            zeros += c * (b + 1)
            total += c * (b + 1)
        else:
            run = c * ((b & 3) + 1)
            h[((b >> 2) & 31) + 1] += run
            total += run
    if total != REGISTERS:
        raise Corrupted
    h[0] = zeros
    return h


def count(v: Any) -> int:
    """hllCount of one HLL (dense or sparse); Corrupted for a bad sparse body.

    The histogram is remembered for the value (``_dense_cache``, or the sparse
    index's ``hist``) and kept current by ``add``, so counting again after a
    few adds costs the estimate alone."""
    if v[4] == DENSE:
        e = _dense_entry(v)
        if e is not None:
            return estimate(e[1])
        h = histogram(b"".join(_columns(v)))
        if len(_dense_cache) >= _DENSE_CACHE_SIZE:
            del _dense_cache[next(iter(_dense_cache))]
        _dense_cache[id(v)] = (bytearray(v[HDR:]), h[:])
        return estimate(h)
    idx = _cache.get(id(v))
    if idx is not None and _same_body(v, idx.snap):
        if idx.hist is None:
            idx.hist = _sparse_histogram(v)
        return estimate(idx.hist)
    return estimate(_sparse_histogram(v))


def count_registers(raw: bytes) -> int:
    """hllCount of the internal one-byte-per-register form (PFCOUNT of several keys)."""
    return estimate(histogram(raw))


# --- sparse -> dense ---------------------------------------------------------------

def to_dense(ba: bytearray) -> bool:
    """hllSparseToDense in place (header kept, encoding byte set); False if it was
    dense already.  Corrupted (and ``ba`` untouched) for a bad sparse body."""
    if ba[4] == DENSE:
        return False
    raw = sparse_registers(ba)
    ba[4] = DENSE
    ba[HDR:] = pack_dense(raw)
    _forget(ba)
    return True


# --- sparse set (hllSparseSet) ---------------------------------------------------------

def _locate_scan(ba: bytearray, index: int) -> tuple[int, int, int, int]:
    """(p, prev, first, span) of the opcode covering ``index``, by Redis's walk
    from the start; p == -1 when no opcode covers it."""
    p = HDR
    end = len(ba)
    first = 0
    prev = -1
    while p < end:
        b = ba[p]
        if b < 0x40:
            span = b + 1
            if index < first + span:
                return p, prev, first, span
            prev = p
            p += 1
        elif b >= 0x80:
            span = (b & 3) + 1
            if index < first + span:
                return p, prev, first, span
            prev = p
            p += 1
        else:
            span = ((b & 63) << 8 | (ba[p + 1] if p + 1 < end else 0)) + 1
            if index < first + span:
                return p, prev, first, span
            prev = p
            p += 2
        first += span
    return -1, prev, first, 0


def sparse_set(ba: bytearray, index: int, count: int, max_bytes: int) -> int:
    """hllSparseSet: 1 if register ``index`` was raised to ``count`` (possibly by
    promoting ``ba`` to dense in place), 0 if it was already >= count, -1 if the
    sparse body is invalid."""
    if count > VAL_MAX_VALUE:
        return _promote(ba, index, count)
    idx = _index_for(ba)
    if idx is not None:
        p, prev, first, span = idx.locate(ba, index)
    else:
        p, prev, first, span = _locate_scan(ba, index)
    if p < 0:
        return -1
    return _apply(ba, index, count, max_bytes, p, prev, first, span, idx)


def _apply(ba: bytearray, index: int, count: int, max_bytes: int, p: int, prev: int, first: int, span: int,
           idx: "_SparseIndex | None") -> int:
    # hllSparseSet from step 2 on: the opcode at p covers registers first ..
    # first + span - 1, prev is the opcode before it (-1 for none).
    end = len(ba)
    b = ba[p]
    if b >= 0x80:  # VAL
        old = ((b >> 2) & 31) + 1
        if old >= count:
            return 0
    else:
        old = 0
    if idx is not None and idx.hist is not None:
        # The register goes from old to count, whatever form the change takes
        # (a promotion below drops the index and its histogram).
        idx.hist[old] -= 1
        idx.hist[count] += 1
    if b >= 0x80:
        if span == 1:
            ba[p] = 0x80 | (count - 1) << 2
            return _merge_from(ba, prev, p, 0, idx)
    elif b < 0x40 and span == 1:  # ZERO of one register
        ba[p] = 0x80 | (count - 1) << 2
        return _merge_from(ba, prev, p, 0, idx)
    # General case: split the opcode around the register.
    last = first + span - 1
    if b >= 0x80:
        cur = ((b >> 2) & 31) + 1
        seq = bytearray()
        if index != first:
            seq.append(_val(cur, index - first))
        seq.append(0x80 | (count - 1) << 2)
        if index != last:
            seq.append(_val(cur, last - index))
        oldlen = 1
    else:
        seq = bytearray(_zero_op(index - first)) if index != first else bytearray()
        seq.append(0x80 | (count - 1) << 2)
        if index != last:
            seq += _zero_op(last - index)
        oldlen = 1 if b < 0x40 else 2
    delta = len(seq) - oldlen
    if delta > 0 and end + delta > max_bytes:
        return _promote(ba, index, count)
    if p + oldlen <= end:
        ba[p:p + oldlen] = seq
    else:  # a truncated XZERO at the very end: Redis writes past the length, then sets it
        ba[p:] = seq
        del ba[end + delta:]
    return _merge_from(ba, prev, p, delta, idx)


def _merge_from(ba: bytearray, prev: int, p: int, delta: int, idx: "_SparseIndex | None") -> int:
    # Step 4 of hllSparseSet: merge adjacent equal VALs, scanning up to 5
    # opcodes from the one before the change.
    q = prev if prev >= 0 else HDR
    end = len(ba)
    scan = 5
    merged = []  # where each merge happened (the opcode after it is gone)
    while q < end and scan:
        scan -= 1
        b = ba[q]
        if b < 0x80:
            q += 1 if b < 0x40 else 2
            continue
        if q + 1 < end:
            b2 = ba[q + 1]
            if b2 & 0x80 and (b ^ b2) & 0x7C == 0:
                run = (b & 3) + (b2 & 3) + 2
                if run <= VAL_MAX_LEN:
                    ba[q + 1] = (b2 & 0xFC) | (run - 1)
                    del ba[q]
                    end -= 1
                    merged.append(q)
                    continue
        q += 1
    ba[15] |= 0x80
    if idx is not None:
        idx.changed(ba, p, delta, merged)
    return 1


def _promote(ba: bytearray, index: int, count: int) -> int:
    try:
        to_dense(ba)
    except Corrupted:
        return -1
    dense_set(ba, index, count)
    return 1


# --- the chunk index over big sparse bodies ------------------------------------------

_INDEX_MIN = 160  # bodies shorter than this are walked, as Redis does
_CHUNK = 16  # opcodes per chunk
_CACHE_SIZE = 128
_SPAN1 = bytes(b + 1 if b < 0x40 else 0 if b < 0x80 else (b & 3) + 1 for b in range(256))
_cache: dict[int, "_SparseIndex"] = {}


class _SparseIndex:
    """Where each run of about ``_CHUNK`` opcodes starts in a sparse body.

    ``firsts[k]`` is the first register of chunk k, ``lens[k]`` its length in
    bytes.  A lookup bisects ``firsts`` and walks one chunk (two when the
    opcode before the one found is in the previous chunk).  After a change the
    chunks from there on are re-read until they line up with the unchanged
    rest again.  The index is only trusted while the value's registers still
    equal ``snap``, the body it was built for (the header may change: PFCOUNT
    writes its cache there), so any other writer (SETRANGE, APPEND, SET ...)
    simply makes it rebuild.  ``hist``, once PFCOUNT computed it, is the
    register histogram, kept up to date by every change made through here."""

    __slots__ = ("snap", "firsts", "lens", "k", "pos", "hist")

    def __init__(self) -> None:
        self.snap = b""
        self.hist: list[int] | None = None
        self.firsts: list[int] = []
        self.lens: list[int] = []
        self.k = 0  # chunk holding the opcode before the last one located
        self.pos = 0  # its byte offset

    def build(self, ba: bytearray) -> bool:
        # The whole body at C speed: spans of one-byte opcodes by translate,
        # XZEROs patched in, first registers by accumulate.
        body = bytes(ba[HDR:])
        n = len(body)
        spans = list(body.translate(_SPAN1))
        starts = list(range(n))
        xz = 0
        for s0, s1, run in _segments(body):
            if run:
                if s1 + 1 >= n:
                    return False  # a truncated XZERO: leave such values to the walk
                spans[s1] = run
                spans[s1 + 1] = 0
                del starts[s1 + 1 - xz]
                xz += 1
        firsts = list(accumulate(spans, initial=0))
        if firsts[n] != REGISTERS:
            return False
        offs = starts[::_CHUNK]
        nops = len(starts)
        if len(offs) > 1 and nops % _CHUNK and nops % _CHUNK < _CHUNK // 2:
            offs.pop()
        self.firsts = [firsts[o] for o in offs]
        offs.append(n)
        self.lens = [offs[i + 1] - offs[i] for i in range(len(offs) - 1)]
        self.snap = body
        return True

    def locate(self, ba: bytearray, index: int) -> tuple[int, int, int, int]:
        firsts = self.firsts
        lens = self.lens
        k = bisect_right(firsts, index) - 1
        pos = HDR + sum(lens[:k])
        first = firsts[k]
        prev = -1
        p = pos
        while True:
            b = ba[p]
            if b < 0x40:
                span = b + 1
                n = 1
            elif b >= 0x80:
                span = (b & 3) + 1
                n = 1
            else:
                span = ((b & 63) << 8 | ba[p + 1]) + 1
                n = 2
            if index < first + span:
                break
            prev = p
            p += n
            first += span
        if prev < 0 and k > 0:
            # The opcode found opens its chunk: its predecessor ends the one before.
            k -= 1
            pos -= lens[k]
            prev = q = pos
            while q < p:
                prev = q
                q += 2 if 0x40 <= ba[q] < 0x80 else 1
        self.k = k
        self.pos = pos
        return p, prev, first, span

    def changed(self, ba: bytearray, p: int, delta: int, merged: list[int]) -> None:
        """Follow a change: the opcode at ``p`` became ``delta`` bytes longer, then
        a merge at each of ``merged`` (in turn) swallowed the opcode after it.

        Usually that only changes chunk lengths.  When a merge swallows the
        first opcode of a chunk (its first register moves), or a chunk has
        grown to several times ``_CHUNK``, the chunks from the last located
        one are read again and re-cut."""
        k = self.k
        lens = self.lens
        hi = min(k + 4, len(lens))
        starts = [self.pos]
        for j in range(k, hi):
            starts.append(starts[-1] + lens[j])
        new = lens[k:hi]
        edits = [(p, delta)] if delta else []
        edits += [(q + 1, -1) for q in merged]
        for at, d in edits:
            j = bisect_right(starts, at) - 1
            if j >= hi - k or (d < 0 and at == starts[j]):
                break
            new[j] += d
            for t in range(j + 1, len(starts)):
                starts[t] += d
        else:
            if max(new) <= 3 * _CHUNK:
                lens[k:hi] = new
                self.snap = bytes(ba[HDR:])
                return
        self._reread(ba)

    def _reread(self, ba: bytearray) -> None:
        k = self.k
        firsts = self.firsts
        lens = self.lens
        nchunks = len(firsts)
        start = self.pos
        hi = min(k + 2, nchunks)
        tail = HDR + len(self.snap) - start - sum(lens[k:hi])  # bytes after the chunks re-read
        while True:
            chunks = _scan_chunks(ba, start, len(ba) - tail, firsts[k],
                                  firsts[hi] if hi < nchunks else REGISTERS)
            if chunks is not None:
                break
            if hi >= nchunks:  # cannot happen for a change Redis's way; rebuild to be safe
                self.snap = b""
                self.hist = None
                return
            tail -= lens[hi]
            hi += 1
        firsts[k:hi], lens[k:hi] = chunks
        self.snap = bytes(ba[HDR:])


def _scan_chunks(ba: Any, p: int, end: int, first: int, reg_end: int) -> tuple[list[int], list[int]] | None:
    """Cut the opcodes in ``ba[p:end]`` into chunks of ``_CHUNK`` (a short
    remainder joins the last full one): (firsts, lens), or None unless the
    opcodes end exactly on ``end`` having covered registers up to ``reg_end``."""
    firsts = []
    offs = []
    n = 0
    size = _CHUNK
    while p < end:
        if not n % size:
            firsts.append(first)
            offs.append(p)
        n += 1
        b = ba[p]
        if b < 0x40:
            first += b + 1
            p += 1
        elif b >= 0x80:
            first += (b & 3) + 1
            p += 1
        else:
            if p + 1 >= end:
                return None
            first += ((b & 63) << 8 | ba[p + 1]) + 1
            p += 2
    if p != end or first != reg_end or not n:
        return None
    if len(offs) > 1 and n % size and n % size < size // 2:
        firsts.pop()
        offs.pop()
    offs.append(end)
    return firsts, [offs[i + 1] - offs[i] for i in range(len(firsts))]


def _index_for(ba: bytearray) -> _SparseIndex | None:
    if len(ba) < _INDEX_MIN:
        return None
    key = id(ba)
    idx = _cache.get(key)
    if idx is not None and _same_body(ba, idx.snap):
        return idx
    idx = _SparseIndex()
    if not idx.build(ba):
        _cache.pop(key, None)
        return None
    if key not in _cache and len(_cache) >= _CACHE_SIZE:
        del _cache[next(iter(_cache))]
    _cache[key] = idx
    return idx


def _same_body(v: Any, snap: Any) -> bool:
    return len(v) == HDR + len(snap) and v.endswith(snap)


def _forget(ba: bytearray) -> None:
    _cache.pop(id(ba), None)


# --- histograms kept for dense values PFCOUNT has counted -----------------------------------

_DENSE_CACHE_SIZE = 64
_dense_cache: dict[int, tuple[bytearray, list[int]]] = {}  # id -> (registers as counted, histogram)


def _dense_entry(v: Any) -> tuple[bytearray, list[int]] | None:
    e = _dense_cache.get(id(v))
    if e is not None and not _same_body(v, e[0]):
        del _dense_cache[id(v)]
        return None
    return e


# --- adding elements ------------------------------------------------------------------

def add(ba: bytearray, elements: Iterable[bytes], max_bytes: int) -> int:
    """hllAdd for each element in turn; the number that changed a register.
    Corrupted if the sparse body can't take one (earlier changes stay, as in Redis)."""
    updated = 0
    it = iter(elements)
    if ba[4] == SPARSE:
        for e in it:
            index, cnt = pat_len(e)
            r = sparse_set(ba, index, cnt, max_bytes)
            if r < 0:
                raise Corrupted
            updated += r
            if ba[4] != SPARSE:
                break  # promoted: the rest go to the dense registers
        else:
            return updated
    if ba[4] != DENSE:
        raise Corrupted
    # hllDenseSet inline, keeping a remembered histogram (and its copy of the
    # registers) in step with every register raised.
    entry = _dense_entry(ba)
    snap, hist = entry if entry is not None else (None, None)
    for el in it:
        index, cnt = pat_len(el)
        pos = HDR + (index * 6 >> 3)
        fb = index * 6 & 7
        b = ba[pos]
        if fb <= 2:
            old = (b >> fb) & 63
            if cnt <= old:
                continue
            b = (b & ~(63 << fb) & 0xFF) | (cnt << fb)
            ba[pos] = b
            if snap is not None:
                snap[pos - HDR] = b
        else:
            b1 = ba[pos + 1]
            old = ((b >> fb) | (b1 << (8 - fb))) & 63
            if cnt <= old:
                continue
            b = (b & ~(63 << fb) & 0xFF) | ((cnt << fb) & 0xFF)
            b1 = (b1 & ~(63 >> (8 - fb)) & 0xFF) | (cnt >> (8 - fb))
            ba[pos] = b
            ba[pos + 1] = b1
            if snap is not None:
                snap[pos - HDR] = b
                snap[pos + 1 - HDR] = b1
        updated += 1
        if hist is not None:
            hist[old] -= 1
            hist[cnt] += 1
    return updated


# --- PFMERGE's write phase -----------------------------------------------------------

def merge_into(ba: bytearray, maxregs: bytes, use_dense: bool, max_bytes: int) -> None:
    """Raise ``ba``'s registers to ``maxregs`` as pfmergeCommand does: dense at once
    when ``use_dense``, else register by register through the sparse form (which
    decides where it promotes).  Corrupted if ``use_dense`` and ``ba`` is bad."""
    if use_dense:
        to_dense(ba)
    if ba[4] == SPARSE:
        _merge_sparse(ba, maxregs, max_bytes)
    if ba[4] == DENSE:
        ba[HDR:] = pack_dense(max_registers(dense_registers(ba), maxregs))
    ba[15] |= 0x80


def _merge_sparse(ba: bytearray, maxregs: bytes, max_bytes: int) -> None:
    # hllSparseSet for each register in increasing order (registers already
    # >= their target are no-ops there, so they are skipped).  Redis walks
    # from the start every time; since a change never touches anything before
    # the opcode preceding the one changed, the walk resumes from the last
    # opcode known to lie before that one: the same opcodes are found.
    seen: list[tuple[int, int]] = []  # (offset, first register) of opcodes before any change
    for j in greater_lanes(maxregs, sparse_registers(ba)):
        # The last opcode seen ends before the previous register set: walk on
        # from it (it is passed again, so the opcode before ours is known).
        q, first = seen.pop() if seen else (HDR, 0)
        prev = -1
        end = len(ba)
        while True:
            b = ba[q]
            if b < 0x40:
                span = b + 1
                n = 1
            elif b >= 0x80:
                span = (b & 3) + 1
                n = 1
            else:
                span = ((b & 63) << 8 | ba[q + 1]) + 1
                n = 2
            if j < first + span:
                break
            seen.append((q, first))
            prev = q
            q += n
            first += span
            if q >= end:  # not reached for a body covering 16384 registers
                return
        if prev >= 0:
            seen.pop()  # the opcode before the change may itself be merged into
        _apply(ba, j, maxregs[j], max_bytes, q, prev, first, span, None)
        if ba[4] == DENSE:
            return


# --- PFDEBUG DECODE ------------------------------------------------------------------

def decode(v: Any) -> bytes:
    """PFDEBUG DECODE's text for a sparse HLL: ``z:len Z:len v:value,len`` ..."""
    out = []
    p = HDR
    end = len(v)
    while p < end:
        b = v[p]
        if b < 0x40:
            out.append(b"z:%d" % (b + 1))
            p += 1
        elif b < 0x80:
            out.append(b"Z:%d" % (((b & 63) << 8 | (v[p + 1] if p + 1 < end else 0)) + 1))
            p += 2
        else:
            out.append(b"v:%d,%d" % (((b >> 2) & 31) + 1, (b & 3) + 1))
            p += 1
    return b" ".join(out)
